"""Shared EBS storage: one volume, or the members of a RAID array, for the head node to export.

ParallelCluster creates the volumes in the head node's availability zone and lets the head node
attach them at boot through the EC2 API. Here the attachment is declared instead
(``EbsAttachments``, built once the head node instance exists), so the head node needs no
``ec2:AttachVolume`` right and a destroy never leaves a volume attached by a program.

Attachments use ``skip_destroy``: on destroy Pulumi drops them from state and lets the head
node's termination detach the volumes. Detaching a volume that is still mounted can hang in the
``busy`` state, and stopping the head node to detach it would leave it stopped after an update.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from pcluster_pulumi.cluster.deletion import policy_options
from pcluster_pulumi.derive.deletion import ebs_volume_args, storage_policy
from pcluster_pulumi.spec.model import EbsSettings, SharedStorage

__all__ = ["EbsAttachments", "EbsStorage", "HeadVolume", "volume_args"]

#: ParallelCluster's defaults when ``Iops`` / ``Throughput`` are not given.
DEFAULT_IOPS = {"io1": 100, "io2": 100, "gp3": 3000}
DEFAULT_THROUGHPUT = {"gp3": 125}


def volume_args(settings: EbsSettings) -> dict[str, Any]:
    """``ebs.Volume`` arguments for one volume of an entry (a RAID member has the same ones).

    Always encrypted at rest, even with ``Encrypted: false`` (``EbsStorage`` warns then): on
    current instances it costs no performance, and everything else the cluster stores is encrypted.
    """
    args: dict[str, Any] = {
        "size": settings.size,
        "type": settings.volume_type,
        "encrypted": True,
    }
    iops = settings.iops if settings.iops is not None else DEFAULT_IOPS.get(settings.volume_type)
    if iops is not None:
        args["iops"] = iops
    throughput = settings.throughput or DEFAULT_THROUGHPUT.get(settings.volume_type)
    if throughput is not None and settings.volume_type == "gp3":
        args["throughput"] = throughput
    if settings.kms_key_id:
        args["kms_key_id"] = settings.kms_key_id
    if settings.snapshot_id:
        args["snapshot_id"] = settings.snapshot_id
    return args


@dataclass(frozen=True)
class HeadVolume:
    """A volume to attach to the head node: a stable key, the device name and the volume id."""

    key: str
    device_name: str
    volume_id: pulumi.Input[str]


class EbsStorage(pulumi.ComponentResource):
    """The volume(s) of one ``Ebs`` entry; nothing is created for an existing ``VolumeId``."""

    volume_ids: pulumi.Output[list[str]]
    resolved: pulumi.Output[dict[str, Any]]

    def __init__(
        self,
        name: str,
        storage: SharedStorage,
        *,
        key: str,
        availability_zone: str,
        device_names: Sequence[str],
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``key`` names the attachments; ``availability_zone`` is the head node's; ``device_names``
        come from ``mount_table.ebs_device_names`` so the head node finds each volume where the table says."""
        super().__init__("pcluster:storage_ebs:EbsStorage", name, None, opts)
        settings = storage.ebs_settings or EbsSettings()
        policy = storage_policy(storage)
        if not settings.encrypted and not settings.volume_id:
            pulumi.log.warn(
                f"SharedStorage {storage.name!r}: Encrypted: false is not honoured; pcluster-pulumi encrypts "
                "every volume it creates (with KmsKeyId or the AWS managed key)",
                resource=self,
            )
        self.volumes: list[aws.ebs.Volume] = []
        if settings.volume_id:
            ids: list[pulumi.Input[str]] = [settings.volume_id]
        else:
            count = settings.raid.number_of_volumes if settings.raid else 1
            for index in range(1, count + 1):
                suffix = f"-{index}" if settings.raid else ""
                self.volumes.append(
                    aws.ebs.Volume(
                        f"{name}-volume{suffix}",
                        availability_zone=availability_zone,
                        tags={**tags, "Name": storage.name},
                        **volume_args(settings),
                        **ebs_volume_args(policy),
                        opts=policy_options(policy, self),
                    )
                )
            ids = [v.id for v in self.volumes]
        if len(ids) != len(device_names):
            raise ValueError(
                f"storage {storage.name!r}: {len(ids)} volume(s) but {len(device_names)} device name(s)"
            )
        self.head_volumes = [
            HeadVolume(f"{key}-{index}", device, volume_id)
            for index, (device, volume_id) in enumerate(zip(device_names, ids, strict=True), start=1)
        ]
        self.volume_ids = pulumi.Output.all(*ids).apply(list)
        self.resolved = self.volume_ids.apply(lambda volume_ids: {"volume_ids": volume_ids})
        self.register_outputs({"volumeIds": self.volume_ids})


class EbsAttachments(pulumi.ComponentResource):
    """Attaches the shared volumes to the head node instance (created after the instance)."""

    def __init__(
        self,
        name: str,
        volumes: Sequence[HeadVolume],
        instance_id: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("pcluster:storage_ebs:EbsAttachments", name, None, opts)
        self.attachments = [
            aws.ec2.VolumeAttachment(
                f"{name}-{volume.key}",
                device_name=volume.device_name,
                volume_id=volume.volume_id,
                instance_id=instance_id,
                skip_destroy=True,
                opts=pulumi.ResourceOptions(parent=self),
            )
            for volume in volumes
        ]
        self.register_outputs({"attachmentIds": [a.id for a in self.attachments]})
