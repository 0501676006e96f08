"""The Batch compute environment of ``AwsBatchQueues[0].ComputeResources[0]`` and its job queue.

A MANAGED environment (EC2 or SPOT per the queue's ``CapacityType``) with the compute resource's
vCPU bounds and instance types, in the queue's subnet and security groups, launching the ECS
instance profile from a launch template that requires IMDSv2 (unless ``Imds.ImdsSupport: v1.0``)
and encrypts the root volume. The job queue (priority 1, as ParallelCluster) sends every job to
it. ``update-compute-fleet`` disables and enables this environment.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from pcluster_pulumi.contract import names
from pcluster_pulumi.derive.batch import (
    ECS_ROOT_DEVICE,
    ECS_ROOT_SIZE_GIB,
    BatchNames,
    compute_resources_args,
)
from pcluster_pulumi.derive.context import ClusterContext

__all__ = ["BatchCompute"]


class BatchCompute(pulumi.ComponentResource):
    """Launch template, compute environment and job queue."""

    compute_environment_arn: pulumi.Output[str]
    job_queue_arn: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        ctx: ClusterContext,
        *,
        security_group_ids: Sequence[pulumi.Input[str]],
        instance_profile_arn: pulumi.Input[str],
        spot_fleet_role_arn: pulumi.Input[str] | None,
        depends_on: Sequence[pulumi.Resource] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("pcluster:batch:BatchCompute", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        batch_names = BatchNames.of(ctx.name, ctx.spec)
        node_tags = {
            **ctx.node_tags(names.NODE_TYPE_COMPUTE),
            "Name": f"{ctx.name}-{batch_names.compute_resource}",
        }
        self.launch_template = aws.ec2.LaunchTemplate(
            f"{name}-launch-template",
            name=batch_names.compute_environment,
            description=f"AWS Batch instances of cluster {ctx.name}",
            metadata_options={"http_endpoint": "enabled", "http_tokens": ctx.http_tokens},
            block_device_mappings=[
                {
                    "device_name": ECS_ROOT_DEVICE,
                    "ebs": {
                        "volume_size": ECS_ROOT_SIZE_GIB,
                        "volume_type": "gp3",
                        "encrypted": "true",
                        "delete_on_termination": "true",
                    },
                }
            ],
            tag_specifications=[
                {"resource_type": "instance", "tags": node_tags},
                {"resource_type": "volume", "tags": node_tags},
            ],
            tags=ctx.tags,
            opts=child,
        )
        resources: Any = {  # a plain dict: the TypedDict of the provider cannot take ** of derived args
            **compute_resources_args(ctx.spec),
            "instance_role": instance_profile_arn,
            "security_group_ids": list(security_group_ids),
            "launch_template": {
                "launch_template_id": self.launch_template.id,
                "version": self.launch_template.latest_version.apply(str),
            },
            "tags": node_tags,
        }
        if spot_fleet_role_arn is not None:
            resources["spot_iam_fleet_role"] = spot_fleet_role_arn
        # A prefix, not a fixed name: changes Batch cannot apply in place (instance types, capacity
        # type, subnets, groups) replace the environment, and the new one must exist next to the old.
        self.compute_environment = aws.batch.ComputeEnvironment(
            f"{name}-environment",
            name_prefix=f"{batch_names.compute_environment}-",
            type="MANAGED",
            state="ENABLED",
            compute_resources=resources,
            tags=ctx.tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(depends_on)),
        )
        self.job_queue = aws.batch.JobQueue(
            f"{name}-job-queue",
            name=batch_names.job_queue,
            priority=1,
            state="ENABLED",
            compute_environment_orders=[{"compute_environment": self.compute_environment.arn, "order": 1}],
            tags=ctx.tags,
            opts=child,
        )
        self.compute_environment_arn = self.compute_environment.arn
        self.job_queue_arn = self.job_queue.arn
        self.register_outputs(
            {"computeEnvironmentArn": self.compute_environment_arn, "jobQueueArn": self.job_queue_arn}
        )
