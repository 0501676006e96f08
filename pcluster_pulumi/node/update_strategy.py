"""``QueueUpdateStrategy`` turned into Slurm node states (ParallelCluster's semantics).

- ``DRAIN``: nodes of replaced compute resources that run jobs get ``POWER_DOWN_ASAP`` — Slurm
  drains them (no new job), and powers them down when their jobs end; the suspend program
  terminates the instance, and the next launch (keeper for static nodes, a job for dynamic
  ones) uses the new launch settings. Idle nodes are powered down at once.
- ``TERMINATE``: every awake node of a replaced compute resource gets ``POWER_DOWN_FORCE``: its
  jobs are requeued and the instance terminated now.
- ``COMPUTE_FLEET_STOP``: no node is touched; `up` only allowed the change with the fleet
  stopped (so no node is awake), and nodes launched later use the new settings anyway.

Nodes that leave the cluster (queue or compute resource removed, ``MinCount``/``MaxCount``
lowered) are powered down by force whatever the strategy: they must be gone before slurmctld
restarts without them, and `up` only allows removing them with ``TERMINATE`` or a stopped
fleet. ParallelCluster drains static nodes instead of ``POWER_DOWN_ASAP`` because its
clustermgtd replaces drained static nodes; here ``POWER_DOWN_ASAP`` hands both kinds to
Slurm's own power saving, after which the keeper powers static nodes up again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pcluster_pulumi.node.scontrol import SlurmNode
from pcluster_pulumi.node.update_changes import ChangeSet

STRATEGIES = ("COMPUTE_FLEET_STOP", "DRAIN", "TERMINATE")
#: Slurm states of a node that runs (or is finishing) a job.
BUSY_STATES = frozenset({"ALLOCATED", "MIXED", "COMPLETING"})
REASON = "pcluster-pulumi cluster update"


@dataclass(frozen=True)
class NodeActions:
    """What to tell slurmctld about which nodes."""

    #: ``POWER_DOWN_FORCE``: jobs requeued, instance terminated now.
    force: tuple[str, ...] = ()
    #: ``POWER_DOWN_ASAP``: drained, powered down when their jobs end.
    asap: tuple[str, ...] = ()
    #: Replaced by the change but left alone (``COMPUTE_FLEET_STOP``).
    kept: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.force or self.asap or self.kept)


def _awake(nodes: Iterable[SlurmNode], names: Iterable[str]) -> list[SlurmNode]:
    """The named nodes that have (or are getting) an instance and are not already going away."""
    wanted = set(names)
    return sorted(
        (n for n in nodes if n.name in wanted and not n.powered_down and not n.powering_down),
        key=lambda n: n.name,
    )


def busy(node: SlurmNode) -> bool:
    """The node runs, or is finishing, a job."""
    return bool(node.states & BUSY_STATES)


def removed_node_actions(changes: ChangeSet, nodes: Iterable[SlurmNode]) -> NodeActions:
    """Nodes leaving the cluster: powered down by force before slurmctld forgets them."""
    return NodeActions(force=tuple(n.name for n in _awake(nodes, changes.removed_nodes)))


def replacement_actions(changes: ChangeSet, strategy: str, nodes: Iterable[SlurmNode]) -> NodeActions:
    """Nodes of replaced compute resources, per strategy."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown QueueUpdateStrategy {strategy!r}; expected one of {', '.join(STRATEGIES)}")
    awake = _awake(nodes, changes.replaced_nodes)
    if strategy == "COMPUTE_FLEET_STOP":
        return NodeActions(kept=tuple(n.name for n in awake))
    if strategy == "TERMINATE":
        return NodeActions(force=tuple(n.name for n in awake))
    return NodeActions(
        force=tuple(n.name for n in awake if not busy(n)),
        asap=tuple(n.name for n in awake if busy(n)),
    )
