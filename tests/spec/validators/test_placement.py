"""Placement group rules."""

from __future__ import annotations

from pcluster_pulumi.spec.problems import Level

from .conftest import CR, QUEUE, at

ERROR, WARNING = Level.ERROR, Level.WARNING
QUEUE_PG = (*QUEUE, "Networking", "PlacementGroup")
CR_PG = (*CR, "Networking", "PlacementGroup")


def test_efa_without_an_explicit_placement_group_is_an_error(slurm, where) -> None:
    at(slurm, CR)["Efa"] = {"Enabled": True}
    assert where(slurm, "EfaPlacementGroupValidator") == [((*CR, "Efa", "Enabled"), ERROR)]


def test_efa_with_queue_level_placement_group_enabled_is_fine(slurm, where) -> None:
    at(slurm, CR)["Efa"] = {"Enabled": True}
    at(slurm, QUEUE)["Networking"]["PlacementGroup"] = {"Enabled": True}
    assert where(slurm, "EfaPlacementGroupValidator") == []


def test_efa_with_placement_group_disabled_is_a_warning(slurm, where) -> None:
    at(slurm, CR).update(Efa={"Enabled": True}, Networking={"PlacementGroup": {"Enabled": False}})
    assert where(slurm, "EfaPlacementGroupValidator") == [((*CR_PG, "Enabled"), WARNING)]


def test_compute_resource_placement_group_overrides_the_queue(slurm, where) -> None:
    at(slurm, QUEUE)["Networking"]["PlacementGroup"] = {"Enabled": True}
    at(slurm, CR).update(Efa={"Enabled": True}, Networking={"PlacementGroup": {}})
    assert where(slurm, "EfaPlacementGroupValidator") == [((*CR, "Efa", "Enabled"), ERROR)]


def test_efa_placement_group_is_not_required_with_capacity_blocks(slurm, where) -> None:
    at(slurm, QUEUE)["CapacityType"] = "CAPACITY_BLOCK"
    at(slurm, CR)["Efa"] = {"Enabled": True}
    assert where(slurm, "EfaPlacementGroupValidator") == []


def test_placement_group_in_a_multi_subnet_queue_is_an_error(slurm, where) -> None:
    at(slurm, QUEUE)["Networking"]["SubnetIds"].append("subnet-0123456789abcdef2")
    at(slurm, QUEUE)["Networking"]["PlacementGroup"] = {"Name": "my-group"}
    assert where(slurm, "MultiAzPlacementGroupValidator") == [(QUEUE_PG, ERROR)]


def test_placement_group_with_both_id_and_name_is_an_error(slurm, where) -> None:
    at(slurm, CR)["Networking"] = {"PlacementGroup": {"Id": "pg-a", "Name": "pg-b"}}
    assert where(slurm, "PlacementGroupNamingValidator") == [(CR_PG, ERROR)]


def test_named_placement_group_with_enabled_false_is_an_error(slurm, where) -> None:
    at(slurm, QUEUE)["Networking"]["PlacementGroup"] = {"Name": "pg", "Enabled": False}
    assert where(slurm, "PlacementGroupNamingValidator") == [((*QUEUE_PG, "Enabled"), ERROR)]


def test_named_placement_group_with_enabled_true_or_omitted_is_fine(slurm, where) -> None:
    at(slurm, QUEUE)["Networking"]["PlacementGroup"] = {"Name": "pg", "Enabled": True}
    at(slurm, CR)["Networking"] = {"PlacementGroup": {"Id": "pg"}}
    assert where(slurm, "PlacementGroupNamingValidator") == []


def test_placement_group_with_a_capacity_block_is_a_warning(slurm, where) -> None:
    at(slurm, QUEUE)["CapacityType"] = "CAPACITY_BLOCK"
    at(slurm, QUEUE)["Networking"]["PlacementGroup"] = {"Enabled": True}
    assert where(slurm, "PlacementGroupCapacityTypeValidator") == [(QUEUE_PG, WARNING)]
