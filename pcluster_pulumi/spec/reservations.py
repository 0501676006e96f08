"""Compute resources that take their instance type from a capacity reservation.

ParallelCluster accepts a compute resource with only ``CapacityReservationTarget.
CapacityReservationId`` (rule R06): the instance type is the reservation's, read from EC2
when the config is used. The spec stays as the user wrote it; once the program has read the
reservations (``cluster/facts.py``, a Pulumi invoke, answered offline by ``engines/offline``),
``fill_reservation_types`` gives those compute resources their ``InstanceType`` so every
later step sees an ordinary single-type compute resource.
"""

from __future__ import annotations

from collections.abc import Mapping

from pcluster_pulumi.spec.model import ClusterSpec

__all__ = ["fill_reservation_types", "reservation_ids_without_type"]


def reservation_ids_without_type(spec: ClusterSpec) -> tuple[str, ...]:
    """The reservation ids of compute resources that name no instance type, in config order."""
    ids: dict[str, None] = {}
    for queue in spec.scheduling.slurm_queues or ():
        for cr in queue.compute_resources or ():
            target = cr.capacity_reservation_target
            if not cr.instance_types and target is not None and target.capacity_reservation_id:
                ids[target.capacity_reservation_id] = None
    return tuple(ids)


def fill_reservation_types(spec: ClusterSpec, types: Mapping[str, str]) -> ClusterSpec:
    """``spec`` with each reservation-only compute resource's ``InstanceType`` set to its
    reservation's (``types``: reservation id -> instance type). Raises ``KeyError`` naming a
    reservation whose type is missing (``ValueError``)."""
    if not reservation_ids_without_type(spec):
        return spec
    data = spec.to_dict()
    for queue in data["Scheduling"].get("SlurmQueues") or ():
        for cr in queue.get("ComputeResources") or ():
            reservation = (cr.get("CapacityReservationTarget") or {}).get("CapacityReservationId")
            if reservation and not cr.get("InstanceType") and not cr.get("Instances"):
                if reservation not in types:
                    raise ValueError(
                        f"compute resource {cr.get('Name')!r}: the instance type of capacity reservation "
                        f"{reservation} is unknown (it is read from AWS only when Cluster resolves its own "
                        "facts); set InstanceType on the compute resource"
                    )
                cr["InstanceType"] = types[reservation]
    return ClusterSpec.from_dict(data)
