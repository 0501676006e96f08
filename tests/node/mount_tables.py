"""Runtime ``mounts`` built by the storage side's own code (spec → mount table → runtime mounts).

Node tests read what ``pcluster_pulumi/mount_table.py`` really produces, so a change of a path
or an option there shows up here instead of drifting apart from hand-written fixtures.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from pcluster_pulumi.derive.mount_table import INTERNAL_EFS_NAME, ResolvedStorage, mount_table, runtime_mounts
from pcluster_pulumi.spec.loader import load_spec

HEAD_IP = "10.0.1.10"

_BASE: dict[str, Any] = {
    "Image": {"Os": "alinux2023"},
    "HeadNode": {
        "InstanceType": "c5.xlarge",
        "Networking": {"SubnetId": "subnet-0a1b2c3d4e5f60001"},
        "Ssh": {"KeyName": "my-key"},
    },
    "Scheduling": {
        "Scheduler": "slurm",
        "SlurmQueues": [
            {
                "Name": "compute",
                "ComputeResources": [{"Name": "c5", "InstanceType": "c5.xlarge"}],
                "Networking": {"SubnetIds": ["subnet-0a1b2c3d4e5f60002"]},
            }
        ],
    },
}

#: Every kind the head node handles itself, plus two it mounts directly.
FULL_STORAGE: list[dict[str, Any]] = [
    {"MountDir": "/home", "Name": "home", "StorageType": "Ebs"},
    {
        "MountDir": "/data",
        "Name": "data",
        "StorageType": "Ebs",
        "EbsSettings": {"VolumeId": "vol-0123456789abcdef0"},
    },
    {
        "MountDir": "/scratch",
        "Name": "scratch",
        "StorageType": "Ebs",
        "EbsSettings": {"Raid": {"Type": 1, "NumberOfVolumes": 2}},
    },
    {
        "MountDir": "/efs",
        "Name": "efs",
        "StorageType": "Efs",
        "EfsSettings": {"FileSystemId": "fs-0123456789abcdef0", "EncryptionInTransit": True},
    },
    {
        "MountDir": "/fsx",
        "Name": "fsx",
        "StorageType": "FsxLustre",
        "FsxLustreSettings": {"FileSystemId": "fs-0123456789abcdef1"},
    },
]
FULL_RESOLVED = {
    "home": ResolvedStorage(volume_ids=("vol-0aaaaaaaaaaaaaaa1",)),
    "scratch": ResolvedStorage(volume_ids=("vol-0bbbbbbbbbbbbbbb1", "vol-0bbbbbbbbbbbbbbb2")),
    "efs": ResolvedStorage(file_system_id="fs-0123456789abcdef0"),
    "fsx": ResolvedStorage(dns_name="fs-0123456789abcdef1.fsx.us-east-1.amazonaws.com", mount_name="abcd"),
}
INTERNAL_EFS = {
    INTERNAL_EFS_NAME: ResolvedStorage(
        file_system_id="fs-0feedfeedfeedfee0", dns_name="fs-0feedfeedfeedfee0.efs.us-east-1.amazonaws.com"
    )
}


def runtime_mounts_for(
    storage: list[dict[str, Any]] | None = None,
    resolved: Mapping[str, ResolvedStorage] | None = None,
    *,
    head_node: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """The runtime configuration's ``mounts`` for BASE plus storage entries / HeadNode keys."""
    data: dict[str, Any] = yaml.safe_load(yaml.safe_dump(_BASE))
    if storage:
        data["SharedStorage"] = storage
    data["HeadNode"].update(head_node or {})
    spec = load_spec(yaml.safe_dump(data, sort_keys=False), cluster_name="demo")
    table = mount_table(spec, resolved or {}, head_address=HEAD_IP)
    return [dict(entry) for entry in runtime_mounts(table)]


def internal_efs_mounts() -> list[dict[str, Any]]:
    """``HeadNode.SharedStorageType: Efs``: every internal dir on the internal EFS."""
    return runtime_mounts_for(resolved=INTERNAL_EFS, head_node={"SharedStorageType": "Efs"})


def full_mounts() -> list[dict[str, Any]]:
    """Internal dirs exported by the head node, /home on EBS, an existing volume, RAID 1, EFS, Lustre."""
    return runtime_mounts_for(FULL_STORAGE, FULL_RESOLVED)
