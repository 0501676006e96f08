"""Logs beyond one page, following a stream, the S3 export task, and clusters without logs."""

from __future__ import annotations

import gzip
import time

import boto3
import pytest

from pcluster_pulumi.contract import names
from pcluster_pulumi.fleet import logs as fleet_logs
from pcluster_pulumi.fleet.aws import AwsClients, ClusterNotFound, Day2Error
from pcluster_pulumi.fleet.export import export_to_s3
from pcluster_pulumi.fleet.logs import events, follow, list_streams

from .world import EPOCH, REGION, World, build_cluster, millis, put_events


@pytest.fixture
def small(aws: str) -> World:
    return build_cluster("small", nodes=(), login_count=0, events_per_stream=30)


def test_sixty_streams_span_two_pages(small: World, clients: AwsClients) -> None:
    client = boto3.client("logs", region_name=REGION)
    for index in range(58):
        client.create_log_stream(
            logGroupName=small.log_group, logStreamName=f"ip-10-0-1-{index}.i-{index:017x}.slurmd"
        )

    _, streams = list_streams(clients, "small")

    assert len(streams) == 60


def test_events_are_read_across_calls(
    small: World, clients: AwsClients, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fleet_logs, "EVENTS_PER_CALL", 7)
    stream = next(s for s in small.streams if s.endswith(".slurmctld"))
    written = [m for _, m in small.streams[stream]]

    assert [e.message for e in events(clients, small.log_group, stream)] == written
    assert [e.message for e in events(clients, small.log_group, stream, head=12)] == written[:12]
    assert [e.message for e in events(clients, small.log_group, stream, tail=12)] == written[-12:]
    assert [e.message for e in events(clients, small.log_group, stream, tail=100)] == written
    assert [e.message for e in events(clients, small.log_group, stream, head=100)] == written


def test_follow_prints_what_is_logged_later(small: World, clients: AwsClients) -> None:
    stream = next(s for s in small.streams if s.endswith(".slurmctld"))
    cursor: list[str] = []
    seen = list(events(clients, small.log_group, stream, tail=1, cursor=cursor))
    later = millis(EPOCH) + 3_600_000
    polls: list[float] = []

    def sleep(seconds: float) -> None:  # the cluster logs two more lines between polls
        polls.append(seconds)
        if len(polls) == 1:
            put_events(small.log_group, stream, [(later, "late 1"), (later + 1, "late 2")])

    followed = follow(
        clients,
        small.log_group,
        stream,
        cursor[0],
        interval=0.5,
        sleep=sleep,
        keep_going=lambda: len(polls) < 3,
    )

    assert [e.message for e in seen] == ["slurmctld line 29"]
    assert [e.message for e in followed] == ["late 1", "late 2"]
    assert polls == [0.5, 0.5, 0.5]


def test_s3_export_runs_a_cloudwatch_task_to_completion(small: World, clients: AwsClients) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="exports")
    seen: list[str] = []

    tasks = export_to_s3(clients, "small", small.log_group, "exports", "small-logs", progress=seen.append)

    assert [t.status for t in tasks] == ["COMPLETED"]
    assert seen == [f"export task {tasks[0].task_id}: COMPLETED"]
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="exports", Prefix="small-logs/")["Contents"]]
    # moto writes one gzip object per stream, as CloudWatch does; it ignores logStreamNamePrefix.
    assert len(keys) == len(small.streams)
    body = gzip.decompress(s3.get_object(Bucket="exports", Key=keys[0])["Body"].read()).decode()
    assert "line 0" in body.splitlines()[0]


def test_s3_export_into_a_missing_bucket_is_refused(small: World, clients: AwsClients) -> None:
    with pytest.raises(Exception, match="bucket does not exist"):
        export_to_s3(clients, "small", small.log_group, "nosuch-bucket", "p")


def test_the_newest_of_several_retained_groups_is_the_clusters(small: World, clients: AwsClients) -> None:
    client = boto3.client("logs", region_name=REGION)
    time.sleep(0.01)
    newer = "/aws/parallelcluster/small-20261202000000000000000001"
    client.create_log_group(logGroupName=newer, tags={names.TAG_CLUSTER_NAME: "small"})

    assert list_streams(clients, "small")[0] == newer


def test_without_a_log_group_or_a_cluster(aws: str, clients: AwsClients) -> None:
    world = build_cluster("quiet", nodes=(), login_count=0)
    boto3.client("logs", region_name=REGION).delete_log_group(logGroupName=world.log_group)

    with pytest.raises(Day2Error, match="cluster 'quiet' has no CloudWatch log group in us-east-1"):
        list_streams(clients, "quiet")
    with pytest.raises(ClusterNotFound, match="no cluster named 'ghost' in us-east-1"):
        list_streams(clients, "ghost")
