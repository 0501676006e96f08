"""Shared storage rules common to every storage type: mount directories, how many of each
type, deletion policy, and the EFS and encryption options."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from pcluster_pulumi.spec.problems import KeyPath, Level
from pcluster_pulumi.spec.validators._read import (
    all_queues,
    get_bool,
    get_str,
    is_set,
    name_of,
    queue_subnets,
)
from pcluster_pulumi.spec.validators._storage import Storage, normalize_mount_dir, storages
from pcluster_pulumi.spec.validators.base import ConfigView, Finding, validator

DEFAULT_EPHEMERAL_DIR = "/scratch"
INSTANCE_STORE_FAMILY = re.compile(r"^[a-z]+\d+[a-z]*d[a-z]*$")
STORAGE_FAMILIES = ("i2", "i3", "i4", "i7", "im4", "is4", "d2", "d3", "h1", "x1", "f1")
RESERVED_MOUNT_DIRS = frozenset(
    [
        "/bin",
        "/boot",
        "/dev",
        "/etc",
        "/lib",
        "/lib64",
        "/media",
        "/mnt",
        "/opt",
        "/opt/parallelcluster",
        "/opt/parallelcluster/shared",
        "/opt/parallelcluster/shared_login_nodes",
        "/opt/slurm",
        "/opt/intel",
        "/proc",
        "/root",
        "/run",
        "/sbin",
        "/srv",
        "/sys",
        "/tmp",
        "/usr",
        "/var",
        "/NONE",
    ]
)

# (label, limit, predicate) for each storage count ParallelCluster caps.
STORAGE_LIMITS: tuple[tuple[str, int, Callable[[Storage], bool]], ...] = (
    ("EBS", 5, lambda s: s.kind == "Ebs" and not s.is_raid),
    ("new RAID", 1, lambda s: s.is_raid),
    ("new EFS", 1, lambda s: s.kind == "Efs" and not s.is_existing),
    ("existing EFS", 20, lambda s: s.kind == "Efs" and s.is_existing),
    ("new FSx", 1, lambda s: s.kind == "FsxLustre" and not s.is_existing),
    ("existing FSx", 20, lambda s: s.kind != "Ebs" and s.kind != "Efs" and s.is_existing),
)


def _mount_dirs(view: ConfigView) -> list[tuple[KeyPath, str, str]]:
    """(path, normalized mount dir, storage name) of each storage entry with a string MountDir."""
    out = []
    for node in view.shared_storage():
        mount_dir = get_str(node, "MountDir")
        if mount_dir:
            out.append((node.at("MountDir"), normalize_mount_dir(mount_dir), name_of(node)))
    return out


def _local_mount_dirs(view: ConfigView) -> list[tuple[KeyPath, str, str, bool]]:
    """(path, normalized mount dir, whose, may have instance store) of each node type's scratch dir."""
    owners = [(view.head_node, "the head node", [get_str(view.head_node, "InstanceType") or ""])]
    for queue in view.slurm_queues():
        types = [get_str(cr, "InstanceType") or "" for cr in queue.items("ComputeResources")]
        types += [
            get_str(i, "InstanceType") or ""
            for cr in queue.items("ComputeResources")
            for i in cr.items("Instances")
        ]
        owners.append((queue.child("ComputeSettings"), f"queue '{name_of(queue)}'", types))
    out = []
    for owner, whose, types in owners:
        volume = owner.child("LocalStorage", "EphemeralVolume")
        mount_dir = get_str(volume, "MountDir") or DEFAULT_EPHEMERAL_DIR
        store = any(_may_have_instance_store(t) for t in types)
        out.append((volume.at("MountDir"), normalize_mount_dir(mount_dir), whose, store))
    return out


def _may_have_instance_store(instance_type: str) -> bool:
    """EC2's naming: a ``d`` in the family's suffix (c5d, m6id, g4dn, p4d) or a storage family."""
    family = instance_type.split(".", 1)[0]
    return bool(INSTANCE_STORE_FAMILY.match(family)) or family.startswith(STORAGE_FAMILIES)


@validator("SharedStorageMountDirValidator")
def reserved_mount_dir(view: ConfigView) -> Iterator[Finding]:
    """Shared storage is not mounted on a system directory (``/bin``, ``/etc``, ``/opt/slurm``,
    ``/tmp``, ...) or on ``/NONE``: that would hide files the OS or the cluster needs."""
    for path, mount_dir, _ in _mount_dirs(view):
        if mount_dir in RESERVED_MOUNT_DIRS:
            yield Finding(
                path,
                f"The shared storage mount directory {mount_dir} is reserved for the operating system or "
                "ParallelCluster; use another directory (for example /shared).",
            )


@validator("DuplicateMountDirValidator")
def duplicate_mount_dir(view: ConfigView) -> Iterator[Finding]:
    """Each shared storage has its own mount directory. One that is also the instance-store scratch
    dir (EphemeralVolume.MountDir, default /scratch) of nodes whose instance types have
    instance-store disks is a WARNING: one of the two would hide the other."""
    first: dict[str, str] = {}
    local: dict[str, list[str]] = {}
    for _, mount_dir, whose, store in _local_mount_dirs(view):
        if store:
            local.setdefault(mount_dir, []).append(whose)
    for path, mount_dir, name in _mount_dirs(view):
        if mount_dir in first:
            yield Finding(
                path,
                f"The mount directory {mount_dir} of shared storage '{name}' is already used by shared "
                f"storage '{first[mount_dir]}'; shared storage mount directories must be unique.",
            )
        else:
            first[mount_dir] = name
        if mount_dir in local:
            yield Finding(
                path,
                f"The mount directory {mount_dir} of shared storage '{name}' is also the instance-store "
                f"scratch dir (EphemeralVolume.MountDir) of {' and '.join(local[mount_dir])}, whose instance "
                "types have instance-store disks: one would hide the other. Choose another directory.",
                Level.WARNING,
            )


@validator("OverlappingMountDirValidator")
def overlapping_mount_dir(view: ConfigView) -> Iterator[Finding]:
    """No shared storage is mounted inside another one's mount directory, nor nested with a node's
    instance-store scratch dir: the inner mount would hide or be hidden by the outer file system.
    (ParallelCluster 3.16.1 compares storage names here by mistake; we compare the mount dirs.)"""
    seen: list[tuple[str, str]] = []
    for path, mount_dir, name in _mount_dirs(view):
        for other_dir, other_name in seen:
            if mount_dir.startswith(other_dir + "/") or other_dir.startswith(mount_dir + "/"):
                yield Finding(
                    path,
                    f"The mount directory {mount_dir} of shared storage '{name}' overlaps {other_dir} of "
                    f"shared storage '{other_name}'; shared storage mount directories cannot be nested in "
                    "each other.",
                )
        seen.append((mount_dir, name))
    for path, local_dir, whose, _ in _local_mount_dirs(view):
        for mount_dir, name in seen:
            if local_dir.startswith(mount_dir + "/") or mount_dir.startswith(local_dir + "/"):
                yield Finding(
                    path,
                    f"The instance-store scratch dir {local_dir} of {whose} overlaps {mount_dir} of shared "
                    f"storage '{name}'; local and shared mount directories cannot be nested in each other.",
                )


@validator("NumberOfStorageValidator")
def number_of_storage(view: ConfigView) -> Iterator[Finding]:
    """At most 5 EBS volumes, 1 new RAID, 1 new and 20 existing EFS, 1 new FSx for Lustre and 20
    existing FSx-family file systems (the head node and template limits)."""
    all_storage = list(storages(view))
    for label, limit, matches in STORAGE_LIMITS:
        chosen = [s for s in all_storage if matches(s)]
        if len(chosen) > limit:
            yield Finding(
                chosen[limit].node.at("StorageType"),
                f"Too many {label} shared storage entries ({len(chosen)}); ParallelCluster supports at most "
                f"{limit} {label}.",
            )


@validator("SharedFileCacheNotHomeValidator")
def file_cache_not_home(view: ConfigView) -> Iterator[Finding]:
    """A File Cache can't be mounted at ``/home``; use EBS, EFS or FSx for home directories."""
    for storage in storages(view, "FileCache"):
        mount_dir = get_str(storage.node, "MountDir")
        if mount_dir in ("/home", "home"):
            yield Finding(
                storage.node.at("MountDir"),
                f"FileCache '{name_of(storage.node)}' cannot be mounted at {mount_dir}; use another "
                "directory, or Ebs, Efs or an FSx file system for /home.",
            )


def _deletion_policy(storage: Storage) -> str | None:
    managed = storage.kind in ("Ebs", "Efs", "FsxLustre") and not storage.is_existing
    return get_str(storage.settings, "DeletionPolicy", default="Delete" if managed else None)


@validator("DeletionPolicyValidator")
def deletion_policy(view: ConfigView) -> Iterator[Finding]:
    """Say what happens to each storage's data when it leaves the config or the cluster is deleted."""
    for storage in storages(view, "Ebs", "Efs", "FsxLustre"):
        policy = _deletion_policy(storage)
        fate = {"Delete": "deleted", "Retain": "retained"}.get(policy or "")
        if fate:
            yield Finding(
                storage.settings.at("DeletionPolicy"),
                f"The DeletionPolicy is {policy}: storage '{name_of(storage.node)}' will be {fate} when you "
                "remove it from the configuration in a cluster update or delete the cluster.",
                Level.INFO,
            )


@validator("ManagedFsxMultiAzValidator")
def managed_fsx_multi_az(view: ConfigView) -> Iterator[Finding]:
    """A new FSx for Lustre file system lives in one subnet, so it can't be created when the
    queues use more than one subnet; mount an existing file system instead."""
    subnets = sorted({subnet for queue in all_queues(view) for subnet in queue_subnets(queue)})
    if len(subnets) <= 1:
        return
    for storage in storages(view, "FsxLustre"):
        if not storage.is_existing:
            yield Finding(
                storage.node.at("StorageType"),
                f"A new FSx for Lustre file system ('{name_of(storage.node)}') is not supported when the "
                f"queues use several subnets ({', '.join(subnets)}). Use an existing FSx file system "
                "(FileSystemId) configured for those subnets, or use a single subnet.",
            )


@validator("EfsMountOptionsValidator")
def efs_mount_options(view: ConfigView) -> Iterator[Finding]:
    """EFS ``IamAuthorization`` needs ``EncryptionInTransit``: IAM authorization rides on TLS."""
    for storage in storages(view, "Efs"):
        settings = storage.settings
        if (
            get_bool(settings, "IamAuthorization") is True
            and get_bool(settings, "EncryptionInTransit", default=False) is False
        ):
            yield Finding(
                settings.at("IamAuthorization"),
                f"EFS IAM authorization of '{name_of(storage.node)}' needs encryption in transit; set "
                "EncryptionInTransit: true or disable IamAuthorization.",
            )


@validator("EfsAccessPointOptionsValidator")
def efs_access_point(view: ConfigView) -> Iterator[Finding]:
    """An EFS ``AccessPointId`` needs an existing ``FileSystemId`` and ``EncryptionInTransit``."""
    for storage in storages(view, "Efs"):
        settings = storage.settings
        access_point = get_str(settings, "AccessPointId")
        if not access_point:
            continue
        if not is_set(settings, "FileSystemId"):
            yield Finding(
                settings.at("AccessPointId"),
                f"Access point {access_point} can only be used with an existing EFS file system; set "
                "FileSystemId or remove AccessPointId.",
            )
        if get_bool(settings, "EncryptionInTransit", default=False) is False:
            yield Finding(
                settings.at("AccessPointId"),
                f"Access point {access_point} can only be used with encryption in transit; set "
                "EncryptionInTransit: true or remove AccessPointId.",
            )


@validator("KmsKeyIdEncryptedValidator")
def kms_key_encrypted(view: ConfigView) -> Iterator[Finding]:
    """A ``KmsKeyId`` on EBS or EFS needs ``Encrypted: true`` (EBS defaults to true, EFS to false)."""
    for storage in storages(view, "Ebs", "Efs"):
        settings = storage.settings
        key = get_str(settings, "KmsKeyId")
        if key and get_bool(settings, "Encrypted", default=storage.kind == "Ebs") is False:
            yield Finding(
                settings.at("Encrypted"),
                f"KmsKeyId {key} is set for storage '{name_of(storage.node)}' but Encrypted is false; set "
                "Encrypted: true or remove KmsKeyId.",
            )
