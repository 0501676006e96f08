"""Roles of the AWS Batch scheduler: ECS instances, jobs, spot fleet, the user role, the head node's CLI.

As ParallelCluster's awsbatch stack, minus CloudFormation: the compute environment uses Batch's
service-linked role (no service role is created, as in ParallelCluster 3), its instances run
with an ECS instance profile, jobs with a job role that may only read their own files, and the
spot-fleet role exists only for ``CapacityType: SPOT``. The ``awsb*`` commands' rights go to
the head node's role (when the cluster created it) and to a user role other principals of the
account may assume (stack output ``batchUserRole``). Documents: ``derive/batch_policies.py``.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws

from pcluster_pulumi.cluster.iam import iam_naming, name_prefix
from pcluster_pulumi.derive import batch_policies
from pcluster_pulumi.derive.batch import batch_queue
from pcluster_pulumi.derive.context import ClusterContext
from pcluster_pulumi.derive.iam_policies import document

__all__ = ["BatchIam", "managed_policy_arn"]

#: Role-session length of the user role (ParallelCluster's 10 hours).
USER_ROLE_MAX_SESSION = 36000


def managed_policy_arn(ctx: ClusterContext, name: str) -> str:
    """An AWS managed policy's ARN in this partition."""
    return f"arn:{ctx.facts.partition}:iam::aws:policy/service-role/{name}"


class BatchIam(pulumi.ComponentResource):
    """The Batch scheduler's roles, instance profile and the head node's ``awsb*`` policy."""

    instance_profile_arn: pulumi.Output[str]
    job_role_arn: pulumi.Output[str]
    spot_fleet_role_arn: pulumi.Output[str] | None
    user_role_arn: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        ctx: ClusterContext,
        *,
        bucket_name: pulumi.Input[str],
        artifact_prefix: str,
        head_role_name: pulumi.Input[str] | None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("pcluster:batch:BatchIam", name, None, opts)
        self._name, self._ctx = name, ctx
        self._path, self._prefix = iam_naming(ctx.spec, ctx.name)
        child = pulumi.ResourceOptions(parent=self)
        facts = ctx.facts
        #: Resources that must exist before the compute environment launches instances.
        self.ready: list[pulumi.Resource] = []

        instance_role = self._role("ecs-instance", batch_policies.service_trust(facts.ec2_principal))
        self.ready.append(self._attach("ecs-instance", instance_role, "AmazonEC2ContainerServiceforEC2Role"))
        profile = aws.iam.InstanceProfile(
            f"{name}-ecs-instance-profile",
            role=instance_role.id,
            path=self._path,
            name_prefix=name_prefix(self._prefix, ctx.name, "batch-ecs"),
            tags=ctx.tags,
            opts=child,
        )
        self.instance_profile_arn = profile.arn

        def cli_document(bucket: str) -> str:
            return json.dumps(
                document(batch_policies.cli_statements(ctx, bucket=bucket, prefix=artifact_prefix))
            )

        def job_document(bucket: str) -> str:
            statements = batch_policies.job_role_statements(ctx, bucket=bucket, prefix=artifact_prefix)
            return json.dumps(document(statements))

        job_role = self._role("job", batch_policies.service_trust("ecs-tasks.amazonaws.com"))
        self._policy("job", job_role, pulumi.Output.from_input(bucket_name).apply(job_document))
        self.job_role_arn = job_role.arn

        queue, _ = batch_queue(ctx.spec)
        self.spot_fleet_role_arn = None
        if queue.capacity_type == "SPOT":
            spot_role = self._role("spot-fleet", batch_policies.service_trust("spotfleet.amazonaws.com"))
            self.ready.append(self._attach("spot-fleet", spot_role, "AmazonEC2SpotFleetTaggingRole"))
            self.spot_fleet_role_arn = spot_role.arn

        user_role = self._role(
            "batch-user", batch_policies.user_trust(ctx), max_session_duration=USER_ROLE_MAX_SESSION
        )
        self._policy("batch-user", user_role, pulumi.Output.from_input(bucket_name).apply(cli_document))
        self.user_role_arn = user_role.arn

        self.head_policy: aws.iam.RolePolicy | None = None
        # DevSettings.AwsBatchCliPackage from S3: the head node reads it (form: check_supported).
        package_statements = batch_policies.cli_package_statements(ctx)
        if head_role_name is not None:
            self.head_policy = aws.iam.RolePolicy(
                f"{name}-head-awsbatch-policy",
                role=head_role_name,
                name="pcluster-pulumi-awsbatch",
                policy=pulumi.Output.from_input(bucket_name).apply(
                    lambda bucket: json.dumps(
                        document(
                            batch_policies.cli_statements(ctx, bucket=bucket, prefix=artifact_prefix)
                            + package_statements
                        )
                    )
                ),
                opts=child,
            )
        self.register_outputs(
            {
                "instanceProfileArn": self.instance_profile_arn,
                "jobRoleArn": self.job_role_arn,
                "userRoleArn": self.user_role_arn,
            }
        )

    def _role(self, key: str, trust: dict[str, Any], **extra: Any) -> aws.iam.Role:
        ctx = self._ctx
        return aws.iam.Role(
            f"{self._name}-{key}-role",
            assume_role_policy=json.dumps(trust),
            path=self._path,
            name_prefix=name_prefix(self._prefix, ctx.name, key),
            permissions_boundary=ctx.spec.iam.permissions_boundary if ctx.spec.iam else None,
            description=f"AWS Batch {key.replace('-', ' ')} role of cluster {ctx.name}",
            tags=ctx.tags,
            opts=pulumi.ResourceOptions(parent=self),
            **extra,
        )

    def _attach(self, key: str, role: aws.iam.Role, policy: str) -> aws.iam.RolePolicyAttachment:
        return aws.iam.RolePolicyAttachment(
            f"{self._name}-{key}-{policy.lower()}",
            role=role.id,
            policy_arn=managed_policy_arn(self._ctx, policy),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _policy(self, key: str, role: aws.iam.Role, policy: pulumi.Input[str]) -> aws.iam.RolePolicy:
        return aws.iam.RolePolicy(
            f"{self._name}-{key}-policy",
            role=role.id,
            name="pcluster-pulumi",
            policy=policy,
            opts=pulumi.ResourceOptions(parent=self),
        )
