"""The cluster's other AWS resources, found from its name and tags alone.

Each lookup is one home for one service: the status table items (fleet status, the head
node's last update), the log group, shared storage created by the cluster, login pools' load
balancers, the private zone and the scheduler. Every list is paginated; a missing table or
zone is an answer ("none"), not an error.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError

from pcluster_pulumi.contract import names
from pcluster_pulumi.contract.update_report import ITEM_ID, UpdateReport
from pcluster_pulumi.fleet.aws import AwsClients, error_code, paginate
from pcluster_pulumi.fleet.instances import TAG_LOGIN_POOL

__all__ = [
    "FleetStatus",
    "HeadNodeUpdate",
    "LoadBalancer",
    "SharedStorage",
    "batch_compute_environments",
    "ebs_volumes",
    "efs_file_systems",
    "fleet_status",
    "fsx_file_systems",
    "head_node_update",
    "hosted_zone",
    "log_group_name",
    "login_load_balancers",
    "shared_storage",
    "sort_storage",
    "table_exists",
]

#: Fleet status when nobody ever wrote the item (the keeper treats it the same way).
DEFAULT_FLEET_STATUS = "RUNNING"
_FSX_KIND = {"LUSTRE": "FsxLustre", "ONTAP": "FsxOntap", "OPENZFS": "FsxOpenZfs", "WINDOWS": "FsxWindows"}
_NOT_FOUND = {"ResourceNotFoundException", "FileSystemNotFound", "NoSuchHostedZone"}
#: elbv2 DescribeTags accepts at most 20 ARNs per call.
_ELB_TAG_BATCH = 20


@dataclass(frozen=True)
class FleetStatus:
    """The compute fleet status item: ``Data.status`` and when it last changed."""

    status: str
    last_updated: str | None

    def as_dict(self) -> dict[str, Any]:
        """``pcluster describe-compute-fleet``'s keys."""
        return {"status": self.status, "lastStatusUpdatedTime": self.last_updated}


@dataclass(frozen=True)
class HeadNodeUpdate:
    """What the head node last reported about applying a runtime configuration.

    ``applied_version`` is what it runs on now (the previous version after a failure);
    ``requested_version`` the one the report is about (S3 version ids, else ETags).
    """

    result: str
    applied_version: str | None
    requested_version: str | None
    summary: str | None
    reason: str | None
    time: str | None

    def as_dict(self) -> dict[str, Any]:
        """Stable keys for ``--json``."""
        return {
            "result": self.result,
            "appliedVersion": self.applied_version,
            "requestedVersion": self.requested_version,
            "summary": self.summary,
            "reason": self.reason,
            "time": self.time,
        }


@dataclass(frozen=True)
class SharedStorage:
    """A file system or volume the cluster created (tagged with its name)."""

    name: str | None
    storage_type: str
    resource_id: str
    state: str | None

    def as_dict(self) -> dict[str, Any]:
        """Stable keys for ``--json``."""
        return {"name": self.name, "type": self.storage_type, "id": self.resource_id, "state": self.state}


@dataclass(frozen=True)
class LoadBalancer:
    """A login pool's network load balancer."""

    pool: str | None
    arn: str
    dns_name: str
    scheme: str | None
    state: str | None


def _missing(error: ClientError) -> bool:
    return error_code(error) in _NOT_FOUND


def _status_item(clients: AwsClients, cluster: str, item_id: str) -> dict[str, Any] | None:
    """A status-table item as plain Python values; None when the item or the table is absent."""
    try:
        response = clients.dynamodb.get_item(
            TableName=names.status_table_name(cluster), Key={"Id": {"S": item_id}}, ConsistentRead=True
        )
    except ClientError as error:
        if _missing(error):
            return None
        raise
    item = response.get("Item")
    if not item:
        return {}
    deserializer = TypeDeserializer()
    return {key: deserializer.deserialize(value) for key, value in item.items()}


def table_exists(clients: AwsClients, table: str) -> bool:
    """True when the DynamoDB table exists in the region."""
    try:
        clients.dynamodb.describe_table(TableName=table)
    except ClientError as error:
        if _missing(error):
            return False
        raise
    return True


def fleet_status(clients: AwsClients, cluster: str) -> FleetStatus | None:
    """The ``COMPUTE_FLEET`` item; None when the cluster has no status table."""
    item = _status_item(clients, cluster, names.COMPUTE_FLEET_ITEM_ID)
    if item is None:
        return None
    data = item.get("Data") or {}
    status = data.get("status") if isinstance(data, dict) else None
    updated = data.get("lastStatusUpdatedTime") if isinstance(data, dict) else None
    return FleetStatus(str(status or DEFAULT_FLEET_STATUS), str(updated) if updated else None)


def head_node_update(clients: AwsClients, cluster: str) -> HeadNodeUpdate | None:
    """The ``HEAD_NODE_UPDATE`` item (``contract/update_report.py``); None before the first report."""
    try:
        response = clients.dynamodb.get_item(
            TableName=names.status_table_name(cluster), Key={"Id": {"S": ITEM_ID}}, ConsistentRead=True
        )
    except ClientError as error:
        if _missing(error):
            return None
        raise
    if not response.get("Item"):
        return None
    report = UpdateReport.from_item(response["Item"])
    return HeadNodeUpdate(
        result=report.status or "UNKNOWN",
        applied_version=report.applied_version_id or report.applied_etag,
        requested_version=report.config_version_id or report.config_etag or None,
        summary=report.summary or None,
        reason=report.reason or None,
        time=report.time or None,
    )


def log_group_name(clients: AwsClients, cluster: str) -> str | None:
    """The cluster's ``/aws/parallelcluster/<cluster>-<suffix>`` group, the newest if several.

    A retained group of an earlier cluster of the same name has the same prefix; another
    cluster whose name merely starts the same (``demo`` / ``demo-2``) has a dash in the suffix.
    """
    prefix = f"/aws/parallelcluster/{cluster}-"
    own = re.compile(re.escape(prefix) + r"[0-9]+")
    groups = [
        group
        for group in paginate(
            clients.logs, "describe_log_groups", "logGroups", api_max=50, logGroupNamePrefix=prefix
        )
        if own.fullmatch(group["logGroupName"])
    ]
    if not groups:
        return None
    return str(max(groups, key=lambda g: (g.get("creationTime", 0), g["logGroupName"]))["logGroupName"])


def _tags(items: Iterable[dict[str, Any]] | None) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in items or []}


def ebs_volumes(clients: AwsClients, cluster: str) -> list[SharedStorage]:
    """EBS volumes tagged for the cluster, except node root volumes (they carry a node type)."""
    volumes = paginate(
        clients.ec2,
        "describe_volumes",
        "Volumes",
        Filters=[{"Name": f"tag:{names.TAG_CLUSTER_NAME}", "Values": [cluster]}],
    )
    found = []
    for volume in volumes:
        tags = _tags(volume.get("Tags"))
        if names.TAG_NODE_TYPE not in tags:
            found.append(SharedStorage(tags.get("Name"), "Ebs", volume["VolumeId"], volume.get("State")))
    return found


def efs_file_systems(clients: AwsClients, cluster: str) -> list[SharedStorage]:
    """EFS file systems tagged for the cluster."""
    found = []
    for fs in paginate(clients.client("efs"), "describe_file_systems", "FileSystems"):
        tags = _tags(fs.get("Tags"))
        if tags.get(names.TAG_CLUSTER_NAME) == cluster:
            found.append(SharedStorage(tags.get("Name"), "Efs", fs["FileSystemId"], fs.get("LifeCycleState")))
    return found


def fsx_file_systems(clients: AwsClients, cluster: str) -> list[SharedStorage]:
    """FSx file systems (Lustre, ONTAP, OpenZFS) tagged for the cluster."""
    found = []
    for fs in paginate(clients.client("fsx"), "describe_file_systems", "FileSystems"):
        tags = _tags(fs.get("Tags"))
        if tags.get(names.TAG_CLUSTER_NAME) == cluster:
            kind = _FSX_KIND.get(str(fs.get("FileSystemType")), f"Fsx{fs.get('FileSystemType')}")
            found.append(SharedStorage(tags.get("Name"), kind, fs["FileSystemId"], fs.get("Lifecycle")))
    return found


def shared_storage(clients: AwsClients, cluster: str) -> list[SharedStorage]:
    """EBS volumes, EFS and FSx file systems the cluster created, by name.

    Existing file systems a config only references are not tagged with the cluster and so are
    not listed.
    """
    found = [
        *ebs_volumes(clients, cluster),
        *efs_file_systems(clients, cluster),
        *fsx_file_systems(clients, cluster),
    ]
    return sort_storage(found)


def sort_storage(found: list[SharedStorage]) -> list[SharedStorage]:
    """By name, then id: the order every listing shows."""
    return sorted(found, key=lambda s: (s.name or "", s.resource_id))


def login_load_balancers(clients: AwsClients, cluster: str) -> list[LoadBalancer]:
    """Network load balancers tagged for the cluster, with the login pool each serves."""
    elb = clients.client("elbv2")
    balancers = {b["LoadBalancerArn"]: b for b in paginate(elb, "describe_load_balancers", "LoadBalancers")}
    arns = sorted(balancers)
    found: list[LoadBalancer] = []
    for start in range(0, len(arns), _ELB_TAG_BATCH):
        described = elb.describe_tags(ResourceArns=arns[start : start + _ELB_TAG_BATCH])
        for entry in described.get("TagDescriptions", []):
            tags = _tags(entry.get("Tags"))
            if tags.get(names.TAG_CLUSTER_NAME) != cluster:
                continue
            balancer = balancers[entry["ResourceArn"]]
            found.append(
                LoadBalancer(
                    pool=tags.get(TAG_LOGIN_POOL),
                    arn=balancer["LoadBalancerArn"],
                    dns_name=balancer.get("DNSName", ""),
                    scheme=balancer.get("Scheme"),
                    state=(balancer.get("State") or {}).get("Code"),
                )
            )
    return sorted(found, key=lambda b: (b.pool or "", b.arn))


def hosted_zone(clients: AwsClients, cluster: str) -> dict[str, str] | None:
    """The cluster's private zone ``<cluster>.pcluster.`` (id and domain); None when absent."""
    domain = names.hosted_zone_domain(cluster)
    response = clients.client("route53").list_hosted_zones_by_name(DNSName=domain, MaxItems="1")
    for zone in response.get("HostedZones", []):
        if zone["Name"] == domain:
            return {"hostedZoneId": zone["Id"].split("/")[-1], "domain": domain}
    return None


def batch_compute_environments(clients: AwsClients, cluster: str) -> list[str]:
    """Names of AWS Batch compute environments tagged for the cluster (``Scheduler: awsbatch``)."""
    environments = paginate(
        clients.client("batch"), "describe_compute_environments", "computeEnvironments", api_max=100
    )
    return sorted(
        str(env["computeEnvironmentName"])
        for env in environments
        if (env.get("tags") or {}).get(names.TAG_CLUSTER_NAME) == cluster
    )
