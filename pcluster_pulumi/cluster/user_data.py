"""User data of the cluster's nodes: the runtime configuration handed to ``node/bootstrap.py``.

The one place where ``cluster/`` meets the node bootstrap: components call these two
functions with resolved values (inside ``Output.apply``) and get cloud-init text back.

Compute launch templates get the runtime configuration without launch template ids (a
template cannot contain its own id) plus the queue and compute resource they launch, so a
node knows its role before it can look anything up.
"""

from __future__ import annotations

from typing import Any

from pcluster_pulumi.cluster.context import ClusterContext
from pcluster_pulumi.runtime_config import RuntimeResources, render_runtime_config
from pcluster_pulumi.spec.model import SlurmComputeResource, SlurmQueue

__all__ = ["compute_node_user_data", "head_node_user_data"]


def head_node_user_data(ctx: ClusterContext, document: dict[str, Any]) -> str:
    """Cloud-init of the head node around its runtime configuration."""
    return _render(document, 'head')


def compute_node_user_data(
    ctx: ClusterContext,
    queue: SlurmQueue,
    cr: SlurmComputeResource,
    *,
    head_ip: str,
    bucket: str,
    package_key: str | None,
    hosted_zone_id: str | None,
) -> str:
    """Cloud-init of a compute node of one compute resource."""
    resources = RuntimeResources(
        head_node_private_ip=head_ip,
        bucket=bucket,
        node_package_key=package_key,
        hosted_zone_id=hosted_zone_id,
        dns_domain=_domain(ctx) if hosted_zone_id else None,
    )
    document = render_runtime_config(ctx, resources)
    return _render(document, f'compute {queue.name} {cr.name}')


def _domain(ctx: ClusterContext) -> str | None:
    from pcluster_pulumi.cluster.dns import plan_dns

    return plan_dns(ctx.spec, ctx.name, dict(ctx.facts.hosted_zones)).domain


def _render(document: dict[str, Any], role: str) -> str:
    import json

    return "#cloud-config\n# " + role + "\n" + json.dumps(document, sort_keys=True)
