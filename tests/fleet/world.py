"""A deployed cluster in moto, as the Pulumi program and the node runtime leave it.

Tables, launch templates and the private zone come from ``tests/node/provision.py`` (the same
world the node tests use); compute instances are launched by the real resume program, which
also writes the nodes table and DNS. The head node, login pool and its load balancer, shared
storage and the log group are created with the tags the components put on them, and the log
streams are named as the nodes' CloudWatch agent names them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from pcluster_pulumi.contract import names
from pcluster_pulumi.contract.config import NodeConfig
from pcluster_pulumi.contract.update_report import UpdateReport
from pcluster_pulumi.fleet.instances import TAG_LOGIN_POOL
from pcluster_pulumi.node.aws import Clients
from pcluster_pulumi.node.resume import resume
from tests.node.factories import compute_resource, config_dict, facts
from tests.node.fake_slurm import FakeSlurm
from tests.node.provision import AMI, provision

REGION = "us-east-1"
#: Start of the log events the world writes (recent: CloudWatch refuses events older than 14 days).
EPOCH = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)


def millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@dataclass
class World:
    """Ids of what was created, for the tests to assert on."""

    name: str
    config: NodeConfig
    head_id: str = ""
    head_host: str = ""
    compute: dict[str, str] = field(default_factory=dict)  # node name → instance id
    login_ids: list[str] = field(default_factory=list)
    log_group: str = ""
    streams: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    storage: dict[str, str] = field(default_factory=dict)  # storage name → id
    load_balancer_dns: str = ""


def _tags(name: str, node_type: str | None = None, **extra: str) -> list[dict[str, str]]:
    tags = {names.TAG_CLUSTER_NAME: name, **extra}
    if node_type:
        tags[names.TAG_NODE_TYPE] = node_type
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def build_cluster(
    name: str = "demo",
    *,
    nodes: tuple[str, ...] = ("q1-dy-c5-1", "q1-dy-c5-2", "gpu-dy-g4-1"),
    login_count: int = 2,
    events_per_stream: int = 3,
    fleet: str | None = "RUNNING",
    head_update: UpdateReport | None = None,
    cidr: str = "10.40.0.0/16",
) -> World:
    """Create the cluster ``name`` in the current moto (server or in-process)."""
    queues = [
        {
            "name": "q1",
            "subnet_ids": ["subnet-1"],
            "compute_resources": [compute_resource(name, "q1", "c5", [facts("c5.large")], max_count=50)],
        },
        {
            "name": "gpu",
            "subnet_ids": ["subnet-1"],
            "compute_resources": [compute_resource(name, "gpu", "g4", [facts("g4dn.xlarge")], max_count=4)],
        },
    ]
    document = config_dict(
        name, queues=queues, dns={"hosted_zone_id": "x", "domain": names.hosted_zone_domain(name)}
    )
    config = provision(NodeConfig.from_dict(document), cidr=cidr)
    world = World(name, config)
    subnet = config.queues[0].subnet_ids[0]
    ec2 = boto3.client("ec2", region_name=REGION)

    head = ec2.run_instances(
        ImageId=AMI,
        InstanceType="c5.xlarge",
        MinCount=1,
        MaxCount=1,
        SubnetId=subnet,
        TagSpecifications=[
            {
                "ResourceType": "instance",
                "Tags": [*_tags(name, names.NODE_TYPE_HEAD), {"Key": "Name", "Value": f"{name}-head-node"}],
            }
        ],
    )["Instances"][0]
    world.head_id = head["InstanceId"]
    world.head_host = head["PrivateDnsName"].split(".")[0]

    if nodes:
        report = resume(config, Clients(REGION), FakeSlurm(), list(nodes))
        world.compute = {node: i.instance_id for node, i in report.launched.items()}

    if login_count:
        login = ec2.run_instances(
            ImageId=AMI,
            InstanceType="t3.medium",
            MinCount=login_count,
            MaxCount=login_count,
            SubnetId=subnet,
            TagSpecifications=[
                {
                    "ResourceType": "instance",
                    "Tags": _tags(name, names.NODE_TYPE_LOGIN, **{TAG_LOGIN_POOL: "login"}),
                }
            ],
        )["Instances"]
        world.login_ids = [i["InstanceId"] for i in login]
        elb = boto3.client("elbv2", region_name=REGION)
        balancer = elb.create_load_balancer(
            Name=f"{name}-login"[:32],
            Subnets=[subnet],
            Type="network",
            Scheme="internet-facing",
            Tags=_tags(name, **{TAG_LOGIN_POOL: "login"}),
        )["LoadBalancers"][0]
        world.load_balancer_dns = balancer["DNSName"]

    _storage(world, ec2, subnet)
    _logs(world, events_per_stream)
    _status(world, fleet, head_update)
    return world


def _storage(world: World, ec2: Any, subnet: str) -> None:
    zone = ec2.describe_subnets(SubnetIds=[subnet])["Subnets"][0]["AvailabilityZone"]
    shared = ec2.create_volume(
        AvailabilityZone=zone,
        Size=20,
        TagSpecifications=[
            {"ResourceType": "volume", "Tags": [*_tags(world.name), {"Key": "Name", "Value": "shared"}]}
        ],
    )
    world.storage["shared"] = shared["VolumeId"]
    ec2.create_volume(  # the head node's root volume: tagged with its node type, not shared storage
        AvailabilityZone=zone,
        Size=40,
        TagSpecifications=[{"ResourceType": "volume", "Tags": _tags(world.name, names.NODE_TYPE_HEAD)}],
    )
    efs = boto3.client("efs", region_name=REGION).create_file_system(
        CreationToken=f"{world.name}-home", Tags=[*_tags(world.name), {"Key": "Name", "Value": "home"}]
    )
    world.storage["home"] = efs["FileSystemId"]


def _logs(world: World, per_stream: int) -> None:
    logs = boto3.client("logs", region_name=REGION)
    world.log_group = f"/aws/parallelcluster/{world.name}-20261201093000123400000001"
    logs.create_log_group(logGroupName=world.log_group, tags={names.TAG_CLUSTER_NAME: world.name})
    streams = {f"{world.head_host}.{world.head_id}.{log}": log for log in ("slurmctld", "clustermgtd")}
    ec2 = boto3.client("ec2", region_name=REGION)
    for node, instance_id in sorted(world.compute.items()):
        described = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
        streams[f"{described['PrivateDnsName'].split('.')[0]}.{instance_id}.slurmd"] = node
    for offset, (stream, label) in enumerate(sorted(streams.items())):
        logs.create_log_stream(logGroupName=world.log_group, logStreamName=stream)
        written = [
            (millis(EPOCH + timedelta(seconds=10 * i + offset)), f"{label} line {i}")
            for i in range(per_stream)
        ]
        put_events(world.log_group, stream, written)
        world.streams[stream] = written


def put_events(group: str, stream: str, items: list[tuple[int, str]]) -> None:
    """Append events in batches of 1000 (moto and AWS cap a PutLogEvents call)."""
    logs = boto3.client("logs", region_name=REGION)
    for start in range(0, len(items), 1000):
        batch = [{"timestamp": t, "message": m} for t, m in items[start : start + 1000]]
        if batch:
            logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=batch)


def _status(world: World, fleet: str | None, head_update: UpdateReport | None) -> None:
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    table = names.status_table_name(world.name)
    if fleet is not None:
        item = {
            "Id": {"S": names.COMPUTE_FLEET_ITEM_ID},
            "Data": {
                "M": {"status": {"S": fleet}, "lastStatusUpdatedTime": {"S": "2026-12-01T09:30:00+00:00"}}
            },
        }
        dynamodb.put_item(TableName=table, Item=item)
    if head_update is not None:  # as the head node's update agent writes it
        dynamodb.put_item(TableName=table, Item=head_update.to_item())


def as_json(text: str) -> Any:
    """Parse a command's stdout, failing with the text when it is not JSON."""
    try:
        return json.loads(text)
    except ValueError as error:  # pragma: no cover - shows the output in the failure
        raise AssertionError(f"not JSON: {text!r}") from error
