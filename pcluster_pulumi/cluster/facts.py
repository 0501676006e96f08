"""Resolve the account facts the cluster's shape depends on, once, with Pulumi invokes.

The facts themselves are plain values (``derive/facts.py``); this is the only place they are
read from AWS while the program runs, at the top of ``Cluster``. Offline ``plan`` and unit tests
answer exactly these invoke tokens (``engines/offline``), or pass ``ClusterFacts`` directly.
"""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from pcluster_pulumi.derive.facts import (
    AmiFacts,
    ClusterFacts,
    InstanceTypeFacts,
    SubnetFacts,
    ami_filters,
    ami_lookups,
    facts_request,
)
from pcluster_pulumi.spec.model import ClusterSpec

__all__ = ["CAPACITY_RESERVATION_TYPE", "resolve_facts", "resolve_reservation_types"]

#: Cloud Control type read for a capacity reservation (pulumi-aws has no EC2 data source for it).
CAPACITY_RESERVATION_TYPE = "AWS::EC2::CapacityReservation"


def resolve_reservation_types(reservation_ids: tuple[str, ...], parent: pulumi.Resource) -> dict[str, str]:
    """Instance type of each capacity reservation, read with a Cloud Control invoke (as a Pulumi
    program reads any existing resource), so a compute resource may name only its reservation."""
    opts = pulumi.InvokeOptions(parent=parent)
    types = {}
    for reservation_id in reservation_ids:
        found = aws.cloudcontrol.get_resource(
            type_name=CAPACITY_RESERVATION_TYPE, identifier=reservation_id, opts=opts
        )
        instance_type = json.loads(found.properties or "{}").get("InstanceType")
        if not instance_type:
            raise ValueError(f"capacity reservation {reservation_id} has no instance type")
        types[reservation_id] = str(instance_type)
    return types


def resolve_facts(spec: ClusterSpec, parent: pulumi.Resource) -> ClusterFacts:
    """Make every invoke the spec needs (through ``parent``'s provider) and return plain facts."""
    opts = pulumi.InvokeOptions(parent=parent)
    request = facts_request(spec)
    region = aws.get_region(opts=opts).region
    identity = aws.get_caller_identity(opts=opts)
    partition = aws.get_partition(opts=opts)
    subnets = {}
    for subnet_id in request.subnets:
        found = aws.ec2.get_subnet(id=subnet_id, opts=opts)
        public = subnet_id in request.login_subnets and _routes_to_internet_gateway(
            subnet_id, found.vpc_id, opts
        )
        subnets[subnet_id] = SubnetFacts(subnet_id, found.vpc_id, found.availability_zone, public)
    types = {name: _instance_type(name, opts) for name in request.instance_types}
    amis = {}
    for key, (arch, custom) in ami_lookups(spec, types).items():
        found_ami = aws.ec2.get_ami(**ami_filters(spec, arch, custom), opts=opts)
        amis[key] = AmiFacts(
            image_id=found_ami.id,
            architecture=found_ami.architecture or arch,
            root_device_name=found_ami.root_device_name or "/dev/xvda",
            name=found_ami.name,
        )
    zones = {}
    if request.hosted_zone_id:
        zones[request.hosted_zone_id] = aws.route53.get_zone(zone_id=request.hosted_zone_id, opts=opts).name
    profiles = {
        p: aws.iam.get_instance_profile(name=p, opts=opts).role_arn for p in request.instance_profiles
    }
    eips = {}
    if request.elastic_ip:
        eips[request.elastic_ip] = aws.ec2.get_elastic_ip(public_ip=request.elastic_ip, opts=opts).id
    return ClusterFacts(
        region=region,
        account_id=identity.account_id,
        partition=partition.partition,
        dns_suffix=partition.dns_suffix,
        subnets=subnets,
        instance_types=types,
        amis=amis,
        hosted_zones=zones,
        instance_profile_roles=profiles,
        elastic_ips=eips,
    )


#: DescribeRouteTables filter: a route whose target is an internet gateway.
_IGW_ROUTE = aws.ec2.GetRouteTablesFilterArgs(name="route.gateway-id", values=["igw-*"])


def _routes_to_internet_gateway(subnet_id: str, vpc_id: str, opts: pulumi.InvokeOptions) -> bool:
    """Whether the subnet's route table (its own, else the VPC's main one) targets an internet gateway."""
    own = [aws.ec2.GetRouteTablesFilterArgs(name="association.subnet-id", values=[subnet_id])]
    if aws.ec2.get_route_tables(filters=own, opts=opts).ids:
        return bool(aws.ec2.get_route_tables(filters=[*own, _IGW_ROUTE], opts=opts).ids)
    main = [aws.ec2.GetRouteTablesFilterArgs(name="association.main", values=["true"]), _IGW_ROUTE]
    return bool(aws.ec2.get_route_tables(vpc_id=vpc_id, filters=main, opts=opts).ids)


def _instance_type(name: str, opts: pulumi.InvokeOptions) -> InstanceTypeFacts:
    found = aws.ec2.get_instance_type(instance_type=name, opts=opts)
    gpus = list(found.gpuses or [])
    return InstanceTypeFacts(
        instance_type=name,
        vcpus=int(found.default_vcpus or 1),
        memory_mib=int(found.memory_size or 1),
        default_cores=int(found.default_cores or found.default_vcpus or 1),
        threads_per_core=int(found.default_threads_per_core or 1),
        gpu_count=sum(int(g.count or 0) for g in gpus),
        gpu_type=(gpus[0].name.lower() if gpus and gpus[0].name else None),
        efa_supported=bool(found.efa_supported),
        max_network_cards=int(found.maximum_network_cards or 1),
        architectures=tuple(found.supported_architectures or ("x86_64",)),
        instance_store_disks=sum(int(d.count or 0) for d in (found.instance_disks or [])),
    )
