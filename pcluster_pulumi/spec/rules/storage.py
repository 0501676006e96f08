"""Load-time rules of shared storage: keys that cannot go with an existing file system or a
backup, EFS throughput mode, and the reserved mount dir (R12-R16)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pcluster_pulumi.spec.rules.base import RuleFinding, present, rule, value_text
from pcluster_pulumi.spec.validators.base import ConfigView, Node

EFS_WITH_EXISTING = ("EncryptionInTransit", "IamAuthorization", "AccessPointId", "FileSystemId")
LUSTRE_NOT_WITH_BACKUP = (
    "DeploymentType",
    "PerUnitStorageThroughput",
    "StorageCapacity",
    "ImportPath",
    "ExportPath",
    "ImportedFileChunkSize",
    "KmsKeyId",
)
RESERVED_MOUNT_DIR = re.compile(r"^/?NONE$")


def _settings(view: ConfigView, key: str) -> Iterator[Node]:
    for item in view.shared_storage():
        if isinstance(item.data.get(key), dict):
            yield item.child(key)


@rule("R12")
def efs_existing_file_system(view: ConfigView) -> Iterator[RuleFinding]:
    """With ``FileSystemId`` the EFS file system exists already: only the mount options
    (``EncryptionInTransit``, ``IamAuthorization``, ``AccessPointId``) apply."""
    for efs in _settings(view, "EfsSettings"):
        if not present(efs, "FileSystemId"):
            continue
        for key in efs.data:
            if key not in EFS_WITH_EXISTING:
                yield RuleFinding(
                    "R12",
                    efs.at(key),
                    f"{key} cannot be specified when an existing EFS file system is used (FileSystemId): it "
                    "only applies to a file system the cluster creates. Remove it.",
                    efs.path,
                )


@rule("R13")
def efs_provisioned_throughput(view: ConfigView) -> Iterator[RuleFinding]:
    """``ProvisionedThroughput`` and ``ThroughputMode: provisioned`` go together."""
    for efs in _settings(view, "EfsSettings"):
        mode = efs.data.get("ThroughputMode")
        if present(efs, "ProvisionedThroughput") and mode != "provisioned":
            yield RuleFinding(
                "R13",
                efs.at("ThroughputMode"),
                "When specifying provisioned throughput, the throughput mode must be set to provisioned: set "
                f"ThroughputMode: provisioned (it is {value_text(mode or 'bursting, the default')}).",
                efs.path,
            )
        if mode == "provisioned" and not present(efs, "ProvisionedThroughput"):
            yield RuleFinding(
                "R13",
                efs.at("ProvisionedThroughput"),
                "When specifying throughput mode to provisioned, the provisioned throughput option must be "
                "specified: set ProvisionedThroughput (MiB/s).",
                efs.path,
            )


@rule("R14")
def lustre_existing_file_system(view: ConfigView) -> Iterator[RuleFinding]:
    """With ``FileSystemId`` the Lustre file system exists already: no other key applies
    (not even ``DeletionPolicy``: the cluster never deletes it)."""
    for lustre in _settings(view, "FsxLustreSettings"):
        if not present(lustre, "FileSystemId"):
            continue
        for key in lustre.data:
            if key != "FileSystemId":
                yield RuleFinding(
                    "R14",
                    lustre.at(key),
                    f"{key} cannot be specified when an existing Lustre file system is used (FileSystemId): "
                    "the file system is used as it is. Remove it.",
                    lustre.path,
                )


@rule("R15")
def lustre_from_backup(view: ConfigView) -> Iterator[RuleFinding]:
    """A file system restored from ``BackupId`` takes its layout, size and key from the backup."""
    for lustre in _settings(view, "FsxLustreSettings"):
        if not present(lustre, "BackupId"):
            continue
        for key in LUSTRE_NOT_WITH_BACKUP:
            if key in lustre.data:
                yield RuleFinding(
                    "R15",
                    lustre.at(key),
                    f"When restoring an FSx Lustre file system from backup, '{key}' cannot be specified: the "
                    "backup determines it. Remove it.",
                    lustre.path,
                )


@rule("R16")
def mount_dir_none(view: ConfigView) -> Iterator[RuleFinding]:
    """``NONE`` (or ``/NONE``) is a reserved word in ParallelCluster's storage lists."""
    for item in view.shared_storage():
        mount_dir = item.data.get("MountDir")
        if isinstance(mount_dir, str) and RESERVED_MOUNT_DIR.match(mount_dir):
            yield RuleFinding(
                "R16",
                item.at("MountDir"),
                f"{mount_dir} cannot be used as a shared directory: NONE is reserved; choose another "
                "directory (for example /shared).",
                item.path,
                at_key=False,
            )
