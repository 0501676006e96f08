"""Facts about the AWS account that the cluster's shape depends on, as plain values.

A launch template needs the AMI's root device name, a multi-card instance needs one network
interface per card, IAM policies need the partition, region and account, a hosted zone needs
the VPC of the head node's subnet. These are read with Pulumi invokes (data sources) here, once,
at the top of ``Cluster``; every component receives the answers as plain values. Nothing else
calls AWS while resources are being declared, so the components can be tested with plain
``ClusterFacts`` and offline ``plan`` only has to answer these few invoke tokens.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pcluster_pulumi.contract.config import InstanceFacts
from pcluster_pulumi.spec.model import ClusterSpec

__all__ = [
    "OS_IMAGE_NAMES",
    "PCLUSTER_AMI_VERSION",
    "AmiFacts",
    "ClusterFacts",
    "FactsRequest",
    "InstanceTypeFacts",
    "SubnetFacts",
    "ami_filters",
    "ami_key",
    "ami_lookups",
    "ami_name_pattern",
    "facts_request",
    "profile_name",
]

#: The ParallelCluster release whose official AMIs (Slurm, munge and drivers preinstalled) we boot
#: when ``Image.CustomAmi`` is not given. Pinned so a redeploy never silently changes Slurm's version.
PCLUSTER_AMI_VERSION = "3.16.1"

#: ``Image.Os`` → the OS part of ParallelCluster's official AMI names.
_OS_IMAGE_NAME = {
    "alinux2": "amzn2",
    "alinux2023": "amzn2023",
    "ubuntu2004": "ubuntu-2004-lts",
    "ubuntu2204": "ubuntu-2204-lts",
    "ubuntu2404": "ubuntu-2404-lts",
    "rhel8": "rhel8",
    "rhel9": "rhel9",
    "rocky8": "rocky8",
    "rocky9": "rocky9",
}

#: The other way round: an official AMI name's OS part → ``Image.Os`` (amzn2 → alinux2 …).
OS_IMAGE_NAMES = {image: os_name for os_name, image in _OS_IMAGE_NAME.items()}


@dataclass(frozen=True)
class SubnetFacts:
    """Where a subnet lives: its VPC and availability zone, and whether it is public."""

    subnet_id: str
    vpc_id: str
    availability_zone: str
    #: The subnet's route table sends traffic to an internet gateway (resolved for login pool
    #: subnets only: their load balancer is internet-facing exactly then).
    internet_gateway: bool = False


@dataclass(frozen=True)
class InstanceTypeFacts:
    """What the cluster must know about an EC2 instance type (DescribeInstanceTypes)."""

    instance_type: str
    vcpus: int
    memory_mib: int
    default_cores: int
    threads_per_core: int = 1
    gpu_count: int = 0
    gpu_type: str | None = None
    efa_supported: bool = False
    max_network_cards: int = 1
    architectures: tuple[str, ...] = ("x86_64",)
    instance_store_disks: int = 0

    @property
    def architecture(self) -> str:
        """The AMI architecture to boot: x86_64 when supported, otherwise the first one listed."""
        return "x86_64" if "x86_64" in self.architectures else self.architectures[0]

    def for_node(self, efa_enabled: bool = False) -> InstanceFacts:
        """The subset the node programs need (Slurm's CPUs, RealMemory, Gres)."""
        return InstanceFacts(
            instance_type=self.instance_type,
            vcpus=self.vcpus,
            memory_mib=self.memory_mib,
            threads_per_core=self.threads_per_core,
            gpu_count=self.gpu_count,
            gpu_type=self.gpu_type,
            efa=efa_enabled and self.efa_supported,
        )


@dataclass(frozen=True)
class AmiFacts:
    """An AMI to boot: its id and the root device its block device mapping must name."""

    image_id: str
    architecture: str
    root_device_name: str
    name: str | None = None


@dataclass(frozen=True)
class ClusterFacts:
    """Every AWS fact the components need, as plain values."""

    region: str
    account_id: str
    partition: str = "aws"
    dns_suffix: str = "amazonaws.com"
    subnets: Mapping[str, SubnetFacts] = field(default_factory=dict)
    instance_types: Mapping[str, InstanceTypeFacts] = field(default_factory=dict)
    amis: Mapping[str, AmiFacts] = field(default_factory=dict)
    #: ``Dns.HostedZoneId`` → the zone's domain name (with trailing dot).
    hosted_zones: Mapping[str, str] = field(default_factory=dict)
    #: name of an existing instance profile → ARN of the role inside it (for ``iam:PassRole``).
    instance_profile_roles: Mapping[str, str] = field(default_factory=dict)
    #: public IP of an existing Elastic IP (``HeadNode.Networking.ElasticIp``) → allocation id.
    elastic_ips: Mapping[str, str] = field(default_factory=dict)

    def subnet(self, subnet_id: str) -> SubnetFacts:
        """Facts of a subnet the spec names (KeyError when it was not resolved)."""
        return self.subnets[subnet_id]

    def instance_type(self, instance_type: str) -> InstanceTypeFacts:
        """Facts of an instance type the spec names."""
        return self.instance_types[instance_type]

    def arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        """An ARN in this partition, e.g. ``arn(“dynamodb”, “table/x”)``; global services drop parts."""
        return (
            f"arn:{self.partition}:{service}:{self.region if region else ''}:"
            f"{self.account_id if account else ''}:{resource}"
        )

    @property
    def ec2_principal(self) -> str:
        """The EC2 service principal instance roles trust (``ec2.amazonaws.com`` or the China suffix)."""
        return f"ec2.{self.dns_suffix}"


def ami_key(os_name: str, architecture: str, custom_ami: str | None) -> str:
    """How an AMI is keyed in ``ClusterFacts.amis``: the custom AMI id, or ``official:<os>:<arch>``."""
    return custom_ami if custom_ami else f"official:{os_name}:{architecture}"


def ami_name_pattern(os_name: str, architecture: str) -> str:
    """Name filter of ParallelCluster's official AMI for an OS and architecture."""
    image_os = _OS_IMAGE_NAME.get(os_name, os_name)
    return f"aws-parallelcluster-{PCLUSTER_AMI_VERSION}-{image_os}-hvm-{architecture}*"


@dataclass(frozen=True)
class FactsRequest:
    """What to look up for a spec: derived from the spec alone so it can be unit-tested."""

    subnets: tuple[str, ...]
    instance_types: tuple[str, ...]
    hosted_zone_id: str | None
    instance_profiles: tuple[str, ...]
    elastic_ip: str | None
    #: Subnets whose route to an internet gateway matters (login pools' load balancers).
    login_subnets: tuple[str, ...] = ()


def _unique(items: Iterable[str | None]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for item in items:
        if item:
            seen.setdefault(item, None)
    return tuple(seen)


def profile_name(profile: str) -> str:
    """An instance profile's name from its name or ARN (``…:instance-profile/path/name``)."""
    return profile.rsplit("/", 1)[-1] if profile.startswith("arn:") else profile


def facts_request(spec: ClusterSpec) -> FactsRequest:
    """The subnets, instance types, zone, profiles and EIP the spec refers to, de-duplicated."""
    head = spec.head_node
    subnets: list[str | None] = [head.networking.subnet_id]
    types: list[str | None] = [head.instance_type]
    profiles: list[str | None] = [head.iam.instance_profile if head.iam else None]
    for queue in spec.queues:
        subnets.extend(queue.networking.subnet_ids)
        profiles.append(queue.iam.instance_profile if queue.iam else None)
        for cr in queue.compute_resources or ():
            types.extend(cr.instance_types)
    for pool in spec.login_nodes.pools if spec.login_nodes else ():
        subnets.extend(pool.networking.subnet_ids)
        types.append(pool.instance_type)
    for batch_queue in spec.scheduling.aws_batch_queues or ():  # EFS mount targets need its AZ
        subnets.extend(batch_queue.networking.subnet_ids)
    dns = spec.scheduling.slurm_settings.dns if spec.scheduling.slurm_settings else None
    zone = dns.hosted_zone_id if dns and not dns.disable_managed_dns else None
    eip = head.networking.elastic_ip
    return FactsRequest(
        subnets=_unique(subnets),
        instance_types=_unique(types),
        hosted_zone_id=zone,
        instance_profiles=tuple(profile_name(p) for p in _unique(profiles)),
        elastic_ip=eip if isinstance(eip, str) else None,
        login_subnets=_unique(
            s
            for pool in (spec.login_nodes.pools if spec.login_nodes else ())
            for s in pool.networking.subnet_ids
        ),
    )


def ami_lookups(
    spec: ClusterSpec, instance_types: Mapping[str, InstanceTypeFacts]
) -> dict[str, tuple[str, str]]:
    """AMI key → (architecture, custom AMI id or "") for the head node, every queue and login pool."""

    def arch_of(types: Iterable[str]) -> str:
        archs = [instance_types[t].architecture for t in types if t in instance_types]
        return archs[0] if archs else "x86_64"

    image = spec.image
    head_custom = (spec.head_node.image.custom_ami if spec.head_node.image else None) or image.custom_ami
    wanted: dict[str, tuple[str, str]] = {}
    head_arch = arch_of([spec.head_node.instance_type])
    wanted[ami_key(image.os, head_arch, head_custom)] = (head_arch, head_custom or "")
    for queue in spec.queues:
        custom = (queue.image.custom_ami if queue.image else None) or image.custom_ami
        arch = arch_of(t for cr in queue.compute_resources or () for t in cr.instance_types)
        wanted.setdefault(ami_key(image.os, arch, custom), (arch, custom or ""))
    for pool in spec.login_nodes.pools if spec.login_nodes else ():
        custom = (pool.image.custom_ami if pool.image else None) or image.custom_ami
        arch = arch_of([pool.instance_type])
        wanted.setdefault(ami_key(image.os, arch, custom), (arch, custom or ""))
    return wanted


def ami_filters(spec: ClusterSpec, architecture: str, custom: str) -> dict[str, Any]:
    if custom:
        return {"filters": [{"name": "image-id", "values": [custom]}]}
    search = spec.dev_settings.ami_search_filters
    filters: list[dict[str, Any]] = [
        {"name": "name", "values": [ami_name_pattern(spec.image.os, architecture)]},
        {"name": "architecture", "values": [architecture]},
    ]
    for tag in (search.tags if search else None) or ():
        filters.append({"name": f"tag:{tag.key}", "values": [tag.value]})
    owner = search.owner if search and search.owner else "amazon"
    return {"most_recent": True, "owners": [owner], "filters": filters}
