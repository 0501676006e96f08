"""The IAM policy of a login pool's nodes, as a pure function (least privilege).

A login node reads the cluster's artifacts (runtime configuration, node package) and its
pool's ``s3://`` scripts, reads the munge key when it is a secret, writes logs and metrics,
and completes the lifecycle hook of its own Auto Scaling group, nothing else. It is never
granted the directory's bind password: users log in to these nodes and can reach the
instance's credentials, so the head node hands the password over the root-only share.
"""

from __future__ import annotations

from pcluster_pulumi.derive.access_config import login_custom_action_urls, login_pool_resource_name
from pcluster_pulumi.derive.context import ClusterContext
from pcluster_pulumi.derive.iam_policies import (
    Statement,
    _bucket_statements,
    _observability_statements,
    _secret_statements,
    custom_action_statements,
    dcv_license_statement,
)
from pcluster_pulumi.spec.model import LoginNodesPool

__all__ = ["auto_scaling_group_arn", "login_node_statements"]


def auto_scaling_group_arn(ctx: ClusterContext, pool: str) -> str:
    """ARN pattern of the pool's Auto Scaling group (its id part is unknown until it exists)."""
    name = login_pool_resource_name(ctx.name, pool)
    return ctx.facts.arn("autoscaling", f"autoScalingGroup:*:autoScalingGroupName/{name}")


def login_node_statements(
    ctx: ClusterContext,
    pool: LoginNodesPool,
    *,
    bucket: str,
    prefix: str,
    log_group_name: str | None,
) -> list[Statement]:
    """What a node of ``pool`` does at boot and while it serves users."""
    out: list[Statement] = [
        {
            "Sid": "LifecycleHooks",
            "Effect": "Allow",
            "Action": ["autoscaling:CompleteLifecycleAction", "autoscaling:RecordLifecycleActionHeartbeat"],
            "Resource": auto_scaling_group_arn(ctx, pool.name),
        }
    ]
    out += _bucket_statements(ctx, bucket, prefix)
    out += custom_action_statements(ctx, login_custom_action_urls(pool.custom_actions))
    settings = ctx.spec.scheduling.slurm_settings
    out += _secret_statements("ClusterSecrets", [settings.munge_key_secret_arn if settings else None])
    if pool.dcv and pool.dcv.enabled:
        out.append(dcv_license_statement(ctx))
    return out + _observability_statements(ctx, log_group_name)
