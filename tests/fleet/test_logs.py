"""Log streams, filters, events and the local archive of cluster ``demo``, read from a moto server."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from pcluster_pulumi.fleet.aws import AwsClients
from pcluster_pulumi.fleet.export import write_archive
from pcluster_pulumi.fleet.logs import events, list_streams, parse_filters
from pcluster_pulumi.fleet.times import from_millis

from .world import World


def test_streams_are_the_clusters_own(clients: AwsClients, demo: World) -> None:
    group, streams = list_streams(clients, "demo")

    assert group == demo.log_group
    assert [s.name for s in streams] == sorted(demo.streams)
    first = streams[0].as_dict()
    assert list(first) == ["logStreamName", "creationTime", "firstEventTimestamp", "lastEventTimestamp"]


def test_filters_narrow_by_host_and_by_node_type(clients: AwsClients, demo: World) -> None:
    head_streams = sorted(s for s in demo.streams if demo.head_id in s)

    by_type = list_streams(clients, "demo", parse_filters(["node-type=HeadNode"]))[1]
    by_host = list_streams(
        clients, "demo", parse_filters([f"Name=private-dns-name,Values={demo.head_host}"])
    )[1]
    full_dns = list_streams(
        clients, "demo", parse_filters([f"private-dns-name={demo.head_host}.ec2.internal"])
    )[1]
    compute = list_streams(clients, "demo", parse_filters(["node-type=ComputeNode"]))[1]

    assert [s.name for s in by_type] == head_streams
    assert [s.name for s in by_host] == head_streams
    assert [s.name for s in full_dns] == head_streams
    assert {s.name.split(".")[1] for s in compute} == set(demo.compute.values())


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (["colour=blue"], "bad filter 'colour=blue'"),
        (["node-type="], "bad filter 'node-type='"),
        (["node-type=Compute"], "unknown node type 'Compute'"),
    ],
)
def test_bad_filters_say_what_is_accepted(raw: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_filters(raw)


def test_events_in_order_first_and_last(clients: AwsClients, demo: World) -> None:
    stream = next(s for s in demo.streams if s.endswith(".slurmctld"))
    written = demo.streams[stream]

    everything = [(e.timestamp, e.message) for e in events(clients, demo.log_group, stream)]
    first = [e.message for e in events(clients, demo.log_group, stream, head=2)]
    last = [e.message for e in events(clients, demo.log_group, stream, tail=2)]
    since_second = [e.message for e in events(clients, demo.log_group, stream, start=written[1][0])]

    assert everything == written
    assert first == [m for _, m in written[:2]]
    assert last == [m for _, m in written[-2:]]
    assert since_second == [m for _, m in written[1:]]


def test_archive_holds_each_stream_in_order(clients: AwsClients, demo: World, tmp_path: Path) -> None:
    group, streams = list_streams(clients, "demo")
    output = tmp_path / "out" / "logs.tar.gz"

    counts = write_archive(clients, group, streams, output, "demo-logs-202612010930")

    assert counts == {name: len(items) for name, items in demo.streams.items()}
    with tarfile.open(output) as archive:
        members = {m.name: archive.extractfile(m).read().decode() for m in archive.getmembers()}  # type: ignore[union-attr]
    assert sorted(members) == sorted(f"demo-logs-202612010930/{name}.log" for name in demo.streams)
    for name, items in demo.streams.items():
        expected = "".join(f"{from_millis(t)} {m}\n" for t, m in items)
        assert members[f"demo-logs-202612010930/{name}.log"] == expected
    assert not list(output.parent.glob("*.partial"))
