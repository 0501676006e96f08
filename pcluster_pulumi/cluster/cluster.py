"""``Cluster``: a whole ParallelCluster-compatible Slurm cluster as one Pulumi component.

Usable in any Pulumi Python program::

    from pcluster_pulumi import Cluster
    cluster = Cluster("demo", "cluster.yaml")        # a path, YAML text, or a ClusterSpec
    pulumi.export("headNodeIp", cluster.head_node_private_ip)

The spec is loaded and validated first (a bad config raises ``SpecError`` listing every
located problem, before anything is registered). AWS facts are then resolved by invokes, once,
through the component's provider, and the children are built in dependency order:

    Network → Bucket, InstanceTable, Dns, ClusterLogs → Iam → SlurmQueues → FleetPolicy
            → HeadNode → Monitoring

Shared storage and Slurm accounting on RDS (a later issue) plug in between ``Network`` and
``HeadNode``: ``storage_inputs()`` hands them what they need (security groups, subnet AZs,
the head node's AZ) and ``RuntimeResources.mounts`` carries their mount table to the nodes.
"""

from __future__ import annotations

import os
from typing import Any

import pulumi

from pcluster_pulumi.cluster.bucket import Bucket, RuntimeConfig
from pcluster_pulumi.cluster.context import ClusterContext
from pcluster_pulumi.cluster.dns import Dns
from pcluster_pulumi.cluster.facts import ClusterFacts, resolve_facts
from pcluster_pulumi.cluster.head_node import HeadNode, HeadNodeInputs
from pcluster_pulumi.cluster.iam import FleetPolicy, Iam
from pcluster_pulumi.cluster.instance_table import InstanceTable
from pcluster_pulumi.cluster.monitoring import ClusterLogs, Monitoring
from pcluster_pulumi.cluster.network import Network
from pcluster_pulumi.cluster.slurm_queues import SlurmQueues
from pcluster_pulumi.cluster.user_data import node_user_data
from pcluster_pulumi.node import naming
from pcluster_pulumi.runtime_config import RuntimeResources
from pcluster_pulumi.spec.loader import load_spec
from pcluster_pulumi.spec.model import ClusterSpec
from pcluster_pulumi.spec.validators.cluster import CLUSTER_NAME_MAX, CLUSTER_NAME_RE

__all__ = ["Cluster", "UnsupportedSpecError"]


class UnsupportedSpecError(ValueError):
    """A valid ParallelCluster config that this version cannot deploy yet (one clear sentence)."""


def check_supported(spec: ClusterSpec, name: str) -> None:
    """Refuse what cannot be deployed, before anything is registered."""
    if not CLUSTER_NAME_RE.match(name) or len(name) > CLUSTER_NAME_MAX:
        raise UnsupportedSpecError(
            f"invalid cluster name {name!r}: it must start with a letter, contain only letters, digits "
            f"and hyphens, and be at most {CLUSTER_NAME_MAX} characters"
        )
    if not spec.is_slurm:
        raise UnsupportedSpecError(
            f"scheduler {spec.scheduling.scheduler!r} is not supported yet: pcluster-pulumi deploys Slurm"
        )
    templates: dict[str, tuple[str, str]] = {}
    for queue in spec.queues:
        for cr in queue.compute_resources or ():
            template = naming.launch_template_name(name, queue.name, cr.name)
            if template in templates:
                other = templates[template]
                raise UnsupportedSpecError(
                    f"queue {queue.name!r} compute resource {cr.name!r} and queue {other[0]!r} compute "
                    f"resource {other[1]!r} would share the launch template name {template!r}; rename one"
                )
            templates[template] = (queue.name, cr.name)
            if not cr.instance_types:
                raise UnsupportedSpecError(
                    f"queue {queue.name!r} compute resource {cr.name!r} names no InstanceType: add the "
                    "capacity reservation's instance type (no Pulumi invoke can read it)"
                )


def deferred_features(spec: ClusterSpec) -> list[str]:
    """Valid settings this version accepts but does not deploy yet (each becomes a warning)."""
    out = []
    if spec.shared_storage:
        out.append(
            f"SharedStorage ({len(spec.shared_storage)} of them) is not provisioned yet: no shared mounts"
        )
    if spec.login_nodes:
        out.append("LoginNodes: only the pools' security groups are created; login instances come later")
    settings = spec.scheduling.slurm_settings
    if settings and settings.database and not settings.database.uri:
        out.append("SlurmSettings.Database without Uri (managed RDS accounting) is not provisioned yet")
    if spec.directory_service:
        out.append("DirectoryService is not configured on the nodes yet (only its secret is readable)")
    proxies = [spec.head_node.networking.proxy, *(q.networking.proxy for q in spec.queues)]
    if any(p and p.http_proxy_address for p in proxies):
        out.append("Networking.Proxy is not configured on the nodes yet: they need direct access to AWS APIs")
    actions = [spec.head_node.custom_actions, *(q.custom_actions for q in spec.queues)]
    if any(actions):
        out.append("CustomActions (OnNodeStart/OnNodeConfigured/OnNodeUpdated) are not run by the nodes yet")
    return out


class Cluster(pulumi.ComponentResource):
    """An HPC cluster from a ParallelCluster v3 config: network, IAM, tables, DNS, queues, head node."""

    spec: ClusterSpec
    context: ClusterContext
    head_node_instance_id: pulumi.Output[str]
    head_node_private_ip: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        spec: ClusterSpec | str | os.PathLike[str],
        opts: pulumi.ResourceOptions | None = None,
        *,
        facts: ClusterFacts | None = None,
    ) -> None:
        """``name`` is the cluster name; ``spec`` a path, YAML text or ``ClusterSpec``.

        ``facts`` skips the AWS invokes (for tests and for callers that resolved them already).
        """
        self.spec = load_spec(spec, cluster_name=name)
        check_supported(self.spec, name)
        super().__init__("pcluster:cluster:Cluster", name, None, opts)
        self.facts = facts or resolve_facts(self.spec, self)
        if self.spec.region and self.spec.region != self.facts.region:
            raise UnsupportedSpecError(
                f"Region is {self.spec.region} but the AWS provider deploys to {self.facts.region}; "
                "configure the provider (aws:region) for the spec's region"
            )
        ctx = self.context = ClusterContext(name, self.spec, self.facts)
        for message in deferred_features(self.spec):
            pulumi.log.warn(message, resource=self)
        child = pulumi.ResourceOptions(parent=self)

        self.network = Network(f"{name}-network", ctx, opts=child)
        self.bucket = Bucket(f"{name}-bucket", ctx, opts=child)
        self.tables = InstanceTable(f"{name}-tables", ctx, opts=child)
        self.dns = Dns(f"{name}-dns", ctx, opts=child)
        self.logs = ClusterLogs(f"{name}-logs", ctx, opts=child)
        self.iam = Iam(
            f"{name}-iam",
            ctx,
            bucket_name=self.bucket.bucket_name,
            artifact_prefix=self.bucket.prefix,
            hosted_zone_id=self.dns.hosted_zone_id,
            log_group_name=self.logs.log_group_name,
            opts=child,
        )

        # Where nodes boot from: known once the interface, bucket and zone exist.
        self._boot = pulumi.Output.all(
            self.network.head_private_ip, self.bucket.bucket_name, self.dns.hosted_zone_id
        ).apply(lambda v: {"head_ip": v[0], "bucket": v[1], "hosted_zone_id": v[2]})
        self.queues = SlurmQueues(
            f"{name}-queues",
            ctx,
            security_groups=self.network.queue_groups,
            instance_profiles=lambda q: self.iam.queues[q.name],
            user_data=self._user_data("compute"),
            opts=child,
        )
        ready = list(self.iam.head.ready)
        if self.iam.head.role is not None:
            fleet = FleetPolicy(
                f"{name}-fleet-policy",
                ctx,
                role=self.iam.head.role.id,
                launch_template_ids=list(self.queues.launch_template_ids().values()),
                security_group_ids=[g for q in self.spec.queues for g in self.network.queue_groups(q)],
                image_ids=sorted({ctx.queue_ami(q).image_id for q in self.spec.queues}),
                placement_group_names=self.queues.placement_group_names(),
                role_arns=self.iam.compute_role_arns(),
                opts=child,
            )
            ready.append(fleet.policy)
        self.runtime_config = RuntimeConfig(
            f"{name}-runtime-config", ctx, bucket=self.bucket, resources=self._runtime_resources(), opts=child
        )
        self.head_node = HeadNode(
            f"{name}-head-node",
            ctx,
            HeadNodeInputs(
                network_interface_id=self.network.head_interface.id,
                private_ip=self.network.head_private_ip,
                instance_profile=self.iam.head.name,
                user_data=self._user_data("head"),
                depends_on=[*ready, self.runtime_config.object],
            ),
            opts=child,
        )
        self.monitoring = Monitoring(
            f"{name}-monitoring",
            ctx,
            head_instance_id=self.head_node.instance_id,
            log_group_name=self.logs.log_group_name,
            opts=child,
        )
        self.head_node_instance_id = self.head_node.instance_id
        self.head_node_private_ip = self.head_node.private_ip
        self.register_outputs(self.outputs())

    def _user_data(self, role: str) -> pulumi.Output[str]:
        """Cloud-init for a node role: where the configuration and node package are, and the head node."""
        bucket = self.bucket
        return self._boot.apply(
            lambda b: node_user_data(
                self.context, role, package_key=bucket.node_package_key, config_key=bucket.config_key, **b
            )
        )

    def _runtime_resources(self) -> pulumi.Output[RuntimeResources]:
        """The deployed ids the runtime configuration names, once they all exist."""
        lt_ids = self.queues.launch_template_ids()
        keys = list(lt_ids)

        def resolve(values: list[Any]) -> RuntimeResources:
            boot, ids = values[0], values[1:]
            return RuntimeResources(
                head_node_private_ip=boot["head_ip"],
                bucket=boot["bucket"],
                node_package_key=self.bucket.node_package_key,
                hosted_zone_id=boot["hosted_zone_id"],
                dns_domain=self.dns.domain if boot["hosted_zone_id"] else None,
                launch_template_ids=dict(zip(keys, ids, strict=True)),
            )

        return pulumi.Output.all(self._boot, *lt_ids.values()).apply(resolve)

    def outputs(self) -> dict[str, Any]:
        """What a program exports about the cluster (camelCase, as stack outputs are)."""
        return {
            "clusterName": self.context.name,
            "region": self.facts.region,
            "headNodeInstanceId": self.head_node.instance_id,
            "headNodePrivateIp": self.head_node.private_ip,
            "headNodePublicIp": self.head_node.public_ip,
            "headNodeAvailabilityZone": self.head_node.availability_zone,
            "clusterBucket": self.bucket.bucket_name,
            "artifactPrefix": self.bucket.prefix,
            "clusterHostedZone": self.dns.hosted_zone_id,
            "clusterDnsDomain": self.dns.domain,
            "logGroupName": self.logs.log_group_name,
            "nodesTable": self.tables.nodes_table_name,
            "statusTable": self.tables.status_table_name,
            "launchTemplates": self.queues.launch_template_names(),
            "headSecurityGroupIds": self.network.head_security_group_ids,
            "computeSecurityGroupIds": self.network.compute_security_group_ids,
        }

    def storage_inputs(self) -> dict[str, Any]:
        """What shared storage needs from the cluster: VPC, AZs, the groups that must reach it."""
        ctx = self.context
        return {
            "vpc_id": ctx.vpc_id,
            "head_availability_zone": ctx.head_availability_zone,
            "subnet_availability_zones": {s: f.availability_zone for s, f in self.facts.subnets.items()},
            "client_security_group_ids": self.network.storage_client_groups(),
        }
