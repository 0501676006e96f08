"""FSx for NetApp ONTAP and FSx for OpenZFS: existing volumes, or new ones (an extension).

ParallelCluster only mounts existing ONTAP and OpenZFS volumes; it looks up the SVM's NFS
endpoint, the junction path or the volume path when it synthesizes its template. Existing
volumes are read here the same way (``Resource.get``; OpenZFS volume paths come from reading
the parent volumes up to the root ``/fsx``).

The pcluster-pulumi extension (``FsxOntapSettings`` / ``FsxOpenZfsSettings`` without
``VolumeId``) creates one single-AZ file system with one NFS volume in the first queue subnet,
with its own security group. Multi-AZ deployment types are not offered: their floating
endpoint needs the route tables of every node subnet, which the cluster does not own.
"""

from __future__ import annotations

import re
from typing import Any

import pulumi
import pulumi_aws as aws

from pcluster_pulumi.cluster.deletion import policy_options
from pcluster_pulumi.cluster.storage.fsx import FsxStorage, nested
from pcluster_pulumi.derive.deletion import fsx_backup_args
from pcluster_pulumi.spec.model import SharedStorage

__all__ = ["FsxOntapStorage", "FsxOpenZfsStorage", "ontap_names"]

#: Smallest throughput of each deployment generation (``..._2`` types are generation 2).
ONTAP_MIN_THROUGHPUT = (128, 384)
OPENZFS_MIN_THROUGHPUT = (64, 160)
#: The root volume of an OpenZFS file system, which every volume path starts from.
OPENZFS_ROOT = "fsx"
#: NFS export of a created OpenZFS volume: every client its security group admits, root allowed
#: (the head node creates per-user directories), ``crossmnt`` so child volumes are reachable.
OPENZFS_EXPORT: Any = {
    "client_configurations": [{"clients": "*", "options": ["rw", "crossmnt", "no_root_squash"]}]
}
_MAX_PARENTS = 16


def ontap_names(storage: SharedStorage) -> tuple[str, str, str]:
    """(SVM name, volume name, junction path) of a new ONTAP volume; ONTAP allows ``[A-Za-z0-9_]``."""
    base = re.sub(r"[^A-Za-z0-9_]", "_", storage.name)
    base = base if base[:1].isalpha() else f"v_{base}"
    settings = storage.fsx_ontap_settings
    junction = (settings.junction_path if settings else None) or f"/{base}"
    return f"svm_{base}"[:47], base[:203], junction


class FsxOntapStorage(FsxStorage):
    """A new ONTAP file system + SVM + volume (extension), or an existing volume and its SVM."""

    TYPE = "pcluster:storage_fsx_nfs:FsxOntapStorage"

    def declare(self, name: str, storage: SharedStorage) -> None:
        """Declare this file system's resources (called by ``FsxStorage.__init__``)."""
        subnet_id = self.subnet_id
        settings = storage.fsx_ontap_settings
        if settings is None:
            raise ValueError(f"storage {storage.name!r}: FsxOntapSettings is missing")
        if settings.volume_id:
            volume = aws.fsx.OntapVolume.get(f"{name}-volume", settings.volume_id, opts=self.read)
            svm = aws.fsx.OntapStorageVirtualMachine.get(
                f"{name}-svm", volume.storage_virtual_machine_id, opts=self.read
            )
            self.finish(
                file_system_id=volume.file_system_id,
                dns_name=svm.endpoints.apply(lambda e: nested(e, 0, "nfs", 0, "dns_name")),
                export_path=volume.junction_path,
            )
            return
        if subnet_id is None or settings.storage_capacity is None:
            raise ValueError(
                f"storage {storage.name!r}: a new ONTAP file system needs a subnet and StorageCapacity"
            )
        generation_2 = settings.deployment_type.endswith("_2")
        throughput = settings.throughput_capacity or ONTAP_MIN_THROUGHPUT[generation_2]
        capacity: dict[str, Any] = (
            {"throughput_capacity_per_ha_pair": throughput, "ha_pairs": 1}
            if generation_2
            else {"throughput_capacity": throughput}
        )
        self.file_system = aws.fsx.OntapFileSystem(
            f"{name}-fs",
            deployment_type=settings.deployment_type,
            storage_capacity=settings.storage_capacity,
            storage_type="SSD",
            subnet_ids=[subnet_id],
            preferred_subnet_id=subnet_id,
            security_group_ids=self.security_group_ids,
            kms_key_id=settings.kms_key_id,
            tags=self.tags,
            **capacity,
            opts=self.after_rules,
        )
        svm_name, volume_name, junction = ontap_names(storage)
        self.svm = aws.fsx.OntapStorageVirtualMachine(
            f"{name}-svm",
            file_system_id=self.file_system.id,
            name=svm_name,
            root_volume_security_style="UNIX",
            tags=self.tags,
            opts=self.keep,
        )
        self.volume = aws.fsx.OntapVolume(
            f"{name}-volume",
            storage_virtual_machine_id=self.svm.id,
            name=volume_name,
            junction_path=junction,
            size_in_megabytes=(settings.volume_size or settings.storage_capacity) * 1024,
            storage_efficiency_enabled=settings.storage_efficiency_enabled,
            security_style="UNIX",
            ontap_volume_type="RW",
            tags=self.tags,
            **fsx_backup_args(self.policy),
            opts=self.keep,
        )
        self.finish(
            file_system_id=self.file_system.id,
            dns_name=self.svm.endpoints.apply(lambda e: nested(e, 0, "nfs", 0, "dns_name")),
            export_path=self.volume.junction_path,
        )


class FsxOpenZfsStorage(FsxStorage):
    """A new OpenZFS file system + volume (extension), or an existing volume (path read from its parents)."""

    TYPE = "pcluster:storage_fsx_nfs:FsxOpenZfsStorage"

    def declare(self, name: str, storage: SharedStorage) -> None:
        """Declare this file system's resources (called by ``FsxStorage.__init__``)."""
        subnet_id = self.subnet_id
        settings = storage.fsx_open_zfs_settings
        if settings is None:
            raise ValueError(f"storage {storage.name!r}: FsxOpenZfsSettings is missing")
        if settings.volume_id:
            volume = aws.fsx.OpenZfsVolume.get(f"{name}-volume", settings.volume_id, opts=self.read)
            # A volume ARN is arn:…:volume/<file system id>/<volume id>.
            fs_id = volume.arn.apply(lambda arn: str(arn).split("/")[-2])
            fs = aws.fsx.OpenZfsFileSystem.get(f"{name}-fs", fs_id, opts=self.read)
            self.finish(file_system_id=fs_id, dns_name=fs.dns_name, export_path=self._path(name, volume, 0))
            return
        if subnet_id is None or settings.storage_capacity is None:
            raise ValueError(
                f"storage {storage.name!r}: a new OpenZFS file system needs a subnet and StorageCapacity"
            )
        generation_2 = settings.deployment_type.endswith("_2")
        self.file_system = aws.fsx.OpenZfsFileSystem(
            f"{name}-fs",
            deployment_type=settings.deployment_type,
            storage_capacity=settings.storage_capacity,
            throughput_capacity=settings.throughput_capacity or OPENZFS_MIN_THROUGHPUT[generation_2],
            storage_type="SSD",
            subnet_ids=[subnet_id],
            security_group_ids=self.security_group_ids,
            kms_key_id=settings.kms_key_id,
            copy_tags_to_backups=True,
            copy_tags_to_volumes=True,
            delete_options=["DELETE_CHILD_VOLUMES_AND_SNAPSHOTS"],
            tags=self.tags,
            **fsx_backup_args(self.policy),
            opts=self.after_rules,
        )
        volume_name = re.sub(r"[^A-Za-z0-9_.:-]", "_", storage.name)[:203]
        # deleted_with: the file system's deletion removes the volume, so its final backup includes it.
        self.volume = aws.fsx.OpenZfsVolume(
            f"{name}-volume",
            parent_volume_id=self.file_system.root_volume_id,
            name=volume_name,
            data_compression_type=settings.data_compression_type,
            storage_capacity_quota_gib=settings.storage_capacity_quota,
            nfs_exports=OPENZFS_EXPORT,
            tags=self.tags,
            opts=policy_options(self.policy, self, deleted_with=self.file_system),
        )
        self.finish(
            file_system_id=self.file_system.id,
            dns_name=self.file_system.dns_name,
            export_path=self.volume.id.apply(lambda _: f"/{OPENZFS_ROOT}/{volume_name}"),
        )

    def _path(self, name: str, volume: aws.fsx.OpenZfsVolume, depth: int) -> pulumi.Output[str]:
        """The volume's path: its parents' names from the root volume (``/fsx``) down, read one by one."""

        def step(values: list[Any]) -> pulumi.Output[str]:
            own, parent = str(values[0]), values[1]
            if not parent:
                return pulumi.Output.from_input(f"/{own}")
            if depth >= _MAX_PARENTS:
                raise ValueError(f"OpenZFS volume {own!r} is nested more than {_MAX_PARENTS} levels deep")
            parent_volume = aws.fsx.OpenZfsVolume.get(f"{name}-parent-{depth + 1}", parent, opts=self.read)
            return self._path(name, parent_volume, depth + 1).apply(lambda path: f"{path}/{own}")

        return pulumi.Output.all(volume.name, volume.parent_volume_id).apply(step)
