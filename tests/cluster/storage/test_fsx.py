"""FSx for Lustre, ONTAP, OpenZFS and File Cache under mocks: created, or read when they exist."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pcluster_pulumi.cluster.storage.shared import SharedStorage
from pcluster_pulumi.engines.offline.storage_facts import OPENZFS_PARENT, computed_outputs
from pcluster_pulumi.spec.model import ClusterSpec

from .conftest import HEAD_IP, QUEUE_SUBNET, Run, make_spec, network

LUSTRE = "aws:fsx/lustreFileSystem:LustreFileSystem"
DRA = "aws:fsx/dataRepositoryAssociation:DataRepositoryAssociation"
ONTAP_FS = "aws:fsx/ontapFileSystem:OntapFileSystem"
SVM = "aws:fsx/ontapStorageVirtualMachine:OntapStorageVirtualMachine"
ONTAP_VOLUME = "aws:fsx/ontapVolume:OntapVolume"
ZFS_FS = "aws:fsx/openZfsFileSystem:OpenZfsFileSystem"
ZFS_VOLUME = "aws:fsx/openZfsVolume:OpenZfsVolume"
CACHE = "aws:fsx/fileCache:FileCache"
Build = Callable[[Callable[[], Any]], Run]


def storage_run(build: Build, spec: ClusterSpec) -> Run:
    return build(
        lambda: SharedStorage("st", spec, network=network(), tags={"team": "hpc"}).mount_entries(HEAD_IP)
    )


def entry(kind: str, name: str = "fs", **settings: Any) -> dict[str, Any]:
    return {"MountDir": f"/{name}", "Name": name, "StorageType": kind, f"{kind}Settings": settings}


def compute_source(run: Run, mount_dir: str) -> str:
    (found,) = [e["source"] for e in run.value if e["roles"] == ["compute"] and e["mount_dir"] == mount_dir]
    return str(found)


def test_new_lustre_goes_in_the_first_queue_subnet_with_parallelcluster_defaults(build: Build) -> None:
    run = storage_run(build, make_spec([entry("FsxLustre", StorageCapacity=1200)]))
    (fs,) = run.of_type(LUSTRE)
    assert fs.inputs == {
        "fileSystemTypeVersion": "2.15",
        "deploymentType": "SCRATCH_2",
        "storageCapacity": 1200,
        "subnetIds": QUEUE_SUBNET,
        "securityGroupIds": ["st-fs-sg-group-id"],
        "skipFinalBackup": True,
        "tags": {"team": "hpc", "Name": "fs"},
    }
    assert "st-fs-sg-in-self" in fs.dependencies and "st-fs-sg-out-compute" in fs.dependencies
    computed = computed_outputs(LUSTRE, "st-fs-fs-id")
    assert compute_source(run, "/fs") == f"{computed['dnsName']}@tcp:/{computed['mountName']}"


def test_lustre_settings_are_passed_through_and_hdd_gets_no_drive_cache_by_default(build: Build) -> None:
    settings = {
        "StorageCapacity": 6000,
        "DeploymentType": "PERSISTENT_1",
        "StorageType": "HDD",
        "PerUnitStorageThroughput": 12,
        "ImportPath": "s3://bucket/in",
        "ExportPath": "s3://bucket/out",
        "AutoImportPolicy": "NEW_CHANGED",
        "WeeklyMaintenanceStartTime": "1:00:00",
        "DataCompressionType": "LZ4",
        "KmsKeyId": "kms-1",
    }
    (fs,) = storage_run(build, make_spec([entry("FsxLustre", **settings)])).of_type(LUSTRE)
    expected = {
        "deploymentType": "PERSISTENT_1",
        "storageType": "HDD",
        "perUnitStorageThroughput": 12,
        "importPath": "s3://bucket/in",
        "exportPath": "s3://bucket/out",
        "autoImportPolicy": "NEW_CHANGED",
        "weeklyMaintenanceStartTime": "1:00:00",
        "dataCompressionType": "LZ4",
        "kmsKeyId": "kms-1",
        "driveCacheType": "NONE",
    }
    assert {k: fs.inputs[k] for k in expected} == expected


def test_lustre_backup_settings_are_passed_through(build: Build) -> None:
    settings = {
        "StorageCapacity": 1200,
        "DeploymentType": "PERSISTENT_2",
        "PerUnitStorageThroughput": 250,
        "AutomaticBackupRetentionDays": 3,
        "DailyAutomaticBackupStartTime": "02:00",
        "CopyTagsToBackups": True,
    }
    (fs,) = storage_run(build, make_spec([entry("FsxLustre", **settings)])).of_type(LUSTRE)
    assert (
        fs.inputs["automaticBackupRetentionDays"] == 3
        and fs.inputs["dailyAutomaticBackupStartTime"] == "02:00"
    )
    assert fs.inputs["copyTagsToBackups"] is True and "driveCacheType" not in fs.inputs


def test_data_repository_associations_follow_the_file_system(build: Build) -> None:
    dras = [
        {
            "Name": "in",
            "DataRepositoryPath": "s3://b/in",
            "FileSystemPath": "/in",
            "AutoImportPolicy": ["NEW", "CHANGED"],
        },
        {
            "Name": "out",
            "DataRepositoryPath": "s3://b/out",
            "FileSystemPath": "/out",
            "AutoExportPolicy": ["DELETED"],
            "ImportedFileChunkSize": 2048,
        },
    ]
    spec = make_spec(
        [
            entry(
                "FsxLustre",
                StorageCapacity=1200,
                DeploymentType="PERSISTENT_2",
                PerUnitStorageThroughput=125,
                DataRepositoryAssociations=dras,
            )
        ]
    )
    associations = {d.name: d.inputs for d in storage_run(build, spec).of_type(DRA)}
    assert associations["st-fs-dra-in"] == {
        "fileSystemId": "st-fs-fs-id",
        "dataRepositoryPath": "s3://b/in",
        "fileSystemPath": "/in",
        "batchImportMetaDataOnCreate": False,
        "importedFileChunkSize": 1024,
        "s3": {"autoImportPolicy": {"events": ["NEW", "CHANGED"]}},
        "tags": {"Name": "in"},
    }
    assert associations["st-fs-dra-out"]["s3"] == {"autoExportPolicy": {"events": ["DELETED"]}}
    assert associations["st-fs-dra-out"]["importedFileChunkSize"] == 2048


def test_existing_lustre_and_file_cache_are_read_not_created(build: Build) -> None:
    spec = make_spec(
        [
            entry("FsxLustre", "lus", FileSystemId="fs-0123456789abcdef0"),
            entry("FileCache", "cache", FileCacheId="fc-0123456789abcdef0"),
        ]
    )
    run = storage_run(build, spec)
    assert run.created() == []
    assert [r.read_id for r in run.reads(LUSTRE)] == ["fs-0123456789abcdef0"]
    assert [r.read_id for r in run.reads(CACHE)] == ["fc-0123456789abcdef0"]
    assert compute_source(run, "/lus").startswith("fs-0123456789abcdef0.fsx.us-east-1.amazonaws.com@tcp:/")
    assert compute_source(run, "/cache").startswith("fc-0123456789abcdef0.fsx.us-east-1.amazonaws.com@tcp:/")


def test_existing_ontap_volume_is_mounted_from_its_svm_nfs_endpoint(build: Build) -> None:
    run = storage_run(build, make_spec([entry("FsxOntap", "ontap", VolumeId="fsvol-0123456789abcdef1")]))
    assert run.created() == []
    (volume,) = run.reads(ONTAP_VOLUME)
    (svm,) = run.reads(SVM)
    assert volume.read_id == "fsvol-0123456789abcdef1" and svm.read_id.startswith("svm-")
    source = compute_source(run, "/ontap")
    assert source.startswith(f"{svm.read_id}.fs-") and source.endswith(
        ".amazonaws.com:/fsvol_0123456789abcdef1"
    )


def test_existing_openzfs_volume_path_is_read_up_to_the_root_volume(build: Build) -> None:
    run = storage_run(build, make_spec([entry("FsxOpenZfs", "zfs", VolumeId="fsvol-0123456789abcdef2")]))
    assert run.created() == []
    assert [r.read_id for r in run.reads(ZFS_VOLUME)] == [
        "fsvol-0123456789abcdef2",
        OPENZFS_PARENT,
        "fsvol-00000000000000000",
    ]
    (fs,) = run.reads(ZFS_FS)
    source = compute_source(run, "/zfs")
    assert source.startswith(f"{fs.read_id}.fsx.us-east-1.amazonaws.com:/fsx/vol")
    assert source.count("/") == 3


def test_new_ontap_file_system_svm_and_volume(build: Build) -> None:
    spec = make_spec([entry("FsxOntap", "home-data", StorageCapacity=2048, VolumeSize=500)])
    run = storage_run(build, spec)
    (fs,) = run.of_type(ONTAP_FS)
    assert {
        k: fs.inputs[k]
        for k in (
            "deploymentType",
            "storageCapacity",
            "throughputCapacity",
            "subnetIds",
            "preferredSubnetId",
            "securityGroupIds",
        )
    } == {
        "deploymentType": "SINGLE_AZ_1",
        "storageCapacity": 2048,
        "throughputCapacity": 128,
        "subnetIds": [QUEUE_SUBNET],
        "preferredSubnetId": QUEUE_SUBNET,
        "securityGroupIds": ["st-home-data-sg-group-id"],
    }
    (svm,) = run.of_type(SVM)
    assert svm.inputs["name"] == "svm_home_data" and svm.inputs["fileSystemId"] == "st-home-data-fs-id"
    (volume,) = run.of_type(ONTAP_VOLUME)
    assert volume.inputs["storageVirtualMachineId"] == "st-home-data-svm-id"
    assert volume.inputs["junctionPath"] == "/home_data" and volume.inputs["sizeInMegabytes"] == 500 * 1024
    assert volume.inputs["storageEfficiencyEnabled"] is True and volume.inputs["skipFinalBackup"] is True
    assert compute_source(run, "/home-data") == "st-home-data-svm-id.us-east-1.example.internal:/home_data"


def test_second_generation_ontap_sizes_throughput_per_ha_pair(build: Build) -> None:
    spec = make_spec(
        [entry("FsxOntap", StorageCapacity=1024, DeploymentType="SINGLE_AZ_2", JunctionPath="/data")]
    )
    run = storage_run(build, spec)
    (fs,) = run.of_type(ONTAP_FS)
    assert fs.inputs["throughputCapacityPerHaPair"] == 384 and fs.inputs["haPairs"] == 1
    assert "throughputCapacity" not in fs.inputs
    assert run.of_type(ONTAP_VOLUME)[0].inputs["junctionPath"] == "/data"


def test_new_openzfs_file_system_and_volume(build: Build) -> None:
    spec = make_spec(
        [
            entry(
                "FsxOpenZfs", "zfs", StorageCapacity=128, StorageCapacityQuota=100, DataCompressionType="ZSTD"
            )
        ]
    )
    run = storage_run(build, spec)
    (fs,) = run.of_type(ZFS_FS)
    assert fs.inputs["throughputCapacity"] == 64 and fs.inputs["subnetIds"] == [QUEUE_SUBNET]
    assert (
        fs.inputs["deleteOptions"] == ["DELETE_CHILD_VOLUMES_AND_SNAPSHOTS"]
        and fs.inputs["skipFinalBackup"] is True
    )
    (volume,) = run.of_type(ZFS_VOLUME)
    assert volume.inputs["parentVolumeId"] == "st-zfs-fs-id-root" and volume.inputs["name"] == "zfs"
    assert volume.inputs["storageCapacityQuotaGib"] == 100 and volume.inputs["dataCompressionType"] == "ZSTD"
    assert volume.inputs["nfsExports"]["clientConfigurations"][0]["options"] == [
        "rw",
        "crossmnt",
        "no_root_squash",
    ]
    assert volume.deleted_with == "st-zfs-fs"
    assert compute_source(run, "/zfs") == "st-zfs-fs-id.us-east-1.example.internal:/fsx/zfs"


def test_second_generation_openzfs_defaults_to_its_smallest_throughput(build: Build) -> None:
    spec = make_spec([entry("FsxOpenZfs", StorageCapacity=64, DeploymentType="SINGLE_AZ_HA_2")])
    (fs,) = storage_run(build, spec).of_type(ZFS_FS)
    assert fs.inputs["throughputCapacity"] == 160 and fs.inputs["deploymentType"] == "SINGLE_AZ_HA_2"


@pytest.mark.parametrize("policy", ["Delete", "Retain", "Snapshot"])
def test_ontap_and_openzfs_deletion_policy(build: Build, policy: str) -> None:
    spec = make_spec(
        [
            entry("FsxOntap", "o", StorageCapacity=1024, DeletionPolicy=policy),
            entry("FsxOpenZfs", "z", StorageCapacity=64, DeletionPolicy=policy),
        ]
    )
    run = storage_run(build, spec)
    data = [
        *run.of_type(ONTAP_FS),
        *run.of_type(SVM),
        *run.of_type(ONTAP_VOLUME),
        *run.of_type(ZFS_FS),
        *run.of_type(ZFS_VOLUME),
    ]
    assert len(data) == 5 and all(r.retain_on_delete is (policy == "Retain") for r in data)
    final_backup = policy == "Snapshot"
    assert run.of_type(ONTAP_VOLUME)[0].inputs["skipFinalBackup"] is not final_backup
    assert run.of_type(ZFS_FS)[0].inputs["skipFinalBackup"] is not final_backup


def test_lustre_retain_keeps_file_system_and_its_group(build: Build) -> None:
    run = storage_run(build, make_spec([entry("FsxLustre", StorageCapacity=1200, DeletionPolicy="Retain")]))
    assert run.of_type(LUSTRE)[0].retain_on_delete
    assert run.named("st-fs-sg-group").retain_on_delete
    assert run.of_type(LUSTRE)[0].inputs["skipFinalBackup"] is True
