"""DeletionPolicy: what a destroy deletes, snapshots or keeps — planned, and as the components declare it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pcluster_pulumi.cluster.accounting import SlurmAccounting
from pcluster_pulumi.cluster.storage.shared import SharedStorage
from pcluster_pulumi.derive.deletion import (
    Fate,
    ebs_volume_args,
    fsx_backup_args,
    plan_destroy,
    rds_cluster_args,
)
from pcluster_pulumi.spec.model import ClusterSpec

from .conftest import SUBNET_AZS, VPC, Record, Run, make_spec, network

Build = Callable[[Callable[[], Any]], Run]

#: Data-bearing resource types, and the input that asks for a final snapshot or backup.
DATA = {
    "aws:ebs/volume:Volume": ("finalSnapshot", True),
    "aws:efs/fileSystem:FileSystem": (None, None),
    "aws:fsx/lustreFileSystem:LustreFileSystem": ("skipFinalBackup", False),
    "aws:fsx/ontapVolume:OntapVolume": ("skipFinalBackup", False),
    "aws:fsx/openZfsFileSystem:OpenZfsFileSystem": ("skipFinalBackup", False),
    "aws:rds/cluster:Cluster": ("skipFinalSnapshot", False),
}


def spec_for(policy: str) -> ClusterSpec:
    """Every kind of created storage plus the managed database under one policy (EFS and Lustre
    only know Delete and Retain), and one existing file system."""
    two_way = "Delete" if policy == "Snapshot" else policy
    storage = [
        {"MountDir": "/ebs", "Name": "ebs", "StorageType": "Ebs", "EbsSettings": {"DeletionPolicy": policy}},
        {
            "MountDir": "/raid",
            "Name": "raid",
            "StorageType": "Ebs",
            "EbsSettings": {"DeletionPolicy": policy, "Raid": {"Type": 0}},
        },
        {"MountDir": "/efs", "Name": "efs", "StorageType": "Efs", "EfsSettings": {"DeletionPolicy": two_way}},
        {
            "MountDir": "/lustre",
            "Name": "lustre",
            "StorageType": "FsxLustre",
            "FsxLustreSettings": {"StorageCapacity": 1200, "DeletionPolicy": two_way},
        },
        {
            "MountDir": "/ontap",
            "Name": "ontap",
            "StorageType": "FsxOntap",
            "FsxOntapSettings": {"StorageCapacity": 1024, "DeletionPolicy": policy},
        },
        {
            "MountDir": "/zfs",
            "Name": "zfs",
            "StorageType": "FsxOpenZfs",
            "FsxOpenZfsSettings": {"StorageCapacity": 64, "DeletionPolicy": policy},
        },
        {
            "MountDir": "/old",
            "Name": "old",
            "StorageType": "Efs",
            "EfsSettings": {"FileSystemId": "fs-0123456789abcdef0"},
        },
    ]
    return make_spec(storage, slurm_settings={"Database": {"DeletionPolicy": policy}})


def test_policy_arguments() -> None:
    assert ebs_volume_args("Snapshot") == {"final_snapshot": True}
    assert ebs_volume_args("Retain") == {"final_snapshot": False}
    assert fsx_backup_args("Snapshot") == {"skip_final_backup": False}
    assert fsx_backup_args("Delete") == {"skip_final_backup": True}
    assert rds_cluster_args("Delete", "db") == {
        "deletion_protection": False,
        "skip_final_snapshot": True,
        "final_snapshot_identifier": None,
    }
    assert rds_cluster_args("Retain", "db")["deletion_protection"] is True


@pytest.mark.parametrize(
    ("policy", "deleted", "kept"),
    [
        (
            "Delete",
            ["root", "ebs", "raid", "raid", "efs", "lustre", "ontap", "zfs", "Database"],
            ["old", "CloudWatch"],
        ),
        (
            "Retain",
            ["root"],
            ["ebs", "raid", "raid", "efs", "lustre", "ontap", "zfs", "old", "Database", "CloudWatch"],
        ),
        (
            "Snapshot",
            ["root", "ebs", "raid", "raid", "efs", "lustre", "ontap", "zfs", "Database"],
            ["old", "CloudWatch"],
        ),
    ],
)
def test_plan_destroy_says_what_each_policy_deletes_and_keeps(
    policy: str, deleted: list[str], kept: list[str]
) -> None:
    plan = plan_destroy(spec_for(policy))

    def short(owner: str) -> str:
        if owner.startswith("SharedStorage"):
            return owner.split()[1]
        return {"HeadNode.LocalStorage.RootVolume": "root"}.get(owner, owner.rsplit(".", 1)[-1])

    assert [short(r.owner) for r in plan if r.deleted] == deleted
    assert [short(r.owner) for r in plan if not r.deleted] == kept
    snapshotted = sorted({short(r.owner) for r in plan if r.fate is Fate.SNAPSHOT_THEN_DELETED})
    assert snapshotted == (["Database", "ebs", "ontap", "raid", "zfs"] if policy == "Snapshot" else [])
    assert next(r for r in plan if short(r.owner) == "old").fate is Fate.NOT_OWNED


def test_head_root_volume_and_log_group_follow_their_own_settings() -> None:
    spec = make_spec(
        head_node={"LocalStorage": {"RootVolume": {"DeleteOnTermination": False}}},
        top={"Monitoring": {"Logs": {"CloudWatch": {"DeletionPolicy": "Delete"}}}},
    )
    plan = plan_destroy(spec)
    assert [(r.description, r.fate) for r in plan] == [
        ("head node root volume (holds /home)", Fate.KEPT),
        ("CloudWatch log group", Fate.DELETED),
    ]


def _declared_fate(record: Record) -> Fate:
    """What the declared options make a destroy do to one data resource."""
    if record.retain_on_delete:
        return Fate.KEPT
    key, snapshot_value = DATA[record.type]
    if key is not None and record.inputs.get(key) is snapshot_value:
        return Fate.SNAPSHOT_THEN_DELETED
    return Fate.DELETED


@pytest.mark.parametrize("policy", ["Delete", "Retain", "Snapshot"])
def test_components_declare_what_plan_destroy_promises(build: Build, policy: str) -> None:
    spec = spec_for(policy)

    def program() -> Any:
        SharedStorage("st", spec, network=network())
        SlurmAccounting(
            "acct",
            spec,
            cluster_name="demo",
            vpc_id=VPC,
            subnet_azs=SUBNET_AZS,
            head_security_groups={"head": "sg-head"},
        )

    run = build(program)
    declared: dict[str, list[Fate]] = {}
    for record in run.created():
        if record.type in DATA:
            owner = "Database" if record.parent == "acct" else record.parent.removeprefix("st-")
            declared.setdefault(owner, []).append(_declared_fate(record))
    promised: dict[str, list[Fate]] = {}
    for resource in plan_destroy(spec):
        if resource.fate is Fate.NOT_OWNED or resource.owner.startswith(("HeadNode", "Monitoring")):
            continue  # not created (existing), or another component's resource
        owner = "Database" if "Database" in resource.owner else resource.owner.split()[1]
        promised.setdefault(owner, []).append(resource.fate)
    assert declared == promised
