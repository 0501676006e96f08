"""Create, in moto (in-process or server), the AWS resources a runtime configuration names.

This stands in for what the Pulumi components create: subnets, one launch template per
compute resource (tagged like ParallelCluster's, carrying its first subnet), the two
DynamoDB tables and the private hosted zone. Shared by unit tests, integration tests and
the benchmark so all of them exercise the same world.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import boto3

from pcluster_pulumi.contract import names
from pcluster_pulumi.contract.config import Dns, NodeConfig, Queue

AMI = "ami-12c6146b"  # an image moto ships


def provision(config: NodeConfig, cidr: str = "10.40.0.0/16") -> NodeConfig:
    """Create everything config refers to; return it with real subnet ids and hosted zone id."""
    ec2 = boto3.client("ec2", region_name=config.region)
    vpc_id = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    prefix = cidr.split(".")[:2]
    subnet_ids: dict[str, str] = {}
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]]
    queues = []
    for queue in config.queues:
        real = []
        for subnet in queue.subnet_ids:
            if subnet not in subnet_ids:
                index = len(subnet_ids)
                created = ec2.create_subnet(
                    VpcId=vpc_id,
                    CidrBlock=f"{prefix[0]}.{prefix[1]}.{index * 16}.0/20",
                    AvailabilityZone=zones[index % len(zones)],
                )
                subnet_ids[subnet] = created["Subnet"]["SubnetId"]
            real.append(subnet_ids[subnet])
        queues.append(replace(queue, subnet_ids=tuple(real)))
        _launch_templates(ec2, config, replace(queue, subnet_ids=tuple(real)))
    _tables(config)
    dns = config.dns
    if dns is not None:
        route53 = boto3.client("route53", region_name=config.region)
        zone = route53.create_hosted_zone(
            Name=dns.domain,
            CallerReference=f"{config.cluster_name}-zone",
            HostedZoneConfig={"PrivateZone": True},
            VPC={"VPCRegion": config.region, "VPCId": vpc_id},
        )
        dns = Dns(hosted_zone_id=zone["HostedZone"]["Id"].split("/")[-1], domain=dns.domain)
    return replace(config, queues=tuple(queues), dns=dns)


def _launch_templates(ec2: Any, config: NodeConfig, queue: Queue) -> None:
    for resource in queue.compute_resources:
        tags = [
            {"Key": names.TAG_CLUSTER_NAME, "Value": config.cluster_name},
            {"Key": names.TAG_NODE_TYPE, "Value": names.NODE_TYPE_COMPUTE},
            {"Key": names.TAG_QUEUE_NAME, "Value": queue.name},
            {"Key": names.TAG_COMPUTE_RESOURCE_NAME, "Value": resource.name},
        ]
        data: dict[str, Any] = {
            "ImageId": AMI,
            "TagSpecifications": [{"ResourceType": "instance", "Tags": tags}],
            "InstanceInitiatedShutdownBehavior": "terminate",
        }
        if resource.api == "run-instances":
            data["InstanceType"] = resource.instance_types[0]
            data["NetworkInterfaces"] = [{"DeviceIndex": 0, "SubnetId": queue.subnet_ids[0]}]
        ec2.create_launch_template(LaunchTemplateName=resource.launch_template_name, LaunchTemplateData=data)


def _tables(config: NodeConfig) -> None:
    dynamodb = boto3.client("dynamodb", region_name=config.region)
    dynamodb.create_table(
        TableName=config.tables.nodes_table,
        KeySchema=[{"AttributeName": "Id", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "Id", "AttributeType": "S"},
            {"AttributeName": "InstanceId", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "InstanceId",
                "KeySchema": [{"AttributeName": "InstanceId", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    if config.tables.status_table != config.tables.nodes_table:
        dynamodb.create_table(
            TableName=config.tables.status_table,
            KeySchema=[{"AttributeName": "Id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "Id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )


def running_instances(config: NodeConfig) -> dict[str, dict[str, Any]]:
    """Live compute instances of the cluster by id (what the tests assert on)."""
    ec2 = boto3.client("ec2", region_name=config.region)
    pages = ec2.get_paginator("describe_instances").paginate(
        Filters=[
            {"Name": f"tag:{names.TAG_CLUSTER_NAME}", "Values": [config.cluster_name]},
            {"Name": "instance-state-name", "Values": ["pending", "running"]},
        ]
    )
    return {i["InstanceId"]: i for page in pages for r in page["Reservations"] for i in r["Instances"]}


def table_items(config: NodeConfig) -> dict[str, dict[str, Any]]:
    """Node records in the nodes table by node name."""
    dynamodb = boto3.client("dynamodb", region_name=config.region)
    pages = dynamodb.get_paginator("scan").paginate(TableName=config.tables.nodes_table)
    return {item["Id"]["S"]: item for page in pages for item in page["Items"]}


def a_records(config: NodeConfig) -> dict[str, str]:
    """A records of the cluster zone: name → address."""
    assert config.dns is not None
    route53 = boto3.client("route53", region_name=config.region)
    pages = route53.get_paginator("list_resource_record_sets").paginate(
        HostedZoneId=config.dns.hosted_zone_id
    )
    return {
        r["Name"]: r["ResourceRecords"][0]["Value"]
        for page in pages
        for r in page["ResourceRecordSets"]
        if r["Type"] == "A"
    }
