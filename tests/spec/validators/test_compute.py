"""Slurm queue and compute resource rules."""

from __future__ import annotations

from typing import Any

import pytest

from pcluster_pulumi.spec.problems import Level

from .conftest import CR, QUEUE, at

ERROR, WARNING = Level.ERROR, Level.WARNING
SECOND_SUBNET = "subnet-0123456789abcdef2"


def _flexible(cr: dict[str, Any]) -> None:
    cr.pop("InstanceType")
    cr["Instances"] = [{"InstanceType": "c5.xlarge"}]


def test_compute_resource_min_count_above_max_count_is_an_error(slurm, where) -> None:
    at(slurm, CR)["MinCount"] = 11
    assert where(slurm, "ComputeResourceSizeValidator") == [((*CR, "MaxCount"), ERROR)]


def test_min_count_above_the_default_max_count_points_at_min_count(slurm, where) -> None:
    del at(slurm, CR)["MaxCount"]
    at(slurm, CR)["MinCount"] = 11
    assert where(slurm, "ComputeResourceSizeValidator") == [((*CR, "MinCount"), ERROR)]


def test_capacity_block_needs_min_count_equal_to_max_count(slurm, where) -> None:
    at(slurm, QUEUE)["CapacityType"] = "CAPACITY_BLOCK"
    at(slurm, CR)["MinCount"] = 2
    at(slurm, CR)["MaxCount"] = 4
    assert where(slurm, "ComputeResourceSizeValidator") == [((*CR, "MaxCount"), ERROR)]
    at(slurm, CR)["MaxCount"] = 2
    assert where(slurm, "ComputeResourceSizeValidator") == []


def test_capacity_block_needs_min_count_above_zero(slurm, where) -> None:
    at(slurm, QUEUE)["CapacityType"] = (
        "capacity_block"  # compared case-insensitively, as ParallelCluster does
    )
    at(slurm, CR)["MaxCount"] = 0
    assert where(slurm, "ComputeResourceSizeValidator") == [((*CR, "MinCount"), ERROR)]


def test_gdr_support_without_efa_is_an_error(slurm, where) -> None:
    at(slurm, CR)["Efa"] = {"GdrSupport": True}
    assert where(slurm, "EfaValidator") == [((*CR, "Efa", "GdrSupport"), ERROR)]
    at(slurm, CR)["Efa"]["Enabled"] = True
    assert where(slurm, "EfaValidator") == []


def test_efa_in_a_multi_subnet_queue_is_an_error(slurm, where) -> None:
    at(slurm, QUEUE)["Networking"]["SubnetIds"].append(SECOND_SUBNET)
    at(slurm, CR)["Efa"] = {"Enabled": True}
    assert where(slurm, "EfaMultiAzValidator") == [((*CR, "Efa", "Enabled"), ERROR)]


def test_efa_in_a_single_subnet_queue_is_fine(slurm, where) -> None:
    at(slurm, CR)["Efa"] = {"Enabled": True}
    assert where(slurm, "EfaMultiAzValidator") == []


def test_duplicate_subnet_id_in_a_queue_is_an_error_at_the_repeat(slurm, where) -> None:
    subnets = at(slurm, QUEUE)["Networking"]["SubnetIds"]
    subnets.append(subnets[0])
    assert where(slurm, "QueueSubnetsValidator") == [((*QUEUE, "Networking", "SubnetIds", 1), ERROR)]


def test_single_instance_type_in_a_multi_subnet_queue_is_an_error(slurm, where) -> None:
    at(slurm, QUEUE)["Networking"]["SubnetIds"].append(SECOND_SUBNET)
    assert where(slurm, "SingleInstanceTypeSubnetValidator") == [((*QUEUE, "Networking", "SubnetIds"), ERROR)]
    _flexible(at(slurm, CR))
    assert where(slurm, "SingleInstanceTypeSubnetValidator") == []


def test_on_demand_queue_with_capacity_optimized_strategy_is_an_error(slurm, where) -> None:
    _flexible(at(slurm, CR))
    at(slurm, QUEUE)["AllocationStrategy"] = "capacity-optimized"
    assert where(slurm, "InstancesAllocationStrategyValidator") == [((*QUEUE, "AllocationStrategy"), ERROR)]
    at(slurm, QUEUE)["CapacityType"] = "SPOT"
    assert where(slurm, "InstancesAllocationStrategyValidator") == []


def test_capacity_block_queue_with_an_allocation_strategy_is_an_error(slurm, where) -> None:
    _flexible(at(slurm, CR))
    at(slurm, QUEUE)["CapacityType"] = "CAPACITY_BLOCK"
    at(slurm, QUEUE)["AllocationStrategy"] = "lowest-price"
    assert where(slurm, "InstancesAllocationStrategyValidator") == [((*QUEUE, "AllocationStrategy"), ERROR)]


def test_spot_queue_with_prioritized_strategy_is_an_error(slurm, where) -> None:
    _flexible(at(slurm, CR))
    at(slurm, QUEUE).update(CapacityType="SPOT", AllocationStrategy="prioritized")
    assert where(slurm, "InstancesAllocationStrategyValidator") == [((*QUEUE, "AllocationStrategy"), ERROR)]


def test_allocation_strategy_is_ignored_without_instances_compute_resources(slurm, where) -> None:
    at(slurm, QUEUE)["AllocationStrategy"] = "capacity-optimized"
    assert where(slurm, "InstancesAllocationStrategyValidator") == []


def test_capacity_block_without_reservation_id_is_an_error(slurm, where) -> None:
    at(slurm, QUEUE)["CapacityType"] = "CAPACITY_BLOCK"
    path = (*CR, "CapacityReservationTarget", "CapacityReservationId")
    assert where(slurm, "CapacityTypeValidator") == [(path, ERROR)]


@pytest.mark.parametrize("owner", [QUEUE, CR])
def test_capacity_block_reservation_may_be_set_on_queue_or_compute_resource(slurm, where, owner) -> None:
    at(slurm, QUEUE)["CapacityType"] = "CAPACITY_BLOCK"
    at(slurm, owner)["CapacityReservationTarget"] = {"CapacityReservationId": "cr-0123456789abcdef0"}
    assert where(slurm, "CapacityTypeValidator") == []


def test_schedulable_memory_below_one_mib_is_an_error(slurm, where) -> None:
    at(slurm, CR)["SchedulableMemory"] = 0
    assert where(slurm, "SchedulableMemoryValidator") == [((*CR, "SchedulableMemory"), ERROR)]
    at(slurm, CR)["SchedulableMemory"] = 1
    assert where(slurm, "SchedulableMemoryValidator") == []


def test_static_nodes_with_higher_priority_than_dynamic_nodes_is_a_warning(slurm, where) -> None:
    at(slurm, CR).update(MinCount=2, MaxCount=2, StaticNodePriority=500)
    at(slurm, QUEUE)["ComputeResources"].append(
        {"Name": "dyn", "InstanceType": "c5.xlarge", "MaxCount": 5, "DynamicNodePriority": 100}
    )
    assert where(slurm, "SlurmNodePrioritiesWarningValidator") == [((*QUEUE, "ComputeResources"), WARNING)]


def test_default_priorities_prefer_static_nodes(slurm, where) -> None:
    at(slurm, CR)["MinCount"] = 2
    assert where(slurm, "SlurmNodePrioritiesWarningValidator") == []


def test_messages_name_queue_and_compute_resource_exactly_as_written(slurm, findings) -> None:
    at(slurm, QUEUE).update(Name="GPU-Queue", CapacityType="CAPACITY_BLOCK")
    at(slurm, CR).update(Name="H100", MinCount=0, MaxCount=0)
    [finding] = findings(slurm, "ComputeResourceSizeValidator")
    assert finding.message.startswith("Compute resource 'H100' of queue 'GPU-Queue' uses a Capacity Block")
