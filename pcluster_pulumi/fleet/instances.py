"""The cluster's EC2 instances, found by their tags and joined with the nodes table.

Head, login and compute instances all carry ``parallelcluster:cluster-name`` and
``parallelcluster:node-type`` (the launch templates and the head node put them there), so one
paginated DescribeInstances finds them all; compute instances also carry their queue and compute
resource. The Slurm node name lives only in the nodes table, which the resume program writes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from pcluster_pulumi.contract import names
from pcluster_pulumi.fleet.aws import AwsClients, error_code, paginate
from pcluster_pulumi.fleet.times import iso

__all__ = [
    "NODE_TYPES",
    "TAG_LOGIN_POOL",
    "ClusterInstance",
    "cluster_instances",
    "node_names",
    "tag_node_type",
]

#: Node types as ``pcluster describe-cluster-instances --node-type`` spells them.
HEAD, COMPUTE, LOGIN = "HeadNode", "ComputeNode", "LoginNode"
NODE_TYPES = (HEAD, LOGIN, COMPUTE)
_TAG_VALUE = {HEAD: names.NODE_TYPE_HEAD, COMPUTE: names.NODE_TYPE_COMPUTE, LOGIN: names.NODE_TYPE_LOGIN}
_FROM_TAG = {tag: kind for kind, tag in _TAG_VALUE.items()}
#: Pool tag on login node instances and load balancers (ParallelCluster's key).
TAG_LOGIN_POOL = "parallelcluster:login-nodes-pool"
#: States EC2 still reports for a while after an instance is gone.
GONE = frozenset({"shutting-down", "terminated"})


@dataclass(frozen=True)
class ClusterInstance:
    """One instance of the cluster, with what its tags and the nodes table say about it."""

    instance_id: str
    instance_type: str
    state: str
    launch_time: str | None
    private_ip: str | None
    public_ip: str | None
    private_dns_name: str | None
    public_dns_name: str | None
    node_type: str
    queue: str | None = None
    compute_resource: str | None = None
    pool: str | None = None
    node_name: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Stable camelCase keys for ``--json`` (``pcluster``'s names where it has one)."""
        return {_JSON_KEYS[key]: value for key, value in asdict(self).items()}

    @property
    def live(self) -> bool:
        """Not terminated or on its way out."""
        return self.state not in GONE


_JSON_KEYS = {
    "instance_id": "instanceId",
    "instance_type": "instanceType",
    "state": "state",
    "launch_time": "launchTime",
    "private_ip": "privateIpAddress",
    "public_ip": "publicIpAddress",
    "private_dns_name": "privateDnsName",
    "public_dns_name": "publicDnsName",
    "node_type": "nodeType",
    "queue": "queueName",
    "compute_resource": "computeResourceName",
    "pool": "poolName",
    "node_name": "nodeName",
}


def tag_node_type(node_type: str) -> str:
    """The ``parallelcluster:node-type`` tag value of a node type (``ComputeNode`` → ``Compute``)."""
    return _TAG_VALUE[node_type]


def cluster_instances(
    clients: AwsClients,
    cluster: str,
    *,
    node_type: str | None = None,
    queue: str | None = None,
    include_gone: bool = False,
    with_node_names: bool = True,
) -> list[ClusterInstance]:
    """Instances tagged for the cluster, oldest first, narrowed by node type and queue.

    Terminated instances (EC2 reports them for about an hour) are left out unless asked for.
    """
    filters = [{"Name": f"tag:{names.TAG_CLUSTER_NAME}", "Values": [cluster]}]
    if node_type is not None:
        filters.append({"Name": f"tag:{names.TAG_NODE_TYPE}", "Values": [tag_node_type(node_type)]})
    if queue is not None:
        filters.append({"Name": f"tag:{names.TAG_QUEUE_NAME}", "Values": [queue]})
    if not include_gone:
        live = ["pending", "running", "stopping", "stopped"]
        filters.append({"Name": "instance-state-name", "Values": live})
    found = [
        _instance(item)
        for reservation in paginate(clients.ec2, "describe_instances", "Reservations", Filters=filters)
        for item in reservation["Instances"]
    ]
    if with_node_names and any(i.node_type == COMPUTE for i in found):
        by_instance = node_names(clients, cluster)
        found = [
            _with_node(i, by_instance.get(i.instance_id)) if i.node_type == COMPUTE else i for i in found
        ]
    return sorted(found, key=_order)


def _order(instance: ClusterInstance) -> tuple[Any, ...]:
    """Head node, login nodes, then compute nodes by queue, resource and node number."""
    rank = NODE_TYPES.index(instance.node_type) if instance.node_type in NODE_TYPES else len(NODE_TYPES)
    node: tuple[Any, ...] = ()
    if instance.node_name and names.is_node_name(instance.node_name):
        parsed = names.parse_node_name(instance.node_name)
        node = (parsed.queue, parsed.compute_resource, parsed.kind, parsed.index)
    return (rank, instance.queue or "", node, instance.launch_time or "", instance.instance_id)


def _with_node(instance: ClusterInstance, node: str | None) -> ClusterInstance:
    data = asdict(instance)
    data["node_name"] = node
    return ClusterInstance(**data)


def node_names(clients: AwsClients, cluster: str) -> dict[str, str]:
    """Instance id → Slurm node name, from the nodes table (empty when there is no table)."""
    table = names.nodes_table_name(cluster)
    try:
        items = list(
            paginate(
                clients.dynamodb,
                "scan",
                "Items",
                TableName=table,
                ProjectionExpression="Id, InstanceId",
            )
        )
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            return {}
        raise
    return {
        item["InstanceId"]["S"]: item["Id"]["S"] for item in items if "InstanceId" in item and "Id" in item
    }


def _instance(item: dict[str, Any]) -> ClusterInstance:
    tags = {tag["Key"]: tag["Value"] for tag in item.get("Tags", [])}
    launch = item.get("LaunchTime")
    return ClusterInstance(
        instance_id=item["InstanceId"],
        instance_type=item.get("InstanceType", ""),
        state=item.get("State", {}).get("Name", "unknown"),
        launch_time=iso(launch) if isinstance(launch, datetime) else None,
        private_ip=item.get("PrivateIpAddress") or None,
        public_ip=item.get("PublicIpAddress") or None,
        private_dns_name=item.get("PrivateDnsName") or None,
        public_dns_name=item.get("PublicDnsName") or None,
        node_type=_FROM_TAG.get(tags.get(names.TAG_NODE_TYPE, ""), tags.get(names.TAG_NODE_TYPE, "")),
        queue=tags.get(names.TAG_QUEUE_NAME),
        compute_resource=tags.get(names.TAG_COMPUTE_RESOURCE_NAME),
        pool=tags.get(TAG_LOGIN_POOL),
    )
