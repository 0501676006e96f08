"""``SharedStorage``: every ``SharedStorage`` entry of the spec, plus the internal EFS, as resources.

One child component per entry (``storage_ebs``, ``storage_efs``, ``storage_fsx``,
``storage_fsx_nfs``), and for each file system the cluster creates, its own security group laid
out as ParallelCluster does (``storage_network``). Existing file systems keep the groups their
owners gave them.

The component takes plain inputs (VPC, subnet → AZ facts, security group ids by a stable key)
so it builds without the rest of the cluster. Its products: ``resolved`` (facts the mount table
needs, by storage name), ``mount_entries()`` (the runtime configuration's ``mounts``),
``head_volumes`` and ``attach_to_head_node()`` for the EBS attachments, and the ids ParallelCluster
publishes as stack outputs (EBS, RAID, EFS and FSx ids).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import pulumi
import pulumi_aws as aws

from pcluster_pulumi.cluster.storage.ebs import EbsAttachments, EbsStorage, HeadVolume
from pcluster_pulumi.cluster.storage.efs import EfsStorage, efs_args, internal_efs_args, mount_target_subnets
from pcluster_pulumi.cluster.storage.fsx import (
    FileCacheStorage,
    FsxLustreStorage,
    FsxStorage,
    fsx_subnet,
    resource_key,
)
from pcluster_pulumi.cluster.storage.fsx_nfs import FsxOntapStorage, FsxOpenZfsStorage
from pcluster_pulumi.cluster.storage.network import StorageNetwork, StorageSecurityGroup
from pcluster_pulumi.derive.deletion import DELETE, storage_policy
from pcluster_pulumi.derive.mount_table import (
    INTERNAL_EFS_NAME,
    ResolvedStorage,
    ebs_device_names,
    mount_table,
    runtime_mounts,
)
from pcluster_pulumi.spec.model import ClusterSpec
from pcluster_pulumi.spec.model import SharedStorage as StorageSpec

__all__ = [
    "EFS_CLIENT_ACTIONS",
    "SharedStorage",
    "StorageNetwork",
    "check_storage",
]

#: What a node needs to mount an EFS file system with ``IamAuthorization`` (ParallelCluster grants the same).
EFS_CLIENT_ACTIONS = [
    "elasticfilesystem:ClientMount",
    "elasticfilesystem:ClientRootAccess",
    "elasticfilesystem:ClientWrite",
]
_KIND = {"Efs": "efs", "FsxLustre": "lustre", "FsxOntap": "ontap", "FsxOpenZfs": "openzfs"}


def _file_system_id(name: str) -> Callable[[dict[str, dict[str, Any]]], str]:
    """Reads one storage's file system id out of ``SharedStorage.resolved``."""
    return lambda facts: str(facts[name]["file_system_id"])


def _flatten(values: list[Any]) -> list[str]:
    """Ids in spec order; an EBS entry contributes a list (one volume, or the RAID members)."""
    return [str(i) for v in values for i in (v if isinstance(v, (list, tuple)) else [v])]


def _is_new(storage: StorageSpec) -> bool:
    settings = storage.settings
    return storage.storage_type != "FileCache" and not any(
        getattr(settings, key, None) for key in ("volume_id", "file_system_id")
    )


def check_storage(spec: ClusterSpec) -> None:
    """Raise ValueError (one sentence saying what to change) for storage this spec cannot get.

    Pure, so ``Cluster`` can refuse such a spec before it registers any resource.
    """
    internal_efs = spec.head_node.shared_storage_type == "Efs"
    for storage in spec.shared_storage or ():
        if storage.name == INTERNAL_EFS_NAME and internal_efs:
            raise ValueError(
                f"SharedStorage name {INTERNAL_EFS_NAME!r} is reserved for the internal EFS of "
                "HeadNode.SharedStorageType: Efs; rename the storage"
            )
    if any(_is_new(s) and s.storage_type.startswith("Fsx") for s in spec.shared_storage or ()):
        fsx_subnet(spec)  # a new FSx file system needs a queue subnet to live in


class SharedStorage(pulumi.ComponentResource):
    """Every shared storage entry and the internal EFS, with their security groups."""

    resolved: pulumi.Output[dict[str, dict[str, Any]]]

    def __init__(
        self,
        name: str,
        spec: ClusterSpec,
        *,
        network: StorageNetwork,
        tags: Mapping[str, str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``tags`` go on every resource (the cluster's tags); each file system adds its ``Name``."""
        super().__init__("pcluster:shared_storage:SharedStorage", name, None, opts)
        self.spec = spec
        self._name = name
        self._tags = dict(tags or {})
        self._network = network
        self.entries: dict[str, EbsStorage | EfsStorage | FsxStorage] = {}
        self.security_groups: dict[str, StorageSecurityGroup] = {}
        self.head_volumes: list[HeadVolume] = []
        facts: dict[str, pulumi.Output[dict[str, Any]]] = {}
        outputs: dict[str, list[pulumi.Output[Any]]] = {
            "ebsIds": [],
            "raidIds": [],
            "efsIds": [],
            "fsxIds": [],
        }
        check_storage(spec)
        head_subnet = spec.head_node.networking.subnet_id
        for storage in spec.shared_storage or ():
            key = resource_key(storage.name)
            entry = self._entry(f"{name}-{key}", key, storage, network.subnet_azs[head_subnet])
            self.entries[storage.name] = entry
            resolved = entry.resolved
            facts[storage.name] = resolved
            if isinstance(entry, EbsStorage):
                raid = storage.ebs_settings is not None and storage.ebs_settings.raid is not None
                outputs["raidIds" if raid else "ebsIds"].append(entry.volume_ids)
            else:
                outputs["efsIds" if storage.storage_type == "Efs" else "fsxIds"].append(
                    resolved.apply(lambda f: f.get("file_system_id"))
                )
        if spec.head_node.shared_storage_type == "Efs":
            internal = self._efs(f"{name}-internal", INTERNAL_EFS_NAME, internal_efs_args(spec), DELETE)
            self.entries[INTERNAL_EFS_NAME] = internal
            facts[INTERNAL_EFS_NAME] = internal.resolved
        self.resolved = pulumi.Output.all(**facts).apply(dict) if facts else pulumi.Output.from_input({})
        # Flat lists of ids, as ParallelCluster's EBSIds / RAIDIds / EFSIds / FSXIds outputs.
        self.ids = {k: pulumi.Output.all(*v).apply(_flatten) for k, v in outputs.items()}
        self.register_outputs({"resolved": self.resolved, **self.ids})

    def _entry(
        self, child: str, key: str, storage: StorageSpec, head_az: str
    ) -> EbsStorage | EfsStorage | FsxStorage:
        opts = pulumi.ResourceOptions(parent=self)
        kind = storage.storage_type
        if kind == "Ebs":
            devices = ebs_device_names(self.spec)[storage.name]
            ebs = EbsStorage(
                child,
                storage,
                key=key,
                availability_zone=head_az,
                device_names=devices,
                tags=self._tags,
                opts=opts,
            )
            self.head_volumes += ebs.head_volumes
            return ebs
        if kind == "Efs":
            settings = storage.efs_settings
            assert settings is not None
            if settings.file_system_id:
                return EfsStorage(child, label=storage.name, existing_id=settings.file_system_id, opts=opts)
            return self._efs(child, storage.name, efs_args(settings), storage_policy(storage))
        if kind == "FileCache":
            return FileCacheStorage(child, storage, tags=self._tags, opts=opts)
        component = {
            "FsxLustre": FsxLustreStorage,
            "FsxOntap": FsxOntapStorage,
            "FsxOpenZfs": FsxOpenZfsStorage,
        }[kind]
        if not _is_new(storage):
            return component(child, storage, opts=opts)
        group = self._group(child, _KIND[kind], storage.name, storage_policy(storage))
        return component(
            child,
            storage,
            subnet_id=fsx_subnet(self.spec),
            security_group_ids=[group.group_id],
            depends_on=[group],
            tags=self._tags,
            opts=opts,
        )

    def _group(self, child: str, kind: str, label: str, policy: str) -> StorageSecurityGroup:
        group = StorageSecurityGroup(
            f"{child}-sg",
            kind=kind,
            label=label,
            network=self._network,
            policy=policy,
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.security_groups[label] = group
        return group

    def _efs(self, child: str, label: str, args: dict[str, Any], policy: str) -> EfsStorage:
        group = self._group(child, "efs", label, policy)
        return EfsStorage(
            child,
            label=label,
            args=args,
            policy=policy,
            mount_subnets=mount_target_subnets(self.spec, self._network.subnet_azs),
            security_group_ids=[group.group_id],
            depends_on=[group],
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def attach_to_head_node(self, instance_id: pulumi.Input[str]) -> EbsAttachments | None:
        """Attach the EBS and RAID volumes to the head node; call once the instance is declared."""
        if not self.head_volumes:
            return None
        return EbsAttachments(
            f"{self._name}-attach", self.head_volumes, instance_id, opts=pulumi.ResourceOptions(parent=self)
        )

    def efs_client_policies(
        self, roles: Mapping[str, pulumi.Input[str]], *, partition: str, region: str, account_id: str
    ) -> list[aws.iam.RolePolicy]:
        """Let node roles mount the EFS file systems that use ``IamAuthorization`` (none: no policy).

        ``roles`` maps a stable key (``head``, a queue or pool name) to a role the cluster created;
        a user's own role must carry these rights itself. Nodes must wait for the returned policies.
        """
        names = [
            s.name
            for s in self.spec.shared_storage or ()
            if s.efs_settings and s.efs_settings.iam_authorization
        ]
        if not names:
            return []
        ids = [self.resolved.apply(_file_system_id(name)) for name in names]
        prefix = f"arn:{partition}:elasticfilesystem:{region}:{account_id}:file-system/"
        document = pulumi.Output.all(*ids).apply(
            lambda fs_ids: json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "EfsIamAuthorization",
                            "Effect": "Allow",
                            "Action": EFS_CLIENT_ACTIONS,
                            "Resource": [prefix + fs_id for fs_id in fs_ids],
                        }
                    ],
                }
            )
        )
        return [
            aws.iam.RolePolicy(
                f"{self._name}-efs-iam-{resource_key(key)}",
                role=role,
                policy=document,
                opts=pulumi.ResourceOptions(parent=self),
            )
            for key, role in roles.items()
        ]

    def mount_entries(
        self, head_address: pulumi.Input[str], head_architecture: str = "x86_64"
    ) -> pulumi.Output[list[dict[str, Any]]]:
        """The runtime configuration's ``mounts``: the mount table flattened, once every fact is known."""

        def render(values: list[Any]) -> list[dict[str, Any]]:
            resolved, address = values
            facts = {
                name: ResolvedStorage(**{**f, "volume_ids": tuple(f.get("volume_ids") or ())})
                for name, f in resolved.items()
            }
            table = mount_table(
                self.spec, facts, head_address=str(address), head_architecture=head_architecture
            )
            return [dict(entry) for entry in runtime_mounts(table)]

        return pulumi.Output.all(self.resolved, head_address).apply(render)
