"""EBS volume limits for shared EBS and root volumes."""

from __future__ import annotations

from typing import Any

import pytest

from pcluster_pulumi.spec.problems import Level

from .conftest import QUEUE, at

ERROR, WARNING = Level.ERROR, Level.WARNING
SHARED = ("SharedStorage", 0, "EbsSettings")
HEAD_ROOT = ("HeadNode", "LocalStorage", "RootVolume")
QUEUE_ROOT = (*QUEUE, "ComputeSettings", "LocalStorage", "RootVolume")


def _ebs(config: dict[str, Any], **settings: Any) -> None:
    config["SharedStorage"] = [
        {"Name": "ebs", "MountDir": "/ebs", "StorageType": "Ebs", "EbsSettings": settings}
    ]


def test_sc1_volume_below_500_gib_is_an_error_with_parallelclusters_message(slurm, findings) -> None:
    _ebs(slurm, VolumeType="sc1", Size=50)
    [finding] = findings(slurm, "EbsVolumeTypeSizeValidator")
    assert (finding.path, finding.level) == ((*SHARED, "Size"), ERROR)
    assert finding.message == "The size of sc1 volumes must be at least 500 GiB."


@pytest.mark.parametrize(("kind", "size"), [("standard", 1025), ("gp3", 16385), ("io2", 65537)])
def test_volume_above_its_type_maximum_is_an_error(slurm, where, kind: str, size: int) -> None:
    _ebs(slurm, VolumeType=kind, Size=size)
    assert where(slurm, "EbsVolumeTypeSizeValidator") == [((*SHARED, "Size"), ERROR)]


def test_default_40_gib_is_too_small_for_st1(slurm, where) -> None:
    _ebs(slurm, VolumeType="st1")
    assert where(slurm, "EbsVolumeTypeSizeValidator") == [((*SHARED, "VolumeType"), ERROR)]


def test_root_volume_size_is_checked_only_when_given(slurm, where) -> None:
    slurm["HeadNode"]["LocalStorage"] = {"RootVolume": {"VolumeType": "io1"}}
    assert where(slurm, "EbsVolumeTypeSizeValidator") == []
    slurm["HeadNode"]["LocalStorage"]["RootVolume"]["Size"] = 2
    assert where(slurm, "EbsVolumeTypeSizeValidator") == [((*HEAD_ROOT, "Size"), ERROR)]


def test_gp3_throughput_outside_125_to_1000_is_an_error(slurm, where) -> None:
    at(slurm, QUEUE)["ComputeSettings"] = {
        "LocalStorage": {"RootVolume": {"Throughput": 1001, "Iops": 16000}}
    }
    assert where(slurm, "EbsVolumeThroughputValidator") == [((*QUEUE_ROOT, "Throughput"), ERROR)]


def test_gp3_throughput_above_a_quarter_of_iops_is_an_error(slurm, where) -> None:
    _ebs(slurm, Throughput=800)  # default 3000 IOPS allow 750 MiB/s
    assert where(slurm, "EbsVolumeThroughputIopsValidator") == [((*SHARED, "Throughput"), ERROR)]
    _ebs(slurm, Throughput=800, Iops=3200)
    assert where(slurm, "EbsVolumeThroughputIopsValidator") == []


def test_iops_outside_the_type_range_is_an_error(slurm, where) -> None:
    _ebs(slurm, VolumeType="io1", Size=100, Iops=64001)
    assert where(slurm, "EbsVolumeIopsValidator") == [((*SHARED, "Iops"), ERROR)]


def test_iops_above_the_per_gib_ratio_is_an_error(slurm, where) -> None:
    _ebs(slurm, VolumeType="io1", Size=100, Iops=5001)
    assert where(slurm, "EbsVolumeIopsValidator") == [((*SHARED, "Iops"), ERROR)]
    _ebs(slurm, VolumeType="io1", Size=100, Iops=5000)
    assert where(slurm, "EbsVolumeIopsValidator") == []


def test_iops_on_a_gp2_volume_is_an_error(slurm, where) -> None:
    slurm["HeadNode"]["LocalStorage"] = {"RootVolume": {"VolumeType": "gp2", "Iops": 100}}
    assert where(slurm, "EbsVolumeIopsValidator") == [((*HEAD_ROOT, "Iops"), ERROR)]


def test_shared_ebs_serving_more_than_100_nodes_is_a_warning(slurm, where) -> None:
    _ebs(slurm)
    assert where(slurm, "SharedEbsPerformanceBottleNeckValidator") == []
    at(slurm, QUEUE)["ComputeResources"][0]["MaxCount"] = 101
    assert where(slurm, "SharedEbsPerformanceBottleNeckValidator") == [
        (("SharedStorage", 0, "StorageType"), WARNING)
    ]
