"""Names, duplicates and counts of queues, compute resources, pools and storage."""

from __future__ import annotations

from typing import Any

import pytest

from pcluster_pulumi.spec.problems import Level

from .conftest import BATCH_CR, CR, QUEUE, at

ERROR = Level.ERROR


def _queue(name: str, crs: int = 1) -> dict[str, Any]:
    return {
        "Name": name,
        "Networking": {"SubnetIds": ["subnet-12345678"]},
        "ComputeResources": [{"Name": f"cr{i}", "InstanceType": "c5.xlarge"} for i in range(crs)],
    }


def _storage(name: str, mount_dir: str, kind: str = "Efs", **settings: Any) -> dict[str, Any]:
    return {"Name": name, "MountDir": mount_dir, "StorageType": kind, f"{kind}Settings": settings}


@pytest.mark.parametrize("name", ["q", "queue-1", "a" * 25])
def test_lowercase_names_up_to_25_chars_are_accepted(slurm, where, name: str) -> None:
    at(slurm, QUEUE)["Name"] = name
    assert where(slurm, "NameValidator") == []


def test_compute_resource_name_with_underscore_is_an_error_with_parallelclusters_message(
    awsbatch, findings
) -> None:
    at(awsbatch, BATCH_CR)["Name"] = "compute_resource"
    [finding] = findings(awsbatch, "NameValidator")
    assert finding.path == (*BATCH_CR, "Name")
    assert finding.level is ERROR
    assert finding.message == (
        "Invalid name 'compute_resource'. Name must begin with a letter and only contain lowercase letters, "
        "digits and hyphens."
    )


def test_queue_name_longer_than_25_chars_is_an_error(slurm, where) -> None:
    at(slurm, QUEUE)["Name"] = "a" * 26
    assert where(slurm, "NameValidator") == [((*QUEUE, "Name"), ERROR)]


def test_default_is_a_reserved_name(slurm, where) -> None:
    at(slurm, CR)["Name"] = "default"
    assert where(slurm, "NameValidator") == [((*CR, "Name"), ERROR)]


def test_login_pool_names_follow_the_same_rule(slurm, where) -> None:
    slurm["LoginNodes"] = {"Pools": [{"Name": "Login"}]}
    assert where(slurm, "NameValidator") == [(("LoginNodes", "Pools", 0, "Name"), ERROR)]


def test_duplicate_queue_name_is_an_error_at_the_second_queue(slurm, where) -> None:
    slurm["Scheduling"]["SlurmQueues"].append(_queue("compute"))
    assert where(slurm, "DuplicateNameValidator") == [(("Scheduling", "SlurmQueues", 1, "Name"), ERROR)]


def test_duplicate_compute_resource_name_within_a_queue_is_an_error(slurm, where) -> None:
    at(slurm, QUEUE)["ComputeResources"].append({"Name": "c5", "InstanceType": "c5.large"})
    assert where(slurm, "DuplicateNameValidator") == [((*QUEUE, "ComputeResources", 1, "Name"), ERROR)]


def test_same_compute_resource_name_in_two_queues_is_fine(slurm, where) -> None:
    slurm["Scheduling"]["SlurmQueues"].append(_queue("other"))
    at(slurm, QUEUE)["ComputeResources"][0]["Name"] = "cr0"
    assert where(slurm, "DuplicateNameValidator") == []


def test_duplicate_login_pool_and_storage_names_are_errors(slurm, where) -> None:
    slurm["LoginNodes"] = {"Pools": [{"Name": "login"}, {"Name": "login"}]}
    slurm["SharedStorage"] = [_storage("data", "/a"), _storage("data", "/b")]
    assert where(slurm, "DuplicateNameValidator") == [
        (("LoginNodes", "Pools", 1, "Name"), ERROR),
        (("SharedStorage", 1, "Name"), ERROR),
    ]


def test_mounting_the_same_existing_file_system_twice_is_an_error(slurm, where) -> None:
    slurm["SharedStorage"] = [
        _storage("a", "/a", FileSystemId="fs-12345678"),
        _storage("b", "/b", FileSystemId="fs-12345678"),
    ]
    assert where(slurm, "DuplicateNameValidator") == [
        (("SharedStorage", 1, "EfsSettings", "FileSystemId"), ERROR)
    ]


def test_more_than_50_slurm_queues_is_an_error(slurm, where) -> None:
    slurm["Scheduling"]["SlurmQueues"] = [_queue(f"q{i}") for i in range(50)]
    assert where(slurm, "MaxCountValidator") == []
    slurm["Scheduling"]["SlurmQueues"].append(_queue("q50"))
    # 51 queues of one compute resource each also exceed 50 compute resources per cluster.
    assert where(slurm, "MaxCountValidator") == [
        (("Scheduling", "SlurmQueues"), ERROR),
        (("Scheduling", "SlurmQueues"), ERROR),
    ]


def test_more_than_50_compute_resources_in_a_queue_is_an_error(slurm, where) -> None:
    slurm["Scheduling"]["SlurmQueues"] = [_queue("big", crs=51)]
    assert where(slurm, "MaxCountValidator") == [
        ((*QUEUE, "ComputeResources"), ERROR),
        (("Scheduling", "SlurmQueues"), ERROR),
    ]


def test_more_than_50_compute_resources_across_queues_is_an_error(slurm, where) -> None:
    slurm["Scheduling"]["SlurmQueues"] = [_queue("a", crs=30), _queue("b", crs=21)]
    assert where(slurm, "MaxCountValidator") == [(("Scheduling", "SlurmQueues"), ERROR)]


def test_more_than_10_login_pools_is_an_error(slurm, where) -> None:
    slurm["LoginNodes"] = {"Pools": [{"Name": f"p{i}"} for i in range(11)]}
    assert where(slurm, "MaxCountValidator") == [(("LoginNodes", "Pools"), ERROR)]


@pytest.mark.parametrize("name", ["has space", "x" * 31, "default"])
def test_invalid_shared_storage_name_is_an_error(slurm, where, name: str) -> None:
    slurm["SharedStorage"] = [_storage(name, "/data")]
    assert where(slurm, "SharedStorageNameValidator") == [(("SharedStorage", 0, "Name"), ERROR)]


def test_internal_efs_name_is_reserved_when_the_head_node_shares_over_efs(slurm, where) -> None:
    slurm["SharedStorage"] = [_storage("internal_pcluster_shared", "/data")]
    assert where(slurm, "SharedStorageNameValidator") == []
    slurm["HeadNode"]["SharedStorageType"] = "Efs"
    assert where(slurm, "SharedStorageNameValidator") == [(("SharedStorage", 0, "Name"), ERROR)]


def test_shared_storage_name_may_use_tag_value_punctuation(slurm, where) -> None:
    slurm["SharedStorage"] = [_storage("team/data:v1@x+y=z.q_r-s", "/data")]
    assert where(slurm, "SharedStorageNameValidator") == []


def test_data_repository_association_names_follow_the_storage_name_rule(slurm, where) -> None:
    dra = {"Name": "bad name", "DataRepositoryPath": "s3://b", "FileSystemPath": "/x"}
    slurm["SharedStorage"] = [_storage("fsx", "/fsx", "FsxLustre", DataRepositoryAssociations=[dra])]
    path = ("SharedStorage", 0, "FsxLustreSettings", "DataRepositoryAssociations", 0, "Name")
    assert where(slurm, "SharedStorageNameValidator") == [(path, ERROR)]
