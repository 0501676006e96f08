"""The runtime configuration: the one JSON document every node program reads.

The Pulumi side renders it from the validated spec and ships it to the cluster; on a node it
is found through ``PCLUSTER_PULUMI_NODE_CONFIG``. It holds only resolved facts (instance vCPUs,
launch template names, table names…) so nothing on a node needs to call DescribeInstanceTypes
or parse YAML. The format is plain JSON documented in ``docs/node-runtime.md``; unknown keys
are refused so a typo in the renderer fails loudly instead of silently using a default.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any

from pcluster_pulumi.contract import names
from pcluster_pulumi.contract.access import Access
from pcluster_pulumi.contract.config_queues import ComputeResource, InstanceFacts, Queue
from pcluster_pulumi.contract.config_reader import ConfigError, Reader
from pcluster_pulumi.contract.custom_actions import CustomActions

__all__ = [
    "ENV_VAR",
    "FORMAT_VERSION",
    "Accounting",
    "ComputeResource",
    "ConfigError",
    "Dns",
    "HeadNode",
    "InstanceFacts",
    "KeeperSettings",
    "NodeConfig",
    "Queue",
    "SchedulerSettings",
    "Tables",
]

ENV_VAR = "PCLUSTER_PULUMI_NODE_CONFIG"
FORMAT_VERSION = 1
SCALING_STRATEGIES = ("all-or-nothing", "best-effort", "greedy-all-or-nothing")
#: ``SlurmSettings.QueueUpdateStrategy``: what the head node does to nodes an update replaces.
QUEUE_UPDATE_STRATEGIES = ("COMPUTE_FLEET_STOP", "DRAIN", "TERMINATE")
#: ``Scheduling.Scheduler``: an ``awsbatch`` head node runs no Slurm (no queues, tables, munge or keeper).
SLURM, AWSBATCH = "slurm", "awsbatch"
SCHEDULER_TYPES = (SLURM, AWSBATCH)


@dataclass(frozen=True)
class Accounting:
    """Where slurmctld sends accounting: a slurmdbd on the head node over a database, or an external one."""

    kind: str
    host: str
    port: int
    user_name: str | None = None
    password_secret_arn: str | None = None
    database_name: str | None = None

    @classmethod
    def read(cls, r: Reader) -> Accounting:
        kind = r.choice("kind", ("database", "external"))
        accounting = cls(
            kind=kind,
            host=r.string("host"),
            port=r.integer("port", 3306 if kind == "database" else 6819, minimum=1),
            user_name=r.opt_str("user_name"),
            password_secret_arn=r.opt_str("password_secret_arn"),
            database_name=r.opt_str("database_name"),
        )
        if kind == "database" and (accounting.user_name is None or accounting.password_secret_arn is None):
            raise ConfigError(f"{r.path}: a database needs user_name and password_secret_arn")
        return accounting


@dataclass(frozen=True)
class SchedulerSettings:
    """Slurm-wide behaviour: power saving timings, scaling strategy, user settings, accounting."""

    scaledown_idletime_seconds: int = 600
    scaling_strategy: str = "all-or-nothing"
    queue_update_strategy: str = "COMPUTE_FLEET_STOP"
    enable_memory_based_scheduling: bool = False
    resume_timeout_seconds: int = 1800
    suspend_timeout_seconds: int = 120
    custom_slurm_settings: tuple[dict[str, Any], ...] = ()
    accounting: Accounting | None = None

    @classmethod
    def read(cls, r: Reader) -> SchedulerSettings:
        accounting = r.opt_section("accounting")
        return cls(
            scaledown_idletime_seconds=r.integer("scaledown_idletime_seconds", 600, minimum=-1),
            scaling_strategy=r.choice("scaling_strategy", SCALING_STRATEGIES, "all-or-nothing"),
            queue_update_strategy=r.choice(
                "queue_update_strategy", QUEUE_UPDATE_STRATEGIES, "COMPUTE_FLEET_STOP"
            ),
            enable_memory_based_scheduling=r.boolean("enable_memory_based_scheduling", False),
            resume_timeout_seconds=r.integer("resume_timeout_seconds", 1800, minimum=1),
            suspend_timeout_seconds=r.integer("suspend_timeout_seconds", 120, minimum=1),
            custom_slurm_settings=tuple(item.raw for item in r.list_of("custom_slurm_settings", minimum=0)),
            accounting=Accounting.read(accounting) if accounting else None,
        )


@dataclass(frozen=True)
class KeeperSettings:
    """Timings of the keeper loop on the head node."""

    interval_seconds: int = 60
    orphan_grace_seconds: int = 300
    insufficient_capacity_timeout_seconds: int = 600
    ec2_health_checks: bool = True

    @classmethod
    def read(cls, r: Reader) -> KeeperSettings:
        return cls(
            interval_seconds=r.integer("interval_seconds", 60, minimum=1),
            orphan_grace_seconds=r.integer("orphan_grace_seconds", 300, minimum=0),
            insufficient_capacity_timeout_seconds=r.integer(
                "insufficient_capacity_timeout_seconds", 600, minimum=0
            ),
            ec2_health_checks=r.boolean("ec2_health_checks", True),
        )


@dataclass(frozen=True)
class Dns:
    """The cluster's private zone; absent when managed DNS is disabled."""

    hosted_zone_id: str
    domain: str

    @classmethod
    def read(cls, r: Reader) -> Dns:
        return cls(hosted_zone_id=r.string("hosted_zone_id"), domain=r.string("domain"))


@dataclass(frozen=True)
class Tables:
    """DynamoDB tables: node ↔ instance (GSI ``InstanceId``) and compute-fleet status."""

    nodes_table: str
    status_table: str

    @classmethod
    def read(cls, r: Reader) -> Tables:
        return cls(nodes_table=r.string("nodes_table"), status_table=r.string("status_table"))

    @classmethod
    def named_for(cls, cluster_name: str) -> Tables:
        """ParallelCluster's names. An ``awsbatch`` document has no ``tables`` (none exist) and gets
        these, which no program of a Batch head node reads (only Slurm's keeper and resume do)."""
        return cls(names.nodes_table_name(cluster_name), names.status_table_name(cluster_name))


@dataclass(frozen=True)
class HeadNode:
    """How compute and login nodes reach the head node (its pre-created ENI address), and its own scripts."""

    private_ip: str
    hostname: str | None = None
    custom_actions: CustomActions = field(default_factory=CustomActions)
    #: ``HeadNode.Imds.Secured``: only root and the Slurm user may reach IMDS on the head node.
    imds_secured: bool = True
    #: ``LocalStorage.EphemeralVolume.MountDir``: where instance-store disks are mounted, if any.
    ephemeral_mount_dir: str = "/scratch"

    @classmethod
    def read(cls, r: Reader) -> HeadNode:
        return cls(
            private_ip=r.string("private_ip"),
            hostname=r.opt_str("hostname"),
            imds_secured=r.boolean("imds_secured", True),
            ephemeral_mount_dir=r.string("ephemeral_mount_dir", "/scratch"),
            custom_actions=CustomActions.read(r.opt_section("custom_actions")),
        )


@dataclass(frozen=True)
class NodeConfig:
    """Everything the node programs need about one cluster."""

    cluster_name: str
    region: str
    head_node: HeadNode
    tables: Tables
    queues: tuple[Queue, ...]
    scheduler: SchedulerSettings = SchedulerSettings()
    keeper: KeeperSettings = KeeperSettings()
    dns: Dns | None = None
    use_ec2_hostnames: bool = False
    bucket: str | None = None
    node_package_key: str | None = None
    #: Content hash of the node package: a new package changes the document, so the head node
    #: notices and upgrades itself (user data never carries it: upgrades never restart the head node).
    node_package_version: str | None = None
    munge_key_secret_arn: str | None = None
    cluster_user: str = "ec2-user"
    #: ``DeploymentSettings.DisableSudoAccessForDefaultUser``.
    disable_sudo_for_default_user: bool = False
    #: ``DeploymentSettings.DefaultUserHome``: ``shared`` (/home/<user>) or ``local`` (/local/home/<user>).
    default_user_home: str = "shared"
    mounts: tuple[dict[str, Any], ...] = ()
    #: Login pools, DirectoryService and DCV (``contract.access``).
    access: Access = field(default_factory=Access)
    #: ``slurm`` or ``awsbatch`` (only rendered for ``awsbatch``, whose head node runs no Slurm).
    scheduler_type: str = SLURM

    def queue(self, name: str) -> Queue:
        """The queue called name; KeyError when there is none."""
        for queue in self.queues:
            if queue.name == name:
                return queue
        raise KeyError(f"no queue {name!r} in cluster {self.cluster_name!r}")

    def compute_resource_of(self, node: str) -> tuple[Queue, ComputeResource]:
        """Queue and compute resource owning a node name; KeyError for unknown ones."""
        parsed = names.parse_node_name(node)
        queue = self.queue(parsed.queue)
        return queue, queue.compute_resource(parsed.compute_resource)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NodeConfig:
        """Build from the parsed JSON document; ConfigError names the offending key path."""
        r = Reader(data, "$")
        version = r.integer("format_version")
        if version != FORMAT_VERSION:
            raise ConfigError(
                f"$.format_version: this node code reads version {FORMAT_VERSION}, got {version}"
            )
        dns = r.opt_section("dns")
        scheduler_type = r.choice("scheduler_type", SCHEDULER_TYPES, SLURM)
        tables = r.section("tables") if scheduler_type == SLURM else r.opt_section("tables")
        cluster_name = r.string("cluster_name")
        config = cls(
            cluster_name=cluster_name,
            region=r.string("region"),
            head_node=HeadNode.read(r.section("head_node")),
            tables=Tables.read(tables) if tables else Tables.named_for(cluster_name),
            queues=tuple(Queue.read(item) for item in r.list_of("queues", minimum=0)),
            scheduler=SchedulerSettings.read(r.section("scheduler", required=False)),
            keeper=KeeperSettings.read(r.section("keeper", required=False)),
            dns=Dns.read(dns) if dns else None,
            use_ec2_hostnames=r.boolean("use_ec2_hostnames", False),
            bucket=r.opt_str("bucket"),
            node_package_key=r.opt_str("node_package_key"),
            node_package_version=r.opt_str("node_package_version"),
            munge_key_secret_arn=r.opt_str("munge_key_secret_arn"),
            cluster_user=r.string("cluster_user", "ec2-user"),
            disable_sudo_for_default_user=r.boolean("disable_sudo_for_default_user", False),
            default_user_home=r.choice("default_user_home", ("shared", "local"), "shared"),
            mounts=tuple(item.raw for item in r.list_of("mounts", minimum=0)),
            access=Access.read(r.section("access", required=False)),
            scheduler_type=scheduler_type,
        )
        r.finish()
        names = [q.name for q in config.queues]
        if len(set(names)) != len(names):
            raise ConfigError("$.queues: queue names must be unique")
        return config

    def to_dict(self) -> dict[str, Any]:
        """The JSON document for this config (round-trips through from_dict)."""
        document = _plain(self)
        assert isinstance(document, dict)
        return {"format_version": FORMAT_VERSION, **document}

    def to_json(self) -> str:
        """Stable, human-diffable JSON text (sorted keys, indented)."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> NodeConfig:
        """Read the document at path, or at ``$PCLUSTER_PULUMI_NODE_CONFIG`` when path is None."""
        where = path if path is not None else os.environ.get(ENV_VAR)
        if not where:
            raise ConfigError(f"no runtime configuration: set {ENV_VAR} to its path")
        try:
            data = json.loads(Path(where).read_text(encoding="utf-8"))
        except OSError as error:
            raise ConfigError(f"{where}: cannot read runtime configuration: {error.strerror}") from error
        except json.JSONDecodeError as error:
            raise ConfigError(f"{where}:{error.lineno}:{error.colno}: invalid JSON: {error.msg}") from error
        if not isinstance(data, dict):
            raise ConfigError(f"{where}: the runtime configuration must be a JSON object")
        return cls.from_dict(data)


def _plain(value: Any) -> Any:
    """Dataclasses to dicts keyed by field name, tuples to lists: the JSON shape from_dict reads."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, (tuple, list)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value
