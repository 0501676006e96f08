"""``SharedStorage``: every ``SharedStorage`` entry of the spec, plus the internal EFS, as resources.

One child component per entry (``storage_ebs``, ``storage_efs``, ``storage_fsx``), and for each
file system the cluster creates, its own security group laid out as ParallelCluster does: all
traffic from and to the head and compute nodes' groups and the group itself, only the file
system's ports from login nodes (``plan_storage_rules``, a pure function). Existing file systems
keep the groups their owners gave them.

The component takes plain inputs (VPC, subnet → AZ facts, security group ids by a stable key)
so it builds without the rest of the cluster. Its products: ``resolved`` (facts the mount table
needs, by storage name), ``mount_entries()`` (the runtime configuration's ``mounts``),
``head_volumes`` and ``attach_to_head_node()`` for the EBS attachments, and the ids ParallelCluster
publishes as stack outputs (EBS, RAID, EFS and FSx ids).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from pcluster_pulumi.cluster.deletion import DELETE, policy_options, storage_policy
from pcluster_pulumi.cluster.storage_ebs import EbsAttachments, EbsStorage, HeadVolume
from pcluster_pulumi.cluster.storage_efs import EfsStorage, efs_args, internal_efs_args, mount_target_subnets
from pcluster_pulumi.cluster.storage_fsx import (
    FileCacheStorage,
    FsxLustreStorage,
    FsxStorage,
    fsx_subnet,
    resource_key,
)
from pcluster_pulumi.cluster.storage_fsx_nfs import FsxOntapStorage, FsxOpenZfsStorage
from pcluster_pulumi.mount_table import (
    INTERNAL_EFS_NAME,
    ResolvedStorage,
    ebs_device_names,
    mount_table,
    runtime_mounts,
)
from pcluster_pulumi.spec.model import ClusterSpec
from pcluster_pulumi.spec.model import SharedStorage as StorageSpec

__all__ = ["SharedStorage", "StorageNetwork", "StorageRule", "StorageSecurityGroup", "plan_storage_rules"]

SELF = "self"
ALL = "-1"
#: What login nodes may reach on each kind of file system (ParallelCluster's rules and FSx's ports).
LOGIN_PORTS: dict[str, tuple[tuple[str, int, int], ...]] = {
    "efs": (("tcp", 2049, 2049),),
    "lustre": (("tcp", 988, 988),),
    "ontap": tuple(
        (p, a, b) for p in ("tcp", "udp") for a, b in ((111, 111), (635, 635), (2049, 2049), (4046, 4046))
    ),
    "openzfs": tuple(
        (p, a, b) for p in ("tcp", "udp") for a, b in ((111, 111), (2049, 2049), (20001, 20003))
    ),
}
_KIND = {"Efs": "efs", "FsxLustre": "lustre", "FsxOntap": "ontap", "FsxOpenZfs": "openzfs"}


@dataclass(frozen=True)
class StorageRule:
    """One rule of a file system's group; ``peer`` is a node group key or ``self``."""

    key: str
    direction: Literal["ingress", "egress"]
    peer: str
    protocol: str
    from_port: int | None = None
    to_port: int | None = None


def plan_storage_rules(kind: str, full_access: Sequence[str], login: Sequence[str] = ()) -> list[StorageRule]:
    """The rules of a ``kind`` file system's group for node groups given by stable keys.

    ``full_access`` are the head and compute groups (all traffic both ways); ``login`` groups may
    only open the file system's ports, and get all egress back. Keys listed twice count once.
    """
    rules = [StorageRule("in-self", "ingress", SELF, ALL), StorageRule("out-self", "egress", SELF, ALL)]
    full = list(dict.fromkeys(full_access))
    for peer in full:
        rules += [
            StorageRule(f"in-{peer}", "ingress", peer, ALL),
            StorageRule(f"out-{peer}", "egress", peer, ALL),
        ]
    for peer in dict.fromkeys(g for g in login if g not in full):
        rules += [
            StorageRule(f"in-{peer}-{proto}-{low}", "ingress", peer, proto, low, high)
            for proto, low, high in LOGIN_PORTS[kind]
        ]
        rules.append(StorageRule(f"out-{peer}", "egress", peer, ALL))
    return rules


@dataclass(frozen=True)
class StorageNetwork:
    """Where storage lives and which node groups reach it, as plain values and security group ids.

    Group maps go from a stable key (``head``, ``compute``, ``login-<pool>`` or the ``sg-…`` id a
    user gave) to the group id, so rule names never depend on ids that are only known later.
    """

    vpc_id: str
    subnet_azs: Mapping[str, str]
    head_groups: Mapping[str, pulumi.Input[str]]
    compute_groups: Mapping[str, pulumi.Input[str]]
    login_groups: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)

    def group(self, key: str) -> pulumi.Input[str]:
        """The id of a node group key."""
        for groups in (self.head_groups, self.compute_groups, self.login_groups):
            if key in groups:
                return groups[key]
        raise KeyError(key)


class StorageSecurityGroup(pulumi.ComponentResource):
    """A file system's own security group and its rules (the group follows the storage's DeletionPolicy)."""

    def __init__(
        self,
        name: str,
        *,
        kind: str,
        label: str,
        network: StorageNetwork,
        policy: str,
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("pcluster:shared_storage:StorageSecurityGroup", name, None, opts)
        self.group = aws.ec2.SecurityGroup(
            f"{name}-group",
            vpc_id=network.vpc_id,
            description=f"Allow access to {kind} file system {label}",
            revoke_rules_on_delete=True,
            tags={**tags, "Name": f"{label}-storage"},
            opts=policy_options(policy, self),
        )
        self.rules: list[pulumi.CustomResource] = []
        plan = plan_storage_rules(
            kind, [*network.head_groups, *network.compute_groups], list(network.login_groups)
        )
        for rule in plan:
            peer = self.group.id if rule.peer == SELF else network.group(rule.peer)
            ports: dict[str, Any] = (
                {} if rule.protocol == ALL else {"from_port": rule.from_port, "to_port": rule.to_port}
            )
            # Rules naming node groups must go before those groups do; only the self rules are kept.
            options = (
                policy_options(policy, self) if rule.peer == SELF else pulumi.ResourceOptions(parent=self)
            )
            rule_type = (
                aws.vpc.SecurityGroupIngressRule
                if rule.direction == "ingress"
                else aws.vpc.SecurityGroupEgressRule
            )
            self.rules.append(
                rule_type(
                    f"{name}-{rule.key}",
                    security_group_id=self.group.id,
                    ip_protocol=rule.protocol,
                    referenced_security_group_id=peer,
                    description=f"{rule.protocol} {rule.direction} {rule.peer}",
                    **ports,
                    opts=options,
                )
            )
        self.group_id = self.group.id
        self.register_outputs({"securityGroupId": self.group.id})


def _is_new(storage: StorageSpec) -> bool:
    settings = storage.settings
    return storage.storage_type != "FileCache" and not any(
        getattr(settings, key, None) for key in ("volume_id", "file_system_id")
    )


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
        head_subnet = spec.head_node.networking.subnet_id
        for storage in spec.shared_storage or ():
            if storage.name == INTERNAL_EFS_NAME and spec.head_node.shared_storage_type == "Efs":
                raise ValueError(f"storage name {INTERNAL_EFS_NAME!r} is reserved for the internal EFS")
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
        self.ids = {k: pulumi.Output.all(*v).apply(list) for k, v in outputs.items()}
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
