"""FSx for Lustre rules for file systems the cluster creates: S3 links, data repository
associations, deployment and storage types, backups and storage capacity."""

from __future__ import annotations

from collections.abc import Iterator

from pcluster_pulumi.spec.validators._read import get_int, get_str, is_set, name_of
from pcluster_pulumi.spec.validators._storage import Storage, storages
from pcluster_pulumi.spec.validators.base import ConfigView, Finding, as_list, validator

PERSISTENT = ("PERSISTENT_1", "PERSISTENT_2")
SSD_THROUGHPUT = {"PERSISTENT_1": (50, 100, 200), "PERSISTENT_2": (125, 250, 500, 1000)}
HDD_THROUGHPUT = (12, 40)
MAX_DRAS = 8


def _lustre(view: ConfigView) -> Iterator[tuple[Storage, str]]:
    """Each FSx for Lustre entry with a name for messages."""
    for storage in storages(view, "FsxLustre"):
        yield storage, f"FSx for Lustre storage '{name_of(storage.node)}'"


def _deployment_type(storage: Storage) -> str | None:
    """The deployment type; SCRATCH_2 by default for a new file system not restored from a backup."""
    creating = not is_set(storage.settings, "FileSystemId") and not is_set(storage.settings, "BackupId")
    return get_str(storage.settings, "DeploymentType", default="SCRATCH_2" if creating else None)


@validator("FsxS3Validator")
def s3_link(view: ConfigView) -> Iterator[Finding]:
    """``ImportedFileChunkSize``, ``ExportPath`` and ``AutoImportPolicy`` only make sense with an
    ``ImportPath``."""
    for storage, label in _lustre(view):
        if storage.settings.get("ImportPath"):
            continue
        for key in ("ImportedFileChunkSize", "ExportPath", "AutoImportPolicy"):
            if storage.settings.get(key):
                yield Finding(
                    storage.settings.at(key),
                    f"{key} of {label} needs ImportPath; set ImportPath or remove {key}.",
                )


@validator("FsxDraValidator")
def data_repository_associations(view: ConfigView) -> Iterator[Finding]:
    """Data repository associations replace ``ImportPath``/``ExportPath`` (not both on one file
    system), and a file system takes at most 8 of them."""
    for storage, label in _lustre(view):
        dras = as_list(storage.settings.get("DataRepositoryAssociations"))
        path = storage.settings.at("DataRepositoryAssociations")
        if dras and (storage.settings.get("ImportPath") or storage.settings.get("ExportPath")):
            yield Finding(
                path,
                f"{label} uses DataRepositoryAssociations together with ImportPath/ExportPath; use one or "
                "the other.",
            )
        if len(dras) > MAX_DRAS:
            yield Finding(
                path, f"{label} has {len(dras)} DataRepositoryAssociations; at most {MAX_DRAS} are allowed."
            )


@validator("FsxPersistentOptionsValidator")
def persistent_options(view: ConfigView) -> Iterator[Finding]:
    """PERSISTENT deployments need ``PerUnitStorageThroughput``; ``KmsKeyId`` and
    ``PerUnitStorageThroughput`` are only for PERSISTENT deployments."""
    for storage, label in _lustre(view):
        settings, deployment = storage.settings, _deployment_type(storage)
        if deployment in PERSISTENT:
            if not settings.get("PerUnitStorageThroughput"):
                yield Finding(
                    settings.at("PerUnitStorageThroughput"),
                    f"{label} has DeploymentType {deployment} and needs PerUnitStorageThroughput.",
                )
            continue
        for key in ("KmsKeyId", "PerUnitStorageThroughput"):
            if settings.get(key):
                yield Finding(
                    settings.at(key),
                    f"{key} of {label} can only be used with DeploymentType {' or '.join(PERSISTENT)}.",
                )


@validator("FsxBackupOptionsValidator")
def backup_options(view: ConfigView) -> Iterator[Finding]:
    """Backup options need ``AutomaticBackupRetentionDays``; automatic backups only exist for
    PERSISTENT file systems and not for S3-linked ones."""
    for storage, label in _lustre(view):
        settings = storage.settings
        retention = settings.get("AutomaticBackupRetentionDays")
        if not retention:
            if settings.get("DailyAutomaticBackupStartTime"):
                yield Finding(
                    settings.at("DailyAutomaticBackupStartTime"),
                    f"DailyAutomaticBackupStartTime of {label} needs AutomaticBackupRetentionDays.",
                )
            if settings.get("CopyTagsToBackups") is not None:
                yield Finding(
                    settings.at("CopyTagsToBackups"),
                    f"CopyTagsToBackups of {label} needs AutomaticBackupRetentionDays.",
                )
            continue
        if _deployment_type(storage) not in PERSISTENT:
            yield Finding(
                settings.at("AutomaticBackupRetentionDays"),
                f"Automatic backups of {label} need DeploymentType {' or '.join(PERSISTENT)}.",
            )
        if any(
            settings.get(key)
            for key in ("ImportedFileChunkSize", "ImportPath", "ExportPath", "AutoImportPolicy")
        ):
            yield Finding(
                settings.at("AutomaticBackupRetentionDays"),
                f"Backups cannot be created for {label} because it is linked to S3 (ImportPath/ExportPath); "
                "remove AutomaticBackupRetentionDays or the S3 link.",
            )


@validator("FsxStorageTypeOptionsValidator")
def storage_type_options(view: ConfigView) -> Iterator[Finding]:
    """HDD storage needs PERSISTENT_1 with a throughput of 12 or 40 MB/s/TiB; ``DriveCacheType``
    is only for HDD; SSD throughput is 50/100/200 (PERSISTENT_1) or 125/250/500/1000 (PERSISTENT_2)."""
    for storage, label in _lustre(view):
        settings, deployment = storage.settings, _deployment_type(storage)
        throughput = settings.get("PerUnitStorageThroughput")
        if get_str(settings, "StorageType") == "HDD":
            if deployment != "PERSISTENT_1":
                yield Finding(
                    settings.at("StorageType"),
                    f"{label} uses HDD storage, which needs DeploymentType PERSISTENT_1.",
                )
            if throughput not in HDD_THROUGHPUT:
                yield Finding(
                    settings.at("PerUnitStorageThroughput"),
                    f"{label} uses HDD storage; PerUnitStorageThroughput must be one of "
                    f"{list(HDD_THROUGHPUT)}.",
                )
            continue
        if settings.get("DriveCacheType"):
            yield Finding(
                settings.at("DriveCacheType"), f"DriveCacheType of {label} can only be used with HDD storage."
            )
        allowed = SSD_THROUGHPUT.get(deployment or "")
        if throughput and allowed and throughput not in allowed:
            yield Finding(
                settings.at("PerUnitStorageThroughput"),
                f"For {deployment} SSD file systems PerUnitStorageThroughput must be one of "
                f"{list(allowed)}; {label} has {throughput}.",
            )


def _capacity_problem(
    capacity: int, deployment: str | None, storage_type: str | None, throughput: object
) -> str | None:
    """What is wrong with a storage capacity for the deployment, or None."""
    if deployment == "SCRATCH_1":
        if capacity not in (1200, 2400) and capacity % 3600:
            return "Capacity for FSx SCRATCH_1 file systems is 1,200 GB, 2,400 GB or increments of 3,600 GB."
    elif deployment == "PERSISTENT_1" and storage_type == "HDD":
        for rate, step in ((12, 6000), (40, 1800)):
            if throughput == rate and capacity % step:
                kind = f"PERSISTENT HDD {rate} MB/s/TiB"
                return f"Capacity for FSx {kind} file systems is increments of {step} GiB."
    elif deployment in ("SCRATCH_2", *PERSISTENT) and capacity != 1200 and capacity % 2400:
        return f"Capacity for FSx {deployment} file systems is 1,200 GB or increments of 2,400 GB."
    return None


@validator("FsxStorageCapacityValidator")
def storage_capacity(view: ConfigView) -> Iterator[Finding]:
    """A new file system needs ``StorageCapacity`` in the steps its deployment type allows:
    SCRATCH_1 1200, 2400 or n x 3600; SCRATCH_2 and PERSISTENT SSD 1200 or n x 2400; PERSISTENT_1
    HDD n x 6000 (12 MB/s/TiB) or n x 1800 (40 MB/s/TiB)."""
    for storage, label in _lustre(view):
        settings = storage.settings
        if is_set(settings, "FileSystemId") or is_set(settings, "BackupId"):
            continue
        path = settings.at("StorageCapacity")
        capacity = get_int(settings, "StorageCapacity", default=0)
        if capacity == 0:
            yield Finding(path, f"{label} is a new file system and needs StorageCapacity.")
        elif capacity is not None:
            problem = _capacity_problem(
                capacity,
                _deployment_type(storage),
                get_str(settings, "StorageType"),
                settings.get("PerUnitStorageThroughput"),
            )
            if problem:
                yield Finding(path, f"{problem} {label} has {capacity}.")
