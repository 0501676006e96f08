"""Placement group rules for Slurm compute resources.

A compute resource's ``Networking.PlacementGroup`` overrides its queue's; the one that
applies is either named (``Name``/``Id``: an existing group), managed (``Enabled: true``:
the cluster creates one per compute resource) or none.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from pcluster_pulumi.spec.problems import Level
from pcluster_pulumi.spec.validators._read import capacity_type, get_bool, get_str, is_multi_subnet, name_of
from pcluster_pulumi.spec.validators.base import ConfigView, Finding, Node, validator


@dataclass(frozen=True)
class Placement:
    """The placement group setting that applies to one compute resource."""

    node: Node
    enabled: bool | None
    assignment: str | None

    @property
    def in_use(self) -> bool:
        """Whether the compute resource's instances are launched in a placement group."""
        return bool(self.assignment) or self.enabled is True


def placement_for(queue: Node, cr: Node) -> Placement:
    """The compute resource's own setting if it has one, else its queue's."""
    own = isinstance(cr.get("Networking", "PlacementGroup"), dict)
    node = (cr if own else queue).child("Networking", "PlacementGroup")
    assignment = get_str(node, "Name") or get_str(node, "Id")
    return Placement(node=node, enabled=get_bool(node, "Enabled"), assignment=assignment)


def _efa_enabled(cr: Node) -> bool:
    return get_bool(cr, "Efa", "Enabled", default=False) is True


@validator("EfaPlacementGroupValidator")
def efa_placement_group(view: ConfigView) -> Iterator[Finding]:
    """An EFA-enabled compute resource states its placement group explicitly (``Enabled: true``
    or ``false``) because EFA performance depends on it; a disabled one gets a warning.
    Capacity Blocks and multi-subnet queues are exempt."""
    for queue, cr in view.compute_resources():
        if not _efa_enabled(cr) or capacity_type(queue) == "CAPACITY_BLOCK" or is_multi_subnet(queue):
            continue
        placement = placement_for(queue, cr)
        where = f"compute resource '{name_of(cr)}' of queue '{name_of(queue)}'"
        if placement.enabled is False:
            yield Finding(
                placement.node.at("Enabled"),
                f"The placement group is disabled for EFA-enabled {where}. This is expected with a capacity "
                "reservation that has its own placement group; otherwise enabling one may improve network "
                "performance.",
                Level.WARNING,
            )
        elif not placement.in_use:
            yield Finding(
                cr.at("Efa", "Enabled"),
                f"The placement group of EFA-enabled {where} must be explicit: set "
                "Networking.PlacementGroup.Enabled to true (recommended) or to false (for example with a "
                "capacity reservation that has its own placement group), on the compute resource or its "
                "queue.",
            )


@validator("MultiAzPlacementGroupValidator")
def multi_az_placement_group(view: ConfigView) -> Iterator[Finding]:
    """A queue spanning several subnets (Availability Zones) can't use a placement group, which
    lives in a single AZ."""
    for queue, cr in view.compute_resources():
        placement = placement_for(queue, cr)
        if is_multi_subnet(queue) and placement.in_use:
            yield Finding(
                placement.node.path,
                f"Compute resource '{name_of(cr)}' of queue '{name_of(queue)}' uses a placement group, but "
                "the queue has several subnets and placement groups don't span Availability Zones. Remove "
                "the PlacementGroup or give the queue a single subnet.",
            )


def _placement_nodes(view: ConfigView) -> Iterator[Node]:
    for queue in view.slurm_queues():
        if isinstance(queue.get("Networking", "PlacementGroup"), dict):
            yield queue.child("Networking", "PlacementGroup")
        for cr in queue.items("ComputeResources"):
            if isinstance(cr.get("Networking", "PlacementGroup"), dict):
                yield cr.child("Networking", "PlacementGroup")


@validator("PlacementGroupNamingValidator")
def placement_group_naming(view: ConfigView) -> Iterator[Finding]:
    """A placement group names an existing group by ``Id`` or ``Name`` (not both), and naming one
    requires ``Enabled`` not to be false. (That the group exists is checked against AWS later.)"""
    for node in _placement_nodes(view):
        name, group_id = get_str(node, "Name"), get_str(node, "Id")
        if name and group_id:
            yield Finding(
                node.path,
                "PlacementGroup sets both Id and Name; set only one of them (Name is preferred).",
            )
        if (name or group_id) and get_bool(node, "Enabled") is False:
            yield Finding(
                node.at("Enabled"),
                "PlacementGroup names a group (Name/Id) but has Enabled: false. Remove Name/Id to disable "
                "the placement group, or set Enabled to true (or omit it) to use the named group.",
            )


@validator("PlacementGroupCapacityTypeValidator")
def placement_group_capacity_block(view: ConfigView) -> Iterator[Finding]:
    """Warn against a placement group with a Capacity Block: its placement constraint can cause
    insufficient-capacity errors even when the reservation has room."""
    for queue, cr in view.compute_resources():
        placement = placement_for(queue, cr)
        if capacity_type(queue) == "CAPACITY_BLOCK" and placement.in_use:
            yield Finding(
                placement.node.path,
                f"Compute resource '{name_of(cr)}' of queue '{name_of(queue)}' uses a Capacity Block and a "
                "placement group; the placement constraint may cause insufficient capacity errors even "
                "when the reservation has capacity left. Remove the placement group.",
                Level.WARNING,
            )
