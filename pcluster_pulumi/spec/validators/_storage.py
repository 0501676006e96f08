"""The shape of a ``SharedStorage`` entry, shared by the storage, EBS and FSx checks.

An entry is classified by its ``StorageType``; its settings live under the matching
``<Type>Settings`` key. Whether it is created by the cluster (managed) or mounts an
existing resource depends on the type and on which id key the user gave.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from pcluster_pulumi.spec.validators._read import get_str, is_set
from pcluster_pulumi.spec.validators.base import ConfigView, Node

SETTINGS_KEY = {
    "Ebs": "EbsSettings",
    "Efs": "EfsSettings",
    "FsxLustre": "FsxLustreSettings",
    "FsxOntap": "FsxOntapSettings",
    "FsxOpenZfs": "FsxOpenZfsSettings",
    "FileCache": "FileCacheSettings",
}

# The key naming the existing resource an entry mounts, per storage type.
EXISTING_ID_KEY = {
    "Ebs": "VolumeId",
    "Efs": "FileSystemId",
    "FsxLustre": "FileSystemId",
    "FsxOntap": "VolumeId",
    "FsxOpenZfs": "VolumeId",
    "FileCache": "FileCacheId",
}

FSX_FAMILY = ("FsxLustre", "FsxOntap", "FsxOpenZfs", "FileCache")


@dataclass(frozen=True)
class Storage:
    """One ``SharedStorage[i]`` entry with its type and settings block."""

    node: Node
    kind: str
    settings: Node

    @property
    def id_key(self) -> str:
        """The settings key that names an existing resource."""
        return EXISTING_ID_KEY[self.kind]

    @property
    def existing_id(self) -> str | None:
        """The id of the existing resource mounted, if any."""
        return get_str(self.settings, self.id_key)

    @property
    def is_existing(self) -> bool:
        """Whether the entry mounts a resource made outside the cluster."""
        return self.kind in ("FsxOntap", "FsxOpenZfs", "FileCache") or is_set(self.settings, self.id_key)

    @property
    def is_raid(self) -> bool:
        """Whether an EBS entry is a RAID array (always created by the cluster)."""
        return self.kind == "Ebs" and isinstance(self.settings.get("Raid"), dict)


def storages(view: ConfigView, *kinds: str) -> Iterator[Storage]:
    """Each shared storage entry of a known type (only ``kinds`` when given)."""
    for node in view.shared_storage():
        kind = get_str(node, "StorageType")
        if kind not in SETTINGS_KEY or (kinds and kind not in kinds):
            continue
        yield Storage(node=node, kind=kind, settings=node.child(SETTINGS_KEY[kind]))


def normalize_mount_dir(mount_dir: str) -> str:
    """A mount dir with its leading slash (ParallelCluster mounts ``efs`` at ``/efs``)."""
    return mount_dir if mount_dir.startswith("/") else "/" + mount_dir
