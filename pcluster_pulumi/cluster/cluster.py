"""``Cluster``: a whole ParallelCluster-compatible Slurm cluster as one Pulumi component.

Usable in any Pulumi Python program::

    from pcluster_pulumi import Cluster
    cluster = Cluster("demo", "cluster.yaml")        # a path, YAML text, or a ClusterSpec
    pulumi.export("headNodeIp", cluster.head_node_private_ip)

The spec is loaded and validated first (a bad config raises ``SpecError`` listing every
located problem, before anything is registered). AWS facts are then resolved by invokes, once,
through the component's provider; what the cluster cannot build (an unsupported scheduler,
storage or accounting it cannot create) raises ``UnsupportedSpecError`` before any child exists.
The children are built in dependency order:

    Network → Bucket, InstanceTable, Dns, ClusterLogs → Iam → SharedStorage, SlurmAccounting
            → SlurmQueues → FleetPolicy → RuntimeConfig → HeadNode → EBS attachments, Monitoring
            → LoginNodes (one Auto Scaling group and SSH load balancer per pool)

With ``Scheduler: awsbatch`` there are no Slurm queues, DynamoDB tables or Route 53 zone; the
``BatchScheduler`` (compute environment, job queue, job definitions, job image, IAM) comes after
the storage, and the head node waits for its ``awsb*`` policy and configuration.

Shared storage and accounting reach the nodes through the runtime configuration: its
``mounts`` (the mount table) and ``scheduler.accounting``. The head node waits for that object,
so it boots only once every file system can be mounted and the accounting database answers.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

import pulumi

from pcluster_pulumi.cluster.accounting import SlurmAccounting, accounting_mode, check_accounting
from pcluster_pulumi.cluster.batch import BatchScheduler
from pcluster_pulumi.cluster.bucket import Bucket
from pcluster_pulumi.cluster.dns import Dns
from pcluster_pulumi.cluster.facts import resolve_facts, resolve_reservation_types
from pcluster_pulumi.cluster.head_node import HeadNode, HeadNodeInputs
from pcluster_pulumi.cluster.iam import FleetPolicy, Iam
from pcluster_pulumi.cluster.instance_table import InstanceTable
from pcluster_pulumi.cluster.login_nodes import LoginNodes, PoolInputs, check_login_pools
from pcluster_pulumi.cluster.monitoring import ClusterLogs, Monitoring
from pcluster_pulumi.cluster.network import Network
from pcluster_pulumi.cluster.runtime_config import RuntimeConfig
from pcluster_pulumi.cluster.slurm_queues import SlurmQueues
from pcluster_pulumi.cluster.storage.shared import SharedStorage, check_storage
from pcluster_pulumi.cluster.user_data import head_proxy, login_proxy, node_user_data, queue_proxy
from pcluster_pulumi.contract import names
from pcluster_pulumi.contract.custom_actions import script_url_problem
from pcluster_pulumi.contract.names import cluster_name_rule, is_valid_cluster_name
from pcluster_pulumi.derive.access_config import login_custom_action_urls, login_pools
from pcluster_pulumi.derive.context import ClusterContext
from pcluster_pulumi.derive.facts import ClusterFacts
from pcluster_pulumi.derive.runtime_config import RuntimeResources, custom_action_urls
from pcluster_pulumi.spec.loader import load_spec
from pcluster_pulumi.spec.model import ClusterSpec, SlurmQueue
from pcluster_pulumi.spec.reservations import fill_reservation_types, reservation_ids_without_type

__all__ = ["Cluster", "UnsupportedSpecError"]


class UnsupportedSpecError(ValueError):
    """A valid ParallelCluster config that this version cannot deploy yet (one clear sentence)."""


def check_supported(spec: ClusterSpec, name: str) -> None:
    """Refuse what cannot be deployed, before anything is registered."""
    if not is_valid_cluster_name(name):
        raise UnsupportedSpecError(f"invalid cluster name {name!r}: {cluster_name_rule()}")
    _check_custom_action_urls(spec)
    if not spec.is_slurm and spec.head_node.shared_storage_type == "Efs":
        raise UnsupportedSpecError(
            "HeadNode.SharedStorageType: Efs is not supported with Scheduler: awsbatch: the Batch jobs "
            "mount /home over NFS from the head node's own disk; use Ebs (the default)"
        )
    package = spec.dev_settings.aws_batch_cli_package  # the Batch head node fetches an s3:// one
    if package and package.startswith("s3://") and (problem := script_url_problem(package)):
        raise UnsupportedSpecError(f"DevSettings.AwsBatchCliPackage: {problem}")
    with refusing_unsupported():
        check_login_pools(spec, name)
    templates: dict[str, tuple[str, str]] = {}
    for queue in spec.queues:
        for cr in queue.compute_resources or ():
            template = names.launch_template_name(name, queue.name, cr.name)
            if template in templates:
                other = templates[template]
                raise UnsupportedSpecError(
                    f"queue {queue.name!r} compute resource {cr.name!r} and queue {other[0]!r} compute "
                    f"resource {other[1]!r} would share the launch template name {template!r}; rename one"
                )
            templates[template] = (queue.name, cr.name)
            reservation = cr.capacity_reservation_target
            if not cr.instance_types and not (reservation and reservation.capacity_reservation_id):
                raise UnsupportedSpecError(
                    f"queue {queue.name!r} compute resource {cr.name!r} names no InstanceType: add the "
                    "capacity reservation's instance type (no Pulumi invoke can read it)"
                )


def _check_custom_action_urls(spec: ClusterSpec) -> None:
    """Nodes fetch scripts only from ``s3://BUCKET/KEY`` or ``https://`` (ParallelCluster's UrlValidator)."""
    owners = [("HeadNode", spec.head_node.custom_actions)]
    owners += [(f"queue {q.name!r}", q.custom_actions) for q in spec.queues]
    for owner, actions in owners:
        for url in custom_action_urls(actions):
            problem = script_url_problem(url)
            if problem:
                raise UnsupportedSpecError(f"{owner} CustomActions: Script {problem}")
    for pool in login_pools(spec):
        for url in login_custom_action_urls(pool.custom_actions):
            problem = script_url_problem(url)
            if problem:
                raise UnsupportedSpecError(f"login pool {pool.name!r} CustomActions: Script {problem}")


def deferred_features(spec: ClusterSpec) -> list[str]:
    """Valid settings this version accepts but does not deploy yet (each becomes a warning)."""
    out = []
    if spec.head_node.custom_actions and spec.head_node.custom_actions.on_node_updated:
        out.append(
            "HeadNode.CustomActions.OnNodeUpdated is carried in the runtime configuration but not run yet "
            "(the head node has no update hook)"
        )
    return out


@contextlib.contextmanager
def refusing_unsupported() -> Iterator[None]:
    """Turn a component's ValueError about the spec into ``UnsupportedSpecError`` (one clear line)."""
    try:
        yield
    except UnsupportedSpecError:
        raise
    except ValueError as exc:
        raise UnsupportedSpecError(str(exc)) from exc


class Cluster(pulumi.ComponentResource):
    """An HPC cluster from a ParallelCluster v3 config: network, IAM, DNS, storage, queues, head node."""

    spec: ClusterSpec
    context: ClusterContext
    storage: SharedStorage
    #: None when the spec asks for no Slurm accounting (no ``Database`` or ``ExternalSlurmdbd``).
    accounting: SlurmAccounting | None
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
        if reservations := reservation_ids_without_type(self.spec):  # their type is the reservation's
            with refusing_unsupported():
                types = resolve_reservation_types(reservations, self) if facts is None else {}
                self.spec = fill_reservation_types(self.spec, types)
        self.facts = facts or resolve_facts(self.spec, self)
        if self.spec.region and self.spec.region != self.facts.region:
            raise UnsupportedSpecError(
                f"Region is {self.spec.region} but the AWS provider deploys to {self.facts.region}; "
                "configure the provider (aws:region) for the spec's region"
            )
        ctx = self.context = ClusterContext(name, self.spec, self.facts)
        with refusing_unsupported():
            check_storage(self.spec)
            check_accounting(self.spec, {s: f.availability_zone for s, f in self.facts.subnets.items()})
        for message in deferred_features(self.spec):
            pulumi.log.warn(message, resource=self)
        child = pulumi.ResourceOptions(parent=self)

        self.network = Network(f"{name}-network", ctx, opts=child)
        self.bucket = Bucket(f"{name}-bucket", ctx, opts=child)
        self.tables = InstanceTable(f"{name}-tables", ctx, opts=child) if self.spec.is_slurm else None
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

        storage_ready = self._storage_and_accounting(name, child)

        # Where nodes boot from: known once the interface, bucket and zone exist.
        self._compute_user_data_cache: dict[str | None, pulumi.Output[str]] = {}
        self._boot = pulumi.Output.all(
            self.network.head_private_ip, self.bucket.bucket_name, self.dns.hosted_zone_id
        ).apply(lambda v: {"head_ip": v[0], "bucket": v[1], "hosted_zone_id": v[2]})
        # AWS Batch has no Slurm queues: Batch launches its own instances (BatchScheduler below).
        self.queues: SlurmQueues | None = None
        if self.spec.is_slurm:
            self.queues = SlurmQueues(
                f"{name}-queues",
                ctx,
                security_groups=self.network.queue_groups,
                instance_profiles=lambda q: self.iam.queues[q.name],
                user_data=self._compute_user_data,
                opts=child,
            )
        ready = list(self.iam.head.ready) + storage_ready
        self.batch = None if self.spec.is_slurm else self._batch_scheduler(name, child)
        if self.batch is not None:  # the head node finds the awsb* configuration at boot
            ready.append(self.batch.cli_config_object)
            if self.batch.iam.head_policy is not None:
                ready.append(self.batch.iam.head_policy)
        if self.iam.head.role is not None and self.queues is not None:
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
                user_data=self._user_data("head", head_proxy(ctx.spec)),
                depends_on=[*ready, self.runtime_config.object],
            ),
            opts=child,
        )
        self.storage_attachments = self.storage.attach_to_head_node(self.head_node.instance_id)
        self.monitoring = Monitoring(
            f"{name}-monitoring",
            ctx,
            head_instance_id=self.head_node.instance_id,
            log_group_name=self.logs.log_group_name,
            opts=child,
        )
        # Login nodes boot once the head node shares the munge key, Slurm and the pool's host keys.
        self.login_nodes: LoginNodes | None = None
        if login_pools(self.spec):
            self.login_nodes = LoginNodes(
                f"{name}-login",
                ctx,
                inputs=lambda pool: PoolInputs(
                    security_group_ids=self.network.login_pool_groups(pool),
                    managed_group_id=self.network.managed_login_group(pool),
                    instance_profile=self.iam.login_pools[pool.name],
                    user_data=self._user_data("login", login_proxy(pool), pool=pool.name),
                    depends_on=[self.head_node.instance, self.runtime_config.object],
                ),
                opts=child,
            )
        self.head_node_instance_id = self.head_node.instance_id
        self.head_node_private_ip = self.head_node.private_ip
        self.register_outputs(self.outputs())

    def _storage_and_accounting(self, name: str, child: pulumi.ResourceOptions) -> list[pulumi.Resource]:
        """Build SharedStorage and SlurmAccounting; return the policies the head node must wait for."""
        ctx, facts = self.context, self.facts
        network = self.network.storage_network(ctx)
        head_role = self.iam.head.role
        with refusing_unsupported():
            self.storage = SharedStorage(
                f"{name}-storage", self.spec, network=network, tags=ctx.tags, opts=child
            )
            self.accounting = None
            if accounting_mode(self.spec) is not None:
                self.accounting = SlurmAccounting(
                    f"{name}-accounting",
                    self.spec,
                    cluster_name=name,
                    vpc_id=network.vpc_id,
                    subnet_azs=network.subnet_azs,
                    head_security_groups=network.head_groups,
                    head_role_name=head_role.name if head_role is not None else None,
                    tags=ctx.tags,
                    opts=child,
                )
        # Only roles the cluster created get policies; a user's own role must carry the rights.
        roles: dict[str, pulumi.Input[str]] = {"head": head_role.name} if head_role is not None else {}
        roles.update(
            {f"queue-{q}": ref.role.name for q, ref in self.iam.queues.items() if ref.role is not None}
        )
        roles.update(
            {f"login-{p}": ref.role.name for p, ref in self.iam.login_pools.items() if ref.role is not None}
        )
        ready: list[pulumi.Resource] = list(
            self.storage.efs_client_policies(
                roles, partition=facts.partition, region=facts.region, account_id=facts.account_id
            )
        )
        if self.accounting is not None and self.accounting.secret_policy is not None:
            ready.append(self.accounting.secret_policy)
        head_architecture = facts.instance_type(self.spec.head_node.instance_type).architecture
        self._mounts = self.storage.mount_entries(self.network.head_private_ip, head_architecture)
        return ready

    def _batch_scheduler(self, name: str, child: pulumi.ResourceOptions) -> BatchScheduler:
        """The AWS Batch side: its compute environment runs in the batch queue's security groups."""
        queue = (self.spec.scheduling.aws_batch_queues or ())[0]
        head_role = self.iam.head.role
        with refusing_unsupported():
            return BatchScheduler(
                f"{name}-batch",
                self.context,
                bucket_name=self.bucket.bucket_name,
                artifact_prefix=self.bucket.prefix,
                security_group_ids=self.network.queue_groups(queue),
                head_node_ip=self.network.head_private_ip,
                head_role_name=head_role.name if head_role is not None else None,
                storage_facts=self.storage.resolved,
                proxy=head_proxy(self.spec),
                opts=child,
            )

    def _user_data(self, role: str, proxy: str | None = None, pool: str | None = None) -> pulumi.Output[str]:
        """Cloud-init for a node role: where the configuration and node package are, and the head node."""
        bucket = self.bucket
        return self._boot.apply(
            lambda b: node_user_data(
                self.context,
                role,
                package_key=bucket.node_package_key,
                config_key=bucket.config_key,
                proxy=proxy,
                pool=pool,
                **b,
            )
        )

    def _compute_user_data(self, queue: SlurmQueue) -> pulumi.Output[str]:
        """A queue's compute user data, rendered once per distinct proxy (usually once)."""
        proxy = queue_proxy(queue)
        if proxy not in self._compute_user_data_cache:
            self._compute_user_data_cache[proxy] = self._user_data("compute", proxy)
        return self._compute_user_data_cache[proxy]

    def _runtime_resources(self) -> pulumi.Output[RuntimeResources]:
        """The deployed ids the runtime configuration names, once they all exist."""
        lt_ids = self.queues.launch_template_ids() if self.queues is not None else {}
        keys = list(lt_ids)

        def resolve(values: list[Any]) -> RuntimeResources:
            boot, mounts, accounting, package_etag, *ids = values
            managed = self.accounting is not None and self.accounting.mode == "managed"
            return RuntimeResources(
                head_node_private_ip=boot["head_ip"],
                bucket=boot["bucket"],
                node_package_key=self.bucket.node_package_key,
                # The package object's ETag: a new package changes the runtime configuration, so
                # the head node upgrades itself without its user data (and instance) changing.
                node_package_version=str(package_etag).strip('"') if package_etag else None,
                hosted_zone_id=boot["hosted_zone_id"],
                dns_domain=self.dns.domain if boot["hosted_zone_id"] else None,
                launch_template_ids=dict(zip(keys, ids, strict=True)),
                mounts=tuple(mounts),
                managed_database=(
                    (accounting["host"], int(accounting["port"]), accounting["password_secret_arn"])
                    if managed and accounting
                    else None
                ),
            )

        accounting = self.accounting.config if self.accounting is not None else None
        return pulumi.Output.all(
            self._boot, self._mounts, accounting, self.bucket.node_package.etag, *lt_ids.values()
        ).apply(resolve)

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
            "nodesTable": self.tables.nodes_table_name if self.tables else None,
            "statusTable": self.tables.status_table_name if self.tables else None,
            "launchTemplates": self.queues.launch_template_names() if self.queues is not None else {},
            "headSecurityGroupIds": self.network.head_security_group_ids,
            "computeSecurityGroupIds": self.network.compute_security_group_ids,
            # Pool → its SSH load balancer's DNS name (``ssh -n CLUSTER --pool NAME`` connects there).
            "loginPools": self.login_nodes.dns_names() if self.login_nodes is not None else {},
            **self.storage.ids,
            **(self.batch.outputs() if self.batch is not None else {}),
        }
