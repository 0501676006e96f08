"""Who reaches a file system: the node groups, and each file system's own security group.

ParallelCluster gives every file system it creates (EFS, FSx) a security group of its own:
all traffic from and to the head and compute nodes' groups and the group itself, and only the
file system's ports from login nodes. ``plan_storage_rules`` lays the rules out as plain
records; ``StorageSecurityGroup`` turns them into resources. Rules naming node groups are always
deleted with the cluster (the node groups go too); the group and its self rules follow the
storage's DeletionPolicy, since a retained file system keeps using them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from pcluster_pulumi.cluster.deletion import policy_options

__all__ = ["LOGIN_PORTS", "StorageNetwork", "StorageRule", "StorageSecurityGroup", "plan_storage_rules"]

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
        super().__init__("pcluster:storage_network:StorageSecurityGroup", name, None, opts)
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
