"""Storage setup on real block devices: loop devices stand in for EBS volumes.

The same ``StorageSetup`` and ``LocalHost`` the head node runs, with fstab and the staging
directory in a temp dir: real ``blkid -p``, ``mkfs.ext4``, ``mount``, ``cp -a``. Needs root and
loop devices (CI runs as root in a VM); elsewhere the tests skip and say why.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pcluster_pulumi.node.storage_setup import LocalHost, Paths, StorageSetup, Timing

pytestmark = pytest.mark.integration


def _mount_points_under(root: Path) -> list[str]:
    points = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4]
        if point.startswith(f"{root}/"):
            points.append(point)
    return sorted(points, key=len, reverse=True)


@pytest.fixture
def loop_device(tmp_path: Path) -> Iterator[Callable[[], str]]:
    """loop_device() → a fresh 64 MiB block device (detached, with any mounts, at teardown)."""
    if os.geteuid() != 0:
        pytest.skip("needs root to attach loop devices")
    for tool in ("losetup", "blkid", "mkfs.ext4", "mount", "umount", "sfdisk"):
        if shutil.which(tool) is None:
            raise RuntimeError(f"{tool} is not installed: run .ci/install-node-deps.sh")
    attached: list[str] = []

    def make() -> str:
        image = tmp_path / f"volume{len(attached)}.img"
        with open(image, "wb") as handle:
            handle.truncate(64 * 1024 * 1024)
        done = subprocess.run(["losetup", "--find", "--show", str(image)], capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot attach a loop device here: {done.stderr.strip()}")
        attached.append(done.stdout.strip())
        return attached[-1]

    yield make
    for point in _mount_points_under(tmp_path):
        subprocess.run(["umount", point], check=False)
    for device in attached:
        subprocess.run(["losetup", "--detach", device], check=False)


def setup(tmp_path: Path) -> tuple[StorageSetup, list[str]]:
    lines: list[str] = []
    paths = Paths(
        fstab=str(tmp_path / "fstab"),
        staging=str(tmp_path / "staging"),
        by_id=str(tmp_path / "by-id"),
        nvme_class=str(tmp_path / "nvme"),
    )
    return StorageSetup(
        LocalHost(log=lines.append), paths, Timing(volume_timeout=5, poll_interval=0.5)
    ), lines


def ebs_entry(mount_dir: Path, device: str, **extra: Any) -> dict[str, Any]:
    # The volume id matches no NVMe device here, so the device name is what finds it.
    return {
        "roles": ["head"],
        "name": mount_dir.name,
        "mount_dir": str(mount_dir),
        "kind": "ebs",
        "fstype": "ext4",
        "source": device,
        "options": "_netdev",
        "volumes": [{"volume_id": "vol-0000000000000test", "device_name": device}],
        **extra,
    }


def blkid(device: str, key: str) -> str:
    return subprocess.run(
        ["blkid", "-p", "-o", "value", "-s", key, device], capture_output=True, text=True, check=True
    ).stdout.strip()


def mounted_source(point: Path) -> str | None:
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = line.split()
        if fields[4] == str(point):
            return fields[fields.index("-") + 2]
    return None


def test_a_blank_volume_is_formatted_filled_with_the_local_content_and_mounted(
    tmp_path: Path, loop_device: Callable[[], str]
) -> None:
    device = loop_device()
    home = tmp_path / "home"
    (home / "alice").mkdir(parents=True)
    (home / "alice" / "notes.txt").write_text("keep me")
    os.chown(home / "alice", 1234, 1234)
    os.chmod(home / "alice", 0o700)
    os.chmod(home, 0o751)
    storage, log = setup(tmp_path)

    storage.run([ebs_entry(home, device, preserve_local=True)], "head")

    uuid = blkid(device, "UUID")
    assert blkid(device, "TYPE") == "ext4" and uuid
    assert mounted_source(home) == device
    assert (home / "alice" / "notes.txt").read_text() == "keep me"
    stat = (home / "alice").stat()
    assert (stat.st_uid, stat.st_mode & 0o777) == (1234, 0o700)
    assert home.stat().st_mode & 0o777 == 0o751
    assert (tmp_path / "fstab").read_text() == f"UUID={uuid} {home} ext4 _netdev 0 2\n"
    assert mounted_source(tmp_path / "staging" / "home") is None, "the staging mount is gone"
    assert any("is blank; formatting it ext4" in line for line in log)


def test_a_volume_that_holds_data_is_mounted_as_it_is_and_running_again_changes_nothing(
    tmp_path: Path, loop_device: Callable[[], str]
) -> None:
    device = loop_device()
    subprocess.run(["mkfs.ext4", "-q", "-L", "userdata", device], check=True)
    uuid = blkid(device, "UUID")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    subprocess.run(["mount", device, str(scratch)], check=True)
    (scratch / "results.csv").write_text("1,2,3\n")
    subprocess.run(["umount", str(scratch)], check=True)
    (scratch / "local-only").write_text("hidden once mounted")
    storage, log = setup(tmp_path)
    entry = ebs_entry(scratch, device, preserve_local=True)

    storage.run([entry], "head")
    storage.run([entry], "head")

    assert blkid(device, "UUID") == uuid, "never reformatted"
    assert mounted_source(scratch) == device
    assert sorted(p.name for p in scratch.iterdir()) == ["lost+found", "results.csv"]
    assert (tmp_path / "fstab").read_text() == f"UUID={uuid} {scratch} ext4 _netdev 0 2\n"
    assert sum("already has a file system; not formatting" in line for line in log) == 1
    assert any("the file system already holds data; the local content is not copied" in line for line in log)
    assert any(line.endswith(": already mounted") for line in log)


def test_a_device_with_a_partition_table_is_left_alone(
    tmp_path: Path, loop_device: Callable[[], str]
) -> None:
    device = loop_device()
    subprocess.run(["sfdisk", "--quiet", device], input="label: gpt\n", text=True, check=True)
    storage, _ = setup(tmp_path)
    with pytest.raises(Exception, match="holds a gpt partition table but no mountable file system"):
        storage.run([ebs_entry(tmp_path / "data", device)], "head")
    assert blkid(device, "TYPE") == ""
