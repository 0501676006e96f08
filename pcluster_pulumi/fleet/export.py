"""``export-cluster-logs``: the cluster's log streams as a local archive, or exported to S3.

The local archive (the default) needs nothing but read access to CloudWatch Logs: one file per
stream, ``<cluster>-logs-<yyyymmddHHMM>/<stream>.log``, holding the stream's events in time
order, one ``<UTC ISO time> <message>`` line each. Streams are written to a temporary file
first, so memory stays flat however long a stream is.

With a bucket, CloudWatch's own export task writes the objects into S3 (the bucket must allow
``logs.amazonaws.com`` to write). An account runs one export task at a time, so filtered
streams are exported one after the other, each waited for.
"""

from __future__ import annotations

import tarfile
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from botocore.exceptions import ClientError

from pcluster_pulumi.fleet.aws import AwsClients, Day2Error, error_code
from pcluster_pulumi.fleet.logs import Stream, events
from pcluster_pulumi.fleet.times import to_millis

__all__ = ["ExportTask", "archive_root", "default_prefix", "export_to_s3", "write_archive"]

Progress = Callable[[str], None]
_DONE = {"COMPLETED", "CANCELLED", "FAILED", "PENDING_CANCEL"}


def archive_root(cluster: str, now: datetime | None = None) -> str:
    """Top folder of the archive and default file name stem: ``<cluster>-logs-<yyyymmddHHMM>``."""
    return f"{cluster}-logs-{(now or datetime.now(UTC)).strftime('%Y%m%d%H%M')}"


def default_prefix(cluster: str, now: datetime | None = None) -> str:
    """The S3 key prefix when none is given (``pcluster``'s default)."""
    return archive_root(cluster, now)


def _member_name(stream: str) -> str:
    return stream.replace("/", "-") + ".log"


def write_archive(
    clients: AwsClients,
    group: str,
    streams: Sequence[Stream],
    output: Path,
    root: str,
    *,
    start: int | None = None,
    end: int | None = None,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Write the gzipped tar; returns stream name → number of events written."""
    counts: dict[str, int] = {}
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    with (
        tempfile.TemporaryDirectory(prefix="pcluster-pulumi-logs-") as scratch,
        tarfile.open(partial, "w:gz") as archive,
    ):
        for index, stream in enumerate(streams, 1):
            if progress is not None:
                progress(f"[{index}/{len(streams)}] {stream.name}")
            text = Path(scratch) / "stream.log"
            written = 0
            with text.open("w", encoding="utf-8") as handle:
                for event in events(clients, group, stream.name, start=start, end=end):
                    handle.write(event.line() + "\n")
                    written += 1
            archive.add(text, arcname=f"{root}/{_member_name(stream.name)}")
            counts[stream.name] = written
    partial.replace(output)
    return counts


@dataclass(frozen=True)
class ExportTask:
    """A finished CloudWatch export task."""

    task_id: str
    stream_prefix: str | None
    status: str
    message: str | None


def export_to_s3(
    clients: AwsClients,
    cluster: str,
    group: str,
    bucket: str,
    prefix: str,
    *,
    streams: Sequence[str] | None = None,
    start: int | None = None,
    end: int | None = None,
    timeout: float = 3600,
    interval: float = 5,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    progress: Progress | None = None,
) -> list[ExportTask]:
    """Run one export task for the group (or one per stream when filtered), each to completion."""
    end_millis = end if end is not None else to_millis(datetime.now(UTC))
    prefixes: list[str | None] = list(streams) if streams is not None else [None]
    finished = []
    for stream in prefixes:
        arguments = {
            "taskName": f"{cluster}-logs"[:512],
            "logGroupName": group,
            "fromTime": start or 0,
            "to": end_millis,
            "destination": bucket,
            "destinationPrefix": prefix,
        }
        if stream is not None:
            arguments["logStreamNamePrefix"] = stream
        task_id = _create(clients, arguments, timeout, interval, sleep, clock, progress)
        finished.append(_wait(clients, task_id, stream, timeout, interval, sleep, clock, progress))
    return finished


def _create(
    clients: AwsClients,
    arguments: dict[str, object],
    timeout: float,
    interval: float,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
    progress: Progress | None,
) -> str:
    """Create the task, waiting while another export task of the account still runs."""
    deadline = clock() + timeout
    while True:
        try:
            return str(clients.logs.create_export_task(**arguments)["taskId"])
        except ClientError as error:
            if error_code(error) != "LimitExceededException" or clock() >= deadline:
                raise
            if progress is not None:
                progress("another export task is running in this account; waiting for it")
            sleep(interval)


def _wait(
    clients: AwsClients,
    task_id: str,
    stream: str | None,
    timeout: float,
    interval: float,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
    progress: Progress | None,
) -> ExportTask:
    deadline = clock() + timeout
    last = ""
    while True:
        tasks = clients.logs.describe_export_tasks(taskId=task_id).get("exportTasks", [])
        status = (tasks[0].get("status") or {}) if tasks else {}
        code = str(status.get("code", "PENDING"))
        if code != last and progress is not None:
            progress(f"export task {task_id}{f' ({stream})' if stream else ''}: {code}")
        last = code
        if code in _DONE:
            if code != "COMPLETED":
                raise Day2Error(
                    f"export task {task_id} ended {code}: {status.get('message') or 'no reason given'}"
                )
            return ExportTask(task_id, stream, code, status.get("message"))
        if clock() >= deadline:
            raise Day2Error(
                f"export task {task_id} still {code} after {timeout:.0f}s; it keeps running in AWS"
            )
        sleep(interval)
