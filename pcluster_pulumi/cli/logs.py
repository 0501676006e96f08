"""Log commands: list a cluster's log streams, read one, export them (locally or to S3).

They read the cluster's CloudWatch log group straight from AWS (``fleet/logs.py``,
``fleet/export.py``), with ``pcluster``'s names and flags.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pcluster_pulumi.cli.aws_io import AsJson, ClusterName, Region, aws_session, fail, print_json, table

if TYPE_CHECKING:
    from pcluster_pulumi.fleet.aws import AwsClients

__all__ = ["export_cluster_logs", "get_cluster_log_events", "list_cluster_log_streams"]

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


def list_cluster_log_streams(
    name: ClusterName, filters: Filters = None, region: Region = None, as_json: AsJson = False
) -> None:
    """The log streams of the cluster's CloudWatch log group (one per node and log file)."""
    # start-up: boto3 and the fleet modules load only when a command runs.
    from pcluster_pulumi.fleet.logs import list_streams

    wanted = _filters(filters)
    with aws_session(region) as clients:
        group, streams = list_streams(clients, name, wanted)
    if as_json:
        print_json({"logGroupName": group, "logStreams": [s.as_dict() for s in streams]})
        return
    rows = [
        [s.name, d["firstEventTimestamp"], d["lastEventTimestamp"]] for s in streams for d in [s.as_dict()]
    ]
    table(["LOG STREAM", "FIRST EVENT", "LAST EVENT"], rows)


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
    with aws_session(region) as clients:
        group = cluster_log_group(clients, name)
        _check_stream(clients, name, group, stream)
        cursor: list[str] = []
        found = events(clients, group, stream, start=since, end=until, head=head, tail=tail, cursor=cursor)
        if as_json and not follow:
            items = [e.as_dict() for e in found]
            print_json({"logGroupName": group, "logStreamName": stream, "events": items})
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

    with aws_session(region) as clients:
        group, streams = list_streams(clients, name, wanted)
        if bucket is not None:
            prefix = bucket_prefix or root
            names = [s.name for s in streams] if wanted else None
            tasks = export_to_s3(
                clients, name, group, bucket, prefix, streams=names, start=since, end=until, progress=note
            )
            url = f"s3://{bucket}/{prefix}/"
            if as_json:
                print_json({"logGroupName": group, "url": url, "tasks": [t.task_id for t in tasks]})
            else:
                typer.echo(f"exported {group} to {url} ({len(tasks)} export task{'s' * (len(tasks) != 1)})")
            return
        if not streams:
            raise fail(f"no log stream of {name!r} matches; nothing to export")
        output = output_file or Path(f"{root}.tar.gz")
        counts = write_archive(clients, group, streams, output, root, start=since, end=until, progress=note)
    if as_json:
        print_json({"logGroupName": group, "path": str(output), "events": counts})
    else:
        typer.echo(f"wrote {output}: {len(counts)} streams, {sum(counts.values())} events")
