"""Security groups of the head node, the compute fleet and each login pool; the head node's interface.

The rules are planned by a pure function (``plan_security_groups``) that returns plain
records, as ParallelCluster's stack lays them out: SSH and DCV only from the configured
``AllowedIps``, everything between head and compute nodes, Slurm and NFS from login nodes to
the head node. The component only turns records into resources. Groups the user supplies
(``SecurityGroups``) are never modified: rules are added to our managed groups only.

The head node's network interface is created here, ahead of the instance, as ParallelCluster
does: its address goes into compute launch templates, so they never wait for the head node.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws

from pcluster_pulumi.cluster.storage.network import StorageNetwork
from pcluster_pulumi.contract.slurm_layout import SlurmLayout
from pcluster_pulumi.derive.context import ClusterContext
from pcluster_pulumi.spec.model import AwsBatchQueue, ClusterSpec, LoginNodesPool, SlurmQueue

__all__ = ["Network", "NetworkPlan", "Rule", "Source", "plan_security_groups"]

HEAD = "head"
COMPUTE = "compute"
_LAYOUT = SlurmLayout(controller_hostname="")
#: slurmctld, slurmd and slurmdbd listen on consecutive ports; login nodes reach the first and last.
SLURM_PORTS = (_LAYOUT.slurmctld_port, _LAYOUT.slurmdbd_port)
NFS_PORT = 2049
ALL_TRAFFIC = "-1"

_DESCRIPTIONS = {
    HEAD: "Enable access to the head node",
    COMPUTE: "Allow access to compute nodes",
}


@dataclass(frozen=True)
class Source:
    """Where traffic comes from: a CIDR, a prefix list, or a security group.

    ``group`` values are managed group keys (``head``, ``compute``, ``login-<pool>``) or the id
    of a security group the user supplied (``sg-…``).
    """

    kind: Literal["cidr", "prefix_list", "group"]
    value: str

    @classmethod
    def allowed_ips(cls, value: str) -> Source:
        """An ``AllowedIps`` value: a CIDR, or a managed prefix list id (``pl-…``)."""
        return cls("prefix_list" if value.startswith("pl-") else "cidr", value)

    @property
    def is_managed_group(self) -> bool:
        """True when the source is one of the groups this component creates."""
        return self.kind == "group" and not self.value.startswith("sg-")


@dataclass(frozen=True)
class Rule:
    """One ingress rule on a managed group; ``key`` is stable and names the resource."""

    group: str
    key: str
    protocol: str
    source: Source
    description: str
    from_port: int | None = None
    to_port: int | None = None


@dataclass(frozen=True)
class NetworkPlan:
    """The managed groups to create, and every ingress rule on them."""

    groups: tuple[str, ...]
    rules: tuple[Rule, ...]
    head_groups: tuple[str, ...]
    compute_groups: tuple[str, ...]
    login_groups: dict[str, tuple[str, ...]]

    def description(self, group: str) -> str:
        """The EC2 description of a managed group (a change would replace it: keep stable)."""
        return (
            _DESCRIPTIONS.get(group) or f"Allow access to login nodes of pool {group.removeprefix('login-')}"
        )


def _group_sources(groups: tuple[str, ...]) -> list[Source]:
    return [Source("group", g) for g in groups]


def _key(source: Source, suffix: str = "") -> str:
    return f"from-{source.value}{suffix}"


def plan_security_groups(spec: ClusterSpec) -> NetworkPlan:
    """Decide the managed security groups and their ingress rules from the spec alone."""
    head_net = spec.head_node.networking
    groups: list[str] = []
    head_groups: tuple[str, ...] = tuple(head_net.security_groups or ()) or (HEAD,)
    if not head_net.security_groups:
        groups.append(HEAD)
    compute: dict[str, None] = {}
    for queue in (*spec.queues, *(spec.scheduling.aws_batch_queues or ())):
        for sg in queue.networking.security_groups or (COMPUTE,):
            compute.setdefault(sg, None)
    if COMPUTE in compute:
        groups.append(COMPUTE)
    compute_groups = tuple(sorted(compute, key=lambda g: (g != COMPUTE, g)))
    login_groups: dict[str, tuple[str, ...]] = {}
    for pool in spec.login_nodes.pools if spec.login_nodes else ():
        key = f"login-{pool.name}"
        login_groups[pool.name] = tuple(pool.networking.security_groups or ()) or (key,)
        if not pool.networking.security_groups:
            groups.append(key)
    all_login = tuple(dict.fromkeys(g for gs in login_groups.values() for g in gs))

    rules: list[Rule] = []
    if HEAD in groups:
        rules.append(
            Rule(HEAD, "ssh", "tcp", Source.allowed_ips(spec.head_node.ssh.allowed_ips), "SSH", 22, 22)
        )
        dcv = spec.head_node.dcv
        if dcv and dcv.enabled:
            rules.append(
                Rule(HEAD, "dcv", "tcp", Source.allowed_ips(dcv.allowed_ips), "DCV", dcv.port, dcv.port)
            )
        for src in _group_sources(compute_groups):
            rules.append(Rule(HEAD, _key(src), ALL_TRAFFIC, src, "All traffic from compute nodes"))
        for src in _group_sources(all_login):
            rules.append(Rule(HEAD, _key(src, "-slurm"), "tcp", src, "Slurm from login nodes", *SLURM_PORTS))
            rules.append(
                Rule(HEAD, _key(src, "-nfs"), "tcp", src, "NFS from login nodes", NFS_PORT, NFS_PORT)
            )
    if COMPUTE in groups:
        for src in _group_sources(compute_groups):
            rules.append(Rule(COMPUTE, _key(src), ALL_TRAFFIC, src, "All traffic between compute nodes"))
        for src in _group_sources(head_groups):
            rules.append(Rule(COMPUTE, _key(src), ALL_TRAFFIC, src, "All traffic from the head node"))
        for src in _group_sources(all_login):
            rules.append(Rule(COMPUTE, _key(src), ALL_TRAFFIC, src, "All traffic from login nodes"))
    for pool in spec.login_nodes.pools if spec.login_nodes else ():
        key = f"login-{pool.name}"
        if key not in groups:
            continue
        allowed = (pool.ssh.allowed_ips if pool.ssh else None) or spec.head_node.ssh.allowed_ips
        rules.append(Rule(key, "ssh", "tcp", Source.allowed_ips(allowed), "SSH", 22, 22))
        if pool.dcv and pool.dcv.enabled:
            src = Source.allowed_ips(pool.dcv.allowed_ips)
            rules.append(Rule(key, "dcv", "tcp", src, "DCV", pool.dcv.port, pool.dcv.port))
        for src in _group_sources(head_groups):
            rules.append(Rule(key, _key(src), ALL_TRAFFIC, src, "All traffic from the head node"))
        for src in _group_sources(compute_groups):
            rules.append(Rule(key, _key(src), ALL_TRAFFIC, src, "All traffic from compute nodes"))
    return NetworkPlan(tuple(groups), tuple(rules), head_groups, compute_groups, login_groups)


class Network(pulumi.ComponentResource):
    """The cluster's managed security groups and their rules (none for user-supplied groups)."""

    head_security_group_ids: pulumi.Output[list[str]]
    compute_security_group_ids: pulumi.Output[list[str]]

    def __init__(self, name: str, ctx: ClusterContext, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("pcluster:network:Network", name, None, opts)
        self.plan = plan_security_groups(ctx.spec)
        child = pulumi.ResourceOptions(parent=self)
        self.groups: dict[str, aws.ec2.SecurityGroup] = {}
        for group in self.plan.groups:
            self.groups[group] = aws.ec2.SecurityGroup(
                f"{name}-{group}",
                vpc_id=ctx.vpc_id,
                description=self.plan.description(group),
                revoke_rules_on_delete=True,
                tags={**ctx.tags, "Name": f"{ctx.name}-{group}"},
                opts=child,
            )
            # Declaring a group through the provider drops EC2's default allow-all egress: restore it.
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-{group}-egress",
                security_group_id=self.groups[group].id,
                ip_protocol=ALL_TRAFFIC,
                cidr_ipv4="0.0.0.0/0",
                description="All outbound traffic",
                opts=child,
            )
        for rule in self.plan.rules:
            kind, value = rule.source.kind, rule.source.value
            tcp = rule.protocol != ALL_TRAFFIC
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-{rule.group}-{rule.key}",
                security_group_id=self.groups[rule.group].id,
                ip_protocol=rule.protocol,
                description=rule.description,
                cidr_ipv4=value if kind == "cidr" else None,
                prefix_list_id=value if kind == "prefix_list" else None,
                referenced_security_group_id=self.group_id(value) if kind == "group" else None,
                from_port=rule.from_port if tcp else None,
                to_port=rule.to_port if tcp else None,
                opts=child,
            )
        # The head node's interface exists before the instance so that compute launch templates can
        # carry its address without waiting for (or being replaced with) the head node.
        self.head_interface = aws.ec2.NetworkInterface(
            f"{name}-head-eni",
            subnet_id=ctx.head_subnet,
            security_groups=self.head_node_groups(ctx.spec),
            source_dest_check=False,
            description=f"Head node interface of cluster {ctx.name}",
            tags={**ctx.node_tags("HeadNode"), "Name": f"{ctx.name}-head-node"},
            opts=child,
        )
        self.head_private_ip: pulumi.Output[str] = self.head_interface.private_ip
        self.head_security_group_ids = pulumi.Output.all(*self.head_node_groups(ctx.spec)).apply(list)
        self.compute_security_group_ids = pulumi.Output.all(
            *[self.group_id(k) for k in self.plan.compute_groups]
        ).apply(list)
        self.register_outputs(
            {
                "headSecurityGroupIds": self.head_security_group_ids,
                "computeSecurityGroupIds": self.compute_security_group_ids,
                "headNetworkInterfaceId": self.head_interface.id,
                "headPrivateIp": self.head_private_ip,
            }
        )

    def group_id(self, group: str) -> pulumi.Input[str]:
        """The id of a managed group key, or the user's ``sg-…`` id as given."""
        return self.groups[group].id if group in self.groups else group

    def head_node_groups(self, spec: ClusterSpec) -> list[pulumi.Input[str]]:
        """Groups on the head node's interface: managed or ``SecurityGroups``, plus the additional ones."""
        extra = spec.head_node.networking.additional_security_groups or ()
        return [*(self.group_id(k) for k in self.plan.head_groups), *extra]

    def queue_groups(self, queue: SlurmQueue | AwsBatchQueue) -> list[pulumi.Input[str]]:
        """Groups on a queue's instances: managed or ``SecurityGroups``, plus ``AdditionalSecurityGroups``."""
        keys = queue.networking.security_groups or (COMPUTE,)
        extra = queue.networking.additional_security_groups or ()
        return [*(self.group_id(k) for k in keys), *extra]

    def login_pool_groups(self, pool: LoginNodesPool) -> list[pulumi.Input[str]]:
        """Groups on a pool's nodes: managed or ``SecurityGroups``, plus ``AdditionalSecurityGroups``."""
        extra = pool.networking.additional_security_groups or ()
        return [*(self.group_id(k) for k in self.plan.login_groups[pool.name]), *extra]

    def managed_login_group(self, pool: LoginNodesPool) -> pulumi.Input[str] | None:
        """The pool's managed group (which we may add rules to), None when the user supplies groups."""
        group = self.groups.get(f"login-{pool.name}")
        return group.id if group is not None else None

    def storage_network(self, ctx: ClusterContext) -> StorageNetwork:
        """What shared storage and the accounting database need: the VPC, subnet AZs, and every node
        group keyed as in the plan (``head``, ``compute``, ``login-<pool>`` or a user's ``sg-…``)."""
        login = [g for gs in self.plan.login_groups.values() for g in gs]
        return StorageNetwork(
            vpc_id=ctx.vpc_id,
            subnet_azs={s: f.availability_zone for s, f in ctx.facts.subnets.items()},
            head_groups={k: self.group_id(k) for k in self.plan.head_groups},
            compute_groups={k: self.group_id(k) for k in self.plan.compute_groups},
            login_groups={k: self.group_id(k) for k in dict.fromkeys(login)},
        )
