"""Day-2 commands: describe a running cluster, its fleet and instances (its logs: ``cli/logs.py``).

They read AWS directly (the cluster's tags, tables and log group) through ``fleet/``, so they
need AWS credentials and nothing else: no Pulumi CLI, no stack state. Names and flags follow
``pcluster`` (``-n/--cluster-name``, ``-r/--region``, ``--filters``), so habits carry over.
boto3 and the fleet modules are imported inside the commands, only for start-up time:
``--help`` and usage errors never load the AWS SDK.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pcluster_pulumi.cli.aws_io import (
    PANEL,
    PREFIX,
    AsJson,
    ClusterName,
    Region,
    aws_session,
    fail,
    print_json,
    table,
)
from pcluster_pulumi.cli.logs import export_cluster_logs, get_cluster_log_events, list_cluster_log_streams

if TYPE_CHECKING:
    pass

__all__ = ["PCLUSTER_NAMES", "register"]


def describe_cluster(name: ClusterName, region: Region = None, as_json: AsJson = False) -> None:
    """Head node, scheduler, fleet status, last update, login pools, storage and logs of a cluster.

    Read from AWS itself (tags, tables, log group): works without the Pulumi CLI or state.
    """
    # start-up: boto3 and the fleet modules load only when a command runs.
    from pcluster_pulumi.fleet.describe import describe_cluster as describe

    with aws_session(region) as clients:
        described = describe(clients, name)
    if as_json:
        print_json(described)
        return
    typer.echo(_cluster_text(described))
    for warning in described["warnings"]:
        typer.echo(f"{PREFIX}: warning: {warning}", err=True)


def _cluster_text(d: dict[str, Any]) -> str:
    """``key: value`` lines, sections indented, in the order of the JSON keys."""
    lines = [
        f"cluster:            {d['clusterName']} ({d['region']})",
        f"status:             {d['clusterStatus']}",
        f"scheduler:          {d['scheduler'] or '-'}",
    ]
    head = d["headNode"]
    if head:
        public = head["publicIpAddress"] or "no public address"
        lines.append(f"head node:          {head['instanceId']} {head['instanceType']} {head['state']}")
        lines.append(
            f"  private:          {head['privateIpAddress']} {head['privateDnsName'] or ''}".rstrip()
        )
        lines.append(f"  public:           {public} {head['publicDnsName'] or ''}".rstrip())
    else:
        lines.append("head node:          none running")
    if d["computeFleetStatus"]:
        since = f" since {d['lastStatusUpdatedTime']}" if d["lastStatusUpdatedTime"] else ""
        lines.append(f"compute fleet:      {d['computeFleetStatus']}{since}")
    update = d["lastUpdate"]
    if update:
        detail = ": ".join(x for x in (update["result"], update["reason"] or update["summary"]) if x)
        about = f" (of version {update['requestedVersion']})" if update["result"] != "APPLIED" else ""
        lines.append(
            f"applied config:     version {update['appliedVersion'] or '?'}, last update {detail}{about}"
        )
    else:
        lines.append("applied config:     no update reported by the head node")
    counts = d["instances"]
    lines.append("instances:          " + ", ".join(f"{n} {kind}" for kind, n in counts.items()))
    for pool in d["loginNodes"]:
        address = pool["address"] or "no load balancer"
        lines.append(f"login pool {pool['poolName'] or '?'}: {pool['runningNodes']} running, {address}")
    for storage in d["sharedStorage"]:
        lines.append(f"storage:            {storage['name'] or '-'} {storage['type']} {storage['id']}")
    lines.append(f"log group:          {d['logGroupName'] or 'none'}")
    if d["dns"]:
        lines.append(f"dns zone:           {d['dns']['domain']} ({d['dns']['hostedZoneId']})")
    return "\n".join(lines)


def describe_compute_fleet(name: ClusterName, region: Region = None, as_json: AsJson = False) -> None:
    """The compute fleet's status (RUNNING, STOP_REQUESTED, STOPPED, …) and when it last changed."""
    # start-up: boto3 and the fleet modules load only when a command runs.
    from pcluster_pulumi.fleet.describe import describe_compute_fleet as describe

    with aws_session(region) as clients:
        fleet = describe(clients, name)
    if as_json:
        print_json(fleet)
    else:
        since = f" (since {fleet['lastStatusUpdatedTime']})" if fleet["lastStatusUpdatedTime"] else ""
        typer.echo(f"{fleet['status']}{since}")


def _node_type(value: str | None) -> str | None:
    """``HeadNode``, ``ComputeNode`` or ``LoginNode``, in any case (``Compute`` as the tag says it)."""
    if value is None:
        return None
    known = {
        "headnode": "HeadNode",
        "computenode": "ComputeNode",
        "compute": "ComputeNode",
        "loginnode": "LoginNode",
    }
    if value.lower() not in known:
        raise typer.BadParameter("use HeadNode, ComputeNode or LoginNode")
    return known[value.lower()]


def describe_cluster_instances(
    name: ClusterName,
    node_type: Annotated[
        str | None,
        typer.Option(
            "--node-type", help="HeadNode, ComputeNode or LoginNode.", callback=_node_type, metavar="TYPE"
        ),
    ] = None,
    queue: Annotated[
        str | None,
        typer.Option("--queue", "--queue-name", help="Only this queue's compute nodes.", metavar="QUEUE"),
    ] = None,
    region: Region = None,
    as_json: AsJson = False,
) -> None:
    """The cluster's instances: id, type, state, launch time, private IP, queue and Slurm node name."""
    # start-up: boto3 and the fleet modules load only when a command runs.
    from pcluster_pulumi.fleet.describe import describe_cluster as describe
    from pcluster_pulumi.fleet.instances import cluster_instances

    with aws_session(region) as clients:
        found = cluster_instances(clients, name, node_type=node_type, queue=queue)
        if not found:
            describe(clients, name)  # an empty list, or ClusterNotFound when nothing of it exists
    if as_json:
        print_json({"instances": [i.as_dict() for i in found]})
        return
    table(
        ["INSTANCE", "NODE TYPE", "TYPE", "STATE", "LAUNCHED", "IP", "QUEUE|POOL", "RESOURCE", "NODE"],
        [
            [
                i.instance_id,
                i.node_type,
                i.instance_type,
                i.state,
                i.launch_time,
                i.private_ip,
                i.queue or i.pool,
                i.compute_resource,
                i.node_name,
            ]
            for i in found
        ],
    )


#: ParallelCluster commands that are spelled differently here, and how.
PCLUSTER_NAMES = {
    "create-cluster": ("up", "pcluster-pulumi up cluster.yaml -n NAME"),
    "update-cluster": (
        "up",
        "pcluster-pulumi up cluster.yaml -n NAME (it shows what the update costs first)",
    ),
    "delete-cluster": ("destroy", "pcluster-pulumi destroy -n NAME"),
    "list-clusters": ("list", "pcluster-pulumi list"),
}


def _pcluster_name(command: str) -> Callable[[typer.Context], None]:
    ours, example = PCLUSTER_NAMES[command]

    def answer(ctx: typer.Context) -> None:
        raise fail(f"`{command}` is `{ours}` here: {example}", code=2)

    answer.__doc__ = f"ParallelCluster's name: use `{ours}`."
    return answer


def register(app: typer.Typer) -> None:
    """Add the day-2 commands, and ParallelCluster's other names, to the main app."""
    # Short help: the command list shows one line each, and click cuts longer ones mid-phrase.
    commands: dict[str, tuple[Callable[..., None], str]] = {
        "describe-cluster": (describe_cluster, "State, head node, fleet, storage and logs."),
        "describe-compute-fleet": (describe_compute_fleet, "Compute fleet status and since when."),
        "describe-cluster-instances": (describe_cluster_instances, "Instances, with queue and Slurm node."),
        "list-cluster-log-streams": (list_cluster_log_streams, "The cluster's CloudWatch log streams."),
        "get-cluster-log-events": (get_cluster_log_events, "A log stream's events (--tail, --follow)."),
        "export-cluster-logs": (export_cluster_logs, "Logs as a local tar.gz, or exported to S3."),
    }
    for command, (function, short) in commands.items():
        app.command(command, short_help=short, rich_help_panel=PANEL)(function)
    extra = {"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []}
    for command in PCLUSTER_NAMES:
        app.command(command, context_settings=extra, rich_help_panel="ParallelCluster's names")(
            _pcluster_name(command)
        )
