"""The runtime document's ``access`` section, and the names of a login pool's resources.

Pure functions of the spec: the login pools (their Auto Scaling group, grace period, DCV and
scripts), ``DirectoryService`` and DCV on the head node, as ``contract.access`` reads them.
Only the directory's password ARN is carried: the password is read on the head node at boot.
"""

from __future__ import annotations

from typing import Any

from pcluster_pulumi.derive.custom_actions import custom_action_urls, custom_actions_section
from pcluster_pulumi.spec.model import ClusterSpec, Dcv, LoginNodesCustomActions, LoginNodesPool

__all__ = [
    "access_section",
    "dcv_enabled",
    "login_custom_action_urls",
    "login_custom_actions_section",
    "login_pool_resource_name",
    "login_pools",
]


def login_pools(spec: ClusterSpec) -> tuple[LoginNodesPool, ...]:
    """``LoginNodes.Pools`` (empty without ``LoginNodes``)."""
    return tuple(spec.login_nodes.pools) if spec.login_nodes else ()


def login_pool_resource_name(cluster: str, pool: str) -> str:
    """``<cluster>-<pool>``: the pool's launch template and Auto Scaling group (ParallelCluster's name)."""
    return f"{cluster}-{pool}"


def dcv_enabled(dcv: Dcv | None) -> bool:
    """True when a ``Dcv`` section turns DCV on."""
    return bool(dcv and dcv.enabled)


def login_custom_actions_section(actions: LoginNodesCustomActions | None) -> dict[str, Any] | None:
    """A pool's ``CustomActions`` as ``contract.custom_actions`` reads them; None when empty."""
    return custom_actions_section(actions)


def login_custom_action_urls(actions: LoginNodesCustomActions | None) -> list[str]:
    """Every script URL of a pool's CustomActions (what the pool's role must read)."""
    return custom_action_urls(actions)


def _pool(cluster: str, pool: LoginNodesPool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": pool.name,
        "auto_scaling_group": login_pool_resource_name(cluster, pool.name),
        "gracetime_minutes": pool.gracetime_period,
    }
    if pool.dcv is not None and dcv_enabled(pool.dcv):
        out["dcv"] = {"port": pool.dcv.port}
    actions = login_custom_actions_section(pool.custom_actions)
    if actions:
        out["custom_actions"] = actions
    return out


def access_section(spec: ClusterSpec, cluster: str) -> dict[str, Any] | None:
    """The ``access`` section of the runtime document; None when nothing in it is configured."""
    section: dict[str, Any] = {}
    pools = [_pool(cluster, p) for p in login_pools(spec)]
    if pools:
        section["login_pools"] = pools
    directory = spec.directory_service
    if directory is not None:
        section["directory_service"] = {
            "domain_name": directory.domain_name,
            "domain_addr": directory.domain_addr,
            "password_secret_arn": directory.password_secret_arn,
            "domain_read_only_user": directory.domain_read_only_user,
            "ldap_tls_ca_cert": directory.ldap_tls_ca_cert,
            "ldap_tls_req_cert": directory.ldap_tls_req_cert,
            "ldap_access_filter": directory.ldap_access_filter,
            "generate_ssh_keys_for_users": directory.generate_ssh_keys_for_users,
            "additional_sssd_configs": dict(directory.additional_sssd_configs),
        }
    head_dcv = spec.head_node.dcv
    if head_dcv is not None and dcv_enabled(head_dcv):
        section["head_dcv"] = {"port": head_dcv.port}
    return section or None
