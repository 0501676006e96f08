"""The node runtime configuration, rendered from the spec by one pure function.

Every node program reads one JSON document (format: ``pcluster_pulumi.contract.config``). It holds
resolved facts only — instance vCPUs and memory, launch template names, table names, the
head node's address — so nothing on a node calls DescribeInstanceTypes or parses YAML.
``render_runtime_config`` takes the spec, the AWS facts and the ids of created resources as
plain values; the HeadNode component calls it inside ``Output.apply`` once those ids are
known, and tests call it directly. The result is checked by parsing it back with the node
code's own reader, so the two sides cannot drift apart silently.

No secret is ever placed here: secrets are referenced by ARN and read on the node.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pcluster_pulumi.contract import names
from pcluster_pulumi.contract.config import AWSBATCH, NodeConfig
from pcluster_pulumi.derive.access_config import access_section
from pcluster_pulumi.derive.context import ClusterContext
from pcluster_pulumi.derive.custom_actions import custom_action_urls, custom_actions_section
from pcluster_pulumi.spec.model import (
    ClusterSpec,
    Database,
    HeadNodeCustomActions,
    QueueCustomActions,
    SlurmQueue,
)

#: The CustomActions sections nodes run: the head node's (with OnNodeUpdated) and a queue's.
Actions = HeadNodeCustomActions | QueueCustomActions | None

__all__ = [
    "DEFAULT_DATABASE_USER",
    "MYSQL_PORT",
    "RuntimeResources",
    "accounting_section",
    "custom_action_urls",
    "custom_actions_section",
    "parse_database_uri",
    "render_runtime_config",
]

#: MySQL's port, used when ``Database.Uri`` names none.
MYSQL_PORT = 3306
#: The accounting database user when ``Database.UserName`` names none (the managed database's master user).
DEFAULT_DATABASE_USER = "clusteradmin"


@dataclass(frozen=True)
class RuntimeResources:
    """Ids of deployed resources the nodes need, as plain values (resolved Outputs)."""

    head_node_private_ip: str
    bucket: str | None = None
    node_package_key: str | None = None
    #: The node package object's ETag: a new package changes the document, so the head node's
    #: update agent notices and upgrades its own programs (user data never carries it).
    node_package_version: str | None = None
    hosted_zone_id: str | None = None
    dns_domain: str | None = None
    #: (queue, compute resource) → launch template id.
    launch_template_ids: Mapping[tuple[str, str], str] = field(default_factory=dict)
    #: The mount table, flattened (``SharedStorage.mount_entries``; ``mount_table.RuntimeMount``).
    mounts: tuple[dict[str, Any], ...] = ()
    #: Endpoint of a managed accounting database (host, port, secret ARN), when one is created.
    managed_database: tuple[str, int, str] | None = None


def parse_database_uri(uri: str) -> tuple[str, int]:
    """``Database.Uri`` (``host`` or ``host:port``, optionally ``mysql://``) → (host, port)."""
    rest = uri.split("://", 1)[-1].rstrip("/")
    host, sep, port = rest.rpartition(":")
    if sep and port.isdigit():
        return host, int(port)
    return rest, MYSQL_PORT


def accounting_section(
    spec: ClusterSpec, cluster_name: str, managed_database: tuple[str, int, str] | None = None
) -> dict[str, Any] | None:
    """The runtime configuration's ``scheduler.accounting`` (what ``node.config.Accounting`` reads).

    ``managed_database`` is the (host, port, secret ARN) of the managed database (extension:
    ``Database`` without ``Uri``); until it is known such a spec has no section (None), since
    slurmdbd cannot be configured before the database exists. The one renderer of this section:
    ``cluster.accounting`` builds its ``SlurmAccounting.config`` with it too.
    """
    settings = spec.scheduling.slurm_settings
    if settings is None:
        return None
    if settings.external_slurmdbd:
        return {
            "kind": "external",
            "host": settings.external_slurmdbd.host,
            "port": settings.external_slurmdbd.port,
        }
    database: Database | None = settings.database
    if database is None:
        return None
    if database.uri:
        host, port = parse_database_uri(database.uri)
        secret = database.password_secret_arn
    elif managed_database:
        host, port, secret = managed_database
    else:
        return None
    return {
        "kind": "database",
        "host": host,
        "port": port,
        "user_name": database.user_name or DEFAULT_DATABASE_USER,
        "password_secret_arn": secret,
        "database_name": database.database_name or names.accounting_database_name(cluster_name),
    }


def _absolute(mount_dir: str) -> str:
    """The spec accepts ``scratch`` for ``/scratch`` (as ParallelCluster, which roots mount dirs)."""
    return mount_dir if mount_dir.startswith("/") else "/" + mount_dir


def _queue(ctx: ClusterContext, queue: SlurmQueue, resources: RuntimeResources) -> dict[str, Any]:
    crs = []
    for cr in queue.compute_resources or ():
        efa = bool(cr.efa and cr.efa.enabled)
        entry: dict[str, Any] = {
            "name": cr.name,
            "instances": [
                {k: v for k, v in vars(t.for_node(efa)).items() if v is not None}
                for t in ctx.instance_types_of(cr)
            ],
            "launch_template_name": names.launch_template_name(ctx.name, queue.name, cr.name),
            "min_count": cr.min_count,
            "max_count": cr.max_count,
            "api": "create-fleet" if cr.uses_fleet else "run-instances",
            "static_node_priority": cr.static_node_priority,
            "dynamic_node_priority": cr.dynamic_node_priority,
            "disable_simultaneous_multithreading": cr.disable_simultaneous_multithreading,
            "efa_enabled": efa,
            "custom_slurm_settings": dict(cr.custom_slurm_settings),
        }
        lt_id = resources.launch_template_ids.get((queue.name, cr.name))
        if lt_id:
            entry["launch_template_id"] = lt_id
        if cr.spot_price is not None:
            entry["spot_price"] = cr.spot_price
        if cr.schedulable_memory is not None:
            entry["schedulable_memory_mib"] = cr.schedulable_memory
        crs.append(entry)
    out = {
        "name": queue.name,
        "subnet_ids": list(queue.subnet_ids),
        "compute_resources": crs,
        "capacity_type": queue.capacity_type,
        "allocation_strategy": queue.effective_allocation_strategy or "lowest-price",
        "job_exclusive_allocation": queue.job_exclusive_allocation,
        "custom_slurm_settings": dict(queue.custom_slurm_settings),
        "ephemeral_mount_dir": _absolute(queue.compute_settings.local_storage.ephemeral_volume.mount_dir),
    }
    actions = custom_actions_section(queue.custom_actions)
    if actions:
        out["custom_actions"] = actions
    return out


def render_runtime_config(ctx: ClusterContext, resources: RuntimeResources) -> dict[str, Any]:
    """The runtime configuration document for this cluster (what ``NodeConfig.from_dict`` reads).

    An ``awsbatch`` cluster's document says so (``scheduler_type``) and carries nothing a node
    would run Slurm from: no tables, queues, scheduler settings, munge key or DNS zone.
    """
    spec = ctx.spec
    head_node: dict[str, Any] = {
        "private_ip": resources.head_node_private_ip,
        "imds_secured": spec.head_node.imds.secured,
        "ephemeral_mount_dir": _absolute(spec.head_node.local_storage.ephemeral_volume.mount_dir),
    }
    head_actions = custom_actions_section(spec.head_node.custom_actions)
    if head_actions:
        head_node["custom_actions"] = head_actions
    document: dict[str, Any] = {
        "format_version": 1,
        "cluster_name": ctx.name,
        "region": ctx.facts.region,
        "head_node": head_node,
    }
    if spec.is_slurm:
        document.update(_slurm_sections(ctx, resources))
    else:
        document["scheduler_type"] = AWSBATCH
    document.update(
        {
            "cluster_user": ctx.cluster_user,
            "disable_sudo_for_default_user": spec.deployment_settings.disable_sudo_access_for_default_user,
            "default_user_home": spec.deployment_settings.default_user_home.lower(),
            "mounts": list(resources.mounts),
        }
    )
    if spec.is_slurm and resources.hosted_zone_id and resources.dns_domain:
        document["dns"] = {"hosted_zone_id": resources.hosted_zone_id, "domain": resources.dns_domain}
    if resources.bucket:
        document["bucket"] = resources.bucket
    if resources.node_package_key:
        document["node_package_key"] = resources.node_package_key
    if resources.node_package_version:
        document["node_package_version"] = resources.node_package_version
    settings = spec.scheduling.slurm_settings
    if settings and settings.munge_key_secret_arn:
        document["munge_key_secret_arn"] = settings.munge_key_secret_arn
    access = access_section(spec, ctx.name)
    if access:
        document["access"] = access
    NodeConfig.from_dict(document)  # the node code's own reader refuses anything it cannot use
    return document


def _slurm_sections(ctx: ClusterContext, resources: RuntimeResources) -> dict[str, Any]:
    """What only a Slurm cluster's nodes act on: tables, queues, scheduler settings, host naming."""
    spec = ctx.spec
    settings = spec.scheduling.slurm_settings
    dns = settings.dns if settings else None
    idle_minutes = settings.scaledown_idletime if settings else 10
    scheduler: dict[str, Any] = {
        # -1 is ParallelCluster's "never scale down": it stays -1, not -60 seconds.
        "scaledown_idletime_seconds": idle_minutes * 60 if idle_minutes >= 0 else -1,
        "scaling_strategy": spec.scheduling.scaling_strategy,
        # What the head node's update agent does to nodes an update replaces (node/update_strategy.py).
        "queue_update_strategy": settings.queue_update_strategy if settings else "COMPUTE_FLEET_STOP",
        "enable_memory_based_scheduling": bool(settings and settings.enable_memory_based_scheduling),
        "resume_timeout_seconds": spec.dev_settings.timeouts.compute_node_bootstrap_timeout,
        "custom_slurm_settings": [
            dict(s) for s in (settings.custom_slurm_settings if settings else None) or ()
        ],
    }
    accounting = accounting_section(spec, ctx.name, resources.managed_database)
    if accounting:
        scheduler["accounting"] = accounting
    return {
        "tables": {
            "nodes_table": names.nodes_table_name(ctx.name),
            "status_table": names.status_table_name(ctx.name),
        },
        "queues": [_queue(ctx, q, resources) for q in spec.queues],
        "scheduler": scheduler,
        "use_ec2_hostnames": bool(dns and (dns.use_ec2_hostnames or dns.disable_managed_dns)),
    }
