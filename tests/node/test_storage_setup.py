"""Storage at boot, replayed on a scripted host: what the head, compute and login nodes do with
the mount table the storage side renders (volumes, RAID, formatting, copies, fstab, exports)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pcluster_pulumi.contract.config_reader import ConfigError
from pcluster_pulumi.node.storage_plan import exports_text, for_role, parse_mounts, shared_dir
from pcluster_pulumi.node.storage_setup import Paths, StorageError, StorageSetup, Timing

from .fake_host import FakeHost
from .mount_tables import HEAD_IP, full_mounts, internal_efs_mounts

GOLDEN = Path(__file__).parent / "golden"
NETWORKS = ["10.0.0.0/16", "10.1.0.0/16"]
FSTAB = "/etc/fstab"
EXPORTS = Paths().exports
NFS_CONF = Paths().nfs_conf
ROOT_FSTAB = "UUID=f00dbabe-0000-4000-8000-000000000000 / xfs defaults,noatime 0 0\n"


def head_host() -> FakeHost:
    """A head node whose volumes show up every way they can: NVMe link (late), sysfs serial, Xen name."""
    host = FakeHost()
    host.files[FSTAB] = ROOT_FSTAB
    host.dirs["/home"] = ["ec2-user"]
    # /home's new volume is attached 7 s into the boot; /data is an existing xfs volume with data.
    host.attach("/dev/nvme1n1", volume_id="vol-0aaaaaaaaaaaaaaa1", at=7.0)
    host.attach(
        "/dev/nvme2n1",
        volume_id="vol-0123456789abcdef0",
        TYPE="xfs",
        UUID="d47a0000-0000-4000-8000-0000000000d4",
    )
    host.filesystems["/dev/nvme2n1"] = ["results"]
    # RAID members: one has no by-id link (udev rules missing) but its controller's serial
    # says which volume it is; the other only exists under its Xen name.
    host.devices["/dev/nvme3n1"] = {}
    host.dirs["/sys/class/nvme"] = ["nvme0", "nvme3"]
    host.dirs["/sys/class/nvme/nvme0"] = ["device", "nvme0n1", "serial"]
    host.files["/sys/class/nvme/nvme0/serial"] = "vol0f00f00f00f00f00f0\n"
    host.dirs["/sys/class/nvme/nvme3"] = ["device", "nvme3n1", "serial"]
    host.files["/sys/class/nvme/nvme3/serial"] = "vol0bbbbbbbbbbbbbbb1      \n"
    host.devices["/dev/xvdi"] = {}
    return host


def run(host: FakeHost, mounts: list[dict[str, Any]], role: str, **timing: Any) -> None:
    StorageSetup(host, timing=Timing(**timing)).run(mounts, role, client_networks=lambda: NETWORKS, cpus=4)


def test_head_node_prepares_every_kind_of_storage_in_table_order(golden: Callable[[str, Path], None]) -> None:
    host = head_host()
    run(host, full_mounts(), "head")
    golden(host.report(FSTAB, EXPORTS, NFS_CONF, "/etc/mdadm.conf"), GOLDEN / "storage-head.txt")


def test_blank_volumes_are_formatted_and_a_volume_with_data_never_is() -> None:
    host = head_host()
    run(host, full_mounts(), "head")
    formatted = [c.split()[-1] for c in host.commands() if c.startswith("mkfs.")]
    assert formatted == ["/dev/nvme1n1", "/dev/md0"]
    assert host.filesystems["/dev/nvme2n1"] == ["results"]
    fstab = host.files[FSTAB].splitlines()
    assert fstab[0] == ROOT_FSTAB.strip()
    assert "UUID=d47a0000-0000-4000-8000-0000000000d4 /data xfs _netdev 0 2" in fstab
    home = next(line for line in fstab if line.split()[1] == "/home")
    assert home.startswith("UUID=") and home.endswith(" /home ext4 _netdev 0 2")


def test_raid_members_are_found_by_serial_or_device_name_and_assembled_once() -> None:
    host = head_host()
    run(host, full_mounts(), "head")
    assert (
        "mdadm --create /dev/md0 --run --level=1 --name=scratch --raid-devices=2 /dev/nvme3n1 /dev/xvdi"
        in (host.commands())
    )
    assert host.files["/etc/mdadm.conf"].startswith("ARRAY /dev/md0 ")
    assert host.mounted["/scratch"] == "/dev/md0"


def test_local_home_content_moves_onto_the_new_volume_before_it_is_mounted_over() -> None:
    host = head_host()
    run(host, full_mounts(), "head")
    commands = host.commands()
    copy = "cp -a /home/. /run/pcluster-pulumi/staging/home/"
    assert copy in commands
    assert commands.index(copy) < commands.index("umount /run/pcluster-pulumi/staging/home")
    assert host.filesystems["/dev/nvme1n1"] == ["ec2-user"]
    assert host.mounted["/home"] == "/dev/nvme1n1"


def test_head_exports_every_entry_with_export_options_to_the_vpc_and_starts_nfs() -> None:
    host = head_host()
    run(host, full_mounts(), "head")
    exported = [line.split()[0] for line in host.files[EXPORTS].splitlines() if not line.startswith("#")]
    expected = [m["mount_dir"] for m in full_mounts() if m["roles"] == ["head"] and "export_options" in m]
    assert exported == expected
    assert "/opt/parallelcluster/shared" in exported and "/opt/parallelcluster/shared_login_nodes" in exported
    assert "/home 10.0.0.0/16(rw,sync,no_root_squash) 10.1.0.0/16(rw,sync,no_root_squash)" in (
        host.files[EXPORTS].splitlines()
    )
    assert host.commands()[-2:] == ["systemctl enable --now nfs-server", "exportfs -ra"]
    assert "threads=16" in host.files[NFS_CONF]


def test_every_directory_compute_and_login_nodes_mount_from_the_head_is_exported() -> None:
    host = head_host()
    run(host, full_mounts(), "head")
    exported = {line.split()[0] for line in host.files[EXPORTS].splitlines() if not line.startswith("#")}
    for role in ("compute", "login"):
        for mount in for_role(parse_mounts(full_mounts()), role):
            if mount.source.startswith(f"{HEAD_IP}:"):
                assert mount.source == f"{HEAD_IP}:{mount.mount_dir}" and mount.mount_dir in exported


def test_the_efs_mount_helper_is_installed_when_an_entry_needs_it() -> None:
    host = head_host()
    run(host, full_mounts(), "head")
    assert "? dnf install -y -q amazon-efs-utils (exit 0)" in host.transcript
    assert host.mounted["/efs"] == "fs-0123456789abcdef0:/"


def test_a_missing_efs_mount_helper_is_one_clear_line_then_the_mount_fails() -> None:
    host = FakeHost(installable={})
    mounts = [m for m in full_mounts() if m["roles"] == ["compute"]]
    with pytest.raises(StorageError, match="/efs: cannot mount fs-0123456789abcdef0:/"):
        run(host, mounts, "compute", mount_retry_delay=0)
    warning = [line for line in host.transcript if line.startswith("# WARNING")]
    assert warning == [
        "# WARNING: amazon-efs-utils is not installed and could not be installed: mounts of type efs (/efs) "
        "need the EFS mount helper; use an AMI with amazon-efs-utils (ParallelCluster's have it)"
    ]
    assert any(
        "cannot install amazon-efs-utils (Error: Unable to find a match" in line for line in host.transcript
    )


def test_apt_based_nodes_install_the_helper_with_apt() -> None:
    host = FakeHost(programs={"mount", "apt-get"})
    run(host, [m for m in full_mounts() if m["roles"] == ["login"]], "login")
    assert "? env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq amazon-efs-utils (exit 0)" in (
        host.transcript
    )


def test_no_helper_is_installed_without_efs_helper_entries() -> None:
    host = FakeHost()
    run(host, [m for m in internal_efs_mounts() if m["roles"] == ["compute"]], "compute")
    assert not any("amazon-efs-utils" in line for line in host.transcript)


def test_running_again_changes_nothing() -> None:
    host = head_host()
    run(host, full_mounts(), "head")
    fstab = host.files[FSTAB]
    host.transcript.clear()
    run(host, full_mounts(), "head")
    assert host.commands() == ["systemctl enable --now nfs-server", "exportfs -ra"]
    assert host.files[FSTAB] == fstab


def test_internal_efs_dirs_are_created_and_filled_through_the_mounted_root(
    golden: Callable[[str, Path], None],
) -> None:
    host = FakeHost(files={FSTAB: ROOT_FSTAB})
    host.dirs["/home"] = ["ec2-user"]
    host.dirs["/opt/slurm"] = ["bin", "etc", "lib", "sbin"]
    run(host, internal_efs_mounts(), "head")
    golden(host.report(FSTAB), GOLDEN / "storage-head-internal-efs.txt")
    root = "/opt/parallelcluster/init_shared"
    assert host.dirs[f"{root}/home"] == ["ec2-user"]
    assert host.dirs[f"{root}/slurm"] == ["bin", "etc", "lib", "sbin"]
    assert host.dirs[f"{root}/shared"] == [] and f"{root}/shared_login_nodes" in host.dirs
    assert EXPORTS not in host.files, "nothing lives on the head node's disks: nothing to export"


def test_internal_efs_content_already_there_is_kept() -> None:
    host = FakeHost()
    host.dirs["/home"] = ["ec2-user"]
    host.dirs["/opt/parallelcluster/init_shared/home"] = ["alice", "bob"]
    run(host, internal_efs_mounts(), "head")
    assert not any(c.startswith("cp -a /home/") for c in host.commands())
    assert "# /home: the file system already holds data; the local content is not copied" in host.transcript


def test_compute_node_mounts_from_the_head_node_and_retries_while_it_is_not_up(
    golden: Callable[[str, Path], None],
) -> None:
    host = FakeHost(files={FSTAB: ROOT_FSTAB}, flaky_sources={f"{HEAD_IP}:/opt/slurm": 2})
    run(host, full_mounts(), "compute", mount_retry_delay=10)
    golden(host.report(FSTAB), GOLDEN / "storage-compute.txt")
    assert host.mounted["/opt/slurm"] == f"{HEAD_IP}:/opt/slurm" and host.clock == 20
    assert not any(c.startswith(("mkfs", "mdadm", "exportfs")) for c in host.commands())


def test_a_network_mount_that_keeps_failing_names_the_entry() -> None:
    host = FakeHost(flaky_sources={f"{HEAD_IP}:/home": 99})
    with pytest.raises(StorageError, match=r"/home: cannot mount 10\.0\.1\.10:/home: .*timed out"):
        run(host, full_mounts(), "login", mount_retry_delay=1, mount_attempts=3)
    assert host.clock == 2


def test_a_volume_that_never_arrives_fails_naming_it_after_the_timeout() -> None:
    host = head_host()
    del host.devices["/dev/nvme1n1"]
    with pytest.raises(
        StorageError, match=r"/home: volume\(s\) vol-0aaaaaaaaaaaaaaa1 \(/dev/sdf\) not attached after 30s"
    ):
        run(host, full_mounts(), "head", volume_timeout=30, poll_interval=5, progress_interval=10)
    waits = [line for line in host.transcript if "waiting for volume" in line]
    assert len(waits) == 3  # at 0 s, 10 s, 20 s
    assert not any(c.startswith("mkfs") for c in host.commands())


def ebs_only(level: int | None = None) -> list[dict[str, Any]]:
    """One head entry: a single EBS volume on /dev/sdf, or a RAID array of two."""
    volumes = [{"volume_id": "vol-01", "device_name": "/dev/sdf"}]
    entry: dict[str, Any] = {"roles": ["head"], "mount_dir": "/data", "kind": "ebs", "fstype": "ext4"}
    entry |= {"source": "/dev/sdf", "options": "_netdev", "volumes": volumes}
    if level is not None:
        entry |= {"kind": "raid", "source": "/dev/md0", "raid_level": level}
        entry["volumes"] = [*volumes, {"volume_id": "vol-02", "device_name": "/dev/sdg"}]
    return [entry]


def test_a_volume_with_only_a_partition_table_is_refused_not_formatted() -> None:
    host = FakeHost(devices={"/dev/sdf": {"PTTYPE": "gpt"}})
    with pytest.raises(StorageError, match="holds a gpt partition table but no mountable file system"):
        run(host, ebs_only(), "head")
    assert not any(c.startswith("mkfs") for c in host.commands())


def test_an_ebs_volume_that_is_a_raid_member_is_refused() -> None:
    host = FakeHost(devices={"/dev/sdf": {"TYPE": "linux_raid_member", "USAGE": "raid"}})
    with pytest.raises(StorageError, match="holds linux_raid_member"):
        run(host, ebs_only(), "head")


def test_raid_members_that_carry_an_array_are_assembled_not_recreated() -> None:
    member = {"TYPE": "linux_raid_member", "USAGE": "raid"}
    host = FakeHost(devices={"/dev/sdf": dict(member), "/dev/sdg": dict(member)})
    host.devices["/dev/md0"] = {
        "TYPE": "ext4",
        "UUID": "abcd0000-0000-4000-8000-00000000abcd",
        "USAGE": "filesystem",
    }
    run(host, ebs_only(0), "head")
    assert host.commands()[:1] == ["mdadm --assemble /dev/md0 /dev/sdf /dev/sdg"]
    assert not any(c.startswith(("mdadm --create", "mkfs")) for c in host.commands())


def test_an_array_udev_already_assembled_under_another_name_is_used() -> None:
    member = {"TYPE": "linux_raid_member", "USAGE": "raid"}
    host = FakeHost(devices={"/dev/sdf": dict(member), "/dev/sdg": dict(member)})
    host.dirs["/sys/class/block/sdf/holders"] = ["md127"]
    host.dirs["/sys/class/block/sdg/holders"] = ["md127"]
    host.devices["/dev/md127"] = {"TYPE": "ext4", "UUID": "abcd0000-0000-4000-8000-00000000abcd"}
    run(host, ebs_only(0), "head")
    assert not any(c.startswith("mdadm") for c in host.commands())
    assert host.mounted["/data"] == "/dev/md127"
    assert "UUID=abcd0000-0000-4000-8000-00000000abcd /data ext4 _netdev 0 2" in host.files[FSTAB]


def test_raid_is_not_created_over_members_holding_data() -> None:
    host = FakeHost(
        devices={"/dev/sdf": {}, "/dev/sdg": {"TYPE": "ext4", "UUID": "u", "USAGE": "filesystem"}}
    )
    with pytest.raises(StorageError, match="RAID member /dev/sdg already holds ext4"):
        run(host, ebs_only(0), "head")
    host = FakeHost(devices={"/dev/sdf": {"TYPE": "linux_raid_member", "USAGE": "raid"}, "/dev/sdg": {}})
    with pytest.raises(StorageError, match="/dev/sdf belong to an md array but /dev/sdg do not"):
        run(host, ebs_only(0), "head")


def test_debian_keeps_mdadm_conf_in_its_own_directory() -> None:
    host = FakeHost(devices={"/dev/sdf": {}, "/dev/sdg": {}})
    host.dirs["/etc/mdadm"] = []
    host.files["/etc/mdadm/mdadm.conf"] = "HOMEHOST <system>"
    run(host, ebs_only(0), "head")
    assert host.files["/etc/mdadm/mdadm.conf"] == (
        "HOMEHOST <system>\nARRAY /dev/md0 metadata=1.2 UUID=11111111:22222222:33333333:44444444\n"
    )


def test_mdadm_is_installed_when_missing_and_its_absence_stops_the_raid() -> None:
    host = FakeHost(devices={"/dev/sdf": {}, "/dev/sdg": {}}, installable={"mdadm": "mdadm"})
    host.programs.discard("mdadm")
    run(host, ebs_only(1), "head")
    assert "? dnf install -y -q mdadm (exit 0)" in host.transcript
    host = FakeHost(devices={"/dev/sdf": {}, "/dev/sdg": {}}, installable={})
    host.programs.discard("mdadm")
    with pytest.raises(StorageError, match=r"cannot install mdadm .*: /data is a RAID array"):
        run(host, ebs_only(1), "head")


def test_an_older_fstab_line_for_the_same_mount_point_is_replaced() -> None:
    host = FakeHost(
        devices={"/dev/sdf": {}}, files={FSTAB: ROOT_FSTAB + "/dev/sdf /data ext4 defaults 0 0\n"}
    )
    run(host, ebs_only(), "head")
    lines = host.files[FSTAB].splitlines()
    assert lines[0] == ROOT_FSTAB.strip() and len(lines) == 2
    assert lines[1].startswith("UUID=0000000") and lines[1].endswith(" /data ext4 _netdev 0 2")


def test_exports_need_client_networks() -> None:
    host = FakeHost()
    with pytest.raises(StorageError, match="no client networks"):
        StorageSetup(host).run([m for m in full_mounts() if m["kind"] == "local"], "head")
    with pytest.raises(ValueError, match="no client networks"):
        exports_text(parse_mounts(full_mounts()), [])


# -- the shared directories -----------------------------------------------------------------


@pytest.mark.parametrize("mounts", [full_mounts, internal_efs_mounts], ids=["exported", "internal-efs"])
def test_shared_dirs_come_from_the_mount_table(mounts: Callable[[], list[dict[str, Any]]]) -> None:
    entries = parse_mounts(mounts())
    assert shared_dir(entries, "compute") == "/opt/parallelcluster/shared"
    assert shared_dir(entries, "login") == "/opt/parallelcluster/shared_login_nodes"


def test_without_a_shared_dir_the_error_says_what_is_missing() -> None:
    with pytest.raises(
        ConfigError, match="exactly one directory the head node shares with compute nodes only"
    ):
        shared_dir(parse_mounts(ebs_only()), "compute")
    with pytest.raises(ValueError, match="compute or login"):
        shared_dir([], "head")


# -- reading the entries --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kind": "zfs"}, r"\$\.mounts\[0\]\.kind: must be one of"),
        ({"roles": ["head", "admin"]}, r"\$\.mounts\[0\]\.roles: unknown role 'admin'"),
        ({"mount_dir": "data"}, r"\$\.mounts\[0\]\.mount_dir: must be an absolute path"),
        ({"volumes": []}, r"\$\.mounts\[0\]\.volumes: an ebs entry needs at least one volume"),
        ({"volumes": [{"volume_id": "vol-1"}]}, r"\$\.mounts\[0\]\.volumes\[0\]\.device_name: required"),
        ({"kind": "raid", "raid_level": 5}, r"\$\.mounts\[0\]\.raid_level: must be one of 0, 1"),
        ({"kind": "raid", "raid_level": 0}, r"\$\.mounts\[0\]\.volumes: a RAID array needs at least two"),
        ({"options": "a, b"}, r"\$\.mounts\[0\]: source and options must not contain spaces"),
    ],
)
def test_bad_entries_are_errors_naming_their_json_path(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_mounts([ebs_only()[0] | change])


def test_entries_without_type_or_options_get_their_kinds_defaults() -> None:
    (mount,) = parse_mounts([{"mount_dir": "/efs", "kind": "efs", "source": "fs-1.efs:/", "extra": 1}])
    assert (mount.fstype, mount.roles, mount.name) == ("nfs4", ("head", "compute", "login"), "efs")
    assert mount.options.startswith("nfsvers=4.1,")
