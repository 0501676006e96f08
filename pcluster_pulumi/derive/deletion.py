"""What ``DeletionPolicy`` means for each data resource, and what a destroy would delete or keep.

ParallelCluster puts ``DeletionPolicy``/``UpdateReplacePolicy`` on its CloudFormation resources.
Pulumi expresses the same three choices differently, so the mapping lives in one place:

- ``Delete``: the provider deletes the resource; no final snapshot or backup is taken.
- ``Retain``: ``retain_on_delete`` — Pulumi forgets the resource on destroy (or on replacement)
  and leaves it in AWS. ``protect`` is deliberately *not* used: it would make ``pulumi destroy``
  fail instead of keeping the data, which is not what ParallelCluster's Retain does.
- ``Snapshot``: the resource is deleted after a final EBS snapshot, FSx backup or RDS snapshot.

Everything here is pure, so the CLI's ``destroy`` can tell a user beforehand which data goes away
(``plan_destroy``) without building any resource.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from pcluster_pulumi.spec.model import ClusterSpec, SharedStorage

__all__ = [
    "DELETE",
    "RETAIN",
    "SNAPSHOT",
    "DataResource",
    "Fate",
    "ebs_volume_args",
    "fsx_backup_args",
    "plan_destroy",
    "rds_cluster_args",
    "storage_policy",
]

DELETE = "Delete"
RETAIN = "Retain"
SNAPSHOT = "Snapshot"


def ebs_volume_args(policy: str) -> dict[str, Any]:
    """``ebs.Volume`` arguments: a final snapshot is taken only under ``Snapshot``."""
    return {"final_snapshot": policy == SNAPSHOT}


def fsx_backup_args(policy: str) -> dict[str, Any]:
    """FSx arguments: the final backup is skipped unless the policy is ``Snapshot``."""
    return {"skip_final_backup": policy != SNAPSHOT}


def rds_cluster_args(policy: str, identifier: str) -> dict[str, Any]:
    """``rds.Cluster`` arguments: Retain also turns on deletion protection; only Delete skips the snapshot.

    The snapshot name is fixed (names stay deterministic); a second destroy of a cluster with the
    same name fails until the earlier final snapshot is renamed or deleted, which RDS says clearly.
    """
    return {
        "deletion_protection": policy == RETAIN,
        "skip_final_snapshot": policy == DELETE,
        "final_snapshot_identifier": None if policy == DELETE else f"{identifier}-final-snapshot",
    }


class Fate(enum.Enum):
    """What ``destroy`` does to one data resource."""

    DELETED = "deleted"
    SNAPSHOT_THEN_DELETED = "deleted after a final snapshot or backup"
    KEPT = "kept (DeletionPolicy Retain)"
    NOT_OWNED = "kept (not created by the cluster; only unmounted)"

    @property
    def deletes(self) -> bool:
        """True when the data is gone from AWS after the destroy (a final snapshot may remain)."""
        return self in (Fate.DELETED, Fate.SNAPSHOT_THEN_DELETED)


_FATE = {DELETE: Fate.DELETED, SNAPSHOT: Fate.SNAPSHOT_THEN_DELETED, RETAIN: Fate.KEPT}


@dataclass(frozen=True)
class DataResource:
    """One data-bearing resource of the cluster and its fate on destroy."""

    owner: str
    description: str
    policy: str | None
    fate: Fate

    @property
    def deleted(self) -> bool:
        """True when a destroy removes the data."""
        return self.fate.deletes


def storage_policy(storage: SharedStorage) -> str:
    """The DeletionPolicy of a storage entry (FileCache has none: it is never created)."""
    return str(getattr(storage.settings, "deletion_policy", None) or DELETE)


def _is_existing(storage: SharedStorage) -> bool:
    settings = storage.settings
    return any(getattr(settings, key, None) for key in ("volume_id", "file_system_id", "file_cache_id"))


_CREATED = {
    "Efs": "EFS file system (with its mount targets and security group)",
    "FsxLustre": "FSx for Lustre file system (with its data repository associations and security group)",
    "FsxOntap": "FSx for ONTAP file system, storage virtual machine and volume",
    "FsxOpenZfs": "FSx for OpenZFS file system and volume",
}


def _storage_resources(index: int, storage: SharedStorage) -> list[DataResource]:
    owner = f"SharedStorage[{index}] {storage.name} ({storage.mount_dir})"
    if _is_existing(storage) or storage.storage_type == "FileCache":
        return [DataResource(owner, f"existing {storage.storage_type} storage", None, Fate.NOT_OWNED)]
    policy = storage_policy(storage)
    fate = _FATE[policy]
    if storage.storage_type == "Ebs":
        raid = storage.settings.raid
        if raid:
            count = raid.number_of_volumes
            return [
                DataResource(owner, f"EBS volume {i} of {count} (RAID {raid.type})", policy, fate)
                for i in range(1, count + 1)
            ]
        return [DataResource(owner, "EBS volume", policy, fate)]
    return [DataResource(owner, _CREATED[storage.storage_type], policy, fate)]


def plan_destroy(spec: ClusterSpec) -> list[DataResource]:
    """Every data resource of the cluster, in spec order, with what ``destroy`` does to it.

    Covers the head node's root volume (it holds ``/home`` and the Slurm state when no shared
    storage takes ``/home``), the internal EFS of ``SharedStorageType: Efs``, each SharedStorage
    entry, the accounting database and the CloudWatch log group.
    """
    out: list[DataResource] = []
    root = spec.head_node.local_storage.root_volume
    home_elsewhere = any(s.mount_dir.rstrip("/") in ("/home", "home") for s in spec.shared_storage or ())
    internal_efs = spec.head_node.shared_storage_type == "Efs"
    what = "head node root volume" + ("" if home_elsewhere or internal_efs else " (holds /home)")
    out.append(
        DataResource(
            "HeadNode.LocalStorage.RootVolume",
            what,
            None,
            Fate.DELETED if root.delete_on_termination else Fate.KEPT,
        )
    )
    if internal_efs:
        out.append(
            DataResource(
                "HeadNode.SharedStorageType: Efs",
                "internal EFS file system (/home, /opt/slurm, /opt/parallelcluster/shared…)",
                DELETE,
                Fate.DELETED,
            )
        )
    for index, storage in enumerate(spec.shared_storage or ()):
        out += _storage_resources(index, storage)
    settings = spec.scheduling.slurm_settings
    database = settings.database if settings else None
    if database is not None:
        owner = "Scheduling.SlurmSettings.Database"
        if database.uri:
            out.append(DataResource(owner, f"existing database {database.uri}", None, Fate.NOT_OWNED))
        else:
            policy = database.deletion_policy
            out.append(DataResource(owner, "Aurora MySQL accounting database", policy, _FATE[policy]))
    cloud_watch = spec.monitoring.logs.cloud_watch
    if cloud_watch.enabled:
        policy = cloud_watch.deletion_policy
        out.append(DataResource("Monitoring.Logs.CloudWatch", "CloudWatch log group", policy, _FATE[policy]))
    return out
