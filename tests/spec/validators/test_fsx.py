"""FSx for Lustre rules."""

from __future__ import annotations

from typing import Any

import pytest

from pcluster_pulumi.spec.problems import Level

ERROR = Level.ERROR
FSX = ("SharedStorage", 0, "FsxLustreSettings")


def _fsx(config: dict[str, Any], **settings: Any) -> dict[str, Any]:
    settings.setdefault("StorageCapacity", 1200)
    config["SharedStorage"] = [
        {"Name": "fsx", "MountDir": "/fsx", "StorageType": "FsxLustre", "FsxLustreSettings": settings}
    ]
    return settings


S3_OPTIONS = {"ImportedFileChunkSize": 1024, "ExportPath": "s3://bucket/out", "AutoImportPolicy": "NEW"}


@pytest.mark.parametrize(("key", "value"), S3_OPTIONS.items())
def test_s3_options_without_import_path_are_an_error(slurm, where, key: str, value: Any) -> None:
    _fsx(slurm, **{key: value})
    assert where(slurm, "FsxS3Validator") == [((*FSX, key), ERROR)]


def test_s3_options_with_import_path_are_fine(slurm, where) -> None:
    _fsx(slurm, ImportPath="s3://bucket", ExportPath="s3://bucket/out", ImportedFileChunkSize=1024)
    assert where(slurm, "FsxS3Validator") == []


def test_data_repository_associations_with_import_path_are_an_error(slurm, where) -> None:
    dra = {"Name": "d", "DataRepositoryPath": "s3://b", "FileSystemPath": "/d"}
    _fsx(slurm, ImportPath="s3://bucket", DataRepositoryAssociations=[dra])
    assert where(slurm, "FsxDraValidator") == [((*FSX, "DataRepositoryAssociations"), ERROR)]


def test_more_than_8_data_repository_associations_is_an_error(slurm, where) -> None:
    dras = [{"Name": f"d{i}", "DataRepositoryPath": "s3://b", "FileSystemPath": f"/d{i}"} for i in range(9)]
    _fsx(slurm, DataRepositoryAssociations=dras)
    assert where(slurm, "FsxDraValidator") == [((*FSX, "DataRepositoryAssociations"), ERROR)]


def test_persistent_deployment_without_throughput_is_an_error(slurm, where) -> None:
    _fsx(slurm, DeploymentType="PERSISTENT_2")
    assert where(slurm, "FsxPersistentOptionsValidator") == [((*FSX, "PerUnitStorageThroughput"), ERROR)]


def test_kms_key_on_a_scratch_file_system_is_an_error(slurm, where) -> None:
    _fsx(slurm, KmsKeyId="key")  # deployment type defaults to SCRATCH_2
    assert where(slurm, "FsxPersistentOptionsValidator") == [((*FSX, "KmsKeyId"), ERROR)]


def test_backup_start_time_without_retention_days_is_an_error(slurm, where) -> None:
    _fsx(
        slurm,
        DeploymentType="PERSISTENT_1",
        PerUnitStorageThroughput=50,
        DailyAutomaticBackupStartTime="01:00",
    )
    assert where(slurm, "FsxBackupOptionsValidator") == [((*FSX, "DailyAutomaticBackupStartTime"), ERROR)]


def test_automatic_backups_on_a_scratch_file_system_are_an_error(slurm, where) -> None:
    _fsx(slurm, AutomaticBackupRetentionDays=7)
    assert where(slurm, "FsxBackupOptionsValidator") == [((*FSX, "AutomaticBackupRetentionDays"), ERROR)]


def test_automatic_backups_on_an_s3_linked_file_system_are_an_error(slurm, where) -> None:
    _fsx(slurm, DeploymentType="PERSISTENT_1", PerUnitStorageThroughput=50, AutomaticBackupRetentionDays=7)
    assert where(slurm, "FsxBackupOptionsValidator") == []
    slurm["SharedStorage"][0]["FsxLustreSettings"]["ImportPath"] = "s3://bucket"
    assert where(slurm, "FsxBackupOptionsValidator") == [((*FSX, "AutomaticBackupRetentionDays"), ERROR)]


def test_hdd_storage_needs_persistent_1_and_a_12_or_40_throughput(slurm, where) -> None:
    _fsx(slurm, StorageType="HDD", DeploymentType="PERSISTENT_2", PerUnitStorageThroughput=125)
    assert where(slurm, "FsxStorageTypeOptionsValidator") == [
        ((*FSX, "StorageType"), ERROR),
        ((*FSX, "PerUnitStorageThroughput"), ERROR),
    ]


def test_drive_cache_on_ssd_storage_is_an_error(slurm, where) -> None:
    _fsx(slurm, DriveCacheType="READ")
    assert where(slurm, "FsxStorageTypeOptionsValidator") == [((*FSX, "DriveCacheType"), ERROR)]


def test_ssd_throughput_not_offered_by_the_deployment_type_is_an_error(slurm, where) -> None:
    _fsx(slurm, DeploymentType="PERSISTENT_1", PerUnitStorageThroughput=125)
    assert where(slurm, "FsxStorageTypeOptionsValidator") == [((*FSX, "PerUnitStorageThroughput"), ERROR)]


def test_new_file_system_without_storage_capacity_is_an_error(slurm, where) -> None:
    _fsx(slurm).pop("StorageCapacity")
    assert where(slurm, "FsxStorageCapacityValidator") == [((*FSX, "StorageCapacity"), ERROR)]


def test_existing_or_restored_file_systems_need_no_capacity(slurm, where) -> None:
    _fsx(slurm, FileSystemId="fs-0123456789abcdef0").pop("StorageCapacity")
    assert where(slurm, "FsxStorageCapacityValidator") == []
    _fsx(slurm, BackupId="backup-01234567").pop("StorageCapacity")
    assert where(slurm, "FsxStorageCapacityValidator") == []


@pytest.mark.parametrize(
    ("settings", "capacity_ok", "capacity_bad"),
    [
        ({"DeploymentType": "SCRATCH_1"}, 7200, 4800),
        ({}, 4800, 3600),  # SCRATCH_2 by default: 1200 or steps of 2400
        (
            {"DeploymentType": "PERSISTENT_1", "StorageType": "HDD", "PerUnitStorageThroughput": 12},
            12000,
            1800,
        ),
        (
            {"DeploymentType": "PERSISTENT_1", "StorageType": "HDD", "PerUnitStorageThroughput": 40},
            3600,
            6000,
        ),
    ],
)
def test_storage_capacity_granularity_follows_the_deployment_type(
    slurm, where, settings: dict[str, Any], capacity_ok: int, capacity_bad: int
) -> None:
    _fsx(slurm, StorageCapacity=capacity_ok, **settings)
    assert where(slurm, "FsxStorageCapacityValidator") == []
    _fsx(slurm, StorageCapacity=capacity_bad, **settings)
    assert where(slurm, "FsxStorageCapacityValidator") == [((*FSX, "StorageCapacity"), ERROR)]
