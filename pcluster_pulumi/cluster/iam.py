"""Node roles and instance profiles: one for the head node, one per queue, least privilege.

ParallelCluster's rules on user-supplied identities are kept: with ``Iam.InstanceProfile``
nothing is created; with ``Iam.InstanceRole`` only an instance profile around that role; in
both cases the user's role is expected to carry the permissions, so no policy is attached to
it. Created roles live under ``/parallelcluster/<cluster>/`` (or ``Iam.ResourcePrefix``),
carry ``Iam.PermissionsBoundary`` and get the documents from ``iam_policies.py`` plus
``S3Access`` and ``AdditionalIamPolicies``.

The head node's right to launch compute nodes names the launch templates, which need the
compute instance profiles first; so it is a second small component, ``FleetPolicy``, created
after the queues.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from pcluster_pulumi.derive import iam_policies
from pcluster_pulumi.derive.context import ClusterContext
from pcluster_pulumi.derive.facts import profile_name
from pcluster_pulumi.derive.launch_policy import fleet_statements
from pcluster_pulumi.derive.login_policies import login_node_statements
from pcluster_pulumi.spec.model import AdditionalIamPolicy, ClusterSpec, LoginNodesPool, S3Access

__all__ = ["FleetPolicy", "Iam", "InstanceProfileRef", "iam_naming", "name_prefix"]

#: IAM allows 64-character role names; the provider appends 26 characters to a prefix.
NAME_PREFIX_MAX = 38


@dataclass
class InstanceProfileRef:
    """An instance profile nodes launch with, created here or supplied by the user."""

    name: pulumi.Input[str]
    arn: pulumi.Input[str] | None = None
    #: ARN of the role inside (what the head node must be allowed to pass), when known.
    role_arn: pulumi.Input[str] | None = None
    #: The role this component created, which the cluster may attach more policies to.
    role: aws.iam.Role | None = None
    #: Resources that must exist before an instance uses the profile (its policies).
    ready: list[pulumi.Resource] = field(default_factory=list)

    def for_launch_template(self) -> dict[str, pulumi.Input[str]]:
        """``iam_instance_profile`` of a launch template: by ARN when known, else by name."""
        return {"arn": self.arn} if self.arn is not None else {"name": self.name}


def iam_naming(spec: ClusterSpec, cluster: str) -> tuple[str, str]:
    """(path, name prefix) of created IAM resources, from ``Iam.ResourcePrefix``.

    ``/team/hpc-`` gives path ``/team/`` and names starting ``hpc-``; without a path part the
    path is ParallelCluster's ``/parallelcluster/<cluster>/``.
    """
    prefix = spec.iam.resource_prefix if spec.iam else None
    path, name = f"/parallelcluster/{cluster}/", ""
    if prefix:
        if prefix.startswith("/"):
            head, _, name = prefix.rpartition("/")
            path = f"{head}/"
        else:
            name = prefix
    return path, name


def name_prefix(prefix: str, cluster: str, role: str) -> str:
    """Physical-name prefix of a role or profile (the provider appends a unique suffix)."""
    return f"{prefix}{cluster}-{role}-"[:NAME_PREFIX_MAX]


def _policy_slug(policy: AdditionalIamPolicy, seen: set[str]) -> str:
    """A stable logical-name part for a managed policy ARN (its name, de-duplicated)."""
    slug = policy.policy.rsplit("/", 1)[-1].lower()
    base, n = slug, 2
    while slug in seen:
        slug, n = f"{base}-{n}", n + 1
    seen.add(slug)
    return slug


def _role_description(key: str, cluster: str) -> str:
    """``Head node in cluster demo`` / ``Compute nodes of queue q1 in cluster demo``."""
    if key.startswith("login-"):
        return f"Login nodes of pool {key.removeprefix('login-')} in cluster {cluster}"
    who = "Head node" if key == "head" else f"Compute nodes of {key.replace('-', ' ', 1)}"
    return f"{who} in cluster {cluster}"


class Iam(pulumi.ComponentResource):
    """Roles and instance profiles of the head node and of every queue."""

    head: InstanceProfileRef
    queues: dict[str, InstanceProfileRef]

    def __init__(
        self,
        name: str,
        ctx: ClusterContext,
        *,
        bucket_name: pulumi.Input[str],
        artifact_prefix: str,
        hosted_zone_id: pulumi.Input[str | None],
        log_group_name: pulumi.Input[str | None],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("pcluster:iam:Iam", name, None, opts)
        self._name, self._ctx = name, ctx
        self._path, self._prefix = iam_naming(ctx.spec, ctx.name)
        head_iam = ctx.spec.head_node.iam

        def head_document(values: list[Any]) -> str:
            statements = iam_policies.head_node_statements(
                ctx,
                bucket=values[0],
                prefix=artifact_prefix,
                hosted_zone_id=values[1],
                log_group_name=values[2],
            )
            return json.dumps(iam_policies.document(statements))

        head_policy = pulumi.Output.all(bucket_name, hosted_zone_id, log_group_name).apply(head_document)
        self.head = self._node_identity(
            "head",
            instance_profile=head_iam.instance_profile if head_iam else None,
            instance_role=head_iam.instance_role if head_iam else None,
            policy=head_policy,
            s3_access=(head_iam.s3_access if head_iam else None) or (),
            additional=(head_iam.additional_iam_policies if head_iam else None) or (),
        )
        self.queues = {}
        for queue in ctx.spec.queues:
            q_iam = queue.iam

            def compute_document(values: list[Any], queue_name: str = queue.name) -> str:
                statements = iam_policies.compute_node_statements(
                    ctx,
                    bucket=values[0],
                    prefix=artifact_prefix,
                    log_group_name=values[1],
                    queue_name=queue_name,
                )
                return json.dumps(iam_policies.document(statements))

            self.queues[queue.name] = self._node_identity(
                f"queue-{queue.name}",
                instance_profile=q_iam.instance_profile if q_iam else None,
                instance_role=q_iam.instance_role if q_iam else None,
                policy=pulumi.Output.all(bucket_name, log_group_name).apply(compute_document),
                s3_access=(q_iam.s3_access if q_iam else None) or (),
                additional=(q_iam.additional_iam_policies if q_iam else None) or (),
            )
        #: Login pool → its nodes' identity (``login_policies``: own lifecycle hook, own artifacts).
        self.login_pools: dict[str, InstanceProfileRef] = {}
        for pool in ctx.spec.login_nodes.pools if ctx.spec.login_nodes else ():
            p_iam = pool.iam

            def login_document(values: list[Any], pool: LoginNodesPool = pool) -> str:
                statements = login_node_statements(
                    ctx, pool, bucket=values[0], prefix=artifact_prefix, log_group_name=values[1]
                )
                return json.dumps(iam_policies.document(statements))

            self.login_pools[pool.name] = self._node_identity(
                f"login-{pool.name}",
                instance_profile=p_iam.instance_profile if p_iam else None,
                instance_role=p_iam.instance_role if p_iam else None,
                policy=pulumi.Output.all(bucket_name, log_group_name).apply(login_document),
                s3_access=(),
                additional=(p_iam.additional_iam_policies if p_iam else None) or (),
            )
        self.register_outputs(
            {
                "headInstanceProfile": self.head.name,
                "queueInstanceProfiles": {q: ref.name for q, ref in self.queues.items()},
                "loginInstanceProfiles": {p: ref.name for p, ref in self.login_pools.items()},
            }
        )

    def _node_identity(
        self,
        key: str,
        *,
        instance_profile: str | None,
        instance_role: str | None,
        policy: pulumi.Output[str],
        s3_access: Sequence[S3Access],
        additional: Sequence[AdditionalIamPolicy],
    ) -> InstanceProfileRef:
        ctx, name = self._ctx, self._name
        child = pulumi.ResourceOptions(parent=self)
        if instance_profile:
            profile = profile_name(instance_profile)
            return InstanceProfileRef(
                name=profile,
                arn=instance_profile if instance_profile.startswith("arn:") else None,
                role_arn=ctx.facts.instance_profile_roles.get(profile),
            )
        prefix = name_prefix(self._prefix, ctx.name, key)
        if instance_role:
            created = aws.iam.InstanceProfile(
                f"{name}-{key}-profile",
                role=instance_role.rsplit("/", 1)[-1],
                path=self._path,
                name_prefix=prefix,
                tags=ctx.tags,
                opts=child,
            )
            return InstanceProfileRef(name=created.id, arn=created.arn, role_arn=instance_role)
        role = aws.iam.Role(
            f"{name}-{key}-role",
            assume_role_policy=json.dumps(iam_policies.assume_role_policy(ctx)),
            path=self._path,
            name_prefix=prefix,
            permissions_boundary=ctx.spec.iam.permissions_boundary if ctx.spec.iam else None,
            description=_role_description(key, ctx.name),
            tags=ctx.tags,
            opts=child,
        )
        ready: list[pulumi.Resource] = [
            aws.iam.RolePolicy(
                f"{name}-{key}-policy", role=role.id, name="pcluster-pulumi", policy=policy, opts=child
            )
        ]
        if s3_access:
            document = json.dumps(iam_policies.document(iam_policies.s3_access_statements(ctx, s3_access)))
            ready.append(
                aws.iam.RolePolicy(
                    f"{name}-{key}-s3-access", role=role.id, name="S3Access", policy=document, opts=child
                )
            )
        seen: set[str] = set()
        for extra in additional:
            ready.append(
                aws.iam.RolePolicyAttachment(
                    f"{name}-{key}-{_policy_slug(extra, seen)}",
                    role=role.id,
                    policy_arn=extra.policy,
                    opts=child,
                )
            )
        profile_res = aws.iam.InstanceProfile(
            f"{name}-{key}-profile",
            role=role.id,
            path=self._path,
            name_prefix=prefix,
            tags=ctx.tags,
            opts=child,
        )
        return InstanceProfileRef(
            name=profile_res.id, arn=profile_res.arn, role_arn=role.arn, role=role, ready=ready
        )

    def compute_role_arns(self) -> list[pulumi.Input[str]]:
        """ARNs of every role compute nodes run as (what the head node passes at launch)."""
        return [ref.role_arn for ref in self.queues.values() if ref.role_arn is not None]


class FleetPolicy(pulumi.ComponentResource):
    """The head node's permission to launch from, and only from, the cluster's launch templates."""

    def __init__(
        self,
        name: str,
        ctx: ClusterContext,
        *,
        role: pulumi.Input[str],
        launch_template_ids: Sequence[pulumi.Input[str]],
        security_group_ids: Sequence[pulumi.Input[str]],
        image_ids: Sequence[str],
        placement_group_names: Sequence[pulumi.Input[str]],
        role_arns: Sequence[pulumi.Input[str]],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("pcluster:iam:FleetPolicy", name, None, opts)
        counts = [len(launch_template_ids), len(security_group_ids), len(placement_group_names)]

        def render(values: list[Any]) -> str:
            lts, rest = values[: counts[0]], values[counts[0] :]
            sgs, rest = rest[: counts[1]], rest[counts[1] :]
            pgs, arns = rest[: counts[2]], rest[counts[2] :]
            statements = fleet_statements(
                ctx,
                launch_template_ids=lts,
                security_group_ids=sgs,
                image_ids=image_ids,
                placement_group_names=pgs,
                role_arns=arns,
            )
            return json.dumps(iam_policies.document(statements))

        self.policy = aws.iam.RolePolicy(
            f"{name}-policy",
            role=role,
            name="pcluster-pulumi-fleet",
            policy=pulumi.Output.all(
                *launch_template_ids, *security_group_ids, *placement_group_names, *role_arns
            ).apply(render),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"policyName": self.policy.name})
