"""Pure facts about the mount table on a node: entries, fstab and exports lines, commands.

The runtime configuration's ``mounts`` (rendered by ``pcluster_pulumi/mount_table.py``, see
docs/storage.md "The mount table") says what each node type mounts. Everything here is a
function of those entries and of what the executor (``storage_setup.py``) observed, so the
decisions that matter — which device is which volume, what is exported to whom, which
fstab line a volume gets, which directory the head node shares with compute or login nodes —
are unit-tested without a block device. No path of the cluster's layout is written here:
they all come from the entries.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pcluster_pulumi.contract.config_reader import ConfigError, Reader

ROLES = ("head", "compute", "login")
KINDS = ("local", "nfs", "ebs", "raid", "efs", "lustre", "ontap", "openzfs", "filecache")
BLOCK_KINDS = ("ebs", "raid")
RAID_LEVELS = (0, 1)
#: Kinds of network file systems whose ``source`` reads ``server:/path``.
NETWORK_KINDS = ("nfs", "efs", "lustre", "ontap", "openzfs", "filecache")

#: fstab type and options of a kind when an entry names none (older configurations).
FSTAB_TYPES = {
    "nfs": "nfs",
    "efs": "nfs4",
    "lustre": "lustre",
    "ontap": "nfs",
    "openzfs": "nfs",
    "filecache": "lustre",
    "ebs": "ext4",
    "raid": "ext4",
}
DEFAULT_OPTIONS = {
    "nfs": "hard,_netdev,noatime",
    "efs": "nfsvers=4.1,rsize=1048576,wsize=1048576,hard,timeo=600,retrans=2,noresvport,_netdev",
    "lustre": "defaults,_netdev,flock,user_xattr,noatime,noauto,x-systemd.automount",
    "ontap": "nfsvers=4,_netdev",
    "openzfs": "nfsvers=4.1,_netdev",
    "filecache": "defaults,_netdev,flock,user_xattr,noatime",
}
#: The file system a blank EBS volume or RAID array gets (as ParallelCluster).
NEW_FILESYSTEM = "ext4"
#: udev names an EBS NVMe device after its model and serial (the volume id without its dash).
EBS_NVME_PREFIX = "nvme-Amazon_Elastic_Block_Store_"
#: Entries of a new file system that do not count as content (mkfs.ext4 creates it).
IGNORED_WHEN_EMPTY = frozenset({"lost+found"})


@dataclass(frozen=True)
class Volume:
    """An EBS volume attached to the head node: found by NVMe serial, else by device name."""

    volume_id: str
    device_name: str

    @property
    def nvme_serial(self) -> str:
        """What a Nitro instance reports as the NVMe serial: ``vol-0ab…`` → ``vol0ab…``."""
        return self.volume_id.replace("-", "", 1)


@dataclass(frozen=True)
class Mount:
    """One entry of the mount table, checked (``parse_mounts``)."""

    roles: tuple[str, ...]
    name: str
    mount_dir: str
    kind: str
    fstype: str
    source: str
    options: str
    export_options: str | None = None
    preserve_local: bool = False
    volumes: tuple[Volume, ...] = ()
    raid_level: int | None = None

    @property
    def is_block(self) -> bool:
        """An EBS volume or RAID array the head node formats and mounts itself."""
        return self.kind in BLOCK_KINDS

    @property
    def is_network(self) -> bool:
        return self.kind in NETWORK_KINDS

    def remote(self) -> tuple[str, str] | None:
        """(server, path) of a network source (``10.0.0.5:/home``, ``dns@tcp:/mnt``), else None."""
        if not self.is_network or ":" not in self.source:
            return None
        server, _, path = self.source.partition(":")
        return (server, path) if path.startswith("/") else None


def parse_mounts(raw: Iterable[dict[str, Any]]) -> list[Mount]:
    """Check the runtime configuration's ``mounts``; ConfigError names ``$.mounts[i].key``."""
    mounts = []
    for index, item in enumerate(raw):
        r = Reader(item, f"$.mounts[{index}]")
        mounts.append(_read_mount(r))
    return mounts


def _read_mount(r: Reader) -> Mount:
    kind = r.choice("kind", KINDS)
    roles = tuple(r.str_list("roles")) or ROLES
    for role in roles:
        if role not in ROLES:
            raise ConfigError(f"{r.path}.roles: unknown role {role!r}; expected {', '.join(ROLES)}")
    mount_dir = r.string("mount_dir")
    if not mount_dir.startswith("/") or any(c.isspace() for c in mount_dir):
        raise ConfigError(f"{r.path}.mount_dir: must be an absolute path without spaces, got {mount_dir!r}")
    volumes = tuple(
        Volume(volume_id=v.string("volume_id"), device_name=v.string("device_name"))
        for v in r.list_of("volumes", minimum=0)
    )
    mount = Mount(
        roles=roles,
        name=r.opt_str("name") or posixpath.basename(mount_dir) or "root",
        mount_dir=mount_dir,
        kind=kind,
        fstype=r.opt_str("fstype") or FSTAB_TYPES.get(kind, "none"),
        source=r.opt_str("source") or mount_dir,
        options=r.opt_str("options") or DEFAULT_OPTIONS.get(kind, "defaults"),
        export_options=r.opt_str("export_options"),
        preserve_local=r.boolean("preserve_local", False),
        volumes=volumes,
        raid_level=r.opt_int("raid_level"),
    )
    if mount.is_block and not volumes:
        raise ConfigError(f"{r.path}.volumes: an {kind} entry needs at least one volume")
    if kind == "raid":
        if mount.raid_level not in RAID_LEVELS:
            raise ConfigError(f"{r.path}.raid_level: must be one of 0, 1, got {mount.raid_level!r}")
        if len(volumes) < 2:
            raise ConfigError(f"{r.path}.volumes: a RAID array needs at least two volumes")
    if any(c.isspace() for c in mount.source + mount.options + (mount.export_options or "")):
        raise ConfigError(f"{r.path}: source and options must not contain spaces")
    return mount


def for_role(mounts: Iterable[Mount], role: str) -> list[Mount]:
    """The entries a node of role mounts (or, on the head node, keeps and exports), in order."""
    return [m for m in mounts if role in m.roles]


def shared_dir(mounts: Sequence[Mount], role: str) -> str:
    """The directory the head node shares with nodes of role (``compute`` or ``login``) only.

    ParallelCluster keeps one such directory per node type (``/opt/parallelcluster/shared``,
    ``…/shared_login_nodes``): the head node has it (exported, or on the internal EFS), nodes of
    that type mount it and the other type does not. The head node leaves the munge key there,
    and the Slurm files login nodes read.
    """
    others = {"compute": "login", "login": "compute"}
    if role not in others:
        raise ValueError(f"role must be compute or login, got {role!r}")
    head = {m.mount_dir for m in for_role(mounts, "head")}
    theirs = {m.mount_dir for m in for_role(mounts, others[role])}
    found = [m.mount_dir for m in for_role(mounts, role) if m.mount_dir in head and m.mount_dir not in theirs]
    if len(found) != 1:
        what = "none" if not found else ", ".join(found)
        raise ConfigError(
            f"$.mounts: expected exactly one directory the head node shares with {role} nodes only "
            f"(ParallelCluster's shared directory), found {what}"
        )
    return found[0]


def needs_efs_utils(mounts: Iterable[Mount]) -> list[str]:
    """Mount dirs of the entries that need the EFS mount helper (``fstype: efs``)."""
    return [m.mount_dir for m in mounts if m.fstype == "efs"]


def fstab_line(mount: Mount, *, source: str | None = None, fstype: str | None = None) -> str:
    """The fstab line of an entry; block devices pass ``UUID=…`` and the type they hold."""
    if mount.is_block:
        return f"{source or mount.source} {mount.mount_dir} {fstype or mount.fstype} {mount.options} 0 2"
    return f"{source or mount.source} {mount.mount_dir} {fstype or mount.fstype} {mount.options} 0 0"


def updated_fstab(text: str, line: str) -> str | None:
    """fstab text with line in it, replacing other lines for the same mount point; None if unchanged."""
    mount_dir = line.split()[1]
    lines = text.splitlines()
    same = [existing.strip() for existing in lines if _mount_point(existing) == mount_dir]
    if same == [line]:
        return None
    kept = [existing for existing in lines if _mount_point(existing) != mount_dir]
    return "\n".join([*kept, line]) + "\n"


def _mount_point(line: str) -> str | None:
    fields = line.split()
    if len(fields) < 2 or fields[0].startswith("#"):
        return None
    return fields[1]


def exports_text(mounts: Iterable[Mount], clients: Sequence[str]) -> str:
    """``/etc/exports.d`` file: every head entry with ``export_options``, to each client network."""
    if not clients:
        raise ValueError("no client networks to export to")
    lines = ["# NFS exports of the cluster's head node, rendered by pcluster-pulumi from the mount table."]
    for mount in mounts:
        if mount.export_options:
            targets = " ".join(f"{network}({mount.export_options})" for network in clients)
            lines.append(f"{mount.mount_dir} {targets}")
    return "\n".join(lines) + "\n"


def nfsd_conf_text(cpus: int) -> str:
    """nfs.conf drop-in: ParallelCluster's thread count, max(8, 4 * cores)."""
    return f"# rendered by pcluster-pulumi\n[nfsd]\nthreads={max(8, 4 * cpus)}\n"


def volume_candidates(volume: Volume, by_id_dir: str) -> list[str]:
    """Paths that may name the volume, best first: its NVMe serial link, the device name, Xen's xvd name."""
    candidates = [posixpath.join(by_id_dir, EBS_NVME_PREFIX + volume.nvme_serial), volume.device_name]
    if volume.device_name.startswith("/dev/sd"):
        candidates.append("/dev/xvd" + volume.device_name[len("/dev/sd") :])
    return candidates


def parse_blkid(output: str) -> dict[str, str]:
    """``blkid -p -o export`` output → its KEY=value pairs."""
    values = {}
    for line in output.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip()] = value.strip()
    return values


def mdadm_create(mount: Mount, device: str, members: Sequence[str]) -> list[str]:
    """The command that builds a new array (``--run``: no question on a terminal nobody reads)."""
    return [
        "mdadm",
        "--create",
        device,
        "--run",
        f"--level={mount.raid_level}",
        f"--name={mount.name}",
        f"--raid-devices={len(members)}",
        *members,
    ]


def mdadm_assemble(device: str, members: Sequence[str]) -> list[str]:
    """The command that starts an array whose members already carry its superblocks."""
    return ["mdadm", "--assemble", device, *members]


def mkfs_command(device: str, label: str | None = None) -> list[str]:
    """Format a blank device with the cluster's file system (a label helps humans only)."""
    command = [f"mkfs.{NEW_FILESYSTEM}", "-q"]
    if label:
        command += ["-L", label[:16]]
    return [*command, device]


def mount_command(
    mount: Mount, where: str, *, source: str | None = None, fstype: str | None = None
) -> list[str]:
    """mount(8) with exactly what the fstab line says, so a reboot mounts the same thing."""
    return ["mount", "-t", fstype or mount.fstype, "-o", mount.options, source or mount.source, where]


def holding_location(mount: Mount, mounted: Sequence[Mount]) -> str | None:
    """Where this network entry's path is reachable through a parent already mounted here.

    The internal EFS is mounted whole at ``/opt/parallelcluster/init_shared`` before its
    sub-directories; ``int.dns:/home`` then lives at ``…/init_shared/home``. That is where a
    sub-directory must be created before it can be mounted, and where local content is copied.
    """
    remote = mount.remote()
    if remote is None:
        return None
    server, path = remote
    best: tuple[int, str] | None = None
    for parent in mounted:
        parent_remote = parent.remote()
        if parent_remote is None or parent_remote[0] != server or parent is mount:
            continue
        prefix = parent_remote[1].rstrip("/")
        if path == prefix or not path.startswith(prefix + "/"):
            continue
        location = parent.mount_dir + path[len(prefix) :]
        if best is None or len(prefix) > best[0]:
            best = (len(prefix), location)
    return best[1] if best else None


def has_content(names: Iterable[str]) -> bool:
    """Whether a directory listing holds anything worth keeping."""
    return any(name not in IGNORED_WHEN_EMPTY for name in names)


def staging_dir(root: str, mount: Mount) -> str:
    """Temporary mount point of an entry whose new file system receives local content."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in mount.name) or "fs"
    return posixpath.join(root, safe)
