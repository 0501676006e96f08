"""User data of the cluster's nodes: ``node/bootstrap.py``'s cloud-init, fed from the spec.

The one place where ``cluster/`` meets the node bootstrap. User data carries only where the
runtime configuration and the node package are (bucket and keys) and the head node's
address, so it is the same for every compute resource and does not change when a queue
does; the nodes fetch the full configuration (``RuntimeConfig``) from the bucket at boot.
"""

from __future__ import annotations

from pcluster_pulumi.cluster.context import ClusterContext
from pcluster_pulumi.cluster.dns import plan_dns
from pcluster_pulumi.contract import bootstrap
from pcluster_pulumi.contract.config import NodeConfig
from pcluster_pulumi.runtime_config import RuntimeResources, render_runtime_config
from pcluster_pulumi.spec.model import ClusterSpec, SlurmQueue

__all__ = ["head_proxy", "node_user_data", "queue_proxy"]


def head_proxy(spec: ClusterSpec) -> str | None:
    """``HeadNode.Networking.Proxy.HttpProxyAddress``, if any."""
    proxy = spec.head_node.networking.proxy
    return proxy.http_proxy_address if proxy else None


def queue_proxy(queue: SlurmQueue) -> str | None:
    """A queue's ``Networking.Proxy.HttpProxyAddress``, if any."""
    proxy = queue.networking.proxy
    return proxy.http_proxy_address if proxy else None


def node_user_data(
    ctx: ClusterContext,
    role: str,
    *,
    head_ip: str,
    bucket: str,
    package_key: str,
    config_key: str,
    hosted_zone_id: str | None,
    proxy: str | None = None,
) -> str:
    """Cloud-init text for a ``head``, ``compute`` or ``login`` node of this cluster.

    ``proxy`` is the node's ``Networking.Proxy.HttpProxyAddress``: compute user data differs
    per queue only when the queues' proxies differ.
    """
    domain = plan_dns(ctx.spec, ctx.name, dict(ctx.facts.hosted_zones)).domain if hosted_zone_id else None
    resources = RuntimeResources(
        head_node_private_ip=head_ip,
        bucket=bucket,
        node_package_key=package_key,
        hosted_zone_id=hosted_zone_id,
        dns_domain=domain,
    )
    config = NodeConfig.from_dict(render_runtime_config(ctx, resources))
    return bootstrap.render_user_data(config, role, config_key, proxy=proxy)
