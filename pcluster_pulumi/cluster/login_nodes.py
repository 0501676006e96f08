"""Login node pools: per ``LoginNodes.Pools[]`` entry, instances behind one SSH address.

What ParallelCluster's LoginNodes stack creates, per pool: a launch template named
``<cluster>-<pool>``, an Auto Scaling group holding exactly ``Count`` nodes with two lifecycle
hooks, and a network load balancer on TCP 22 (internet-facing only when the pool's subnet
routes to an internet gateway, a resolved fact) with its target group and listener. The
load balancer has its own security group: SSH from the pool's ``Ssh.AllowedIps`` (the head
node's by default), and the pool's managed group accepts SSH from it, nothing more.

The hooks give the bootstrap up to 10 minutes before a node takes users (the node completes
the launch hook itself, ``node/login.py``), and give logged-in users ``GracetimePeriod``
minutes of warning before a removed node goes away. Everything the resources hold is
computed by pure functions (``pool_plan``, ``launch_template_args``), tested on their own.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from pcluster_pulumi.cluster.iam import InstanceProfileRef
from pcluster_pulumi.contract import names
from pcluster_pulumi.contract.access import LAUNCH_HOOK, TERMINATE_HOOK
from pcluster_pulumi.derive.access_config import login_pool_resource_name, login_pools
from pcluster_pulumi.derive.context import ClusterContext, merge_tags
from pcluster_pulumi.derive.facts import AmiFacts, ami_key
from pcluster_pulumi.spec.model import ClusterSpec, LoginNodesPool

__all__ = [
    "LAUNCH_HEARTBEAT_SECONDS",
    "TAG_POOL_NAME",
    "LoginNodes",
    "LoginPool",
    "PoolPlan",
    "check_login_pools",
    "launch_template_args",
    "pool_ami",
    "pool_plan",
]

#: Tag ParallelCluster puts on every resource of a pool.
TAG_POOL_NAME = "parallelcluster:login-nodes-pool"
#: How long a new login node may bootstrap before the group gives up on it.
LAUNCH_HEARTBEAT_SECONDS = 600
SSH_PORT = 22
#: Load balancer and target group names are limited to 32 characters.
ELB_NAME_MAX = 32


@dataclass(frozen=True)
class PoolPlan:
    """The spec-only facts of one pool's resources."""

    pool: str
    resource_name: str
    elb_name: str
    count: int
    internet_facing: bool
    subnet_id: str
    ssh_allowed: str
    launch_heartbeat_seconds: int
    terminate_heartbeat_seconds: int

    @property
    def hooks(self) -> list[dict[str, Any]]:
        """The Auto Scaling group's lifecycle hooks (names ``node/login.py`` completes)."""
        return [
            {
                "name": LAUNCH_HOOK,
                "lifecycle_transition": "autoscaling:EC2_INSTANCE_LAUNCHING",
                "heartbeat_timeout": self.launch_heartbeat_seconds,
                "default_result": "ABANDON",
            },
            {
                "name": TERMINATE_HOOK,
                "lifecycle_transition": "autoscaling:EC2_INSTANCE_TERMINATING",
                "heartbeat_timeout": self.terminate_heartbeat_seconds,
                "default_result": "CONTINUE",
            },
        ]


def elb_name(cluster: str, pool: str) -> str:
    """``<cluster[:7]>-<pool[:7]>-<16 hex>``: unique per cluster and pool, within ELB's 32 characters."""
    digest = hashlib.sha256(f"{cluster}/{pool}".encode()).hexdigest()[:16]
    return f"{cluster[:7]}-{pool[:7]}-{digest}"[:ELB_NAME_MAX]


def pool_plan(ctx: ClusterContext, pool: LoginNodesPool) -> PoolPlan:
    """Names, sizes, hook timeouts and the load balancer's scheme of one pool."""
    subnet = pool.networking.subnet_ids[0]
    allowed = (pool.ssh.allowed_ips if pool.ssh else None) or ctx.spec.head_node.ssh.allowed_ips
    return PoolPlan(
        pool=pool.name,
        resource_name=login_pool_resource_name(ctx.name, pool.name),
        elb_name=elb_name(ctx.name, pool.name),
        count=pool.count,
        internet_facing=ctx.facts.subnet(subnet).internet_gateway,
        subnet_id=subnet,
        ssh_allowed=allowed,
        launch_heartbeat_seconds=LAUNCH_HEARTBEAT_SECONDS,
        terminate_heartbeat_seconds=pool.gracetime_period * 60,
    )


def check_login_pools(spec: ClusterSpec, cluster: str) -> None:
    """Refuse a pool whose launch template name a compute resource already takes (ValueError)."""
    taken = {
        names.launch_template_name(cluster, q.name, cr.name): f"queue {q.name!r} compute resource {cr.name!r}"
        for q in spec.queues
        for cr in q.compute_resources or ()
    }
    for pool in login_pools(spec):
        name = login_pool_resource_name(cluster, pool.name)
        if name in taken:
            raise ValueError(
                f"login pool {pool.name!r} and {taken[name]} would share the launch template name {name!r}; "
                "rename one"
            )


def pool_ami(ctx: ClusterContext, pool: LoginNodesPool) -> AmiFacts:
    """The pool's AMI: its ``Image.CustomAmi``, the cluster's ``Image.CustomAmi`` or the official one."""
    custom = (pool.image.custom_ami if pool.image else None) or ctx.spec.image.custom_ami
    arch = ctx.facts.instance_type(pool.instance_type).architecture
    return ctx.facts.amis[ami_key(ctx.spec.image.os, arch, custom)]


def pool_tags(ctx: ClusterContext, pool: LoginNodesPool) -> dict[str, str]:
    """Tags of a login node and its volumes: the cluster's, the node type, the pool."""
    return merge_tags(
        ctx.node_tags(names.NODE_TYPE_LOGIN), {TAG_POOL_NAME: pool.name, "Name": f"{ctx.name}-{pool.name}"}
    )


def launch_template_args(
    ctx: ClusterContext,
    pool: LoginNodesPool,
    *,
    security_group_ids: Sequence[pulumi.Input[str]],
    instance_profile: dict[str, pulumi.Input[str]],
    user_data: pulumi.Input[str],
) -> dict[str, Any]:
    """Every argument of the pool's ``aws.ec2.LaunchTemplate``."""
    ami = pool_ami(ctx, pool)
    tags = pool_tags(ctx, pool)
    args: dict[str, Any] = {
        "name": login_pool_resource_name(ctx.name, pool.name),
        "description": f"Login nodes of pool {pool.name} in cluster {ctx.name}",
        "image_id": ami.image_id,
        "instance_type": pool.instance_type,
        "iam_instance_profile": instance_profile,
        "block_device_mappings": [
            {
                "device_name": ami.root_device_name,
                "ebs": {"volume_type": "gp3", "encrypted": "true", "delete_on_termination": "true"},
            }
        ],
        "network_interfaces": [
            {
                "device_index": 0,
                "subnet_id": pool.networking.subnet_ids[0],
                "security_groups": list(security_group_ids),
                "delete_on_termination": "true",
            }
        ],
        "metadata_options": {"http_endpoint": "enabled", "http_tokens": ctx.http_tokens},
        "monitoring": {"enabled": ctx.spec.monitoring.detailed_monitoring},
        "tag_specifications": [
            {"resource_type": kind, "tags": tags} for kind in ("instance", "volume", "network-interface")
        ],
        "tags": {**ctx.tags, TAG_POOL_NAME: pool.name},
        "update_default_version": True,
        "user_data": user_data,
    }
    if ctx.spec.head_node.ssh.key_name:
        # ParallelCluster 3.15+ no longer takes a key per pool: login nodes use the head node's.
        args["key_name"] = ctx.spec.head_node.ssh.key_name
    return args


def _encode(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


@dataclass
class PoolInputs:
    """Outputs of other components one pool is built from."""

    security_group_ids: Sequence[pulumi.Input[str]]
    #: The pool's managed security group, which accepts SSH from the load balancer (None for the user's own).
    managed_group_id: pulumi.Input[str] | None
    instance_profile: InstanceProfileRef
    user_data: pulumi.Input[str]
    depends_on: Sequence[pulumi.Resource] = ()


class LoginPool(pulumi.ComponentResource):
    """One pool: launch template, Auto Scaling group, load balancer, target group, listener."""

    dns_name: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        ctx: ClusterContext,
        pool: LoginNodesPool,
        inputs: PoolInputs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("pcluster:login_nodes:LoginPool", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        plan = self.plan = pool_plan(ctx, pool)
        tags = {**ctx.tags, TAG_POOL_NAME: pool.name}
        lb_group = aws.ec2.SecurityGroup(
            f"{name}-lb-sg",
            vpc_id=ctx.vpc_id,
            description=f"SSH to the load balancer of login pool {pool.name}",
            revoke_rules_on_delete=True,
            tags={**tags, "Name": f"{plan.resource_name}-lb"},
            opts=child,
        )
        allowed = plan.ssh_allowed
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-lb-ssh",
            security_group_id=lb_group.id,
            ip_protocol="tcp",
            from_port=SSH_PORT,
            to_port=SSH_PORT,
            cidr_ipv4=None if allowed.startswith("pl-") else allowed,
            prefix_list_id=allowed if allowed.startswith("pl-") else None,
            description="SSH from the pool's AllowedIps",
            opts=child,
        )
        for index, group in enumerate(inputs.security_group_ids):
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-lb-to-nodes-{index}",
                security_group_id=lb_group.id,
                ip_protocol="tcp",
                from_port=SSH_PORT,
                to_port=SSH_PORT,
                referenced_security_group_id=group,
                description="SSH and health checks to the pool's nodes",
                opts=child,
            )
        if inputs.managed_group_id is not None:
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-nodes-from-lb",
                security_group_id=inputs.managed_group_id,
                ip_protocol="tcp",
                from_port=SSH_PORT,
                to_port=SSH_PORT,
                referenced_security_group_id=lb_group.id,
                description=f"SSH from the load balancer of login pool {pool.name}",
                opts=child,
            )
        template_opts = pulumi.ResourceOptions(parent=self, depends_on=list(inputs.instance_profile.ready))
        self.launch_template = aws.ec2.LaunchTemplate(
            f"{name}-lt",
            opts=template_opts,
            **launch_template_args(
                ctx,
                pool,
                security_group_ids=inputs.security_group_ids,
                instance_profile=inputs.instance_profile.for_launch_template(),
                user_data=pulumi.Output.from_input(inputs.user_data).apply(_encode),
            ),
        )
        # Fixed names (ELB's 32 characters): a replacement (say, the subnet became public) must
        # delete the old one first, or the new one's name would still be taken.
        named = pulumi.ResourceOptions(parent=self, delete_before_replace=True)
        self.load_balancer = aws.lb.LoadBalancer(
            f"{name}-nlb",
            name=plan.elb_name,
            load_balancer_type="network",
            internal=not plan.internet_facing,
            subnets=[plan.subnet_id],
            security_groups=[lb_group.id],
            enable_deletion_protection=False,
            tags=tags,
            opts=named,
        )
        self.target_group = aws.lb.TargetGroup(
            f"{name}-tg",
            name=plan.elb_name,
            port=SSH_PORT,
            protocol="TCP",
            target_type="instance",
            vpc_id=ctx.vpc_id,
            health_check={"protocol": "TCP", "port": str(SSH_PORT)},
            tags=tags,
            opts=named,
        )
        self.listener = aws.lb.Listener(
            f"{name}-ssh",
            load_balancer_arn=self.load_balancer.arn,
            port=SSH_PORT,
            protocol="TCP",
            default_actions=[{"type": "forward", "target_group_arn": self.target_group.arn}],
            tags=tags,
            opts=child,
        )
        group_tags = pool_tags(ctx, pool)
        self.group = aws.autoscaling.Group(
            f"{name}-asg",
            name=plan.resource_name,
            min_size=plan.count,
            max_size=plan.count,
            desired_capacity=plan.count,
            vpc_zone_identifiers=[plan.subnet_id],
            launch_template=aws.autoscaling.GroupLaunchTemplateArgs(
                id=self.launch_template.id, version="$Latest"
            ),
            target_group_arns=[self.target_group.arn],
            initial_lifecycle_hooks=[
                aws.autoscaling.GroupInitialLifecycleHookArgs(**hook) for hook in plan.hooks
            ],
            # Login nodes never block a deployment: they join when their bootstrap completes.
            wait_for_capacity_timeout="0",
            tags=[
                aws.autoscaling.GroupTagArgs(key=k, value=v, propagate_at_launch=True)
                for k, v in sorted(group_tags.items())
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.listener, *inputs.depends_on]),
        )
        self.dns_name = self.load_balancer.dns_name
        self.register_outputs(
            {
                "dnsName": self.dns_name,
                "autoScalingGroup": self.group.name,
                "launchTemplate": plan.resource_name,
            }
        )


class LoginNodes(pulumi.ComponentResource):
    """Every login pool of the cluster (no resource at all without ``LoginNodes``)."""

    def __init__(
        self,
        name: str,
        ctx: ClusterContext,
        *,
        inputs: Callable[[LoginNodesPool], PoolInputs],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("pcluster:login_nodes:LoginNodes", name, None, opts)
        self.pools = {
            pool.name: LoginPool(
                f"{name}-{pool.name}", ctx, pool, inputs(pool), opts=pulumi.ResourceOptions(parent=self)
            )
            for pool in login_pools(ctx.spec)
        }
        self.register_outputs({"dnsNames": self.dns_names()})

    def dns_names(self) -> dict[str, pulumi.Output[str]]:
        """Pool → its load balancer's DNS name (what users ssh to)."""
        return {name: pool.dns_name for name, pool in self.pools.items()}
