"""The two job definitions ``awsbsub`` submits with: container, and multi-node parallel.

Both run the cluster's job image privileged with the job role and ParallelCluster's
``PCLUSTER_*`` environment (region, cluster, shared directories, EFS ids, RAID directory,
head node address), which the image's entry point mounts from. They are registered only once
the image build succeeded, so a job never names a missing image.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from pcluster_pulumi.derive.batch import (
    BatchNames,
    container_properties,
    job_environment,
    json_document,
    node_properties,
    shared_dirs,
)
from pcluster_pulumi.derive.context import ClusterContext

__all__ = ["BatchJobDefinitions"]


class BatchJobDefinitions(pulumi.ComponentResource):
    """``<cluster>-job`` (container) and ``<cluster>-job-mnp`` (multinode)."""

    container_arn: pulumi.Output[str]
    mnp_arn: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        ctx: ClusterContext,
        *,
        image: str,
        job_role_arn: pulumi.Input[str],
        head_node_ip: pulumi.Input[str],
        storage_facts: pulumi.Input[Mapping[str, Mapping[str, Any]]],
        depends_on: Sequence[pulumi.Resource] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``storage_facts``: storage name → resolved facts (``file_system_id`` for EFS)."""
        super().__init__("pcluster:batch:BatchJobDefinitions", name, None, opts)
        batch_names = BatchNames.of(ctx.name, ctx.spec)
        dirs = shared_dirs(ctx.spec)

        def container(values: list[Any]) -> dict[str, Any]:
            role, ip, facts = values
            efs_ids = {n: str(facts[n]["file_system_id"]) for n in dirs.efs_names}
            environment = job_environment(
                cluster=ctx.name, region=ctx.facts.region, dirs=dirs, efs_ids=efs_ids, head_node_ip=str(ip)
            )
            return container_properties(image=image, job_role_arn=role, environment=environment)

        properties = pulumi.Output.all(job_role_arn, head_node_ip, storage_facts).apply(container)
        options = pulumi.ResourceOptions(parent=self, depends_on=list(depends_on))
        self.container = aws.batch.JobDefinition(
            f"{name}-container",
            name=batch_names.job_definition,
            type="container",
            container_properties=properties.apply(json_document),
            tags=ctx.tags,
            opts=options,
        )
        self.mnp = aws.batch.JobDefinition(
            f"{name}-mnp",
            name=batch_names.job_definition_mnp,
            type="multinode",
            node_properties=properties.apply(lambda c: json_document(node_properties(c))),
            tags=ctx.tags,
            opts=options,
        )
        self.container_arn = self.container.arn
        self.mnp_arn = self.mnp.arn
        self.register_outputs({"containerArn": self.container_arn, "mnpArn": self.mnp_arn})
