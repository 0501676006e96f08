"""The cluster's CloudWatch logs: streams, filtered as ``pcluster`` filters them, and their events.

Nodes name their streams as ParallelCluster's CloudWatch agent does:
``<short private hostname>.<instance id>.<log name>`` (e.g. ``ip-10-0-0-12.i-0abc.slurmctld``).
So ``private-dns-name`` filters by the name's first part, and ``node-type`` by the instance ids
EC2 reports for that node type (terminated ones included while EC2 still knows them).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pcluster_pulumi.fleet.aws import AwsClients, ClusterNotFound, Day2Error, paginate
from pcluster_pulumi.fleet.instances import NODE_TYPES, cluster_instances
from pcluster_pulumi.fleet.resources import log_group_name
from pcluster_pulumi.fleet.times import from_millis

__all__ = [
    "FILTER_NAMES",
    "LogEvent",
    "Stream",
    "cluster_log_group",
    "events",
    "follow",
    "list_streams",
    "parse_filters",
]

FILTER_NAMES = ("private-dns-name", "node-type")
#: GetLogEvents returns at most 10,000 events per call.
EVENTS_PER_CALL = 10_000


@dataclass(frozen=True)
class Stream:
    """A log stream of the cluster's group."""

    name: str
    creation_time: int | None
    first_event: int | None
    last_event: int | None

    def as_dict(self) -> dict[str, Any]:
        """``pcluster list-cluster-log-streams``'s keys, times in UTC ISO 8601."""
        return {
            "logStreamName": self.name,
            "creationTime": _maybe_iso(self.creation_time),
            "firstEventTimestamp": _maybe_iso(self.first_event),
            "lastEventTimestamp": _maybe_iso(self.last_event),
        }


@dataclass(frozen=True)
class LogEvent:
    """One log line and when it was logged (epoch milliseconds)."""

    timestamp: int
    message: str

    def line(self) -> str:
        """``<UTC ISO time> <message>``: how the text output and the archive show an event."""
        return f"{from_millis(self.timestamp)} {self.message.rstrip(chr(10))}"

    def as_dict(self) -> dict[str, Any]:
        """Stable keys for ``--json``."""
        return {"timestamp": from_millis(self.timestamp), "message": self.message}


def _maybe_iso(millis: int | None) -> str | None:
    return from_millis(millis) if millis is not None else None


def parse_filters(values: Sequence[str]) -> dict[str, list[str]]:
    """``private-dns-name=ip-10-0-0-1`` or ``Name=node-type,Values=HeadNode`` → name → values.

    Raises ValueError naming the bad filter and the accepted forms.
    """
    parsed: dict[str, list[str]] = {}
    for raw in values:
        text = raw.strip()
        if text.startswith("Name="):
            name_part, _, values_part = text.partition(",Values=")
            name, wanted = name_part.removeprefix("Name="), values_part
        else:
            name, _, wanted = text.partition("=")
        items = [v.strip() for v in wanted.split(",") if v.strip()]
        if name not in FILTER_NAMES or not items:
            raise ValueError(
                f"bad filter {raw!r}: use private-dns-name=HOST[,HOST] or "
                "node-type=HeadNode|ComputeNode|LoginNode"
            )
        if name == "node-type":
            unknown = [v for v in items if v not in NODE_TYPES]
            if unknown:
                raise ValueError(f"unknown node type {unknown[0]!r}: use one of {', '.join(NODE_TYPES)}")
        parsed.setdefault(name, []).extend(items)
    return parsed


def cluster_log_group(clients: AwsClients, cluster: str) -> str:
    """The cluster's log group name; one sentence when the cluster has none."""
    group = log_group_name(clients, cluster)
    if group is not None:
        return group
    if cluster_instances(clients, cluster, with_node_names=False):
        raise Day2Error(
            f"cluster {cluster!r} has no CloudWatch log group in {clients.region} "
            "(Monitoring.Logs.CloudWatch.Enabled is false?)"
        )
    raise ClusterNotFound(cluster, clients.region)


def list_streams(
    clients: AwsClients, cluster: str, filters: dict[str, list[str]] | None = None
) -> tuple[str, list[Stream]]:
    """(log group, its streams matching every filter), sorted by name."""
    group = cluster_log_group(clients, cluster)
    filters = filters or {}
    hosts = {value.split(".")[0] for value in filters.get("private-dns-name", [])}
    instance_ids: set[str] | None = None
    if "node-type" in filters:
        instance_ids = set()
        for node_type in filters["node-type"]:
            found = cluster_instances(
                clients, cluster, node_type=node_type, include_gone=True, with_node_names=False
            )
            instance_ids.update(i.instance_id for i in found)
    streams = []
    for item in paginate(clients.logs, "describe_log_streams", "logStreams", api_max=50, logGroupName=group):
        name = item["logStreamName"]
        parts = name.split(".")
        if hosts and parts[0] not in hosts:
            continue
        if instance_ids is not None and not (len(parts) > 1 and parts[1] in instance_ids):
            continue
        streams.append(
            Stream(
                name,
                item.get("creationTime"),
                item.get("firstEventTimestamp"),
                item.get("lastEventTimestamp"),
            )
        )
    return group, sorted(streams, key=lambda s: s.name)


def _page(clients: AwsClients, group: str, stream: str, **kwargs: Any) -> tuple[list[LogEvent], str, str]:
    response = clients.logs.get_log_events(logGroupName=group, logStreamName=stream, **kwargs)
    found = [LogEvent(int(e["timestamp"]), str(e["message"])) for e in response.get("events", [])]
    return found, response.get("nextForwardToken", ""), response.get("nextBackwardToken", "")


def _window(start: int | None, end: int | None) -> dict[str, Any]:
    window: dict[str, Any] = {}
    if start is not None:
        window["startTime"] = start
    if end is not None:
        window["endTime"] = end
    return window


def events(
    clients: AwsClients,
    group: str,
    stream: str,
    *,
    start: int | None = None,
    end: int | None = None,
    head: int | None = None,
    tail: int | None = None,
    cursor: list[str] | None = None,
) -> Iterator[LogEvent]:
    """A stream's events in time order, all of them or the first / last N, page by page.

    ``cursor`` (a one-item list) receives the forward token after the last page, from which
    ``follow`` continues.
    """
    window = _window(start, end)
    if tail is not None:
        yield from _tail(clients, group, stream, tail, window, cursor)
        return
    token: str | None = None
    remaining = head
    while True:
        limit = min(EVENTS_PER_CALL, remaining) if remaining is not None else EVENTS_PER_CALL
        kwargs = {**window, "limit": limit, "startFromHead": True}
        if token:
            kwargs["nextToken"] = token
        found, forward, _ = _page(clients, group, stream, **kwargs)
        yield from found
        if remaining is not None:
            remaining -= len(found)
        # The end is the token coming back unchanged: a page may be empty mid-stream.
        done = not forward or forward == token or (remaining is not None and remaining <= 0)
        token = forward
        if done:
            if cursor is not None:
                cursor[:] = [token or ""]
            return


def _tail(
    clients: AwsClients,
    group: str,
    stream: str,
    count: int,
    window: dict[str, Any],
    cursor: list[str] | None,
) -> Iterator[LogEvent]:
    """The last ``count`` events: read backwards from the end, then yield them in time order."""
    collected: list[LogEvent] = []
    token: str | None = None
    forward_after_last = ""
    while len(collected) < count:
        kwargs = {**window, "limit": min(EVENTS_PER_CALL, count - len(collected)), "startFromHead": False}
        if token:
            kwargs["nextToken"] = token
        found, forward, backward = _page(clients, group, stream, **kwargs)
        if token is None:
            forward_after_last = forward
        collected[:0] = found
        if not backward or backward == token:  # the token comes back unchanged at the start
            break
        token = backward
    if cursor is not None:
        cursor[:] = [forward_after_last]
    yield from collected[-count:] if count else []


def follow(
    clients: AwsClients,
    group: str,
    stream: str,
    token: str,
    *,
    interval: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
    keep_going: Callable[[], bool] = lambda: True,
) -> Iterator[LogEvent]:
    """Events logged after ``token``, polling every ``interval`` seconds while ``keep_going()``."""
    while keep_going():
        kwargs: dict[str, Any] = {"startFromHead": True, "limit": EVENTS_PER_CALL}
        if token:
            kwargs["nextToken"] = token
        found, forward, _ = _page(clients, group, stream, **kwargs)
        yield from found
        if forward:
            token = forward
        if not found:
            sleep(interval)
