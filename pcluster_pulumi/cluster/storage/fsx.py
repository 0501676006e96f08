"""Amazon FSx (Lustre, NetApp ONTAP, OpenZFS) and Amazon File Cache.

New file systems go in the first subnet of the first queue, as ParallelCluster puts a managed
Lustre file system (its validators refuse a managed one with multi-subnet queues). Existing
ones are *read* (``Resource.get``) instead of looked up with the FSx API while building:
ParallelCluster resolves their DNS names, mount names and junction/volume paths when it
synthesizes its template; a read does the same at preview time, fails early on a wrong id, and
never deletes the resource on destroy.

ONTAP and OpenZFS (NFS-served, and creatable by a pcluster-pulumi extension) are in
``storage_fsx_nfs``; this module holds Lustre, File Cache and what all FSx components share.

Every component exposes ``resolved``: the ``mount_table.ResolvedStorage`` fields as an Output.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import pulumi
import pulumi_aws as aws

from pcluster_pulumi.cluster.deletion import policy_options
from pcluster_pulumi.derive.deletion import fsx_backup_args, storage_policy
from pcluster_pulumi.spec.model import ClusterSpec, FsxLustreSettings, SharedStorage

__all__ = [
    "FileCacheStorage",
    "FsxLustreStorage",
    "FsxStorage",
    "fsx_subnet",
    "lustre_args",
    "nested",
    "resource_key",
]

LUSTRE_VERSION = "2.15"


def resource_key(name: str) -> str:
    """A Pulumi-name-safe key for a user-given name, stable and distinct for distinct names."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "-", name)
    return safe if safe == name else f"{safe}-{hashlib.sha256(name.encode()).hexdigest()[:6]}"


def fsx_subnet(spec: ClusterSpec) -> str:
    """Where a new FSx file system goes: the first subnet of the first queue."""
    subnets = [q.networking.subnet_ids[0] for q in spec.scheduling.slurm_queues or ()]
    subnets += [q.networking.subnet_ids[0] for q in spec.scheduling.aws_batch_queues or ()]
    if not subnets:
        raise ValueError("a new FSx file system needs a queue subnet to live in")
    return str(subnets[0])


def nested(value: Any, *path: str | int) -> Any:
    """Walk nested output values, which are typed objects in a deployment and dicts under mocks."""
    for step in path:
        if value is None:
            return None
        if isinstance(step, int):
            value = value[step] if len(value) > step else None
        elif isinstance(value, Mapping):
            value = value.get(step)
        else:
            value = getattr(value, step, None)
    return value


def lustre_args(settings: FsxLustreSettings) -> dict[str, Any]:
    """``fsx.LustreFileSystem`` arguments of a new file system (ParallelCluster's defaults)."""
    args: dict[str, Any] = {"file_system_type_version": LUSTRE_VERSION}
    if settings.deployment_type or not settings.backup_id:
        args["deployment_type"] = settings.deployment_type or "SCRATCH_2"
    optional = {
        "storage_capacity": settings.storage_capacity,
        "storage_type": settings.storage_type,
        "per_unit_storage_throughput": settings.per_unit_storage_throughput,
        "imported_file_chunk_size": settings.imported_file_chunk_size,
        "import_path": settings.import_path,
        "export_path": settings.export_path,
        "auto_import_policy": settings.auto_import_policy,
        "weekly_maintenance_start_time": settings.weekly_maintenance_start_time,
        "automatic_backup_retention_days": settings.automatic_backup_retention_days,
        "copy_tags_to_backups": settings.copy_tags_to_backups,
        "daily_automatic_backup_start_time": settings.daily_automatic_backup_start_time,
        "backup_id": settings.backup_id,
        "kms_key_id": settings.kms_key_id,
        "data_compression_type": settings.data_compression_type,
        "drive_cache_type": settings.drive_cache_type or ("NONE" if settings.storage_type == "HDD" else None),
    }
    args.update({key: value for key, value in optional.items() if value is not None})
    return args


def _dra_args(storage: SharedStorage) -> list[tuple[str, dict[str, Any]]]:
    settings = storage.fsx_lustre_settings
    out = []
    for dra in (settings.data_repository_associations if settings else None) or ():
        s3 = {
            f"auto_{kind}_policy": {"events": list(events)}
            for kind, events in (("export", dra.auto_export_policy), ("import", dra.auto_import_policy))
            if events
        }
        args: dict[str, Any] = {
            "data_repository_path": dra.data_repository_path,
            "file_system_path": dra.file_system_path,
            "batch_import_meta_data_on_create": dra.batch_import_meta_data_on_create,
            "imported_file_chunk_size": dra.imported_file_chunk_size,
            "tags": {"Name": dra.name},
        }
        if s3:
            args["s3"] = s3
        out.append((resource_key(dra.name), args))
    return out


class FsxStorage(pulumi.ComponentResource):
    """What every FSx component shares: the network it is created in and its ``resolved`` facts."""

    resolved: pulumi.Output[dict[str, Any]]

    TYPE: ClassVar[str]

    def __init__(
        self,
        name: str,
        storage: SharedStorage,
        *,
        subnet_id: str | None = None,
        security_group_ids: Sequence[pulumi.Input[str]] = (),
        depends_on: Sequence[pulumi.Resource] = (),
        tags: Mapping[str, str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(self.TYPE, name, None, opts)
        self.policy = storage_policy(storage)
        self.subnet_id = subnet_id
        self.security_group_ids = list(security_group_ids)
        self.tags = {**(tags or {}), "Name": storage.name}
        self.read = pulumi.ResourceOptions(parent=self)
        self.keep = policy_options(self.policy, self)
        self.after_rules = policy_options(self.policy, self, depends_on=list(depends_on))
        self.declare(name, storage)

    def declare(self, name: str, storage: SharedStorage) -> None:
        """Declare the file system's resources and ``finish`` with its facts; each kind overrides it."""
        raise NotImplementedError

    def finish(self, **facts: pulumi.Input[Any]) -> None:
        """Publish the facts (``None`` values dropped) and register them as outputs."""
        self.resolved = pulumi.Output.all(**facts).apply(
            lambda f: {k: v for k, v in f.items() if v is not None}
        )
        self.register_outputs({"resolved": self.resolved})


class FsxLustreStorage(FsxStorage):
    """A new FSx for Lustre file system (with its data repository associations), or an existing one."""

    TYPE = "pcluster:storage_fsx:FsxLustreStorage"

    def declare(self, name: str, storage: SharedStorage) -> None:
        """Declare this file system's resources (called by ``FsxStorage.__init__``)."""
        subnet_id = self.subnet_id
        settings = storage.fsx_lustre_settings or FsxLustreSettings()
        if settings.file_system_id:
            fs = aws.fsx.LustreFileSystem.get(f"{name}-existing", settings.file_system_id, opts=self.read)
        else:
            if subnet_id is None:
                raise ValueError(f"storage {storage.name!r}: a new FSx for Lustre file system needs a subnet")
            fs = aws.fsx.LustreFileSystem(
                f"{name}-fs",
                subnet_ids=subnet_id,
                security_group_ids=self.security_group_ids,
                tags=self.tags,
                **lustre_args(settings),
                **fsx_backup_args(self.policy),
                opts=self.after_rules,
            )
            self.associations = [
                aws.fsx.DataRepositoryAssociation(
                    f"{name}-dra-{key}", file_system_id=fs.id, **args, opts=self.keep
                )
                for key, args in _dra_args(storage)
            ]
        self.file_system = fs
        self.finish(file_system_id=fs.id, dns_name=fs.dns_name, mount_name=fs.mount_name)


class FileCacheStorage(FsxStorage):
    """An existing Amazon File Cache, read for its DNS and mount names (never created)."""

    TYPE = "pcluster:storage_fsx:FileCacheStorage"

    def declare(self, name: str, storage: SharedStorage) -> None:
        """Read the existing cache (File Cache is never created)."""
        settings = storage.file_cache_settings
        if settings is None:
            raise ValueError(f"storage {storage.name!r}: FileCacheSettings is missing")
        cache = aws.fsx.FileCache.get(f"{name}-cache", settings.file_cache_id, opts=self.read)
        self.finish(
            file_system_id=cache.id,
            dns_name=cache.dns_name,
            mount_name=cache.lustre_configurations.apply(lambda c: nested(c, 0, "mount_name")),
        )
