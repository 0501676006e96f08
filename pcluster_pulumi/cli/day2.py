"""Day-2 commands: describe a running cluster, its fleet and instances, read and export its logs.

They read AWS directly (the cluster's tags, tables and log group) through ``fleet/``, so they
need AWS credentials and nothing else: no Pulumi CLI, no stack state. Names and flags follow
``pcluster`` (``-n/--cluster-name``, ``-r/--region``, ``--filters``), so habits carry over.
boto3 and the fleet modules are imported inside the commands, only for start-up time:
``--help`` and usage errors never load the AWS SDK.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pcluster_pulumi.cli.io import check_cluster_name

if TYPE_CHECKING:
    from pcluster_pulumi.fleet.aws import AwsClients

__all__ = ["PCLUSTER_NAMES", "register"]

PREFIX = "pcluster-pulumi"
PANEL = "Day-2: a running cluster, from AWS alone"

ClusterName = Annotated[
    str,
    typer.Option(
        "--cluster-name",
        "-n",
        "-c",
        "--name",
        help="Cluster name.",
        callback=check_cluster_name,
        show_default=False,
        metavar="NAME",
    ),
]
Region = Annotated[
    str | None,
    typer.Option(
        "--region",
        "-r",
        help="AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's).",
        metavar="REGION",
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON on stdout (stable keys).")]
Filters = Annotated[
    list[str] | None,
    typer.Option(
        "--filters",
        help="private-dns-name=HOST[,HOST] or node-type=HeadNode|ComputeNode|LoginNode "
        "(pcluster's Name=…,Values=… works too). Repeat to combine.",
        metavar="FILTER",
    ),
]
Start = Annotated[
    str | None,
    typer.Option(
        "--start-time",
        help="From this time: ISO 8601 (2026-12-01T10:00Z) or ago (30m, 2h, 1d).",
        metavar="TIME",
    ),
]
End = Annotated[
    str | None,
    typer.Option("--end-time", help="Up to this time: ISO 8601 or ago, as --start-time.", metavar="TIME"),
]


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"{PREFIX}: {message}", err=True)
    return typer.Exit(code)


@contextmanager
def _session(region: str | None) -> Iterator[AwsClients]:
    """AWS clients for the region; every AWS failure is one line on stderr and exit 1."""
    # start-up: boto3 and the fleet modules load only when a command runs.
    from pcluster_pulumi.fleet.aws import AwsClients, Day2Error, aws_errors, resolve_region

    try:
        where = resolve_region(region)
        with aws_errors(where):
            yield AwsClients(where)
    except Day2Error as error:
        raise _fail(str(error)) from None
    except KeyboardInterrupt:
        raise _fail("interrupted", code=130) from None


def _millis(text: str | None, option: str) -> int | None:
    # start-up: boto3 and the fleet modules load only when a command runs.
    from pcluster_pulumi.fleet.times import parse_time, to_millis

    if text is None:
        return None
    try:
        return to_millis(parse_time(text))
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint=option) from None


def _filters(values: list[str] | None) -> dict[str, list[str]]:
    # start-up: boto3 and the fleet modules load only when a command runs.
    from pcluster_pulumi.fleet.logs import parse_filters

    try:
        return parse_filters(values or [])
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--filters") from None


def _print_json(payload: Any) -> None:
    typer.echo(json.dumps(payload, indent=2, default=str))


def _table(columns: list[str], rows: list[list[Any]]) -> None:
    # start-up: rich's tables load only when a command prints one.
    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, pad_edge=False, highlight=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*("-" if value in (None, "") else str(value) for value in row))
    Console(highlight=False, markup=False).print(table)


def describe_cluster(name: ClusterName, region: Region = None, as_json: AsJson = False) -> None:
    """Head node, scheduler, fleet status, last update, login pools, storage and logs of a cluster.

    Read from AWS itself (tags, tables, log group): works without the Pulumi CLI or state.
    """
    # start-up: boto3 and the fleet modules load only when a command runs.
    from pcluster_pulumi.fleet.describe import describe_cluster as describe

    with _session(region) as clients:
        described = describe(clients, name)
    if as_json:
        _print_json(described)
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

    with _session(region) as clients:
        fleet = describe(clients, name)
    if as_json:
        _print_json(fleet)
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

    with _session(region) as clients:
        found = cluster_instances(clients, name, node_type=node_type, queue=queue)
        if not found:
            describe(clients, name)  # an empty list, or ClusterNotFound when nothing of it exists
    if as_json:
        _print_json({"instances": [i.as_dict() for i in found]})
        return
    _table(
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


def list_cluster_log_streams(
    name: ClusterName, filters: Filters = None, region: Region = None, as_json: AsJson = False
) -> None:
    """The log streams of the cluster's CloudWatch log group (one per node and log file)."""
    # start-up: boto3 and the fleet modules load only when a command runs.
    from pcluster_pulumi.fleet.logs import list_streams

    wanted = _filters(filters)
    with _session(region) as clients:
        group, streams = list_streams(clients, name, wanted)
    if as_json:
        _print_json({"logGroupName": group, "logStreams": [s.as_dict() for s in streams]})
        return
    rows = [
        [s.name, d["firstEventTimestamp"], d["lastEventTimestamp"]] for s in streams for d in [s.as_dict()]
    ]
    _table(["LOG STREAM", "FIRST EVENT", "LAST EVENT"], rows)


def get_cluster_log_events(
    name: ClusterName,
    stream: Annotated[
        str,
        typer.Option(
            "--log-stream-name",
            help="Stream (see list-cluster-log-streams).",
            metavar="STREAM",
            show_default=False,
        ),
    ],
    start: Start = None,
    end: End = None,
    head: Annotated[
        int | None, typer.Option("--head", help="Only the first N events.", metavar="N", min=0)
    ] = None,
    tail: Annotated[
        int | None, typer.Option("--tail", help="Only the last N events.", metavar="N", min=0)
    ] = None,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new events until Ctrl-C.")
    ] = False,
    limit: Annotated[int | None, typer.Option("--limit", min=0, hidden=True)] = None,
    start_from_head: Annotated[bool, typer.Option("--start-from-head", hidden=True)] = False,
    region: Region = None,
    as_json: AsJson = False,
) -> None:
    """Print a log stream's events, oldest first: `TIME MESSAGE` lines, or JSON.

    With --follow, new events are printed as they arrive (one JSON object per line with --json).
    pcluster's `--limit N [--start-from-head]` works too (the last, or first, N events).
    """
    # start-up: boto3 and the fleet modules load only when a command runs.
    from pcluster_pulumi.fleet.logs import cluster_log_group, events
    from pcluster_pulumi.fleet.logs import follow as follow_stream

    if limit is not None and head is None and tail is None:  # pcluster's spelling of --head / --tail
        head, tail = (limit, None) if start_from_head else (None, limit)
    if head is not None and (tail is not None or follow):
        raise typer.BadParameter("--head cannot be combined with --tail or --follow", param_hint="--head")
    since, until = _millis(start, "--start-time"), _millis(end, "--end-time")
    if follow and until is not None:
        raise typer.BadParameter("--follow cannot be combined with --end-time", param_hint="--follow")
    with _session(region) as clients:
        group = cluster_log_group(clients, name)
        _check_stream(clients, name, group, stream)
        cursor: list[str] = []
        found = events(clients, group, stream, start=since, end=until, head=head, tail=tail, cursor=cursor)
        if as_json and not follow:
            items = [e.as_dict() for e in found]
            _print_json({"logGroupName": group, "logStreamName": stream, "events": items})
            return
        emit = _emitter(as_json)
        for event in found:
            emit(event)
        if follow:
            try:
                for event in follow_stream(clients, group, stream, cursor[0] if cursor else ""):
                    emit(event)
            except KeyboardInterrupt:
                return


def _emitter(as_json: bool) -> Callable[[Any], None]:
    def emit(event: Any) -> None:
        text = json.dumps(event.as_dict()) if as_json else event.line()
        sys.stdout.write(text + "\n")
        sys.stdout.flush()

    return emit


def _check_stream(clients: AwsClients, cluster: str, group: str, stream: str) -> None:
    # start-up: boto3 and the fleet modules load only when a command runs.
    from pcluster_pulumi.fleet.aws import Day2Error

    found = clients.logs.describe_log_streams(logGroupName=group, logStreamNamePrefix=stream, limit=50)
    if not any(s["logStreamName"] == stream for s in found.get("logStreams", [])):
        raise Day2Error(
            f"cluster {cluster!r} has no log stream {stream!r} in {group} "
            f"(pcluster-pulumi list-cluster-log-streams -n {cluster} lists them)"
        )


def export_cluster_logs(
    name: ClusterName,
    output_file: Annotated[
        Path | None,
        typer.Option(
            "--output-file",
            "-o",
            help="Archive to write (default: ./<cluster>-logs-<time>.tar.gz).",
            metavar="FILE",
        ),
    ] = None,
    bucket: Annotated[
        str | None,
        typer.Option(
            "--bucket",
            help="Export to this S3 bucket with a CloudWatch export task instead (same region; it must "
            "let logs.amazonaws.com write).",
            metavar="BUCKET",
        ),
    ] = None,
    bucket_prefix: Annotated[
        str | None,
        typer.Option(
            "--bucket-prefix",
            help="Key prefix in --bucket (default: <cluster>-logs-<time>).",
            metavar="PREFIX",
        ),
    ] = None,
    start: Start = None,
    end: End = None,
    filters: Filters = None,
    region: Region = None,
    as_json: AsJson = False,
) -> None:
    """Save the cluster's logs: a local tar.gz with one file per stream, or an S3 export.

    Each file holds its stream's events in time order, one `TIME MESSAGE` line each.
    """
    # start-up: boto3 and the fleet modules load only when a command runs.
    from pcluster_pulumi.fleet.export import archive_root, export_to_s3, write_archive
    from pcluster_pulumi.fleet.logs import list_streams

    if bucket is not None and output_file is not None:
        raise typer.BadParameter("give --output-file (local archive) or --bucket (S3 export), not both")
    if bucket is None and bucket_prefix is not None:
        raise typer.BadParameter("--bucket-prefix needs --bucket", param_hint="--bucket-prefix")
    since, until = _millis(start, "--start-time"), _millis(end, "--end-time")
    wanted = _filters(filters)
    root = archive_root(name)

    def note(message: str) -> None:
        typer.echo(message, err=True)

    with _session(region) as clients:
        group, streams = list_streams(clients, name, wanted)
        if bucket is not None:
            prefix = bucket_prefix or root
            names = [s.name for s in streams] if wanted else None
            tasks = export_to_s3(
                clients, name, group, bucket, prefix, streams=names, start=since, end=until, progress=note
            )
            url = f"s3://{bucket}/{prefix}/"
            if as_json:
                _print_json({"logGroupName": group, "url": url, "tasks": [t.task_id for t in tasks]})
            else:
                typer.echo(f"exported {group} to {url} ({len(tasks)} export task{'s' * (len(tasks) != 1)})")
            return
        if not streams:
            raise _fail(f"no log stream of {name!r} matches; nothing to export")
        output = output_file or Path(f"{root}.tar.gz")
        counts = write_archive(clients, group, streams, output, root, start=since, end=until, progress=note)
    if as_json:
        _print_json({"logGroupName": group, "path": str(output), "events": counts})
    else:
        typer.echo(f"wrote {output}: {len(counts)} streams, {sum(counts.values())} events")


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
        raise _fail(f"`{command}` is `{ours}` here: {example}", code=2)

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
