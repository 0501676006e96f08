"""EC2 checks: key pair, instance types, AMIs, EFA, subnets, security groups."""

from __future__ import annotations

from collections.abc import Iterator

from pcluster_pulumi.spec.aws_checks.base import aws_validator
from pcluster_pulumi.spec.aws_checks.inventory import Inventory
from pcluster_pulumi.spec.validators.base import ConfigView, Finding


@aws_validator("KeyPairValidator")
def key_pair_exists(view: ConfigView, aws: Inventory) -> Iterator[Finding]:
    """``HeadNode.Ssh.KeyName`` names a key pair of the region (the head node would not launch)."""
    for ref in aws.refs.key_names:
        if ref.value not in aws.key_pairs:
            yield Finding(
                ref.path,
                f"The key pair '{ref.value}' does not exist in {aws.aws.region}; create or import it "
                "(aws ec2 import-key-pair) or name an existing one.",
            )


@aws_validator("InstanceTypeValidator")
def instance_type_offered(view: ConfigView, aws: Inventory) -> Iterator[Finding]:
    """Every instance type (head node, compute resources, login pools) is offered in the region,
    and in the availability zone of every subnet its nodes launch in."""
    for ref, subnets in aws.refs.placements:
        if ref.value not in aws.offered_types:
            yield Finding(
                ref.path,
                f"The instance type '{ref.value}' is not offered in {aws.aws.region} (or does not exist); "
                "check the spelling or choose another type.",
            )
            continue
        zones = {s: aws.subnets[s]["AvailabilityZone"] for s in subnets if s in aws.subnets}
        missing = [
            f"{zone} (subnet {s})" for s, zone in zones.items() if (ref.value, zone) not in aws.zone_offers
        ]
        if missing:
            yield Finding(
                ref.path,
                f"The instance type '{ref.value}' is not offered in {', '.join(missing)}; use a subnet in "
                "another availability zone or another instance type.",
            )


@aws_validator("InstanceTypeBaseAMICompatibleValidator")
def ami_fits_instance_types(view: ConfigView, aws: Inventory) -> Iterator[Finding]:
    """Each custom AMI exists, and its architecture is one the instance types booting it support."""
    for ref, types in aws.refs.amis:
        image = aws.images.get(ref.value)
        if image is None:
            yield Finding(
                ref.path,
                f"The AMI '{ref.value}' does not exist in {aws.aws.region} or is not shared with this "
                "account.",
            )
            continue
        arch = image.get("Architecture")
        wrong = [t for t in dict.fromkeys(types) if aws.architectures(t) and arch not in aws.architectures(t)]
        if wrong:
            yield Finding(
                ref.path,
                f"The AMI '{ref.value}' is built for {arch}, but {', '.join(wrong)} "
                f"support{'s' * (len(wrong) == 1)} only {'/'.join(aws.architectures(wrong[0]))}: use an "
                "AMI of the instance types' architecture.",
            )


@aws_validator("EfaValidator")
def efa_supported(view: ConfigView, aws: Inventory) -> Iterator[Finding]:
    """``Efa.Enabled: true`` only on instance types with an Elastic Fabric Adapter."""
    for ref, types in aws.refs.efa_types:
        for instance_type in types:
            info = aws.instance_types.get(instance_type)
            if info is not None and not info.get("NetworkInfo", {}).get("EfaSupported"):
                yield Finding(
                    ref.path,
                    f"The instance type '{instance_type}' does not support EFA; disable Efa or choose an "
                    "EFA-capable type (c5n, hpc7a, p5, ...).",
                )


@aws_validator("SubnetsValidator")
def subnets_exist_in_one_vpc(view: ConfigView, aws: Inventory) -> Iterator[Finding]:
    """Every subnet exists; all are in one VPC, whose DNS support and DNS hostnames are on
    (nodes find each other by name)."""
    vpcs: dict[str, str] = {}
    for ref in aws.refs.subnets:
        subnet = aws.subnets.get(ref.value)
        if subnet is None:
            yield Finding(ref.path, f"The subnet '{ref.value}' does not exist in {aws.aws.region}.")
            continue
        vpcs.setdefault(subnet["VpcId"], ref.value)
        if len(vpcs) > 1 and subnet["VpcId"] != next(iter(vpcs)):
            first_vpc, first_subnet = next(iter(vpcs.items()))
            yield Finding(
                ref.path,
                f"The subnet '{ref.value}' is in {subnet['VpcId']}, but '{first_subnet}' is in {first_vpc}: "
                "all subnets of a cluster must be in the same VPC.",
            )
    if len(vpcs) == 1:
        vpc = next(iter(vpcs))
        support, hostnames = aws.vpc_dns(vpc)
        path = aws.refs.subnets[0].path
        for name, on in (("DNS resolution (enableDnsSupport)", support), ("DNS hostnames", hostnames)):
            if not on:
                yield Finding(path, f"The VPC {vpc} has {name} disabled; the cluster needs it enabled.")


@aws_validator("QueueSubnetsValidator")
def queue_subnets_in_distinct_zones(view: ConfigView, aws: Inventory) -> Iterator[Finding]:
    """The subnets of one queue are each in a different availability zone."""
    for _, refs in aws.refs.queue_subnets:
        zones: dict[str, str] = {}
        for ref in refs:
            zone = aws.subnets.get(ref.value, {}).get("AvailabilityZone")
            if zone is None:
                continue
            if zone in zones and zones[zone] != ref.value:
                yield Finding(
                    ref.path,
                    f"The subnets '{zones[zone]}' and '{ref.value}' of this queue are both in {zone}; "
                    "give each availability zone one subnet.",
                )
            zones.setdefault(zone, ref.value)


@aws_validator("SecurityGroupsValidator")
def security_groups_exist(view: ConfigView, aws: Inventory) -> Iterator[Finding]:
    """Every security group named in ``SecurityGroups``/``AdditionalSecurityGroups`` exists."""
    for ref in aws.refs.security_groups:
        if ref.value not in aws.security_groups:
            yield Finding(ref.path, f"The security group '{ref.value}' does not exist in {aws.aws.region}.")
