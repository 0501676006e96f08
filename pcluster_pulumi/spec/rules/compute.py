"""Load-time rules of Slurm queues and compute resources: instance type declarations,
capacity reservation targets, and the queues ParallelCluster's constructors crash on
(R04-R07, R33, R34)."""

from __future__ import annotations

from collections.abc import Iterator

from pcluster_pulumi.spec.rules.base import RuleFinding, configured, present, rule, value_text
from pcluster_pulumi.spec.validators.base import ConfigView, Node, as_list

RESERVATION_KEYS = ("CapacityReservationId", "CapacityReservationResourceGroupArn")


def _targets(view: ConfigView) -> Iterator[Node]:
    for queue in view.slurm_queues():
        if present(queue, "CapacityReservationTarget"):
            yield queue.child("CapacityReservationTarget")
        for cr in queue.items("ComputeResources"):
            if present(cr, "CapacityReservationTarget"):
                yield cr.child("CapacityReservationTarget")


@rule("R04")
def reservation_target(view: ConfigView) -> Iterator[RuleFinding]:
    """A capacity reservation target names one reservation or one resource group, not both
    and not neither (an empty section counts as neither)."""
    for target in _targets(view):
        used = [key for key in RESERVATION_KEYS if configured(target, key)]
        if len(used) != 1:
            yield RuleFinding(
                "R04",
                target.path,
                "A Capacity Reservation Target needs to specify either Capacity Reservation ID or Capacity "
                "Reservation Resource Group ARN"
                + (
                    " (not both)."
                    if used
                    else ": set CapacityReservationId or CapacityReservationResourceGroupArn."
                ),
                target.path,
            )


@rule("R05")
def instance_type_or_instances(view: ConfigView) -> Iterator[RuleFinding]:
    """A compute resource has one instance type (``InstanceType``) or a flexible list
    (``Instances``), not both."""
    for _, cr in view.compute_resources():
        if configured(cr, "InstanceType") and configured(cr, "Instances"):
            yield RuleFinding(
                "R05",
                cr.at("Instances"),
                "A Compute Resource needs to specify either InstanceType or Instances, not both: keep "
                "InstanceType for one type, or list every type under Instances.",
                cr.path,
            )


def _cr_reservation_id(cr: Node) -> bool:
    return configured(cr.child("CapacityReservationTarget"), "CapacityReservationId")


@rule("R06")
def some_instance_type(view: ConfigView) -> Iterator[RuleFinding]:
    """A compute resource says which instances it launches: ``Instances``, ``InstanceType``, or a
    reservation id on the compute resource itself (whose instance type is then used); a
    queue-level target or a resource group does not name one type."""
    for _, cr in view.compute_resources():
        if not (configured(cr, "Instances") or configured(cr, "InstanceType") or _cr_reservation_id(cr)):
            yield RuleFinding(
                "R06",
                cr.path,
                "A Compute Resource needs to specify Instances, InstanceType or CapacityReservationId "
                "(in its own CapacityReservationTarget): none is set.",
                cr.path,
            )


@rule("R07")
def no_duplicate_instance_type(view: ConfigView) -> Iterator[RuleFinding]:
    """Each type appears once in ``Instances`` (compared exactly as written)."""
    for _, cr in view.compute_resources():
        seen: set[str] = set()
        for index, item in enumerate(as_list(cr.data.get("Instances"))):
            instance_type = item.get("InstanceType") if isinstance(item, dict) else None
            if not isinstance(instance_type, str):
                continue
            if instance_type in seen:
                yield RuleFinding(
                    "R07",
                    cr.at("Instances", index),
                    f"Duplicate instance type ({value_text(instance_type)}) detected. Instances should not "
                    "have duplicate instance types.",
                    cr.at("Instances"),
                )
            seen.add(instance_type)


@rule("R33")
def queue_has_compute_resources(view: ConfigView) -> Iterator[RuleFinding]:
    """A Slurm queue needs at least one compute resource (ParallelCluster crashes on a queue
    without the key and on an empty list)."""
    for queue in view.slurm_queues():
        value = queue.data.get("ComputeResources")
        if value is None:
            yield RuleFinding(
                "R33",
                queue.at("ComputeResources"),
                "required key 'ComputeResources' is missing: a queue needs at least one compute resource.",
                queue.path,
            )
        elif value == []:
            yield RuleFinding(
                "R33",
                queue.at("ComputeResources"),
                "ComputeResources is empty: a queue needs at least one compute resource.",
                queue.path,
            )


@rule("R34")
def empty_instances_with_single_type(view: ConfigView) -> Iterator[RuleFinding]:
    """``Instances: []`` next to ``InstanceType`` (or a reservation id) is accepted by the
    mutual-exclusion rule but makes ParallelCluster's constructor crash: refuse it plainly."""
    for _, cr in view.compute_resources():
        if cr.data.get("Instances") == [] and (configured(cr, "InstanceType") or _cr_reservation_id(cr)):
            yield RuleFinding(
                "R34",
                cr.at("Instances"),
                "Instances is an empty list next to InstanceType or CapacityReservationId: remove "
                "'Instances: []' (ParallelCluster refuses it: unexpected keyword argument 'instances').",
                cr.path,
            )
