"""The mount table, without Pulumi: what each node type mounts, from where, with which options."""

from __future__ import annotations

from typing import Any

import pytest

from pcluster_pulumi.contract.config import NodeConfig
from pcluster_pulumi.derive.mount_table import (
    COMPUTE,
    HEAD,
    INIT_SHARED_DIR,
    INTERNAL_EFS_NAME,
    LOGIN,
    MountEntry,
    MountTableError,
    ResolvedStorage,
    ebs_device_names,
    mount_table,
    runtime_mounts,
)
from pcluster_pulumi.node.boot_steps import fstab_lines

from ..cluster.storage.conftest import HEAD_IP, make_spec

INTERNAL = [
    "/home",
    "/opt/slurm",
    "/opt/intel",
    "/opt/parallelcluster/shared",
    "/opt/parallelcluster/shared_login_nodes",
]


def dirs(entries: list[MountEntry]) -> list[str]:
    return [e["mount_dir"] for e in entries]


def by_dir(entries: list[MountEntry], mount_dir: str) -> MountEntry:
    (entry,) = [e for e in entries if e["mount_dir"] == mount_dir]
    return entry


def test_head_node_exports_the_internal_dirs_and_other_nodes_mount_them_over_nfs() -> None:
    table = mount_table(make_spec(), {}, head_address=HEAD_IP)
    assert dirs(table[HEAD]) == INTERNAL
    for entry in table[HEAD]:
        assert entry["kind"] == "local" and entry["export_options"] == ["rw", "sync", "no_root_squash"]
    assert dirs(table[COMPUTE]) == ["/home", "/opt/slurm", "/opt/intel", "/opt/parallelcluster/shared"]
    assert dirs(table[LOGIN]) == [
        "/home",
        "/opt/slurm",
        "/opt/intel",
        "/opt/parallelcluster/shared_login_nodes",
    ]
    home = by_dir(table[COMPUTE], "/home")
    assert home["source"] == f"{HEAD_IP}:/home"
    assert home["fstype"] == "nfs4" and home["options"] == ["hard", "_netdev", "noatime"]


def test_an_arm_head_node_has_no_intel_dir() -> None:
    table = mount_table(make_spec(), {}, head_address=HEAD_IP, head_architecture="arm64")
    assert "/opt/intel" not in dirs(table[HEAD]) + dirs(table[COMPUTE]) + dirs(table[LOGIN])


def test_shared_storage_at_home_replaces_the_exported_home_and_keeps_its_content() -> None:
    spec = make_spec([{"MountDir": "/home", "Name": "home", "StorageType": "Efs", "EfsSettings": {}}])
    table = mount_table(
        spec, {"home": ResolvedStorage(file_system_id="fs-1", dns_name="fs-1.dns")}, head_address=HEAD_IP
    )
    homes = [e for e in table[HEAD] if e["mount_dir"] == "/home"]
    assert len(homes) == 1 and homes[0]["kind"] == "efs" and homes[0]["preserve_local"] is True
    assert by_dir(table[COMPUTE], "/home")["source"] == "fs-1.dns:/"


def test_internal_efs_is_staged_at_init_shared_and_every_dir_is_a_sub_path() -> None:
    spec = make_spec(head_node={"SharedStorageType": "Efs"})
    facts = ResolvedStorage(file_system_id="fs-int", dns_name="int.dns")
    table = mount_table(spec, {INTERNAL_EFS_NAME: facts}, head_address=HEAD_IP)
    assert table[HEAD][0]["mount_dir"] == INIT_SHARED_DIR and table[HEAD][0]["source"] == "int.dns:/"
    assert by_dir(table[HEAD], "/opt/slurm")["source"] == "int.dns:/slurm"
    assert by_dir(table[HEAD], "/opt/slurm")["preserve_local"] is True
    assert by_dir(table[COMPUTE], "/home")["source"] == "int.dns:/home"
    login = by_dir(table[LOGIN], "/opt/parallelcluster/shared_login_nodes")
    assert login["source"] == "int.dns:/shared_login_nodes"
    assert all(e["kind"] == "efs" for t in (HEAD, COMPUTE, LOGIN) for e in table[t])


def test_ebs_volumes_get_device_names_in_spec_order_with_raid_members_last() -> None:
    spec = make_spec(
        [
            {"MountDir": "/raid", "Name": "raid", "StorageType": "Ebs", "EbsSettings": {"Raid": {"Type": 0}}},
            {"MountDir": "/a", "Name": "a", "StorageType": "Ebs"},
            {
                "MountDir": "/b",
                "Name": "b",
                "StorageType": "Ebs",
                "EbsSettings": {"VolumeId": "vol-0123456789abcdef0"},
            },
        ]
    )
    assert ebs_device_names(spec) == {
        "a": ("/dev/sdf",),
        "b": ("/dev/sdg",),
        "raid": ("/dev/sdh", "/dev/sdi"),
    }


def test_ebs_and_raid_are_formatted_mounted_and_exported_by_the_head_node_only() -> None:
    spec = make_spec(
        [
            {"MountDir": "/data", "Name": "data", "StorageType": "Ebs"},
            {"MountDir": "/r", "Name": "r", "StorageType": "Ebs", "EbsSettings": {"Raid": {"Type": 1}}},
        ]
    )
    resolved = {
        "data": ResolvedStorage(volume_ids=("vol-d",)),
        "r": ResolvedStorage(volume_ids=("vol-r1", "vol-r2")),
    }
    table = mount_table(spec, resolved, head_address=HEAD_IP)
    data = by_dir(table[HEAD], "/data")
    assert data["kind"] == "ebs" and data["fstype"] == "ext4" and data["source"] == "/dev/sdf"
    assert data["volumes"] == [{"volume_id": "vol-d", "device_name": "/dev/sdf"}]
    assert "export_options" in data
    raid = by_dir(table[HEAD], "/r")
    assert raid["kind"] == "raid" and raid["raid_level"] == 1 and raid["source"] == "/dev/md0"
    assert [v["volume_id"] for v in raid["volumes"]] == ["vol-r1", "vol-r2"]
    for node_type in (COMPUTE, LOGIN):
        assert by_dir(table[node_type], "/data")["source"] == f"{HEAD_IP}:/data"
        assert by_dir(table[node_type], "/r")["kind"] == "nfs"


def test_an_existing_ebs_volume_is_found_by_the_id_the_spec_names() -> None:
    spec = make_spec(
        [
            {
                "MountDir": "x",
                "Name": "x",
                "StorageType": "Ebs",
                "EbsSettings": {"VolumeId": "vol-0123456789abcdef0"},
            }
        ]
    )
    entry = by_dir(mount_table(spec, {}, head_address=HEAD_IP)[HEAD], "/x")
    assert entry["volumes"] == [{"volume_id": "vol-0123456789abcdef0", "device_name": "/dev/sdf"}]


def test_efs_is_mounted_as_nfs_4_1_from_its_dns_name() -> None:
    spec = make_spec(
        [
            {
                "MountDir": "/efs",
                "Name": "e",
                "StorageType": "Efs",
                "EfsSettings": {"FileSystemId": "fs-0123456789abcdef0"},
            }
        ]
    )
    facts = {
        "e": ResolvedStorage(file_system_id="fs-0123456789abcdef0", dns_name="fs-0123456789abcdef0.efs.dns")
    }
    table = mount_table(spec, facts, head_address=HEAD_IP)
    for node_type in (HEAD, COMPUTE, LOGIN):
        entry = by_dir(table[node_type], "/efs")
        assert (entry["fstype"], entry["source"]) == ("nfs4", "fs-0123456789abcdef0.efs.dns:/")
        assert entry["options"][:1] == ["nfsvers=4.1"] and "noresvport" in entry["options"]


@pytest.mark.parametrize(
    ("settings", "helper"),
    [
        ({"EncryptionInTransit": True, "IamAuthorization": True}, ["tls", "iam"]),
        (
            {"EncryptionInTransit": True, "AccessPointId": "fsap-0123456789abcdef0"},
            ["tls", "accesspoint=fsap-0123456789abcdef0"],
        ),
    ],
)
def test_tls_iam_and_access_points_go_through_the_efs_mount_helper(
    settings: dict[str, Any], helper: list[str]
) -> None:
    spec = make_spec(
        [
            {
                "MountDir": "/efs",
                "Name": "e",
                "StorageType": "Efs",
                "EfsSettings": {"FileSystemId": "fs-0123456789abcdef0", **settings},
            }
        ]
    )
    table = mount_table(
        spec, {"e": ResolvedStorage(file_system_id="fs-0123456789abcdef0")}, head_address=HEAD_IP
    )
    for node_type in (HEAD, COMPUTE, LOGIN):
        entry = by_dir(table[node_type], "/efs")
        assert (entry["fstype"], entry["source"]) == ("efs", "fs-0123456789abcdef0:/")
        assert entry["options"] == ["_netdev", "noresvport", *helper]


def test_fsx_kinds_mount_from_their_dns_names() -> None:
    spec = make_spec(
        [
            {
                "MountDir": "/l",
                "Name": "l",
                "StorageType": "FsxLustre",
                "FsxLustreSettings": {"FileSystemId": "fs-0123456789abcdef0"},
            },
            {
                "MountDir": "/o",
                "Name": "o",
                "StorageType": "FsxOntap",
                "FsxOntapSettings": {"VolumeId": "fsvol-0123456789abcdef0"},
            },
            {
                "MountDir": "/z",
                "Name": "z",
                "StorageType": "FsxOpenZfs",
                "FsxOpenZfsSettings": {"VolumeId": "fsvol-0123456789abcdef1"},
            },
            {
                "MountDir": "/c",
                "Name": "c",
                "StorageType": "FileCache",
                "FileCacheSettings": {"FileCacheId": "fc-0123456789abcdef0"},
            },
        ]
    )
    resolved = {
        "l": ResolvedStorage(dns_name="l.dns", mount_name="abc"),
        "o": ResolvedStorage(dns_name="svm.dns", export_path="/vol1"),
        "z": ResolvedStorage(dns_name="z.dns", export_path="/fsx/vol1"),
        "c": ResolvedStorage(dns_name="c.dns", mount_name="cache"),
    }
    compute = mount_table(spec, resolved, head_address=HEAD_IP)[COMPUTE]
    assert (by_dir(compute, "/l")["source"], by_dir(compute, "/l")["fstype"]) == ("l.dns@tcp:/abc", "lustre")
    assert "flock" in by_dir(compute, "/l")["options"]
    assert by_dir(compute, "/o")["source"] == "svm.dns:/vol1" and by_dir(compute, "/o")["fstype"] == "nfs"
    assert (
        by_dir(compute, "/z")["source"] == "z.dns:/fsx/vol1"
        and "nfsvers=4.1" in by_dir(compute, "/z")["options"]
    )
    assert (
        by_dir(compute, "/c")["source"] == "c.dns@tcp:/cache" and by_dir(compute, "/c")["kind"] == "filecache"
    )


def test_a_missing_fact_is_an_error_naming_the_storage() -> None:
    spec = make_spec(
        [
            {
                "MountDir": "/l",
                "Name": "scratch",
                "StorageType": "FsxLustre",
                "FsxLustreSettings": {"StorageCapacity": 1200},
            }
        ]
    )
    with pytest.raises(MountTableError, match=r"'scratch'.*mount_name"):
        mount_table(spec, {"scratch": ResolvedStorage(dns_name="x")}, head_address=HEAD_IP)
    with pytest.raises(MountTableError, match=r"'scratch'.*not resolved"):
        mount_table(spec, {}, head_address=HEAD_IP)


def test_runtime_mounts_carry_roles_and_option_strings_and_the_node_reader_accepts_them() -> None:
    spec = make_spec([{"MountDir": "/data", "Name": "data", "StorageType": "Ebs"}])
    table = mount_table(spec, {"data": ResolvedStorage(volume_ids=("vol-1",))}, head_address=HEAD_IP)
    mounts = runtime_mounts(table)
    assert [m["roles"] for m in mounts] == [[HEAD]] * 6 + [[COMPUTE]] * 5 + [[LOGIN]] * 5
    data = next(m for m in mounts if m["mount_dir"] == "/data" and m["roles"] == [HEAD])
    assert data["options"] == "_netdev" and data["export_options"] == "rw,sync,no_root_squash"
    assert "node_type" not in data
    document = {
        "format_version": 1,
        "cluster_name": "demo",
        "region": "us-east-1",
        "head_node": {"private_ip": HEAD_IP},
        "tables": {"nodes_table": "n", "status_table": "s"},
        "queues": [],
        "mounts": mounts,
    }
    assert list(NodeConfig.from_dict(document).mounts) == mounts


def test_the_node_bootstrap_turns_every_remote_mount_into_one_fstab_line() -> None:
    spec = make_spec(
        [
            {"MountDir": "/data", "Name": "data", "StorageType": "Ebs"},
            {
                "MountDir": "/fsx",
                "Name": "fsx",
                "StorageType": "FsxLustre",
                "FsxLustreSettings": {"FileSystemId": "fs-0123456789abcdef0"},
            },
        ]
    )
    facts = {
        "data": ResolvedStorage(volume_ids=("vol-1",)),
        "fsx": ResolvedStorage(dns_name="l.dns", mount_name="m"),
    }
    mounts = [dict(m) for m in runtime_mounts(mount_table(spec, facts, head_address=HEAD_IP))]
    for role in (COMPUTE, LOGIN):
        entries = [m for m in mounts if m["roles"] == [role]]
        lines = fstab_lines(mounts, role)
        assert len(lines) == len(entries) == 6
        for entry, line in zip(entries, lines, strict=True):
            assert line.startswith(f"{entry['source']} {entry['mount_dir']} ")
            assert line.endswith(f" {entry['options']} 0 0")
    assert f"{HEAD_IP}:/data /data nfs4 hard,_netdev,noatime 0 0" in fstab_lines(mounts, COMPUTE)
    head = fstab_lines(mounts, HEAD)
    assert not any(line.startswith(("/home ", "/opt/slurm ")) for line in head)
    assert (
        "l.dns@tcp:/m /fsx lustre defaults,_netdev,flock,user_xattr,noatime,noauto,x-systemd.automount 0 0"
        in head
    )
