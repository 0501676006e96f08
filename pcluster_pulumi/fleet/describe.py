"""``describe-cluster`` and ``describe-compute-fleet``: a cluster's state, read from AWS itself.

There is no CloudFormation stack to ask, so the answer is assembled from what the cluster is
made of: its tagged instances (head, login, compute), the status table (fleet status and the
head node's last update report), its log group, shared storage, load balancers and private zone.
A name none of these know is a ``ClusterNotFound``.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import ClientError

from pcluster_pulumi.contract import names
from pcluster_pulumi.fleet import batch as batch_fleet
from pcluster_pulumi.fleet import resources
from pcluster_pulumi.fleet.aws import AwsClients, ClusterNotFound, Day2Error, error_code
from pcluster_pulumi.fleet.instances import HEAD, LOGIN, NODE_TYPES, cluster_instances

__all__ = ["describe_cluster", "describe_compute_fleet"]

#: Head node fields ``pcluster describe-cluster`` prints, plus the DNS names.
_HEAD_KEYS = (
    "instanceId",
    "instanceType",
    "state",
    "launchTime",
    "privateIpAddress",
    "publicIpAddress",
    "privateDnsName",
    "publicDnsName",
)


#: Services describe-cluster calls; their clients are made up front (creating clients is not
#: thread-safe, calling them is).
_SERVICES = ("ec2", "dynamodb", "logs", "batch", "elbv2", "efs", "fsx", "route53")


def _parallel(tasks: dict[str, Callable[[], Any]]) -> dict[str, Any]:
    """Run independent lookups at once: one round trip of latency instead of one per call.

    An exception in any of them is raised here, in the caller's thread.
    """
    with ThreadPoolExecutor(max_workers=len(tasks)) as pool:
        futures = {key: pool.submit(task) for key, task in tasks.items()}
        return {key: future.result() for key, future in futures.items()}


def describe_cluster(clients: AwsClients, cluster: str) -> dict[str, Any]:
    """Everything ``describe-cluster`` prints, under stable camelCase keys (JSON-ready).

    Two rounds of concurrent calls: what proves the cluster exists (instances, tables, log
    group, Batch environments), then the details (status items, load balancers, storage, zone).
    """
    for service in _SERVICES:
        clients.client(service)
    status_table, nodes_table = names.status_table_name(cluster), names.nodes_table_name(cluster)
    warnings: list[str] = []
    batch_warnings: list[str] = []  # they matter only for a cluster without Slurm tables

    def optional(what: str, task: Callable[[], Any], default: Any) -> Callable[[], Any]:
        return lambda: _allowed(what, task, default, warnings)

    found = _parallel(
        {
            "instances": lambda: cluster_instances(clients, cluster, with_node_names=False),
            "status": lambda: resources.table_exists(clients, status_table),
            "nodes": lambda: resources.table_exists(clients, nodes_table),
            "logs": lambda: resources.log_group_name(clients, cluster),
            "batch": lambda: _allowed(
                "AWS Batch compute environments",
                lambda: resources.batch_compute_environments(clients, cluster),
                [],
                batch_warnings,
            ),
        }
    )
    instances, has_status, has_nodes, log_group = (
        found["instances"],
        found["status"],
        found["nodes"],
        found["logs"],
    )
    batch = [] if has_status or has_nodes else found["batch"]
    if not (has_status or has_nodes):
        warnings.extend(batch_warnings)
    if not (instances or has_status or has_nodes or log_group or batch):
        raise ClusterNotFound(cluster, clients.region)

    details = _parallel(
        {
            "fleet": lambda: resources.fleet_status(clients, cluster) if has_status else None,
            "batch": lambda: _batch_status(clients, cluster) if batch else None,
            "update": lambda: resources.head_node_update(clients, cluster) if has_status else None,
            "balancers": optional(
                "login pools' load balancers", lambda: resources.login_load_balancers(clients, cluster), []
            ),
            "ebs": optional("EBS volumes", lambda: resources.ebs_volumes(clients, cluster), []),
            "efs": optional("EFS file systems", lambda: resources.efs_file_systems(clients, cluster), []),
            "fsx": optional("FSx file systems", lambda: resources.fsx_file_systems(clients, cluster), []),
            "dns": optional("the DNS zone", lambda: resources.hosted_zone(clients, cluster), None),
        }
    )
    storage = resources.sort_storage([*details["ebs"], *details["efs"], *details["fsx"]])
    heads = [i for i in instances if i.node_type == HEAD]
    head = heads[-1] if heads else None  # the newest, if a replacement overlaps the old one
    fleet, update = details["fleet"], details["update"]
    counts = {kind: sum(1 for i in instances if i.node_type == kind) for kind in NODE_TYPES}
    logins = [i for i in instances if i.node_type == LOGIN]
    return {
        "clusterName": cluster,
        "region": clients.region,
        "clusterStatus": _cluster_status(head.state if head else None),
        "scheduler": "slurm" if has_status or has_nodes else ("awsbatch" if batch else None),
        "headNode": {key: head.as_dict()[key] for key in _HEAD_KEYS} if head else None,
        "computeFleetStatus": fleet.status if fleet else details["batch"],
        "lastStatusUpdatedTime": fleet.last_updated if fleet else None,
        "lastUpdate": update.as_dict() if update else None,
        "instances": counts,
        "loginNodes": _login_pools(logins, details["balancers"]),
        "sharedStorage": [s.as_dict() for s in storage],
        "logGroupName": log_group,
        "dns": details["dns"],
        "tables": {
            "nodes": nodes_table if has_nodes else None,
            "status": status_table if has_status else None,
        },
        "batchComputeEnvironments": batch,
        "warnings": sorted(warnings),
    }


#: Answers meaning "this principal may not call that": a detail is then left out, not fatal.
_DENIED = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"})


def _allowed(what: str, task: Callable[[], Any], default: Any, warnings: list[str]) -> Any:
    """``task()``, or ``default`` plus a warning when the credentials may not make that call.

    Least-privilege operators often may read EC2 and DynamoDB but not every service a cluster
    can use; describing the rest beats refusing to describe anything.
    """
    try:
        return task()
    except ClientError as error:
        if error_code(error) not in _DENIED:
            raise
        warnings.append(f"{what} not shown: AWS refused the call ({error_code(error)})")
        return default


def _cluster_status(head_state: str | None) -> str:
    """One word for the whole cluster, from its head node (the Slurm controller).

    ``pcluster`` reports the CloudFormation stack status here; without a stack, the head
    node's state is what decides whether the cluster can be used.
    """
    if head_state is None:
        return "NO_HEAD_NODE"
    return {"running": "RUNNING", "pending": "STARTING"}.get(head_state, head_state.upper())


def _login_pools(logins: list[Any], balancers: list[resources.LoadBalancer]) -> list[dict[str, Any]]:
    pools = sorted({i.pool or "" for i in logins} | {b.pool or "" for b in balancers})
    described = []
    for pool in pools:
        members = [i for i in logins if (i.pool or "") == pool]
        balancer = next((b for b in balancers if (b.pool or "") == pool), None)
        described.append(
            {
                "poolName": pool or None,
                "address": balancer.dns_name if balancer else None,
                "scheme": balancer.scheme if balancer else None,
                "loadBalancerArn": balancer.arn if balancer else None,
                "loadBalancerState": balancer.state if balancer else None,
                "runningNodes": sum(1 for i in members if i.state == "running"),
                "instances": [i.instance_id for i in members],
            }
        )
    return described


def describe_compute_fleet(clients: AwsClients, cluster: str) -> dict[str, Any]:
    """``{"status", "lastStatusUpdatedTime"}`` from the status table, as ``pcluster`` prints it."""
    fleet = resources.fleet_status(clients, cluster)
    if fleet is not None:
        return fleet.as_dict()
    return {"status": _batch_status(clients, cluster), "lastStatusUpdatedTime": None}


def _batch_status(clients: AwsClients, cluster: str) -> str:
    """An AWS Batch cluster's fleet status, from its compute environments' state."""
    try:
        return batch_fleet.status(clients.region, cluster)
    except batch_fleet.NotBatch:
        raise ClusterNotFound(cluster, clients.region) from None
    except ValueError as error:  # an INVALID compute environment
        raise Day2Error(str(error)) from None
