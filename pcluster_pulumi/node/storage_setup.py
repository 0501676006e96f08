"""Storage at boot: find EBS volumes, assemble RAID, format blank devices, mount, fstab, NFS exports.

``python3 -m pcluster_pulumi.node.boot_steps storage ROLE`` runs ``StorageSetup.run`` over the mount
table entries of the node's role, in table order (parents before children):

- ``local`` (head): the directory is kept on the root volume and exported.
- ``ebs`` / ``raid`` (head): wait for the attached volumes (NVMe serial, else device name),
  assemble the array (create it only over blank members, else ``mdadm --assemble``), format
  ext4 only when ``blkid -p`` finds no signature at all, mount, fstab line by ``UUID=``.
- network file systems: create the directory (and, below a parent mounted here such as the
  internal EFS root, the sub-directory the source names), fstab line, mount (retried).
- ``preserve_local``: before the new file system hides the directory, what the directory holds
  is copied into it — only when the file system is still empty, so data is never overwritten.
- head: every entry with ``export_options`` goes to ``/etc/exports.d`` for the VPC's networks,
  then ``nfs-server`` is enabled and ``exportfs -ra`` applies it.

Every effect goes through ``Host``, so the unit tests replay whole boots against a scripted
host (``tests/node/fake_host.py``) and the integration test runs the same code on loop devices.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pcluster_pulumi.node.host import CommandResult, Host, LocalHost, StorageError
from pcluster_pulumi.node.storage_plan import (
    NEW_FILESYSTEM,
    Mount,
    Volume,
    exports_text,
    for_role,
    fstab_line,
    has_content,
    holding_location,
    mdadm_assemble,
    mdadm_create,
    mkfs_command,
    mount_command,
    needs_efs_utils,
    nfsd_conf_text,
    parse_blkid,
    parse_mounts,
    staging_dir,
    updated_fstab,
    volume_candidates,
)

__all__ = ["CommandResult", "Host", "LocalHost", "Paths", "StorageError", "StorageSetup", "Timing"]

EFS_UTILS = "amazon-efs-utils"


@dataclass(frozen=True)
class Paths:
    """Files and directories storage setup reads or writes (tests point them into a temp dir)."""

    fstab: str = "/etc/fstab"
    exports: str = "/etc/exports.d/pcluster-pulumi.exports"
    nfs_conf: str = "/etc/nfs.conf.d/pcluster-pulumi.conf"
    #: Debian's mdadm.conf when its directory exists, else the Red Hat family's.
    mdadm_conf: tuple[str, str] = ("/etc/mdadm/mdadm.conf", "/etc/mdadm.conf")
    staging: str = "/run/pcluster-pulumi/staging"
    by_id: str = "/dev/disk/by-id"
    nvme_class: str = "/sys/class/nvme"
    sys_block: str = "/sys/class/block"
    #: Exists when systemd is the init system (sd_booted's test).
    systemd_running: str = "/run/systemd/system"


@dataclass(frozen=True)
class Timing:
    """How long to wait for attachments, and how often to retry network mounts."""

    #: EBS attachments are made by Pulumi once the instance runs: minutes at worst.
    volume_timeout: float = 900.0
    poll_interval: float = 3.0
    progress_interval: float = 60.0
    mount_attempts: int = 6
    mount_retry_delay: float = 10.0


class StorageSetup:
    """Sets up the mount table entries of one node; safe to run again (it converges)."""

    def __init__(self, host: Host, paths: Paths | None = None, timing: Timing | None = None) -> None:
        self.host = host
        self.paths = paths or Paths()
        self.timing = timing or Timing()

    def run(
        self,
        raw_mounts: Iterable[dict[str, Any]],
        role: str,
        *,
        client_networks: Callable[[], Sequence[str]] | None = None,
        cpus: int = 1,
    ) -> list[Mount]:
        """Mount (and on the head node export) every entry of role; returns the entries handled.

        ``client_networks`` gives the networks exports are open to (the VPC's CIDR blocks); it
        is called only when an entry has ``export_options``.
        """
        entries = for_role(parse_mounts(raw_mounts), role)
        efs_dirs = needs_efs_utils(entries)
        if efs_dirs:
            self._ensure_efs_utils(efs_dirs)
        done: list[Mount] = []
        fstab_changed = False
        for entry in entries:
            if entry.kind == "local":
                self.host.makedirs(entry.mount_dir)
                self.host.log(f"{entry.mount_dir}: kept on this node's root volume")
            elif entry.is_block:
                fstab_changed |= self._block(entry)
            else:
                fstab_changed |= self._network(entry, done)
            done.append(entry)
        if fstab_changed and self.host.exists(self.paths.systemd_running):
            # systemd turns fstab into mount units; without a reload it keeps the old ones.
            reload = self.host.probe(["systemctl", "daemon-reload"])
            if reload.returncode != 0:
                self.host.log(f"systemctl daemon-reload failed: {reload.stderr.strip()}")
        exported = [entry for entry in entries if entry.export_options]
        if exported:
            if client_networks is None:
                raise StorageError("entries have export_options but no client networks were given")
            self._export(exported, list(client_networks()), cpus)
        return entries

    # -- block devices ------------------------------------------------------------------

    def _block(self, entry: Mount) -> bool:
        if self.host.is_mounted(entry.mount_dir):
            self.host.log(f"{entry.mount_dir}: already mounted")
            filesystem = self._probe(self._block_device(entry))
            if not filesystem.get("UUID") or not filesystem.get("TYPE"):
                raise StorageError(f"{entry.mount_dir}: mounted, but its volume shows no file system")
            return self._fstab(entry, source=f"UUID={filesystem['UUID']}", fstype=filesystem["TYPE"])
        device = self._block_device(entry)
        filesystem = self._filesystem(entry, device)
        source, fstype = f"UUID={filesystem['UUID']}", filesystem["TYPE"]
        self.host.makedirs(entry.mount_dir)
        if entry.preserve_local:
            self._preserve_via_staging(entry, source, fstype)
        changed = self._fstab(entry, source=source, fstype=fstype)
        self._mount(entry, source=source, fstype=fstype)
        return changed

    def _block_device(self, entry: Mount) -> str:
        members = self._wait_for_volumes(entry)
        if entry.kind == "ebs":
            return members[0]
        return self._array(entry, members)

    def _wait_for_volumes(self, entry: Mount) -> list[str]:
        start = self.host.monotonic()
        reported: float | None = None
        while True:
            found = {volume: self._find_volume(volume) for volume in entry.volumes}
            missing = [volume for volume, device in found.items() if device is None]
            if not missing:
                devices = [device for device in found.values() if device is not None]
                for volume, device in found.items():
                    self.host.log(f"{entry.mount_dir}: volume {volume.volume_id} is {device}")
                return devices
            now = self.host.monotonic()
            names = ", ".join(f"{v.volume_id} ({v.device_name})" for v in missing)
            if now - start >= self.timing.volume_timeout:
                raise StorageError(
                    f"{entry.mount_dir}: volume(s) {names} not attached after "
                    f"{self.timing.volume_timeout:.0f}s; check the volume attachments of the head node"
                )
            if reported is None or now - reported >= self.timing.progress_interval:
                self.host.log(f"{entry.mount_dir}: waiting for volume(s) {names} to be attached")
                reported = now
            self.host.sleep(self.timing.poll_interval)

    def _find_volume(self, volume: Volume) -> str | None:
        """The device of a volume: NVMe by-id link, NVMe controller serial in sysfs, device names."""
        by_id, *names = volume_candidates(volume, self.paths.by_id)
        if self.host.exists(by_id):
            return self.host.resolve(by_id)
        for controller in self.host.listdir(self.paths.nvme_class):
            serial = self.host.read_text(f"{self.paths.nvme_class}/{controller}/serial")
            if serial is not None and serial.strip() == volume.nvme_serial:
                spaces = self.host.listdir(f"{self.paths.nvme_class}/{controller}")
                namespaces = [
                    n for n in spaces if n.startswith(controller + "n") and n[len(controller) + 1 :]
                ]
                if namespaces:
                    return f"/dev/{namespaces[0]}"
        for name in names:
            if self.host.exists(name):
                return self.host.resolve(name)
        return None

    def _array(self, entry: Mount, members: list[str]) -> str:
        device = entry.source
        self.ensure_program("mdadm", "mdadm", f"{entry.mount_dir} is a RAID array")
        if self.host.probe(["mdadm", "--detail", device]).returncode == 0:
            self.host.log(f"{entry.mount_dir}: array {device} is already running")
            return device
        running = self._running_array(members)
        if running is not None:
            # udev assembled it on its own (under another name, typically /dev/md127).
            self.host.log(f"{entry.mount_dir}: the array is already running as {running}")
            return running
        carrying = [m for m in members if self.host.probe(["mdadm", "--examine", m]).returncode == 0]
        if carrying and len(carrying) != len(members):
            raise StorageError(
                f"{entry.mount_dir}: {', '.join(carrying)} belong to an md array but "
                f"{', '.join(m for m in members if m not in carrying)} do not; not touching them"
            )
        if carrying:
            self.host.log(
                f"{entry.mount_dir}: assembling the existing array {device} from {', '.join(members)}"
            )
            self.host.run(mdadm_assemble(device, members))
            return device
        for member in members:
            signature = self._probe(member)
            if signature:
                what = signature.get("TYPE") or signature.get("PTTYPE") or "data"
                raise StorageError(
                    f"{entry.mount_dir}: RAID member {member} already holds {what}; "
                    "not creating an array over it"
                )
        self.host.log(
            f"{entry.mount_dir}: creating RAID {entry.raid_level} array {device} from {', '.join(members)}"
        )
        # Some mdadm versions still ask (boot-device note, write-intent bitmap): answer yes.
        self.host.run(mdadm_create(entry, device, members), answers="y\n" * 5)
        self._record_array(device)
        return device

    def _running_array(self, members: list[str]) -> str | None:
        """The md device every member already belongs to, from sysfs ``holders``."""
        holders = set()
        for member in members:
            listed = self.host.listdir(f"{self.paths.sys_block}/{os.path.basename(member)}/holders")
            holders.add(tuple(n for n in listed if n.startswith("md")))
        if len(holders) == 1:
            (arrays,) = holders
            if len(arrays) == 1:
                return f"/dev/{arrays[0]}"
        return None

    def _record_array(self, device: str) -> None:
        """mdadm.conf keeps the array's name across reboots (fstab finds the file system by UUID)."""
        debian, redhat = self.paths.mdadm_conf
        conf = debian if self.host.exists(os.path.dirname(debian)) else redhat
        line = self.host.run(["mdadm", "--detail", "--brief", device]).strip()
        text = self.host.read_text(conf) or ""
        if line and line not in text.splitlines():
            self.host.write_text(conf, text + ("" if not text or text.endswith("\n") else "\n") + line + "\n")

    def _probe(self, device: str) -> dict[str, str]:
        """Signatures on a device (``blkid -p``: no cache); empty when it is blank."""
        result = self.host.probe(["blkid", "-p", "-o", "export", device])
        if result.returncode == 2:
            return {}
        if result.returncode != 0:
            raise StorageError(f"blkid -p {device} failed: {result.stderr.strip() or result.returncode}")
        return parse_blkid(result.stdout)

    def _filesystem(self, entry: Mount, device: str) -> dict[str, str]:
        """The device's file system, creating one only when the device is blank."""
        signature = self._probe(device)
        usage = signature.get("USAGE", "filesystem")
        if signature.get("TYPE") and usage == "filesystem" and signature.get("UUID"):
            if signature["TYPE"] != entry.fstype:
                self.host.log(f"{entry.mount_dir}: {device} keeps its {signature['TYPE']} file system")
            else:
                self.host.log(f"{entry.mount_dir}: {device} already has a file system; not formatting")
            return signature
        if signature:
            what = signature.get("TYPE") or (
                f"a {signature['PTTYPE']} partition table" if "PTTYPE" in signature else "data"
            )
            raise StorageError(
                f"{entry.mount_dir}: {device} holds {what} but no mountable file system; "
                "not formatting it (that would destroy its data)"
            )
        self.host.log(f"{entry.mount_dir}: {device} is blank; formatting it {NEW_FILESYSTEM}")
        self.host.run(mkfs_command(device, entry.name))
        signature = self._probe(device)
        if not signature.get("UUID") or not signature.get("TYPE"):
            raise StorageError(f"{entry.mount_dir}: {device} shows no file system after mkfs")
        return signature

    # -- network file systems -----------------------------------------------------------

    def _network(self, entry: Mount, done: Sequence[Mount]) -> bool:
        changed = self._fstab(entry)
        if self.host.is_mounted(entry.mount_dir):
            self.host.log(f"{entry.mount_dir}: already mounted")
            return changed
        self.host.makedirs(entry.mount_dir)
        location = holding_location(entry, done)
        if location is not None:
            # The source is a sub-directory of a file system mounted here: it must exist first.
            self.host.makedirs(location)
        if entry.preserve_local:
            if location is not None:
                self._copy_if_empty(entry, location)
            else:
                self._preserve_via_staging(entry, entry.source, entry.fstype)
        self._mount(entry)
        return changed

    # -- shared steps -------------------------------------------------------------------

    def _preserve_via_staging(self, entry: Mount, source: str, fstype: str) -> None:
        """Mount the new file system aside, copy the directory's content in, unmount."""
        if not has_content(self.host.listdir(entry.mount_dir)):
            return
        stage = staging_dir(self.paths.staging, entry)
        self.host.makedirs(stage)
        self._mount(entry, source=source, fstype=fstype, where=stage)
        try:
            self._copy_if_empty(entry, stage)
        finally:
            self.host.run(["umount", stage])

    def _copy_if_empty(self, entry: Mount, target: str) -> None:
        local = entry.mount_dir
        if not has_content(self.host.listdir(local)):
            return
        if has_content(self.host.listdir(target)):
            self.host.log(f"{local}: the file system already holds data; the local content is not copied")
            return
        self.host.log(f"{local}: copying the local content into the new file system")
        self.host.run(["cp", "-a", f"{local}/.", f"{target}/"])
        self.host.run(["chown", f"--reference={local}", target])
        self.host.run(["chmod", f"--reference={local}", target])

    def _fstab(self, entry: Mount, *, source: str | None = None, fstype: str | None = None) -> bool:
        line = fstab_line(entry, source=source, fstype=fstype)
        text = self.host.read_text(self.paths.fstab) or ""
        updated = updated_fstab(text, line)
        if updated is None:
            return False
        self.host.write_text(self.paths.fstab, updated, 0o644)
        self.host.log(f"{entry.mount_dir}: fstab: {line}")
        return True

    def _mount(
        self, entry: Mount, *, source: str | None = None, fstype: str | None = None, where: str | None = None
    ) -> None:
        target = where or entry.mount_dir
        if where is None and self.host.is_mounted(target):
            return
        attempts = self.timing.mount_attempts if entry.is_network else 1
        for attempt in range(1, attempts + 1):
            try:
                self.host.run(mount_command(entry, target, source=source, fstype=fstype))
            except StorageError as error:
                if attempt == attempts:
                    raise StorageError(
                        f"{entry.mount_dir}: cannot mount {source or entry.source}: {error}"
                    ) from None
                self.host.log(
                    f"{entry.mount_dir}: mount failed (attempt {attempt}/{attempts}): {error}; "
                    f"retrying in {self.timing.mount_retry_delay:.0f}s"
                )
                self.host.sleep(self.timing.mount_retry_delay)
            else:
                self.host.log(f"{target}: mounted {source or entry.source} ({fstype or entry.fstype})")
                return

    def _export(self, entries: list[Mount], networks: list[str], cpus: int) -> None:
        self.host.write_text(self.paths.exports, exports_text(entries, networks))
        self.host.write_text(self.paths.nfs_conf, nfsd_conf_text(cpus))
        self.host.run(["systemctl", "enable", "--now", "nfs-server"])
        self.host.run(["exportfs", "-ra"])
        dirs = ", ".join(entry.mount_dir for entry in entries)
        self.host.log(f"exported over NFS to {', '.join(networks)}: {dirs}")

    def _ensure_efs_utils(self, dirs: list[str]) -> None:
        why = (
            f"mounts of type efs ({', '.join(dirs)}) need the EFS mount helper; "
            f"use an AMI with {EFS_UTILS} (ParallelCluster's have it)"
        )
        if not self.ensure_program("mount.efs", EFS_UTILS, why, required=False):
            self.host.log(f"WARNING: {EFS_UTILS} is not installed and could not be installed: {why}")

    def ensure_program(self, program: str, package: str, why: str, *, required: bool = True) -> bool:
        """Install package when program is missing; False (or StorageError when required) if that fails."""
        if self.host.which(program):
            return True
        tool = next((t for t in ("dnf", "yum") if self.host.which(t)), None)
        if tool is not None:
            result = self.host.probe([tool, "install", "-y", "-q", package])
        elif self.host.which("apt-get"):
            self.host.probe(["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "update", "-qq"])
            result = self.host.probe(
                ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-qq", package]
            )
        else:
            result = CommandResult(127, "", "no dnf, yum or apt-get on this node")
        if self.host.which(program):
            self.host.log(f"installed {package}")
            return True
        detail = (result.stderr.strip() or result.stdout.strip() or f"exit {result.returncode}").splitlines()
        message = f"cannot install {package} ({detail[-1] if detail else 'no output'}): {why}"
        if required:
            raise StorageError(message)
        self.host.log(message)
        return False
