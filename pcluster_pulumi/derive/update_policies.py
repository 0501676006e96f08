"""ParallelCluster's update policies, read statically: what one changed key demands.

Each ``x-update-policy`` of the schema names a ParallelCluster policy whose condition checker
runs against the live cluster. Most conditions are facts of the two configs (is the queue
update strategy set, is a new item added, does a managed FSx for Lustre file system stay,
did this login pool run nodes); those are decided here. The one live fact left, whether the
compute fleet is stopped, stays in ``Impact.FLEET_STOP`` for the caller to check.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

__all__ = ["DEFAULT_QUEUE_UPDATE_STRATEGY", "Impact", "PolicyContext", "Scope", "combine", "impact_of"]

#: ParallelCluster's default QueueUpdateStrategy: queue changes need the fleet stopped.
DEFAULT_QUEUE_UPDATE_STRATEGY = "COMPUTE_FLEET_STOP"
#: Storage kinds whose mounting and unmounting is live when the file system is external (3.9.0+).
_LIVE_EXTERNAL_STORAGE = {
    "Efs": ("EfsSettings", "FileSystemId"),
    "FsxLustre": ("FsxLustreSettings", "FileSystemId"),
    "FsxOntap": ("FsxOntapSettings", "VolumeId"),
    "FsxOpenZfs": ("FsxOpenZfsSettings", "VolumeId"),
    "FileCache": ("FileCacheSettings", "FileCacheId"),
}


class Impact(enum.IntEnum):
    """What applying a change demands, from least to most disruptive."""

    LIVE = 0
    QUEUE_STRATEGY = 1
    LOGIN_NODES_STOP = 2
    FLEET_STOP = 3
    FLEET_AND_LOGIN_STOP = 4
    UNSUPPORTED = 5

    @property
    def label(self) -> str:
        """Short column text for the update table."""
        return _LABELS[self]

    @property
    def style(self) -> str:
        """Rich style of the label: green is safe, red cannot be done in place."""
        return _STYLES[self]


_LABELS = {
    Impact.LIVE: "live",
    Impact.QUEUE_STRATEGY: "by QueueUpdateStrategy",
    Impact.LOGIN_NODES_STOP: "login nodes stopped",
    Impact.FLEET_STOP: "compute fleet stopped",
    Impact.FLEET_AND_LOGIN_STOP: "fleet + login nodes stopped",
    Impact.UNSUPPORTED: "replaces (unsupported)",
}
_STYLES = {
    Impact.LIVE: "green",
    Impact.QUEUE_STRATEGY: "cyan",
    Impact.LOGIN_NODES_STOP: "yellow",
    Impact.FLEET_STOP: "yellow",
    Impact.FLEET_AND_LOGIN_STOP: "yellow",
    Impact.UNSUPPORTED: "bold red",
}


def combine(a: Impact, b: Impact) -> Impact:
    """The demand of doing both: a stopped fleet and stopped login nodes add up to both."""
    if {a, b} == {Impact.FLEET_STOP, Impact.LOGIN_NODES_STOP}:
        return Impact.FLEET_AND_LOGIN_STOP
    return max(a, b)


@dataclass(frozen=True)
class Scope:
    """Where the walk is: the display path and the keyed list items it went through."""

    path: tuple[str, ...] = ()
    items: tuple[tuple[str, str], ...] = ()

    def key(self, key: str) -> Scope:
        """One level down into a mapping."""
        return Scope((*self.path, key), self.items)

    def entry(self, list_key: str, item_key: str) -> Scope:
        """Into the item of a keyed list, shown as ``SlurmQueues[q1]`` as ParallelCluster does."""
        return Scope((*self.path, f"{list_key}[{item_key}]"), (*self.items, (list_key, item_key)))

    def item(self, list_key: str) -> str | None:
        """Key value of the innermost entered item of that list (e.g. the queue name)."""
        for key, value in reversed(self.items):
            if key == list_key:
                return value
        return None

    @property
    def in_slurm_queue(self) -> bool:
        """QueueUpdateStrategy only helps for keys inside a Slurm queue."""
        return self.item("SlurmQueues") is not None


class PolicyContext:
    """Facts about both configs that the policies' conditions read."""

    def __init__(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        self.old = old
        self.new = new
        scheduling = new.get("Scheduling") or {}
        self.scheduler = str(scheduling.get("Scheduler", "slurm"))
        settings = scheduling.get("SlurmSettings") or {}
        self.strategy = str(settings.get("QueueUpdateStrategy") or DEFAULT_QUEUE_UPDATE_STRATEGY)

    @property
    def strategy_set(self) -> bool:
        """True when the new config lets queue changes replace nodes (DRAIN or TERMINATE)."""
        return self.strategy != DEFAULT_QUEUE_UPDATE_STRATEGY

    def pools(self, config: dict[str, Any]) -> list[dict[str, Any]]:
        """Login node pools of one of the configs."""
        return list((config.get("LoginNodes") or {}).get("Pools") or [])

    def login_running(self, pool: str | None = None) -> bool:
        """Whether the deployed config runs login nodes (in that pool, or in any)."""
        return any(
            int(p.get("Count") or 0) > 0
            for p in self.pools(self.old)
            if pool is None or p.get("Name") == pool
        )

    def managed_fsx_kept(self) -> list[str]:
        """Managed FSx for Lustre file systems present before and after the update."""

        def names(config: dict[str, Any]) -> set[str]:
            return {
                str(s.get("Name"))
                for s in config.get("SharedStorage") or []
                if s.get("StorageType") == "FsxLustre"
                and not (s.get("FsxLustreSettings") or {}).get("FileSystemId")
            }

        return sorted(names(self.old) & names(self.new))

    def queue(self, config: dict[str, Any], queue: str) -> dict[str, Any]:
        """A Slurm queue of one of the configs by name (empty when absent)."""
        return _find((config.get("Scheduling") or {}).get("SlurmQueues"), "Name", queue) or {}

    def compute_resource(self, config: dict[str, Any], queue: str, cr: str) -> dict[str, Any]:
        """A compute resource of a queue by name (empty when absent)."""
        return _find(self.queue(config, queue).get("ComputeResources"), "Name", cr) or {}

    def managed_placement_groups(self, config: dict[str, Any], queue: str, cr: str | None) -> set[str]:
        """Compute resources of a queue (or just ``cr``) that use a placement group we create."""
        q = self.queue(config, queue)
        q_pg = (q.get("Networking") or {}).get("PlacementGroup")
        out = set()
        for item in q.get("ComputeResources") or []:
            if cr is not None and item.get("Name") != cr:
                continue
            pg = (item.get("Networking") or {}).get("PlacementGroup") or q_pg
            if pg and pg.get("Enabled") and not (pg.get("Name") or pg.get("Id")):
                out.add(str(item.get("Name")))
        return out


def _find(items: Any, key: str, value: str) -> dict[str, Any] | None:
    for item in items or []:
        if isinstance(item, dict) and str(item.get(key)) == value:
            return item
    return None


def impact_of(
    scope: Scope, old: Any, new: Any, policy: str, ctx: PolicyContext, is_item: bool
) -> tuple[Impact, str]:
    """ParallelCluster's condition checkers, read statically against both configs."""
    added = is_item and old is None
    batch = _batch_queue_key(scope, policy)
    if batch is not None:
        return batch
    if policy in ("SUPPORTED", "IGNORED"):
        return Impact.LIVE, "applied in place"
    if policy == "AWSBATCH_CE_MAX_RESIZE":
        return Impact.LIVE, "applied in place; MaxvCpus must not drop below the current desired vCPUs"
    if policy == "QUEUE_UPDATE_STRATEGY":
        return _by_strategy(scope, ctx)
    if policy == "RESIZE_UPDATE_STRATEGY_ON_REMOVE":
        return _resize(scope, old, new, ctx, is_item)
    if policy == "MANAGED_PLACEMENT_GROUP":
        queue = scope.item("SlurmQueues")
        if queue is not None:
            cr = scope.item("ComputeResources")
            lost = ctx.managed_placement_groups(ctx.old, queue, cr) - ctx.managed_placement_groups(
                ctx.new, queue, cr
            )
            if lost:
                return Impact.FLEET_STOP, "deleting a managed placement group needs the compute fleet stopped"
        return _by_strategy(scope, ctx)
    if policy == "MANAGED_FSX":
        kept = ctx.managed_fsx_kept()
        if kept:
            return Impact.UNSUPPORTED, (
                f"changing queue subnets would recreate the managed FSx for Lustre file system "
                f"{', '.join(kept)} (data loss)"
            )
        if scope.in_slurm_queue and isinstance(old, list) and all(v in (new or []) for v in old):
            return Impact.LIVE, "subnets only added: applied in place"
        return _by_strategy(scope, ctx)
    if policy == "SHARED_STORAGE_UPDATE_POLICY":
        return _shared_storage(old, new, ctx, is_item)
    if policy == "COMPUTE_FLEET_STOP_ON_REMOVE":
        if added and scope.in_slurm_queue:
            return Impact.LIVE, "adding an item is applied in place"
        return Impact.FLEET_STOP, "removing an item needs the compute fleet stopped"
    if policy == "COMPUTE_FLEET_STOP":
        return Impact.FLEET_STOP, "needs the compute fleet stopped"
    if policy == "LOGIN_NODES_POOLS_UPDATE_POLICY":
        if added:
            return Impact.LIVE, "a new login node pool is added in place"
        return _login(ctx, scope.item("Pools") or (old or {}).get("Name"))
    if policy == "LOGIN_NODES_POOL_STOP":
        return _login(ctx, scope.item("Pools"))
    if policy == "LOGIN_NODES_STOP":
        return _login(ctx, None)
    if policy == "COMPUTE_AND_LOGIN_NODES_STOP":
        if ctx.login_running():
            return Impact.FLEET_AND_LOGIN_STOP, "needs the compute fleet and every login node stopped"
        return Impact.FLEET_STOP, "needs the compute fleet stopped (no login nodes run)"
    if policy == "READ_ONLY_RESOURCE_BUCKET":
        return Impact.UNSUPPORTED, "the cluster's resource bucket cannot change after creation"
    if policy == "UNKNOWN":
        return Impact.UNSUPPORTED, "no update policy is known for this key: treated as unsupported"
    return Impact.UNSUPPORTED, "cannot be updated in place: create a new cluster (or --force to replace)"


def _by_strategy(scope: Scope, ctx: PolicyContext) -> tuple[Impact, str]:
    if scope.in_slurm_queue and ctx.strategy_set:
        return Impact.QUEUE_STRATEGY, (
            f"nodes of queue {scope.item('SlurmQueues')} are replaced (QueueUpdateStrategy: {ctx.strategy})"
        )
    if scope.in_slurm_queue:
        return Impact.FLEET_STOP, "needs the compute fleet stopped, or QueueUpdateStrategy DRAIN/TERMINATE"
    return Impact.FLEET_STOP, "needs the compute fleet stopped"


def _resize(scope: Scope, old: Any, new: Any, ctx: PolicyContext, is_item: bool) -> tuple[Impact, str]:
    """Growing is live; shrinking or removing needs TERMINATE or a stopped fleet."""
    what = scope.path[-1]
    if is_item and old is None:
        return Impact.LIVE, "a new queue or compute resource is added in place"
    if what == "MaxCount" and isinstance(old, int) and isinstance(new, int) and new >= old:
        return Impact.LIVE, "MaxCount only grows: applied in place"
    if what == "MinCount" and isinstance(old, int) and isinstance(new, int) and new >= old:
        queue, cr = scope.item("SlurmQueues") or "", scope.item("ComputeResources") or ""
        old_dynamic = int(ctx.compute_resource(ctx.old, queue, cr).get("MaxCount", 0)) - old
        new_dynamic = int(ctx.compute_resource(ctx.new, queue, cr).get("MaxCount", 0)) - new
        if new_dynamic >= old_dynamic:
            return Impact.LIVE, "MinCount grows and MaxCount grows at least as much: applied in place"
    if scope.in_slurm_queue or is_item:
        if ctx.strategy == "TERMINATE":
            return Impact.QUEUE_STRATEGY, "affected nodes are terminated at once (TERMINATE)"
        return Impact.FLEET_STOP, "shrinking needs the fleet stopped, or QueueUpdateStrategy: TERMINATE"
    return Impact.FLEET_STOP, "needs the compute fleet stopped"


#: Keys of an AWS Batch compute resource that Batch updates in place (the vCPU bounds).
_BATCH_IN_PLACE = ("MinvCpus", "DesiredvCpus", "MaxvCpus")


def _batch_queue_key(scope: Scope, policy: str) -> tuple[Impact, str] | None:
    """Under ``AwsBatchQueues``: anything but the vCPU bounds replaces the compute environment.

    Batch updates only the vCPU bounds of a BEST_FIT environment in place; instance types,
    capacity type, bid, subnets and security groups give a new environment, and the jobs on the
    old one end when it is deleted. So those need it disabled first (the fleet stopped).
    """
    if scope.item("AwsBatchQueues") is None or policy == "UNSUPPORTED":
        return None
    if scope.path and scope.path[-1] in _BATCH_IN_PLACE:
        return None
    return Impact.FLEET_STOP, (
        "replaces the Batch compute environment: disable it first (update-compute-fleet --status STOP)"
    )


def _is_home(storage: Any) -> bool:
    return isinstance(storage, dict) and str(storage.get("MountDir", "")).strip("/") == "home"


def _shared_storage(old: Any, new: Any, ctx: PolicyContext, is_item: bool) -> tuple[Impact, str]:
    """Mounting external storage is live; unmounting or moving needs the nodes stopped."""
    if ctx.scheduler == "awsbatch":
        return Impact.UNSUPPORTED, "shared storage cannot change on an AWS Batch cluster"
    if is_item:
        storage = old if new is None else new
        if _is_home(storage):
            return Impact.UNSUPPORTED, "storage at /home cannot be added or removed on a running cluster"
        settings_key, id_key = _LIVE_EXTERNAL_STORAGE.get(str(storage.get("StorageType")), ("", ""))
        if settings_key and (storage.get(settings_key) or {}).get(id_key):
            return Impact.LIVE, "an existing file system is mounted or unmounted live"
    elif "home" in (str(old).strip("/"), str(new).strip("/")):
        return Impact.UNSUPPORTED, "/home cannot be moved on a running cluster"
    removing = (is_item and new is None) or not is_item
    login = ctx.login_running()
    if removing:
        impact = Impact.FLEET_AND_LOGIN_STOP if login else Impact.FLEET_STOP
        nodes = "compute fleet and login nodes" if login else "compute fleet"
        return impact, f"unmounting needs the {nodes} stopped"
    if ctx.strategy_set:
        impact = Impact.LOGIN_NODES_STOP if login else Impact.QUEUE_STRATEGY
        return impact, f"compute nodes are replaced (QueueUpdateStrategy: {ctx.strategy})" + (
            "; login nodes must be stopped" if login else ""
        )
    impact = Impact.FLEET_AND_LOGIN_STOP if login else Impact.FLEET_STOP
    return impact, "mounting new storage needs the compute fleet stopped, or set QueueUpdateStrategy" + (
        "; login nodes must be stopped" if login else ""
    )


def _login(ctx: PolicyContext, pool: str | None) -> tuple[Impact, str]:
    if ctx.login_running(pool):
        where = f"pool {pool}" if pool else "every pool"
        return Impact.LOGIN_NODES_STOP, f"needs login nodes stopped: set Count: 0 in {where} and update first"
    return Impact.LIVE, "no login nodes run: applied in place"
