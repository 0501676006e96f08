"""The mount table: which file systems each kind of node mounts, where, and how.

A pure function of the spec, the head node's address and the resolved facts of every file
system (ids of created ones, DNS and mount names read from existing ones), all plain strings.
The Pulumi side calls it inside ``Output.apply`` once those facts are known and puts the result
in the node runtime configuration (``NodeConfig.mounts``); the node bootstrap mounts the entries
of its node type in list order. Keeping it here, outside ``cluster/`` and ``node/``, lets both
sides and the tests agree on every path without Pulumi.

What ParallelCluster does and this table reproduces:

- With ``Scheduler: awsbatch`` (ParallelCluster's awsbatch head node) the head node keeps and
  exports only ``/home`` and the EBS / RAID storage; no node of ours mounts anything else, as the
  Batch jobs mount the shared dirs themselves (``derive/batch.py``'s ``PCLUSTER_*`` variables).
- The head node keeps ``/home`` (unless a SharedStorage entry mounts ``/home``), ``/opt/slurm``,
  ``/opt/intel`` (x86_64 head nodes), ``/opt/parallelcluster/shared`` (compute nodes) and
  ``/opt/parallelcluster/shared_login_nodes`` (login nodes) and exports them over NFS.
- With ``HeadNode.SharedStorageType: Efs`` those dirs live on an internal EFS instead: the head
  node mounts its root at ``/opt/parallelcluster/init_shared`` and every node mounts one
  sub-directory per internal dir.
- EBS volumes and the RAID array are attached to the head node only, formatted ext4 when blank,
  mounted there and exported over NFS to compute and login nodes.
- EFS, FSx (Lustre, ONTAP, OpenZFS) and File Cache are mounted directly by every node. EFS is
  mounted over NFSv4.1 from its DNS name with the options the EFS mount helper uses; only when
  ``EncryptionInTransit``, ``IamAuthorization`` or ``AccessPointId`` ask for what plain NFS cannot
  do is the mount helper itself named (``fstype: efs``, needs amazon-efs-utils on the node).

``mount_table`` gives typed entries per node type (``MountEntry``); ``runtime_mounts`` flattens
them into the runtime configuration's ``mounts`` (``RuntimeMount``: ``roles`` and an options
string, the shape ``node/boot_steps.py``'s ``fstab_lines`` reads). Both are documented in
``docs/storage.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, NotRequired, TypedDict, cast

from pcluster_pulumi.spec.model import ClusterSpec, SharedStorage

__all__ = [
    "COMPUTE",
    "HEAD",
    "INIT_SHARED_DIR",
    "INTERNAL_EFS_NAME",
    "LOGIN",
    "NODE_TYPES",
    "EbsVolume",
    "MountEntry",
    "MountTableError",
    "ResolvedStorage",
    "RuntimeMount",
    "ebs_device_names",
    "internal_dirs",
    "mount_table",
    "normalize_mount_dir",
    "runtime_mounts",
]

HEAD = "head"
COMPUTE = "compute"
LOGIN = "login"
NODE_TYPES = (HEAD, COMPUTE, LOGIN)

#: ParallelCluster's name for the internal EFS of ``SharedStorageType: Efs`` (key in ``resolved``).
INTERNAL_EFS_NAME = "internal_pcluster_shared"
INIT_SHARED_DIR = "/opt/parallelcluster/init_shared"
SHARED_DIR = "/opt/parallelcluster/shared"
SHARED_LOGIN_DIR = "/opt/parallelcluster/shared_login_nodes"

#: Options ParallelCluster's cookbook mounts with, per kind of file system.
NFS_FROM_HEAD_OPTIONS = ("hard", "_netdev", "noatime")
EXPORT_OPTIONS = ("rw", "sync", "no_root_squash")
EBS_OPTIONS = ("_netdev",)
RAID_OPTIONS = ("defaults", "nofail", "_netdev")
#: What the EFS mount helper passes to NFS; used when EFS is mounted as plain NFSv4.1.
EFS_NFS_OPTIONS = (
    "nfsvers=4.1",
    "rsize=1048576",
    "wsize=1048576",
    "hard",
    "timeo=600",
    "retrans=2",
    "noresvport",
    "_netdev",
)
#: Mount helper (``mount -t efs``) options, before tls / iam / accesspoint.
EFS_HELPER_OPTIONS = ("_netdev", "noresvport")
LUSTRE_OPTIONS = ("defaults", "_netdev", "flock", "user_xattr", "noatime", "noauto", "x-systemd.automount")
ONTAP_OPTIONS = ("defaults", "_netdev", "noatime")
OPENZFS_OPTIONS = ("nfsvers=4.1", "_netdev", "noatime")
#: Block devices EBS volumes are attached as, in spec order (RAID members after plain volumes).
DEVICE_LETTERS = "fghijklmnop"
RAID_DEVICE = "/dev/md0"

Kind = Literal["local", "nfs", "ebs", "raid", "efs", "lustre", "ontap", "openzfs", "filecache"]


class EbsVolume(TypedDict):
    """An EBS volume the head node finds by id (NVMe serial) or, on Xen instances, by device name."""

    volume_id: str
    device_name: str


class MountEntry(TypedDict):
    """One mount on one node type. ``source`` and ``options`` go to mount(8) as they are."""

    node_type: str
    name: str
    mount_dir: str
    kind: Kind
    fstype: str
    source: str
    options: list[str]
    #: Head node only: export ``mount_dir`` over NFS (clients: the VPC's CIDR blocks) with these options.
    export_options: NotRequired[list[str]]
    #: Head node only: copy what the local directory already holds into the file system when it is empty.
    preserve_local: NotRequired[bool]
    #: ``ebs`` / ``raid``: the volumes to assemble (``raid``) and format (ext4) when blank.
    volumes: NotRequired[list[EbsVolume]]
    raid_level: NotRequired[int]


class RuntimeMount(TypedDict):
    """One entry of the runtime configuration's ``mounts``: ``MountEntry`` with ``roles`` (the one
    node type it is for) and comma-joined ``options`` / ``export_options``, as an fstab line wants."""

    roles: list[str]
    name: str
    mount_dir: str
    kind: Kind
    fstype: str
    source: str
    options: str
    export_options: NotRequired[str]
    preserve_local: NotRequired[bool]
    volumes: NotRequired[list[EbsVolume]]
    raid_level: NotRequired[int]


@dataclass(frozen=True)
class ResolvedStorage:
    """Facts about one file system known only once it exists (plain strings, no Outputs)."""

    #: EFS / FSx file system id, or File Cache id.
    file_system_id: str | None = None
    #: DNS name to mount from (EFS, Lustre and File Cache file system, ONTAP SVM NFS endpoint, OpenZFS).
    dns_name: str | None = None
    #: Lustre / File Cache mount name.
    mount_name: str | None = None
    #: ONTAP junction path / OpenZFS volume path.
    export_path: str | None = None
    #: EBS volume ids (one, or the RAID members in order).
    volume_ids: tuple[str, ...] = ()


class MountTableError(ValueError):
    """A fact the table needs was not resolved (names the storage and the missing fact)."""


def normalize_mount_dir(mount_dir: str) -> str:
    """ParallelCluster mounts ``shared`` at ``/shared``; trailing slashes are dropped."""
    path = mount_dir if mount_dir.startswith("/") else "/" + mount_dir
    return path.rstrip("/") or "/"


def ebs_device_names(spec: ClusterSpec) -> dict[str, tuple[str, ...]]:
    """Storage name → device names its volumes are attached as (plain EBS first, then RAID)."""
    entries = [s for s in spec.shared_storage or () if s.storage_type == "Ebs"]
    ordered = [s for s in entries if not s.ebs_settings or not s.ebs_settings.raid]
    ordered += [s for s in entries if s.ebs_settings and s.ebs_settings.raid]
    letters = iter(DEVICE_LETTERS)
    out: dict[str, tuple[str, ...]] = {}
    for storage in ordered:
        raid = storage.ebs_settings.raid if storage.ebs_settings else None
        count = raid.number_of_volumes if raid else 1
        out[storage.name] = tuple(f"/dev/sd{next(letters)}" for _ in range(count))
    return out


def internal_dirs(
    spec: ClusterSpec, head_architecture: str = "x86_64"
) -> list[tuple[str, str, tuple[str, ...]]]:
    """(dir, sub-path on the internal EFS, node types that mount it from the head node or EFS)."""
    dirs: list[tuple[str, str, tuple[str, ...]]] = []
    if not spec.is_slurm:
        # AWS Batch: the head node shares only /home; its jobs mount it themselves (job image).
        return [] if _home_is_shared_storage(spec) else [("/home", "/home", ())]
    if not _home_is_shared_storage(spec):
        dirs.append(("/home", "/home", (COMPUTE, LOGIN)))
    dirs.append(("/opt/slurm", "/slurm", (COMPUTE, LOGIN)))
    if head_architecture == "x86_64":
        dirs.append(("/opt/intel", "/intel", (COMPUTE, LOGIN)))
    dirs.append((SHARED_DIR, "/shared", (COMPUTE,)))
    dirs.append((SHARED_LOGIN_DIR, "/shared_login_nodes", (LOGIN,)))
    return dirs


def _home_is_shared_storage(spec: ClusterSpec) -> bool:
    return any(normalize_mount_dir(s.mount_dir) == "/home" for s in spec.shared_storage or ())


def _entry(
    node_type: str, name: str, mount_dir: str, kind: Kind, fstype: str, source: str, options: tuple[str, ...]
) -> MountEntry:
    return {
        "node_type": node_type,
        "name": name,
        "mount_dir": mount_dir,
        "kind": kind,
        "fstype": fstype,
        "source": source,
        "options": list(options),
    }


def _nfs_from_head(node_type: str, name: str, mount_dir: str, head_address: str) -> MountEntry:
    return _entry(
        node_type, name, mount_dir, "nfs", "nfs4", f"{head_address}:{mount_dir}", NFS_FROM_HEAD_OPTIONS
    )


def _need(facts: ResolvedStorage | None, storage: str, *fields: str) -> list[str]:
    if facts is None:
        raise MountTableError(f"storage {storage!r}: its facts were not resolved")
    values = []
    for name in fields:
        value = getattr(facts, name)
        if not value:
            raise MountTableError(f"storage {storage!r}: {name} is unknown; the mount table needs it")
        values.append(str(value))
    return values


def _efs_entry(
    node_type: str,
    name: str,
    mount_dir: str,
    facts: ResolvedStorage | None,
    path: str,
    storage: SharedStorage | None,
) -> MountEntry:
    """EFS over plain NFSv4.1 from its DNS name, or through the mount helper when TLS, IAM
    authorization or an access point is asked for."""
    settings = storage.efs_settings if storage else None
    helper: list[str] = []
    if settings and settings.encryption_in_transit:
        helper.append("tls")
    if settings and settings.iam_authorization:
        helper.append("iam")
    if settings and settings.access_point_id:
        helper.append(f"accesspoint={settings.access_point_id}")
    if helper:
        (fs_id,) = _need(facts, name, "file_system_id")
        options = (*EFS_HELPER_OPTIONS, *helper)
        return _entry(node_type, name, mount_dir, "efs", "efs", f"{fs_id}:{path}", options)
    (dns,) = _need(facts, name, "dns_name")
    return _entry(node_type, name, mount_dir, "efs", "nfs4", f"{dns}:{path}", EFS_NFS_OPTIONS)


def _direct(storage: SharedStorage, facts: ResolvedStorage | None, node_type: str) -> MountEntry:
    """The entry of a file system every node mounts itself (EFS, FSx, File Cache)."""
    name, kind = storage.name, storage.storage_type
    mount_dir = normalize_mount_dir(storage.mount_dir)
    if kind == "Efs":
        return _efs_entry(node_type, name, mount_dir, facts, "/", storage)
    if kind in ("FsxLustre", "FileCache"):
        dns, mount_name = _need(facts, name, "dns_name", "mount_name")
        label: Kind = "lustre" if kind == "FsxLustre" else "filecache"
        return _entry(node_type, name, mount_dir, label, "lustre", f"{dns}@tcp:/{mount_name}", LUSTRE_OPTIONS)
    dns, path = _need(facts, name, "dns_name", "export_path")
    if kind == "FsxOntap":
        return _entry(node_type, name, mount_dir, "ontap", "nfs", f"{dns}:{path}", ONTAP_OPTIONS)
    if kind == "FsxOpenZfs":
        return _entry(node_type, name, mount_dir, "openzfs", "nfs", f"{dns}:{path}", OPENZFS_OPTIONS)
    raise MountTableError(f"storage {name!r}: unknown StorageType {kind!r}")


def _ebs_on_head(
    storage: SharedStorage, facts: ResolvedStorage | None, devices: tuple[str, ...]
) -> MountEntry:
    settings = storage.ebs_settings
    mount_dir = normalize_mount_dir(storage.mount_dir)
    ids = tuple(facts.volume_ids) if facts and facts.volume_ids else ()
    if not ids and settings and settings.volume_id:
        ids = (settings.volume_id,)
    if len(ids) != len(devices):
        raise MountTableError(
            f"storage {storage.name!r}: expected {len(devices)} volume id(s), got {len(ids)}"
        )
    volumes: list[EbsVolume] = [{"volume_id": v, "device_name": d} for v, d in zip(ids, devices, strict=True)]
    raid = settings.raid if settings else None
    if raid:
        entry = _entry(HEAD, storage.name, mount_dir, "raid", "ext4", RAID_DEVICE, RAID_OPTIONS)
        entry["raid_level"] = raid.type
    else:
        entry = _entry(HEAD, storage.name, mount_dir, "ebs", "ext4", devices[0], EBS_OPTIONS)
    entry["volumes"] = volumes
    entry["export_options"] = list(EXPORT_OPTIONS)
    return entry


def _internal(
    spec: ClusterSpec, resolved: Mapping[str, ResolvedStorage], head_address: str, head_architecture: str
) -> dict[str, list[MountEntry]]:
    table: dict[str, list[MountEntry]] = {t: [] for t in NODE_TYPES}
    dirs = internal_dirs(spec, head_architecture)
    if spec.head_node.shared_storage_type == "Efs":
        facts = resolved.get(INTERNAL_EFS_NAME)
        table[HEAD].append(_efs_entry(HEAD, INTERNAL_EFS_NAME, INIT_SHARED_DIR, facts, "/", None))
        for mount_dir, sub_path, node_types in dirs:
            for node_type in (HEAD, *node_types):
                entry = _efs_entry(node_type, INTERNAL_EFS_NAME, mount_dir, facts, sub_path, None)
                if node_type == HEAD:
                    entry["preserve_local"] = True
                table[node_type].append(entry)
        return table
    for mount_dir, _, node_types in dirs:
        name = mount_dir.rsplit("/", 1)[-1]
        local = _entry(HEAD, name, mount_dir, "local", "none", mount_dir, ())
        local["export_options"] = list(EXPORT_OPTIONS)
        table[HEAD].append(local)
        for node_type in node_types:
            table[node_type].append(_nfs_from_head(node_type, name, mount_dir, head_address))
    return table


def mount_table(
    spec: ClusterSpec,
    resolved: Mapping[str, ResolvedStorage],
    *,
    head_address: str,
    head_architecture: str = "x86_64",
) -> dict[str, list[MountEntry]]:
    """Node type (``head``, ``compute``, ``login``) → its mounts, in the order to mount them.

    ``resolved`` maps each storage ``Name`` (and ``INTERNAL_EFS_NAME``) to its facts; an existing
    EBS volume may be left out (the spec names it). Raises ``MountTableError`` when a fact a
    mount needs is missing.
    """
    table = _internal(spec, resolved, head_address, head_architecture)
    devices = ebs_device_names(spec)
    for storage in spec.shared_storage or ():
        facts = resolved.get(storage.name)
        mount_dir = normalize_mount_dir(storage.mount_dir)
        if storage.storage_type == "Ebs":
            head = _ebs_on_head(storage, facts, devices[storage.name])
            remote = [_nfs_from_head(t, storage.name, mount_dir, head_address) for t in (COMPUTE, LOGIN)]
        else:
            head = _direct(storage, facts, HEAD)
            remote = [_direct(storage, facts, t) for t in (COMPUTE, LOGIN)]
        if not spec.is_slurm:  # AWS Batch jobs mount from the job environment (derive/batch.py)
            remote = []
        if mount_dir == "/home":
            head["preserve_local"] = True
        table[HEAD].append(head)
        for entry in remote:
            table[entry["node_type"]].append(entry)
    return table


def runtime_mounts(table: Mapping[str, list[MountEntry]]) -> list[RuntimeMount]:
    """The flat list for ``NodeConfig.mounts``: per node type, in mount order, tagged with ``roles``."""
    out: list[RuntimeMount] = []
    for node_type in NODE_TYPES:
        for entry in table.get(node_type, ()):
            mount: dict[str, Any] = {k: v for k, v in entry.items() if k != "node_type"}
            mount["roles"] = [node_type]
            mount["options"] = ",".join(entry["options"])
            if "export_options" in entry:
                mount["export_options"] = ",".join(entry["export_options"])
            out.append(cast(RuntimeMount, mount))
    return out
