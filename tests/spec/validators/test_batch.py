"""AWS Batch rules."""

from __future__ import annotations

import pytest

from pcluster_pulumi.spec.problems import Level

from .conftest import BATCH_CR, at

ERROR = Level.ERROR


def test_desired_vcpus_below_min_vcpus_is_an_error(awsbatch, where) -> None:
    at(awsbatch, BATCH_CR).update(MinvCpus=4, DesiredvCpus=2)
    assert where(awsbatch, "AwsBatchComputeResourceSizeValidator") == [((*BATCH_CR, "DesiredvCpus"), ERROR)]


def test_desired_vcpus_above_max_vcpus_is_an_error(awsbatch, where) -> None:
    at(awsbatch, BATCH_CR).update(DesiredvCpus=32)
    assert where(awsbatch, "AwsBatchComputeResourceSizeValidator") == [((*BATCH_CR, "DesiredvCpus"), ERROR)]


def test_max_vcpus_below_min_vcpus_is_an_error(awsbatch, where) -> None:
    at(awsbatch, BATCH_CR).update(MinvCpus=8, DesiredvCpus=8, MaxvCpus=4)
    assert where(awsbatch, "AwsBatchComputeResourceSizeValidator") == [
        ((*BATCH_CR, "DesiredvCpus"), ERROR),
        ((*BATCH_CR, "MaxvCpus"), ERROR),
    ]


def test_desired_vcpus_default_to_min_vcpus(awsbatch, where) -> None:
    at(awsbatch, BATCH_CR).update(MinvCpus=8)
    assert where(awsbatch, "AwsBatchComputeResourceSizeValidator") == []


@pytest.mark.parametrize("kind", ["FsxLustre", "FsxOntap", "FsxOpenZfs", "FileCache"])
def test_fsx_storage_with_awsbatch_is_an_error(awsbatch, slurm, where, kind: str) -> None:
    storage = [{"Name": "fs", "MountDir": "/fs", "StorageType": kind}]
    awsbatch["SharedStorage"] = storage
    slurm["SharedStorage"] = storage
    assert where(awsbatch, "AwsBatchFsxValidator") == [(("SharedStorage", 0, "StorageType"), ERROR)]
    assert where(slurm, "AwsBatchFsxValidator") == []


def test_efs_and_ebs_storage_work_with_awsbatch(awsbatch, where) -> None:
    awsbatch["SharedStorage"] = [
        {"Name": "efs", "MountDir": "efs", "StorageType": "Efs"},
        {"Name": "ebs", "MountDir": "/shared", "StorageType": "Ebs"},
    ]
    assert where(awsbatch, "AwsBatchFsxValidator") == []
