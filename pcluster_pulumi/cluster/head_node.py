"""The head node: an EC2 instance on the pre-created interface, booted with the runtime config.

Its user data is cloud-init rendered by ``node/bootstrap.py`` around the runtime configuration
(``runtime_config.render_runtime_config``), which needs ids that exist only after deployment
(launch templates, the hosted zone, the bucket), so both are rendered inside ``Output.apply``.
Secrets never go in: the document references them by ARN.

IMDS follows ``Imds.ImdsSupport`` (v2.0 → tokens required), the root volume follows
``HeadNode.LocalStorage.RootVolume`` (encrypted by default), ``ElasticIp`` allocates or
associates an address, and ``DisableSimultaneousMultithreading`` sets one thread per core.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from pcluster_pulumi.cluster.context import ClusterContext
from pcluster_pulumi.cluster.user_data import head_node_user_data
from pcluster_pulumi.node import naming
from pcluster_pulumi.runtime_config import RuntimeResources, render_runtime_config

__all__ = ["HeadNode", "HeadNodeInputs", "instance_args"]


@dataclass
class HeadNodeInputs:
    """Outputs of other components the head node is built from."""

    network_interface_id: pulumi.Input[str]
    private_ip: pulumi.Input[str]
    instance_profile: pulumi.Input[str]
    bucket: pulumi.Input[str]
    node_package_key: pulumi.Input[str] | None
    hosted_zone_id: pulumi.Input[str | None]
    dns_domain: str | None
    launch_template_ids: Mapping[tuple[str, str], pulumi.Input[str]]
    #: Resources the instance must wait for (its role's policies, the fleet policy).
    depends_on: Sequence[pulumi.Resource] = field(default_factory=list)


def instance_args(ctx: ClusterContext) -> dict[str, Any]:
    """The spec-only arguments of the head node's ``aws.ec2.Instance``."""
    head = ctx.spec.head_node
    facts = ctx.facts.instance_type(head.instance_type)
    root = head.local_storage.root_volume
    root_device: dict[str, Any] = {
        "volume_type": root.volume_type,
        "encrypted": root.encrypted,
        "delete_on_termination": root.delete_on_termination,
        "tags": {**ctx.node_tags(naming.NODE_TYPE_HEAD), "Name": f"{ctx.name}-head-node-root"},
    }
    for key, value in (("volume_size", root.size), ("iops", root.iops), ("throughput", root.throughput)):
        if value is not None:
            root_device[key] = value
    args: dict[str, Any] = {
        "ami": ctx.head_ami().image_id,
        "instance_type": head.instance_type,
        "metadata_options": {"http_endpoint": "enabled", "http_tokens": ctx.http_tokens},
        "root_block_device": root_device,
        "monitoring": ctx.spec.monitoring.detailed_monitoring,
        "tags": {**ctx.node_tags(naming.NODE_TYPE_HEAD), "Name": f"{ctx.name}-head-node"},
    }
    disks = min(facts.instance_store_disks, 24)
    if disks:
        args["ephemeral_block_devices"] = [
            {"device_name": f"/dev/xvdb{chr(ord('a') + i)}", "virtual_name": f"ephemeral{i}"} for i in range(disks)
        ]
    if head.ssh.key_name:
        args["key_name"] = head.ssh.key_name
    if head.disable_simultaneous_multithreading and facts.threads_per_core > 1:
        args["cpu_options"] = {"core_count": facts.default_cores, "threads_per_core": 1}
    return args


class HeadNode(pulumi.ComponentResource):
    """The head node instance, its Elastic IP, and the runtime config it boots with."""

    instance_id: pulumi.Output[str]
    private_ip: pulumi.Output[str]
    public_ip: pulumi.Output[str | None]

    def __init__(
        self, name: str, ctx: ClusterContext, inputs: HeadNodeInputs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("pcluster:head_node:HeadNode", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        keys = list(inputs.launch_template_ids)

        def render(values: list[Any]) -> str:
            ip, bucket, package_key, zone_id, *lt_ids = values
            resources = RuntimeResources(
                head_node_private_ip=ip,
                bucket=bucket,
                node_package_key=package_key,
                hosted_zone_id=zone_id,
                dns_domain=inputs.dns_domain if zone_id else None,
                launch_template_ids=dict(zip(keys, lt_ids, strict=True)),
            )
            return head_node_user_data(ctx, render_runtime_config(ctx, resources))

        self.user_data = pulumi.Output.all(
            inputs.private_ip,
            inputs.bucket,
            inputs.node_package_key,
            inputs.hosted_zone_id,
            *[inputs.launch_template_ids[k] for k in keys],
        ).apply(render)
        self.instance = aws.ec2.Instance(
            f"{name}-instance",
            primary_network_interface={"network_interface_id": inputs.network_interface_id},
            iam_instance_profile=inputs.instance_profile,
            user_data=self.user_data,
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(inputs.depends_on)),
            **instance_args(ctx),
        )
        self.public_ip = pulumi.Output.from_input(None)
        eip = ctx.spec.head_node.networking.elastic_ip
        if eip is True or isinstance(eip, str):
            if eip is True:
                address = aws.ec2.Eip(
                    f"{name}-eip",
                    domain="vpc",
                    tags={**ctx.node_tags(naming.NODE_TYPE_HEAD), "Name": f"{ctx.name}-head-node"},
                    opts=child,
                )
                allocation: pulumi.Input[str] = address.allocation_id
                self.public_ip = address.public_ip.apply(lambda ip: ip)
            else:
                allocation = ctx.facts.elastic_ips[eip]
                self.public_ip = pulumi.Output.from_input(eip)
            aws.ec2.EipAssociation(
                f"{name}-eip-association",
                allocation_id=allocation,
                network_interface_id=inputs.network_interface_id,
                opts=child,
            )
        self.instance_id = self.instance.id
        self.private_ip = pulumi.Output.from_input(inputs.private_ip)
        self.availability_zone = ctx.head_availability_zone
        self.register_outputs(
            {"instanceId": self.instance_id, "privateIp": self.private_ip, "publicIp": self.public_ip}
        )
