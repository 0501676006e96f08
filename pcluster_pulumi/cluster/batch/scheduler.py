"""``BatchScheduler``: everything ``Scheduler: awsbatch`` adds to a cluster, as one component.

    BatchIam (roles, ECS instance profile, head node and user CLI policies)
    JobImage (ECR repository, sources, CodeBuild project, the build ``up`` waits for)
    BatchCompute (launch template, compute environment, job queue)
    BatchJobDefinitions (container + multi-node parallel, after the image exists)

and the ``awsb*`` commands' configuration (``cli_config``), stored in the cluster bucket next to
the runtime configuration, where the head node looks for it at boot (``node/awsbatch.py``).
Outputs follow ParallelCluster's Batch stack outputs (``BatchComputeEnvironmentArn`` …) in camelCase.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from pcluster_pulumi.cluster.batch.compute import BatchCompute
from pcluster_pulumi.cluster.batch.iam import BatchIam
from pcluster_pulumi.cluster.batch.image import JobImage
from pcluster_pulumi.cluster.batch.jobs import BatchJobDefinitions
from pcluster_pulumi.derive.batch import CLI_REQUIREMENT, BatchNames, CliConfig, render_cli_config
from pcluster_pulumi.derive.context import ClusterContext

__all__ = ["CLI_CONFIG_KEY", "BatchScheduler"]

#: Key of the rendered ``awsbatch-cli.cfg`` under the cluster's prefix (the head node installs it).
CLI_CONFIG_KEY = "config/awsbatch-cli.cfg"


class BatchScheduler(pulumi.ComponentResource):
    """The AWS Batch side of a cluster: compute environment, queue, job definitions, image, IAM."""

    def __init__(
        self,
        name: str,
        ctx: ClusterContext,
        *,
        bucket_name: pulumi.Input[str],
        artifact_prefix: str,
        security_group_ids: Sequence[pulumi.Input[str]],
        head_node_ip: pulumi.Input[str],
        head_role_name: pulumi.Input[str] | None,
        storage_facts: pulumi.Input[Mapping[str, Mapping[str, Any]]],
        proxy: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("pcluster:batch:BatchScheduler", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.iam = BatchIam(
            f"{name}-iam",
            ctx,
            bucket_name=bucket_name,
            artifact_prefix=artifact_prefix,
            head_role_name=head_role_name,
            opts=child,
        )
        self.image = JobImage(
            f"{name}-image", ctx, bucket_name=bucket_name, artifact_prefix=artifact_prefix, opts=child
        )
        self.compute = BatchCompute(
            f"{name}-compute",
            ctx,
            security_group_ids=security_group_ids,
            instance_profile_arn=self.iam.instance_profile_arn,
            spot_fleet_role_arn=self.iam.spot_fleet_role_arn,
            depends_on=self.iam.ready,
            opts=child,
        )
        self.job_definitions = BatchJobDefinitions(
            f"{name}-jobs",
            ctx,
            image=self.image.image,
            job_role_arn=self.iam.job_role_arn,
            head_node_ip=head_node_ip,
            storage_facts=storage_facts,
            depends_on=[self.image.build],
            opts=child,
        )

        batch_names = BatchNames.of(ctx.name, ctx.spec)

        def render(values: list[Any]) -> str:
            bucket, ce, ip = values
            # Queue and definitions by name: Batch then takes a definition's latest revision, and the
            # head node (which waits for this object) need not wait for the image build.
            return render_cli_config(
                CliConfig(
                    cluster=ctx.name,
                    region=ctx.facts.region,
                    bucket=bucket,
                    artifact_directory=artifact_prefix,
                    compute_environment=ce,
                    job_queue=batch_names.job_queue,
                    job_definition=batch_names.job_definition,
                    job_definition_mnp=batch_names.job_definition_mnp,
                    head_node_ip=ip,
                    proxy=proxy,
                    cli_package=ctx.spec.dev_settings.aws_batch_cli_package,
                )
            )

        self.cli_config = pulumi.Output.all(
            bucket_name, self.compute.compute_environment_arn, head_node_ip
        ).apply(render)
        self.cli_config_key = f"{artifact_prefix}{CLI_CONFIG_KEY}"
        self.cli_config_object = aws.s3.BucketObjectv2(
            f"{name}-cli-config",
            bucket=bucket_name,
            key=self.cli_config_key,
            content=self.cli_config,
            content_type="text/plain",
            opts=child,
        )
        self.register_outputs(self.outputs())

    def outputs(self) -> dict[str, Any]:
        """ParallelCluster's Batch stack outputs, camelCase (``BatchJobQueueArn`` → ``batchJobQueueArn``)."""
        return {
            "batchCliRequirements": CLI_REQUIREMENT,
            "batchComputeEnvironmentArn": self.compute.compute_environment_arn,
            "batchJobQueueArn": self.compute.job_queue_arn,
            "batchJobDefinitionArn": self.job_definitions.container_arn,
            "batchJobDefinitionMnpArn": self.job_definitions.mnp_arn,
            "ecrRepoName": self.image.repository_name,
            "codeBuildDockerImageBuilderProject": self.image.project_name,
            "batchUserRole": self.iam.user_role_arn,
        }
