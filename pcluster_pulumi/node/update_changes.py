"""What a new runtime configuration changes on the running cluster (pure: no AWS, no Slurm).

The head node's update agent compares the applied configuration with the new one and gets a
``ChangeSet``: which queues and compute resources come and go, which compute resources must
have their nodes replaced (their instances were launched from settings that no longer hold),
which node names appear or disappear (``MinCount``/``MaxCount``), and the Slurm-wide settings
that differ. The agent turns it into Slurm and EC2 actions; the summary line is what the
operator reads in ``up``'s "head node applied update: …".

What replaces a node follows ParallelCluster's ``QUEUE_UPDATE_STRATEGY`` update policy: a
compute resource's instance types, launch template, purchase options, EFA, SMT or memory, and
a queue's networking, capacity type, allocation strategy, CustomActions or instance-store dir.
Priorities, counts and CustomSlurmSettings only need slurm.conf (SUPPORTED policy). A change
to the shared storage compute nodes mount replaces every queue's nodes (they mount at boot).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any

from pcluster_pulumi.contract.config import ComputeResource, NodeConfig, Queue
from pcluster_pulumi.contract.names import dynamic_node_name, parse_node_name, static_node_name

#: ComputeResource fields whose change leaves the nodes as they are (slurm.conf only).
LIVE_RESOURCE_FIELDS = frozenset(
    {
        "name",
        "max_count",
        "min_count",
        "static_node_priority",
        "dynamic_node_priority",
        "custom_slurm_settings",
    }
)
#: Queue fields whose change leaves the nodes as they are (slurm.conf only), or compared per resource.
LIVE_QUEUE_FIELDS = frozenset(
    {"name", "compute_resources", "job_exclusive_allocation", "custom_slurm_settings"}
)
#: Spec names of the scheduler settings, for the summary line.
_SCHEDULER_LABELS = {
    "scaledown_idletime_seconds": "ScaledownIdletime",
    "scaling_strategy": "ScalingStrategy",
    "enable_memory_based_scheduling": "EnableMemoryBasedScheduling",
    "resume_timeout_seconds": "ComputeNodeBootstrapTimeout",
    "suspend_timeout_seconds": "SuspendTimeout",
    "custom_slurm_settings": "CustomSlurmSettings",
    "accounting": "Database",
    "queue_update_strategy": "QueueUpdateStrategy",
}


def resource_nodes(queue: str, resource: ComputeResource) -> list[str]:
    """Every node name of a compute resource: static (MinCount) then dynamic (MaxCount - MinCount)."""
    static = [static_node_name(queue, resource.name, n) for n in range(1, resource.min_count + 1)]
    dynamic = [dynamic_node_name(queue, resource.name, n) for n in range(1, resource.dynamic_count + 1)]
    return static + dynamic


def config_nodes(config: NodeConfig) -> dict[str, str]:
    """Node name → ``queue/compute resource`` for every node slurm.conf declares."""
    return {
        node: f"{queue.name}/{resource.name}"
        for queue in config.queues
        for resource in queue.compute_resources
        for node in resource_nodes(queue.name, resource)
    }


@dataclass(frozen=True)
class ChangeSet:
    """The node-level and Slurm-level difference between the applied and the new configuration."""

    added_queues: tuple[str, ...] = ()
    removed_queues: tuple[str, ...] = ()
    #: ``queue/compute resource`` keys.
    added_resources: tuple[str, ...] = ()
    removed_resources: tuple[str, ...] = ()
    #: ``queue/compute resource`` → the settings whose change replaces its nodes.
    replaced_resources: tuple[tuple[str, tuple[str, ...]], ...] = ()
    added_nodes: tuple[str, ...] = ()
    removed_nodes: tuple[str, ...] = ()
    #: Nodes of replaced compute resources that exist before and after.
    replaced_nodes: tuple[str, ...] = ()
    #: ``queue[/compute resource]`` → fields changed that slurm.conf alone carries (priorities, settings).
    tuned: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: Human-readable ``Setting old→new`` lines for Slurm-wide settings.
    settings: tuple[str, ...] = ()
    #: Mount directories added to / removed from the head node's mount table.
    head_mounts_added: tuple[str, ...] = ()
    head_mounts_removed: tuple[str, ...] = ()
    #: The node package (key or version) differs: the head node upgrades its own programs.
    node_package_changed: bool = False
    #: Anything else in the document differs (keeper timings, DNS, users…): adopted as is.
    other: tuple[str, ...] = ()

    @property
    def node_set_changed(self) -> bool:
        """Nodes appear or disappear: Slurm 22.05 needs slurmctld restarted, not reconfigured."""
        return bool(self.added_nodes or self.removed_nodes)

    @property
    def empty(self) -> bool:
        """Nothing to do at all."""
        return not any(getattr(self, f.name) for f in fields(self))

    def summary(self) -> str:
        """One line for the operator, e.g. ``queue fresh added; work/w MaxCount: +2 nodes``."""
        parts: list[str] = []
        parts += [f"queue {q} added" for q in self.added_queues]
        parts += [f"queue {q} removed" for q in self.removed_queues]
        queues_touched = set(self.added_queues) | set(self.removed_queues)
        parts += [f"{r} added" for r in self.added_resources if r.split("/")[0] not in queues_touched]
        parts += [f"{r} removed" for r in self.removed_resources if r.split("/")[0] not in queues_touched]
        parts += [f"{r} replaced ({', '.join(why)})" for r, why in self.replaced_resources]
        resized = _resized(self.added_nodes, self.removed_nodes, queues_touched)
        parts += resized
        parts += [f"{key} {', '.join(what)} changed" for key, what in self.tuned]
        parts += list(self.settings)
        parts += [f"mount {d} added" for d in self.head_mounts_added]
        parts += [f"mount {d} removed" for d in self.head_mounts_removed]
        if self.node_package_changed:
            parts.append("node package upgraded")
        if self.other:
            parts.append(f"other settings: {', '.join(self.other)}")
        return "; ".join(parts) if parts else "no change"


def _resized(added: Iterable[str], removed: Iterable[str], skip_queues: set[str]) -> list[str]:
    """``q/cr: +n nodes`` / ``-n nodes`` for resources whose count changed (not whole new queues)."""
    delta: dict[str, int] = {}
    for sign, names in ((1, added), (-1, removed)):
        for node in names:
            parsed = parse_node_name(node)
            if parsed.queue in skip_queues:
                continue
            key = f"{parsed.queue}/{parsed.compute_resource}"
            delta[key] = delta.get(key, 0) + sign
    return [f"{key} {n:+d} node(s)" for key, n in sorted(delta.items()) if n]


#: Fields ``tuned`` skips: they replace nodes (compared above), or are counts and names.
_RESOURCE_COMPARED_ELSEWHERE = frozenset(
    {f for f in ComputeResource.__dataclass_fields__ if f not in LIVE_RESOURCE_FIELDS}
    | {"name", "max_count", "min_count"}
)
_QUEUE_COMPARED_ELSEWHERE = frozenset(
    {f for f in Queue.__dataclass_fields__ if f not in LIVE_QUEUE_FIELDS} | {"name", "compute_resources"}
)


def _diff_fields(old: Any, new: Any, live: frozenset[str]) -> tuple[str, ...]:
    """Names of the dataclass fields (outside live) whose values differ."""
    return tuple(
        f.name for f in fields(old) if f.name not in live and getattr(old, f.name) != getattr(new, f.name)
    )


def _mount_dirs(config: NodeConfig, role: str) -> dict[str, dict[str, Any]]:
    """Mount dir → entry for the mount table entries a role uses."""
    out = {}
    for entry in config.mounts:
        roles = entry.get("roles") or ("head", "compute", "login")
        if role in roles:
            out[str(entry.get("mount_dir"))] = entry
    return out


def _queues(config: NodeConfig) -> dict[str, Queue]:
    return {queue.name: queue for queue in config.queues}


def compute_changes(old: NodeConfig, new: NodeConfig) -> ChangeSet:
    """The change set that takes a cluster running ``old`` to ``new``."""
    old_queues, new_queues = _queues(old), _queues(new)
    old_crs = {f"{q.name}/{cr.name}": (q, cr) for q in old.queues for cr in q.compute_resources}
    new_crs = {f"{q.name}/{cr.name}": (q, cr) for q in new.queues for cr in q.compute_resources}
    compute_mounts_changed = _mount_dirs(old, "compute") != _mount_dirs(new, "compute")
    replaced: list[tuple[str, tuple[str, ...]]] = []
    for key in old_crs.keys() & new_crs.keys():
        (oq, ocr), (nq, ncr) = old_crs[key], new_crs[key]
        why = _diff_fields(ocr, ncr, LIVE_RESOURCE_FIELDS) + _diff_fields(oq, nq, LIVE_QUEUE_FIELDS)
        if compute_mounts_changed:
            why += ("shared storage",)
        if why:
            replaced.append((key, why))
    replaced.sort()
    tuned: list[tuple[str, tuple[str, ...]]] = []
    for name in old_queues.keys() & new_queues.keys():
        what = _diff_fields(old_queues[name], new_queues[name], _QUEUE_COMPARED_ELSEWHERE)
        if what:
            tuned.append((name, what))
    for key in old_crs.keys() & new_crs.keys():
        what = _diff_fields(old_crs[key][1], new_crs[key][1], _RESOURCE_COMPARED_ELSEWHERE)
        if what:
            tuned.append((key, what))
    tuned.sort()
    old_nodes, new_nodes = config_nodes(old), config_nodes(new)
    replaced_keys = {key for key, _ in replaced}
    old_head, new_head = _mount_dirs(old, "head"), _mount_dirs(new, "head")
    return ChangeSet(
        added_queues=tuple(sorted(new_queues.keys() - old_queues.keys())),
        removed_queues=tuple(sorted(old_queues.keys() - new_queues.keys())),
        added_resources=tuple(sorted(new_crs.keys() - old_crs.keys())),
        removed_resources=tuple(sorted(old_crs.keys() - new_crs.keys())),
        replaced_resources=tuple(replaced),
        added_nodes=tuple(n for n in new_nodes if n not in old_nodes),
        removed_nodes=tuple(n for n in old_nodes if n not in new_nodes),
        tuned=tuple(tuned),
        replaced_nodes=tuple(n for n, key in old_nodes.items() if key in replaced_keys and n in new_nodes),
        settings=_scheduler_changes(old, new),
        head_mounts_added=tuple(d for d in new_head if d not in old_head or new_head[d] != old_head[d]),
        head_mounts_removed=tuple(d for d in old_head if d not in new_head),
        node_package_changed=_package(old) != _package(new),
        other=_other_changes(old, new),
    )


def _package(config: NodeConfig) -> Any:
    """What identifies the node package a configuration ships (its key and, when present, version)."""
    return (config.node_package_key, config.node_package_version)


def _scheduler_changes(old: NodeConfig, new: NodeConfig) -> tuple[str, ...]:
    lines = []
    for f in fields(old.scheduler):
        before, after = getattr(old.scheduler, f.name), getattr(new.scheduler, f.name)
        if before == after:
            continue
        label = _SCHEDULER_LABELS.get(f.name, f.name)
        if isinstance(before, (int, str)) and isinstance(after, (int, str)):
            lines.append(f"{label} {before}→{after}")
        else:
            lines.append(f"{label} changed")
    return tuple(lines)


#: Top-level fields compared elsewhere (or identity fields an update cannot change).
_COMPARED = frozenset({"queues", "scheduler", "mounts", "node_package_key", "node_package_version"})


#: Spec names of the other top-level settings, for the summary line (unlisted: the key itself).
_OTHER_LABELS = {
    "head_node": "HeadNode",
    "keeper": "keeper timings",
    "dns": "Dns",
    "use_ec2_hostnames": "Dns.UseEc2Hostnames",
    "munge_key_secret_arn": "MungeKeySecretArn",
    "cluster_user": "default user",
    "disable_sudo_for_default_user": "DisableSudoAccessForDefaultUser",
    "default_user_home": "DefaultUserHome",
    "access": "access settings",
}


def _other_changes(old: NodeConfig, new: NodeConfig) -> tuple[str, ...]:
    return tuple(
        _OTHER_LABELS.get(f.name, f.name)
        for f in fields(old)
        if f.name not in _COMPARED and getattr(old, f.name) != getattr(new, f.name)
    )
