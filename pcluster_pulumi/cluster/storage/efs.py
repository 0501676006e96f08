"""Amazon EFS: a new file system with one mount target per availability zone, or an existing one.

ParallelCluster creates one mount target in each distinct AZ of the head node's and the queues'
subnets (one per AZ is all EFS allows). Login node subnets are added here too, so a login pool
in another AZ can mount the file system. The same component builds the internal EFS of
``HeadNode.SharedStorageType: Efs`` (elastic throughput, always deleted with the cluster).

The ``resolved`` output (id and DNS name) completes only once every mount target exists, so
nothing that mounts the file system (the head node's configuration) is created before it can be
mounted. An existing file system is read for its DNS name, and nothing is created for it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from pcluster_pulumi.cluster.deletion import policy_options
from pcluster_pulumi.derive.deletion import DELETE
from pcluster_pulumi.spec.model import ClusterSpec, EfsSettings

__all__ = ["EfsStorage", "efs_args", "internal_efs_args", "mount_target_subnets"]


def mount_target_subnets(spec: ClusterSpec, subnet_azs: Mapping[str, str]) -> dict[str, str]:
    """AZ → the subnet its mount target goes in: the first subnet seen in that AZ.

    Order: the head node's subnet, then each queue's subnets, then the login pools' subnets.
    Raises KeyError naming a subnet whose AZ was not resolved.
    """
    subnets = [spec.head_node.networking.subnet_id]
    for queue in spec.scheduling.slurm_queues or ():
        subnets += queue.networking.subnet_ids
    for batch_queue in spec.scheduling.aws_batch_queues or ():
        subnets += batch_queue.networking.subnet_ids
    for pool in spec.login_nodes.pools if spec.login_nodes else ():
        subnets += pool.networking.subnet_ids
    out: dict[str, str] = {}
    for subnet in subnets:
        if subnet not in subnet_azs:
            raise KeyError(f"the availability zone of subnet {subnet} was not resolved")
        out.setdefault(subnet_azs[subnet], subnet)
    return out


def efs_args(settings: EfsSettings) -> dict[str, Any]:
    """``efs.FileSystem`` arguments of a new EFS entry.

    Always encrypted at rest (with ``KmsKeyId`` or the AWS managed key), unlike ParallelCluster's
    default: it costs nothing noticeable and everything else the cluster stores is encrypted.
    """
    args: dict[str, Any] = {
        "encrypted": True,
        "performance_mode": settings.performance_mode,
        "throughput_mode": settings.throughput_mode,
    }
    if settings.kms_key_id:
        args["kms_key_id"] = settings.kms_key_id
    if settings.throughput_mode == "provisioned" and settings.provisioned_throughput is not None:
        args["provisioned_throughput_in_mibps"] = settings.provisioned_throughput
    return args


def internal_efs_args(spec: ClusterSpec) -> dict[str, Any]:
    """The internal EFS of ``SharedStorageType: Efs``: elastic throughput, as ParallelCluster makes
    it, and encrypted at rest whatever ``SharedStorageEfsSettings.Encrypted`` says (see ``efs_args``)."""
    return {
        "encrypted": True,
        "performance_mode": "generalPurpose",
        "throughput_mode": "elastic",
    }


class EfsStorage(pulumi.ComponentResource):
    """One EFS file system: created (``args``) or existing (``existing_id``)."""

    resolved: pulumi.Output[dict[str, Any]]

    def __init__(
        self,
        name: str,
        *,
        label: str,
        args: Mapping[str, Any] | None = None,
        existing_id: str | None = None,
        policy: str = DELETE,
        mount_subnets: Mapping[str, str] | None = None,
        security_group_ids: Sequence[pulumi.Input[str]] = (),
        depends_on: Sequence[pulumi.Resource] = (),
        tags: Mapping[str, str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``label`` is the Name tag; ``mount_subnets`` maps AZ → subnet; ``depends_on`` holds the
        security group's rules, which must exist before a mount target uses the group."""
        super().__init__("pcluster:storage_efs:EfsStorage", name, None, opts)
        self.file_system: aws.efs.FileSystem | None = None
        self.mount_targets: dict[str, aws.efs.MountTarget] = {}
        if existing_id:
            # Read, not looked up: fails at preview on a wrong id and is never deleted.
            existing = aws.efs.FileSystem.get(
                f"{name}-existing", existing_id, opts=pulumi.ResourceOptions(parent=self)
            )
            self.resolved = existing.dns_name.apply(
                lambda dns: {"file_system_id": existing_id, "dns_name": dns}
            )
            self.register_outputs({"fileSystemId": existing_id})
            return
        if args is None:
            raise ValueError(f"EFS {label!r}: give either args (new file system) or existing_id")
        self.file_system = aws.efs.FileSystem(
            f"{name}-fs",
            tags={**(tags or {}), "Name": label},
            **args,
            opts=policy_options(policy, self),
        )
        for az, subnet in sorted((mount_subnets or {}).items()):
            self.mount_targets[az] = aws.efs.MountTarget(
                f"{name}-mt-{az}",
                file_system_id=self.file_system.id,
                subnet_id=subnet,
                security_groups=list(security_group_ids),
                opts=policy_options(policy, self, depends_on=list(depends_on)),
            )
        ready = [mt.id for mt in self.mount_targets.values()]
        self.resolved = pulumi.Output.all(self.file_system.id, self.file_system.dns_name, *ready).apply(
            lambda values: {"file_system_id": values[0], "dns_name": values[1]}
        )
        self.register_outputs({"fileSystemId": self.file_system.id})
