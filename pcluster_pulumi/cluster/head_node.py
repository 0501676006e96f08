"""The head node: an EC2 instance on the pre-created interface, booted by ``node/bootstrap.py``.

Its user data (rendered in ``Output.apply`` once the bucket and the interface exist) points at
the runtime configuration object, which the head node fetches at boot; it waits for that
object, its role's policies and the fleet policy, so it never boots half-equipped. Secrets
never go in user data: the configuration references them by ARN.

IMDS follows ``Imds.ImdsSupport`` (v2.0 → tokens required), the root volume follows
``HeadNode.LocalStorage.RootVolume`` (encrypted by default), ``ElasticIp`` allocates or
associates an address, and ``DisableSimultaneousMultithreading`` sets one thread per core.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from pcluster_pulumi.contract import names
from pcluster_pulumi.derive.context import ClusterContext

__all__ = ["HeadNode", "HeadNodeInputs", "instance_args"]


@dataclass
class HeadNodeInputs:
    """Outputs of other components the head node is built from."""

    network_interface_id: pulumi.Input[str]
    private_ip: pulumi.Input[str]
    instance_profile: pulumi.Input[str]
    user_data: pulumi.Input[str]
    #: Resources the instance must wait for (policies, the runtime configuration object).
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
        "tags": {**ctx.node_tags(names.NODE_TYPE_HEAD), "Name": f"{ctx.name}-head-node-root"},
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
        "tags": {**ctx.node_tags(names.NODE_TYPE_HEAD), "Name": f"{ctx.name}-head-node"},
    }
    disks = min(facts.instance_store_disks, 24)
    if disks:
        args["ephemeral_block_devices"] = [
            {"device_name": f"/dev/xvdb{chr(ord('a') + i)}", "virtual_name": f"ephemeral{i}"}
            for i in range(disks)
        ]
    if head.ssh.key_name:
        args["key_name"] = head.ssh.key_name
    if head.disable_simultaneous_multithreading and facts.threads_per_core > 1:
        args["cpu_options"] = {"core_count": facts.default_cores, "threads_per_core": 1}
    return args


class HeadNode(pulumi.ComponentResource):
    """The head node instance and its Elastic IP (allocated, or an existing one associated)."""

    instance_id: pulumi.Output[str]
    private_ip: pulumi.Output[str]
    public_ip: pulumi.Output[str | None]

    def __init__(
        self,
        name: str,
        ctx: ClusterContext,
        inputs: HeadNodeInputs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("pcluster:head_node:HeadNode", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.instance = aws.ec2.Instance(
            f"{name}-instance",
            primary_network_interface={"network_interface_id": inputs.network_interface_id},
            iam_instance_profile=inputs.instance_profile,
            user_data=inputs.user_data,
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
                    tags={**ctx.node_tags(names.NODE_TYPE_HEAD), "Name": f"{ctx.name}-head-node"},
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
