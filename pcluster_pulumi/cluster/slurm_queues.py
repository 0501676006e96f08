"""Slurm queues: one launch template per compute resource, placement groups where asked.

The node programs launch compute nodes from the launch template named
``<cluster>-<queue>-<compute resource>`` at ``$Latest``: RunInstances for a single
``InstanceType`` (the template then carries the type, the first queue subnet, spot market
options and CPU options), CreateFleet for ``Instances`` (the fleet request supplies types,
subnets and capacity type, which EC2 refuses to find in the template). Everything the
template holds is computed by the pure ``launch_template_args`` and tested on its own.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from pcluster_pulumi.cluster.iam import InstanceProfileRef
from pcluster_pulumi.contract import names
from pcluster_pulumi.derive.context import ClusterContext, merge_tags
from pcluster_pulumi.spec.model import PlacementGroup, SlurmComputeResource, SlurmQueue

__all__ = ["PlacementPlan", "Queue", "SlurmQueues", "launch_template_args", "placement_for"]

#: EC2 exposes at most 24 instance-store volumes; ParallelCluster maps them to /dev/xvdba….
MAX_EPHEMERAL = 24


@dataclass(frozen=True)
class PlacementPlan:
    """Where a compute resource's nodes are placed: a managed group, an existing one, or anywhere."""

    managed: bool = False
    existing_name: str | None = None


def placement_for(queue: SlurmQueue, cr: SlurmComputeResource) -> PlacementPlan:
    """The compute resource's ``PlacementGroup`` (or else its queue's): managed, existing, or none."""
    group: PlacementGroup | None = None
    if cr.networking and cr.networking.placement_group:
        group = cr.networking.placement_group
    elif queue.networking.placement_group:
        group = queue.networking.placement_group
    if group is None or group.enabled is False:
        return PlacementPlan()
    existing = group.name or group.id
    if existing:
        return PlacementPlan(existing_name=existing)
    return PlacementPlan(managed=bool(group.enabled))


def compute_tags(ctx: ClusterContext, queue: SlurmQueue, cr: SlurmComputeResource) -> dict[str, str]:
    """Tags of a compute node and its volumes: cluster < queue < compute resource, then ours."""
    return merge_tags(
        ctx.tags,
        queue.tags,
        cr.tags,
        {
            "Name": "Compute",
            names.TAG_CLUSTER_NAME: ctx.name,
            names.TAG_NODE_TYPE: names.NODE_TYPE_COMPUTE,
            names.TAG_QUEUE_NAME: queue.name,
            names.TAG_COMPUTE_RESOURCE_NAME: cr.name,
        },
    )


def _flag(value: bool) -> str:
    """Launch template booleans are strings in the provider ("TypeNullableBool")."""
    return "true" if value else "false"


def launch_template_args(
    ctx: ClusterContext,
    queue: SlurmQueue,
    cr: SlurmComputeResource,
    *,
    security_group_ids: Sequence[pulumi.Input[str]],
    instance_profile: dict[str, pulumi.Input[str]],
    placement_group: pulumi.Input[str] | None,
    user_data: pulumi.Input[str],
) -> dict[str, Any]:
    """Every argument of the compute resource's ``aws.ec2.LaunchTemplate``."""
    types = ctx.instance_types_of(cr)
    single = not cr.uses_fleet
    ami = ctx.queue_ami(queue)
    root = queue.compute_settings.local_storage.root_volume
    ebs: dict[str, Any] = {
        "volume_type": root.volume_type,
        "encrypted": _flag(root.encrypted),
        "delete_on_termination": "true",
    }
    for key, value in (("volume_size", root.size), ("iops", root.iops), ("throughput", root.throughput)):
        if value is not None:
            ebs[key] = value
    disks = min(max(t.instance_store_disks for t in types), MAX_EPHEMERAL)
    block_devices: list[dict[str, Any]] = [
        {"device_name": f"/dev/xvdb{chr(ord('a') + i)}", "virtual_name": f"ephemeral{i}"}
        for i in range(disks)
    ]
    block_devices.append({"device_name": ami.root_device_name, "ebs": ebs})

    efa = bool(cr.efa and cr.efa.enabled)
    cards = min(t.max_network_cards for t in types)
    interfaces: list[dict[str, Any]] = []
    for card in range(cards):
        nic: dict[str, Any] = {
            "device_index": 0 if card == 0 else 1,
            "network_card_index": card,
            "security_groups": list(security_group_ids),
            "delete_on_termination": "true",
        }
        if single:
            nic["subnet_id"] = queue.subnet_ids[0]
        if efa:
            nic["interface_type"] = (
                "efa" if card == 0 else (ctx.spec.dev_settings.efa_interface_type or "efa")
            )
        if card == 0 and cards == 1 and queue.networking.assign_public_ip is not None:
            nic["associate_public_ip_address"] = _flag(queue.networking.assign_public_ip)
        interfaces.append(nic)

    tags = compute_tags(ctx, queue, cr)
    args: dict[str, Any] = {
        "name": names.launch_template_name(ctx.name, queue.name, cr.name),
        "description": f"Compute resource {cr.name} of queue {queue.name} in cluster {ctx.name}",
        "image_id": ami.image_id,
        "iam_instance_profile": instance_profile,
        "block_device_mappings": block_devices,
        "network_interfaces": interfaces,
        "metadata_options": {"http_endpoint": "enabled", "http_tokens": ctx.http_tokens},
        "monitoring": {"enabled": ctx.spec.monitoring.detailed_monitoring},
        "instance_initiated_shutdown_behavior": "terminate",
        "tag_specifications": [
            {"resource_type": "instance", "tags": tags},
            {"resource_type": "volume", "tags": tags},
            {"resource_type": "network-interface", "tags": tags},
        ],
        "tags": ctx.tags,
        "update_default_version": True,
        "user_data": user_data,
    }
    if single:
        facts = types[0]
        args["instance_type"] = facts.instance_type
        if cr.disable_simultaneous_multithreading and facts.threads_per_core > 1:
            args["cpu_options"] = {"core_count": facts.default_cores, "threads_per_core": 1}
        if queue.capacity_type == "SPOT":
            spot: dict[str, Any] = {
                "spot_instance_type": "one-time",
                "instance_interruption_behavior": "terminate",
            }
            if cr.spot_price is not None:
                spot["max_price"] = str(cr.spot_price)
            args["instance_market_options"] = {"market_type": "spot", "spot_options": spot}
        elif queue.capacity_type == "CAPACITY_BLOCK":
            args["instance_market_options"] = {"market_type": "capacity-block"}
    target = cr.capacity_reservation_target or queue.capacity_reservation_target
    if target:
        reservation = (
            {"capacity_reservation_id": target.capacity_reservation_id}
            if target.capacity_reservation_id
            else {"capacity_reservation_resource_group_arn": target.capacity_reservation_resource_group_arn}
        )
        args["capacity_reservation_specification"] = {"capacity_reservation_target": reservation}
    if placement_group is not None:
        args["placement"] = {"group_name": placement_group}
    return args


def encode_user_data(text: str) -> str:
    """Launch templates take user data base64-encoded (the provider does not encode it)."""
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


class Queue(pulumi.ComponentResource):
    """One queue's launch templates and managed placement groups."""

    def __init__(
        self,
        name: str,
        ctx: ClusterContext,
        queue: SlurmQueue,
        *,
        security_group_ids: Sequence[pulumi.Input[str]],
        instance_profile: InstanceProfileRef,
        user_data: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("pcluster:slurm_queues:Queue", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # A node must never boot before its role's policies exist; the head node launches from
        # these templates only after they do.
        template_opts = pulumi.ResourceOptions(parent=self, depends_on=list(instance_profile.ready))
        encoded = pulumi.Output.from_input(user_data).apply(encode_user_data)
        self.launch_templates: dict[str, aws.ec2.LaunchTemplate] = {}
        self.launch_template_names: dict[str, str] = {}
        self.placement_group_names: list[pulumi.Input[str]] = []
        for cr in queue.compute_resources or ():
            placement = placement_for(queue, cr)
            group: pulumi.Input[str] | None = placement.existing_name
            if placement.managed:
                managed = aws.ec2.PlacementGroup(
                    f"{name}-{cr.name}-pg", strategy="cluster", tags=ctx.tags, opts=child
                )
                group = managed.name
            if group is not None:
                self.placement_group_names.append(group)
            args = launch_template_args(
                ctx,
                queue,
                cr,
                security_group_ids=security_group_ids,
                instance_profile=instance_profile.for_launch_template(),
                placement_group=group,
                user_data=encoded,
            )
            self.launch_template_names[cr.name] = args["name"]
            self.launch_templates[cr.name] = aws.ec2.LaunchTemplate(
                f"{name}-{cr.name}", opts=template_opts, **args
            )
        self.register_outputs({"launchTemplateIds": {k: lt.id for k, lt in self.launch_templates.items()}})


class SlurmQueues(pulumi.ComponentResource):
    """Every queue of the cluster; the launch templates the head node may launch from."""

    def __init__(
        self,
        name: str,
        ctx: ClusterContext,
        *,
        security_groups: Callable[[SlurmQueue], Sequence[pulumi.Input[str]]],
        instance_profiles: Callable[[SlurmQueue], InstanceProfileRef],
        user_data: Callable[[SlurmQueue], pulumi.Input[str]],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("pcluster:slurm_queues:SlurmQueues", name, None, opts)
        self.queues = {
            queue.name: Queue(
                f"{name}-{queue.name}",
                ctx,
                queue,
                security_group_ids=security_groups(queue),
                instance_profile=instance_profiles(queue),
                user_data=user_data(queue),
                opts=pulumi.ResourceOptions(parent=self),
            )
            for queue in ctx.spec.queues
        }
        self.register_outputs({"launchTemplates": self.launch_template_names()})

    def launch_template_ids(self) -> dict[tuple[str, str], pulumi.Output[str]]:
        """(queue, compute resource) → launch template id."""
        return {(q, cr): lt.id for q, sq in self.queues.items() for cr, lt in sq.launch_templates.items()}

    def launch_template_names(self) -> dict[str, str]:
        """``queue/compute resource`` → launch template name (what resume launches by)."""
        return {
            f"{q}/{cr}": lt for q, sq in self.queues.items() for cr, lt in sq.launch_template_names.items()
        }

    def placement_group_names(self) -> list[pulumi.Input[str]]:
        """Every placement group compute nodes may be launched into."""
        return [g for sq in self.queues.values() for g in sq.placement_group_names]
