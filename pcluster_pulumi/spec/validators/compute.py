"""Slurm queue and compute resource rules: node counts, EFA, subnets, capacity type,
allocation strategy and node priorities."""

from __future__ import annotations

from collections.abc import Iterator

from pcluster_pulumi.spec.problems import Level
from pcluster_pulumi.spec.validators._read import (
    capacity_type,
    get_bool,
    get_int,
    get_str,
    is_multi_subnet,
    is_set,
    name_of,
    queue_subnets,
)
from pcluster_pulumi.spec.validators.base import ConfigView, Finding, Node, as_list, validator

DEFAULT_MIN_COUNT = 0
DEFAULT_MAX_COUNT = 10
DEFAULT_STATIC_PRIORITY = 1
DEFAULT_DYNAMIC_PRIORITY = 1000
ONDEMAND_STRATEGIES = ("lowest-price", "prioritized")


def _where(queue: Node, cr: Node, start: bool = False) -> str:
    """Names a compute resource in a message (``start`` for the start of a sentence)."""
    return f"{'C' if start else 'c'}ompute resource '{name_of(cr)}' of queue '{name_of(queue)}'"


@validator("ComputeResourceSizeValidator")
def compute_resource_size(view: ConfigView) -> Iterator[Finding]:
    """``MaxCount`` is at least ``MinCount`` (MinCount nodes are static, the rest dynamic); with a
    Capacity Block every node is static, so MinCount equals MaxCount and is above 0."""
    for queue, cr in view.compute_resources():
        low = get_int(cr, "MinCount", default=DEFAULT_MIN_COUNT)
        high = get_int(cr, "MaxCount", default=DEFAULT_MAX_COUNT)
        if low is None or high is None:
            continue
        max_path = cr.at("MaxCount") if is_set(cr, "MaxCount") else cr.at("MinCount")
        if high < low:
            default = "" if is_set(cr, "MaxCount") else ", the default"
            yield Finding(
                max_path,
                f"MaxCount ({high}{default}) of {_where(queue, cr)} is lower than MinCount ({low}); "
                "MaxCount must be greater than or equal to MinCount.",
            )
        if capacity_type(queue) == "CAPACITY_BLOCK":
            if high != low:
                yield Finding(
                    max_path,
                    f"{_where(queue, cr, start=True)} uses a Capacity Block, so MaxCount ({high}) must "
                    f"equal MinCount ({low}).",
                )
            if low == 0:
                yield Finding(
                    cr.at("MinCount"),
                    f"{_where(queue, cr, start=True)} uses a Capacity Block, so MinCount must be greater "
                    "than 0.",
                )


@validator("EfaValidator")
def efa_gdr(view: ConfigView) -> Iterator[Finding]:
    """GPUDirect RDMA (``Efa.GdrSupport``) needs EFA enabled. (Whether the instance type supports
    EFA needs instance data and is checked later.)"""
    for queue, cr in view.compute_resources():
        if (
            get_bool(cr, "Efa", "GdrSupport") is True
            and get_bool(cr, "Efa", "Enabled", default=False) is False
        ):
            yield Finding(
                cr.at("Efa", "GdrSupport"),
                f"Efa.GdrSupport of {_where(queue, cr)} needs Efa.Enabled: true; enable EFA or remove "
                "GdrSupport.",
            )


@validator("EfaMultiAzValidator")
def efa_multi_az(view: ConfigView) -> Iterator[Finding]:
    """EFA does not work across Availability Zones, so an EFA-enabled compute resource needs a
    queue with a single subnet."""
    for queue, cr in view.compute_resources():
        if is_multi_subnet(queue) and get_bool(cr, "Efa", "Enabled") is True:
            yield Finding(
                cr.at("Efa", "Enabled"),
                f"EFA is enabled for {_where(queue, cr)}, but the queue has several subnets and EFA is not "
                "supported across Availability Zones. Disable EFA or give the queue a single subnet.",
            )


@validator("QueueSubnetsValidator")
def queue_subnet_duplicates(view: ConfigView) -> Iterator[Finding]:
    """A queue lists each subnet once (EC2 Fleet rejects repeats). (That the subnets lie in
    different Availability Zones is checked against AWS later.)"""
    for queue in view.slurm_queues():
        seen: set[str] = set()
        for index, subnet in enumerate(as_list(queue.get("Networking", "SubnetIds"))):
            if not isinstance(subnet, str):
                continue
            if subnet in seen:
                yield Finding(
                    queue.at("Networking", "SubnetIds", index),
                    f"Subnet '{subnet}' is listed more than once in SubnetIds of queue '{name_of(queue)}'; "
                    "remove the duplicate.",
                )
            seen.add(subnet)


@validator("SingleInstanceTypeSubnetValidator")
def single_instance_type_subnets(view: ConfigView) -> Iterator[Finding]:
    """A queue with several subnets launches through EC2 Fleet, so all its compute resources must
    use ``Instances`` rather than a single ``InstanceType``."""
    for queue in view.slurm_queues():
        single = [cr for cr in queue.items("ComputeResources") if not isinstance(cr.get("Instances"), list)]
        if single and len(queue_subnets(queue)) > 1:
            yield Finding(
                queue.at("Networking", "SubnetIds"),
                f"Queue '{name_of(queue)}' has several subnets but compute resource '{name_of(single[0])}' "
                "uses ComputeResource/InstanceType. Multiple subnets need every compute resource to list "
                "its instance types under Instances/InstanceType.",
            )


@validator("InstancesAllocationStrategyValidator")
def allocation_strategy(view: ConfigView) -> Iterator[Finding]:
    """The allocation strategy fits the capacity type: on-demand allows ``lowest-price`` or
    ``prioritized``, spot anything but ``prioritized``, and a Capacity Block none at all."""
    for queue in view.slurm_queues():
        if not any(isinstance(cr.get("Instances"), list) for cr in queue.items("ComputeResources")):
            continue  # only compute resources with Instances use an allocation strategy
        strategy = get_str(queue, "AllocationStrategy")  # absent means the valid default
        kind = capacity_type(queue)
        path = queue.at("AllocationStrategy")
        where = f"Queue '{name_of(queue)}'"
        if strategy is None:
            continue
        if kind == "ONDEMAND" and strategy not in ONDEMAND_STRATEGIES:
            yield Finding(
                path,
                f"{where} is ONDEMAND but its AllocationStrategy is '{strategy}'; on-demand capacity can "
                f"only use {' or '.join(repr(s) for s in ONDEMAND_STRATEGIES)}.",
            )
        elif kind == "CAPACITY_BLOCK":
            yield Finding(
                path,
                f"{where} uses CAPACITY_BLOCK, which takes no allocation strategy; remove "
                "AllocationStrategy.",
            )
        elif kind == "SPOT" and strategy == "prioritized":
            yield Finding(
                path,
                f"{where} is SPOT but its AllocationStrategy is 'prioritized'; spot capacity can use "
                "'lowest-price', 'capacity-optimized', 'price-capacity-optimized' or "
                "'capacity-optimized-prioritized'.",
            )


def _reservation_target(queue: Node, cr: Node) -> Node:
    own = isinstance(cr.get("CapacityReservationTarget"), dict)
    return (cr if own else queue).child("CapacityReservationTarget")


@validator("CapacityTypeValidator")
def capacity_block_reservation(view: ConfigView) -> Iterator[Finding]:
    """A Capacity Block queue names its reservation: each compute resource (or the queue) sets
    ``CapacityReservationTarget.CapacityReservationId``. (Usage-class support of the instance
    type is checked against AWS later.)"""
    for queue, cr in view.compute_resources():
        if capacity_type(queue) != "CAPACITY_BLOCK":
            continue
        if get_str(_reservation_target(queue, cr), "CapacityReservationId") is None:
            yield Finding(
                cr.at("CapacityReservationTarget", "CapacityReservationId"),
                f"{_where(queue, cr, start=True)} uses CAPACITY_BLOCK and needs "
                "CapacityReservationTarget.CapacityReservationId (on the compute resource or its queue).",
            )


@validator("SchedulableMemoryValidator")
def schedulable_memory(view: ConfigView) -> Iterator[Finding]:
    """``SchedulableMemory`` is at least 1 MiB. (The upper bound, the instance's memory, needs
    instance data and is checked later.)"""
    for queue, cr in view.compute_resources():
        memory = get_int(cr, "SchedulableMemory")
        if memory is not None and memory < 1:
            yield Finding(
                cr.at("SchedulableMemory"),
                f"SchedulableMemory of {_where(queue, cr)} is {memory}; it must be at least 1 MiB.",
            )


@validator("SlurmNodePrioritiesWarningValidator")
def node_priorities(view: ConfigView) -> Iterator[Finding]:
    """Warn when, within a queue, a static node's priority is not below every dynamic node's:
    Slurm picks lower values first, and static nodes are already running."""
    for queue in view.slurm_queues():
        static: dict[str, int] = {}
        dynamic: dict[str, int] = {}
        for cr in queue.items("ComputeResources"):
            low = get_int(cr, "MinCount", default=DEFAULT_MIN_COUNT)
            high = get_int(cr, "MaxCount", default=DEFAULT_MAX_COUNT)
            st = get_int(cr, "StaticNodePriority", default=DEFAULT_STATIC_PRIORITY)
            dy = get_int(cr, "DynamicNodePriority", default=DEFAULT_DYNAMIC_PRIORITY)
            if low is None or high is None:
                continue
            if low > 0 and st is not None:
                static[name_of(cr)] = st
            if high > low and dy is not None:
                dynamic[name_of(cr)] = dy
        if not static or not dynamic:
            continue
        lowest_dynamic, highest_static = min(dynamic.values()), max(static.values())
        bad_static = {name: p for name, p in static.items() if p >= lowest_dynamic}
        bad_dynamic = {name: p for name, p in dynamic.items() if p <= highest_static}
        if bad_static or bad_dynamic:
            yield Finding(
                queue.at("ComputeResources"),
                f"In queue '{name_of(queue)}' some static nodes have a priority higher than or equal to "
                f"dynamic nodes: static priorities {bad_static} are >= the lowest dynamic priority "
                f"({lowest_dynamic}); dynamic priorities {bad_dynamic} are <= the highest static priority "
                f"({highest_static}). Give static nodes lower StaticNodePriority values than "
                "DynamicNodePriority so Slurm uses them first.",
                Level.WARNING,
            )
