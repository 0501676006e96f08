"""Instance-store disks at ``LocalStorage.EphemeralVolume.MountDir``, as ParallelCluster does.

ParallelCluster's ``setup-ephemeral-drives.sh`` finds the instance's NVMe instance-store disks,
stripes them into one RAID 0 array when there are several, formats it ext4 and mounts it at the
mount dir (``/scratch`` by default), world-writable with the sticky bit like ``/tmp``. Instances
without instance store get nothing. The disks are the instance's own and are wiped by a stop and
start, so the mount is not put in fstab (a missing disk must not stop a boot); a unit runs this
step at every boot instead, and an ext4 file system that survived a reboot is mounted as it is.
"""

from __future__ import annotations

import os

from pcluster_pulumi.node.host import Host, StorageError
from pcluster_pulumi.node.storage_plan import mkfs_command
from pcluster_pulumi.node.storage_setup import StorageSetup

__all__ = ["ARRAY", "INSTANCE_STORE_MODEL", "instance_store_disks", "setup_ephemeral"]

#: The model string EC2 gives instance-store NVMe controllers (EBS ones say Elastic Block Store).
INSTANCE_STORE_MODEL = "Amazon EC2 NVMe Instance Storage"
#: The RAID 0 array over several disks (a name of its own: shared RAID arrays use /dev/mdN).
ARRAY = "/dev/md/pcluster-ephemeral"
NVME_CLASS = "/sys/class/nvme"
MOUNT_OPTIONS = "defaults,noatime,nodiratime"


def instance_store_disks(host: Host, nvme_class: str = NVME_CLASS) -> list[str]:
    """The block devices of the instance-store NVMe controllers, in controller order."""
    disks = []
    for controller in host.listdir(nvme_class):
        model = host.read_text(f"{nvme_class}/{controller}/model")
        if model is None or model.strip() != INSTANCE_STORE_MODEL:
            continue
        names = host.listdir(f"{nvme_class}/{controller}")
        disks += [
            f"/dev/{n}"
            for n in names
            if n.startswith(controller + "n") and n[len(controller) + 1 :].isdigit()
        ]
    return disks


def setup_ephemeral(host: Host, mount_dir: str, nvme_class: str = NVME_CLASS) -> str | None:
    """Mount the instance store at mount_dir; the device mounted, or None when there is none."""
    check_mount_dir(mount_dir)
    disks = instance_store_disks(host, nvme_class)
    if not disks:
        host.log(f"no instance-store disks: nothing mounted at {mount_dir}")
        return None
    if host.is_mounted(mount_dir):
        host.log(f"{mount_dir}: instance store already mounted")
        return None
    device = disks[0] if len(disks) == 1 else _array(host, disks)
    result = host.probe(["blkid", "-p", "-o", "export", device])
    if result.returncode == 0 and "TYPE=ext4" in result.stdout.splitlines():
        host.log(f"{mount_dir}: {device} keeps its ext4 file system (the instance rebooted)")
    else:
        # The disks belong to this instance alone and come back blank after a stop: always ours to format.
        host.run([*mkfs_command(device, "ephemeral")[:-1], "-E", "nodiscard", device])
    host.makedirs(mount_dir)
    host.run(["mount", "-t", "ext4", "-o", MOUNT_OPTIONS, device, mount_dir])
    host.run(["chmod", "1777", mount_dir])
    host.log(f"{mount_dir}: {len(disks)} instance-store disk(s) mounted from {device}")
    return device


def _array(host: Host, disks: list[str]) -> str:
    """A RAID 0 over every disk: the running one after a reboot, else a new one."""
    StorageSetup(host).ensure_program("mdadm", "mdadm", f"{len(disks)} instance-store disks are striped")
    if host.probe(["mdadm", "--detail", ARRAY]).returncode == 0:
        return ARRAY
    if all(host.probe(["mdadm", "--examine", d]).returncode == 0 for d in disks):
        host.run(["mdadm", "--assemble", ARRAY, *disks])
        return ARRAY
    name = os.path.basename(ARRAY)
    host.run(
        [
            "mdadm",
            "--create",
            ARRAY,
            "--run",
            "--level=0",
            f"--name={name}",
            f"--raid-devices={len(disks)}",
            *disks,
        ],
        answers="y\n" * 5,
    )
    return ARRAY


def check_mount_dir(mount_dir: str) -> None:
    """An absolute path; the spec checks it too, but a node must never mount over ``/``."""
    if not mount_dir.startswith("/") or os.path.normpath(mount_dir) == "/":
        raise StorageError(f"ephemeral mount dir {mount_dir!r} must be an absolute path other than /")
