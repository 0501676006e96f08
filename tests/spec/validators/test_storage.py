"""Shared storage rules common to all storage types."""

from __future__ import annotations

from typing import Any

import pytest

from pcluster_pulumi.spec.problems import Level

from .conftest import QUEUE, at

ERROR, INFO = Level.ERROR, Level.INFO


def _storage(name: str, mount_dir: str, kind: str = "Efs", **settings: Any) -> dict[str, Any]:
    return {"Name": name, "MountDir": mount_dir, "StorageType": kind, f"{kind}Settings": settings}


@pytest.mark.parametrize("mount_dir", ["/tmp", "opt/slurm", "/NONE", "NONE", "/usr"])
def test_reserved_system_mount_dir_is_an_error(slurm, where, mount_dir: str) -> None:
    slurm["SharedStorage"] = [_storage("s", mount_dir)]
    assert where(slurm, "SharedStorageMountDirValidator") == [(("SharedStorage", 0, "MountDir"), ERROR)]


@pytest.mark.parametrize("mount_dir", ["/shared", "/opt/data", "/home", "tmpdata"])
def test_ordinary_mount_dirs_are_accepted(slurm, where, mount_dir: str) -> None:
    slurm["SharedStorage"] = [_storage("s", mount_dir)]
    assert where(slurm, "SharedStorageMountDirValidator") == []


def test_two_storages_on_the_same_mount_dir_is_an_error(slurm, where) -> None:
    slurm["SharedStorage"] = [_storage("a", "/shared"), _storage("b", "shared", "Ebs")]
    assert where(slurm, "DuplicateMountDirValidator") == [(("SharedStorage", 1, "MountDir"), ERROR)]


def test_nested_mount_dirs_are_an_error(slurm, where) -> None:
    slurm["SharedStorage"] = [_storage("a", "/shared"), _storage("b", "/shared/data", "Ebs")]
    assert where(slurm, "OverlappingMountDirValidator") == [(("SharedStorage", 1, "MountDir"), ERROR)]


def test_overlap_compares_mount_dirs_not_storage_names(slurm, where) -> None:
    """Diverges on purpose from ParallelCluster 3.16.1, which compares the storage names."""
    slurm["SharedStorage"] = [_storage("scratch", "/a"), _storage("scratch/tmp", "/b", "Ebs")]
    assert where(slurm, "OverlappingMountDirValidator") == []


def test_shared_storage_nested_with_a_scratch_dir_is_an_error(slurm, where) -> None:
    slurm["SharedStorage"] = [_storage("a", "/scratch/shared")]  # inside the default /scratch
    assert where(slurm, "OverlappingMountDirValidator") == [
        (("HeadNode", "LocalStorage", "EphemeralVolume", "MountDir"), ERROR),
        ((*QUEUE, "ComputeSettings", "LocalStorage", "EphemeralVolume", "MountDir"), ERROR),
    ]
    at(slurm, QUEUE)["ComputeSettings"] = {"LocalStorage": {"EphemeralVolume": {"MountDir": "/local"}}}
    slurm["HeadNode"]["LocalStorage"] = {"EphemeralVolume": {"MountDir": "/local"}}
    assert where(slurm, "OverlappingMountDirValidator") == []


def test_shared_storage_on_the_scratch_dir_of_instance_store_nodes_is_a_warning(slurm, where) -> None:
    slurm["SharedStorage"] = [_storage("a", "/scratch")]
    assert where(slurm, "DuplicateMountDirValidator") == []  # no instance-store disks on these types
    at(slurm, QUEUE)["ComputeResources"][0]["InstanceType"] = "c5d.4xlarge"
    assert where(slurm, "DuplicateMountDirValidator") == [(("SharedStorage", 0, "MountDir"), Level.WARNING)]


def test_sibling_mount_dirs_with_a_common_prefix_do_not_overlap(slurm, where) -> None:
    slurm["SharedStorage"] = [_storage("a", "/data"), _storage("b", "/data2", "Ebs")]
    assert where(slurm, "OverlappingMountDirValidator") == []


def test_six_ebs_volumes_is_an_error_at_the_sixth(slurm, where) -> None:
    slurm["SharedStorage"] = [_storage(f"e{i}", f"/e{i}", "Ebs") for i in range(6)]
    assert where(slurm, "NumberOfStorageValidator") == [(("SharedStorage", 5, "StorageType"), ERROR)]


def test_two_new_efs_is_an_error_but_existing_ones_are_counted_apart(slurm, where) -> None:
    slurm["SharedStorage"] = [_storage("a", "/a"), _storage("b", "/b", FileSystemId="fs-12345678")]
    assert where(slurm, "NumberOfStorageValidator") == []
    slurm["SharedStorage"].append(_storage("c", "/c"))
    assert where(slurm, "NumberOfStorageValidator") == [(("SharedStorage", 2, "StorageType"), ERROR)]


def test_two_raid_arrays_is_an_error(slurm, where) -> None:
    raid = {"Type": 0}
    slurm["SharedStorage"] = [
        _storage("r1", "/r1", "Ebs", Raid=raid),
        _storage("r2", "/r2", "Ebs", Raid=raid),
    ]
    assert where(slurm, "NumberOfStorageValidator") == [(("SharedStorage", 1, "StorageType"), ERROR)]


def test_two_new_fsx_lustre_is_an_error(slurm, where) -> None:
    slurm["SharedStorage"] = [_storage("a", "/a", "FsxLustre"), _storage("b", "/b", "FsxLustre")]
    assert where(slurm, "NumberOfStorageValidator") == [(("SharedStorage", 1, "StorageType"), ERROR)]


def test_more_than_20_existing_fsx_family_storages_is_an_error(slurm, where) -> None:
    slurm["SharedStorage"] = [_storage(f"o{i}", f"/o{i}", "FsxOntap", VolumeId="fsvol-x") for i in range(21)]
    assert where(slurm, "NumberOfStorageValidator") == [(("SharedStorage", 20, "StorageType"), ERROR)]


def test_file_cache_mounted_at_home_is_an_error(slurm, where) -> None:
    slurm["SharedStorage"] = [_storage("cache", "/home", "FileCache")]
    assert where(slurm, "SharedFileCacheNotHomeValidator") == [(("SharedStorage", 0, "MountDir"), ERROR)]


def test_managed_storage_deletion_policy_is_reported_as_info(slurm, where) -> None:
    slurm["SharedStorage"] = [
        _storage("new", "/new", "Ebs"),
        _storage("kept", "/kept", "Efs", DeletionPolicy="Retain"),
        _storage("old", "/old", "Ebs", VolumeId="vol-12345678"),
        _storage("snap", "/snap", "Ebs", DeletionPolicy="Snapshot"),
    ]
    assert where(slurm, "DeletionPolicyValidator") == [
        (("SharedStorage", 0, "EbsSettings", "DeletionPolicy"), INFO),
        (("SharedStorage", 1, "EfsSettings", "DeletionPolicy"), INFO),
    ]


def test_new_fsx_lustre_with_queues_on_several_subnets_is_an_error(slurm, where) -> None:
    slurm["SharedStorage"] = [_storage("fsx", "/fsx", "FsxLustre", StorageCapacity=1200)]
    assert where(slurm, "ManagedFsxMultiAzValidator") == []
    at(slurm, QUEUE)["Networking"]["SubnetIds"].append("subnet-0123456789abcdef2")
    assert where(slurm, "ManagedFsxMultiAzValidator") == [(("SharedStorage", 0, "StorageType"), ERROR)]


def test_existing_fsx_lustre_is_allowed_with_several_subnets(slurm, where) -> None:
    slurm["SharedStorage"] = [_storage("fsx", "/fsx", "FsxLustre", FileSystemId="fs-0123456789abcdef0")]
    at(slurm, QUEUE)["Networking"]["SubnetIds"].append("subnet-0123456789abcdef2")
    assert where(slurm, "ManagedFsxMultiAzValidator") == []


def test_efs_iam_authorization_without_encryption_in_transit_is_an_error(slurm, where) -> None:
    slurm["SharedStorage"] = [_storage("efs", "/efs", IamAuthorization=True)]
    path = ("SharedStorage", 0, "EfsSettings", "IamAuthorization")
    assert where(slurm, "EfsMountOptionsValidator") == [(path, ERROR)]
    slurm["SharedStorage"][0]["EfsSettings"]["EncryptionInTransit"] = True
    assert where(slurm, "EfsMountOptionsValidator") == []


def test_efs_access_point_needs_an_existing_file_system_and_encryption_in_transit(slurm, where) -> None:
    slurm["SharedStorage"] = [_storage("efs", "/efs", AccessPointId="fsap-0123456789abcdef0")]
    path = ("SharedStorage", 0, "EfsSettings", "AccessPointId")
    assert where(slurm, "EfsAccessPointOptionsValidator") == [(path, ERROR), (path, ERROR)]
    slurm["SharedStorage"][0]["EfsSettings"].update(FileSystemId="fs-12345678", EncryptionInTransit=True)
    assert where(slurm, "EfsAccessPointOptionsValidator") == []


def test_kms_key_on_unencrypted_volume_is_an_error(slurm, where) -> None:
    slurm["SharedStorage"] = [
        _storage("ebs", "/ebs", "Ebs", KmsKeyId="key", Encrypted=False),
        _storage("efs", "/efs", KmsKeyId="key"),  # EFS is not encrypted by default
        _storage("ok", "/ok", "Ebs", KmsKeyId="key"),  # EBS is encrypted by default
    ]
    assert where(slurm, "KmsKeyIdEncryptedValidator") == [
        (("SharedStorage", 0, "EbsSettings", "Encrypted"), ERROR),
        (("SharedStorage", 1, "EfsSettings", "Encrypted"), ERROR),
    ]
