"""Independent AWS calls run concurrently, bounded, with the order that matters kept.

On real AWS a 1000-node resume waits on latency: the launches of different compute
resources, the 40 DynamoDB batches, the Route 53 change batches and terminations are
independent and go out together. What must stay ordered does: every record is written
before any DNS change, DNS before Slurm learns the addresses; outcomes stay per node.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from pcluster_pulumi.contract.config import NodeConfig
from pcluster_pulumi.node.aws import CONCURRENCY, Clients, in_parallel
from pcluster_pulumi.node.ec2_launch import terminate
from pcluster_pulumi.node.records import NodeRecord, get_records, put_records
from pcluster_pulumi.node.resume import resume
from pcluster_pulumi.node.suspend import suspend

from .aws_calls import CallCounter, fail, uses_template
from .factories import compute_resource, facts
from .fake_slurm import FakeSlurm
from .provision import a_records, running_instances, table_items


class Timeline:
    """When each API call started and ended (botocore events), and how many overlapped."""

    def __init__(self, clients: Clients, delay: float = 0.0) -> None:
        self.events: list[tuple[float, str, str]] = []
        self.lock = threading.Lock()
        self.active = 0
        self.peak = 0
        self.delay = delay
        for service in ("ec2", "dynamodb", "route53"):
            events = getattr(clients, service).meta.events
            events.register(f"before-call.{service}", self._before)
            events.register(f"after-call.{service}", self._after)

    def _before(self, model: Any, **_: Any) -> None:
        with self.lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
            self.events.append((time.monotonic(), "start", model.name))
        time.sleep(self.delay)  # a slow API: calls that may overlap do

    def _after(self, model: Any, **_: Any) -> None:
        with self.lock:
            self.active -= 1
            self.events.append((time.monotonic(), "end", model.name))

    def times(self, kind: str, operation: str) -> list[float]:
        return [t for t, k, name in self.events if k == kind and name == operation]


def test_in_parallel_keeps_order_runs_everything_and_raises_the_first_failure() -> None:
    seen: list[int] = []
    lock = threading.Lock()

    def work(item: int) -> int:
        time.sleep(0.01 * (5 - item % 5))
        with lock:
            seen.append(item)
        if item in (3, 7):
            raise ValueError(f"item {item}")
        return item * 2

    assert in_parallel(lambda i: i * 2, list(range(20))) == [i * 2 for i in range(20)]
    with pytest.raises(ValueError, match="item 3"):
        in_parallel(work, list(range(10)))
    assert sorted(seen) == list(range(10))  # a failure does not stop the other items


def test_in_parallel_never_exceeds_its_limit_and_runs_one_item_inline() -> None:
    active, peak = [0], [0]
    lock = threading.Lock()

    def work(_: int) -> str:
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.02)
        with lock:
            active[0] -= 1
        return threading.current_thread().name

    in_parallel(work, list(range(12)), limit=3)
    assert peak[0] == 3
    assert in_parallel(work, [1]) == [threading.current_thread().name]


def test_dynamodb_batches_go_out_together_and_all_records_land(
    cluster: Callable[..., NodeConfig], clients: Clients
) -> None:
    config = cluster()
    timeline = Timeline(clients, delay=0.05)
    records = [
        NodeRecord(f"q1-dy-c5-{i}", f"i-{i:017x}", f"10.0.1.{i % 250}", "h", 1.0) for i in range(1, 201)
    ]
    put_records(clients, config, records)
    assert len(timeline.times("start", "BatchWriteItem")) == 8  # 200 items / 25
    assert timeline.peak == CONCURRENCY
    assert set(get_records(clients, config, [r.node for r in records])) == {r.node for r in records}
    assert len(table_items(config)) == 200


def two_resources() -> dict[str, Any]:
    return {
        "queues": [
            {
                "name": "q",
                "subnet_ids": ["s1"],
                "compute_resources": [
                    compute_resource("demo", "q", cr, [facts("c5.large")], max_count=100)
                    for cr in ("a", "b", "c")
                ],
            }
        ],
        "scheduler": {"scaling_strategy": "best-effort"},
    }


def test_resume_launches_compute_resources_together_and_keeps_table_dns_slurm_order(
    cluster: Callable[..., NodeConfig], clients: Clients
) -> None:
    config = cluster(**two_resources())
    order: list[str] = []

    class OrderedSlurm(FakeSlurm):
        def set_addresses(self, entries: Any) -> None:
            order.append("slurm")
            super().set_addresses(entries)

    clients.route53.meta.events.register("before-call.route53", lambda **_: order.append("route53"))
    clients.dynamodb.meta.events.register("after-call.dynamodb", lambda **_: order.append("dynamodb"))
    timeline = Timeline(clients, delay=0.2)
    counter = CallCounter(clients)
    nodes = [f"q-dy-{cr}-{i}" for cr in ("a", "b", "c") for i in range(1, 31)]  # 90 nodes, 4 table batches
    slurm = OrderedSlurm()
    report = resume(config, clients, slurm, nodes)

    assert sorted(report.launched) == sorted(nodes) and not report.failed
    starts, ends = timeline.times("start", "RunInstances"), timeline.times("end", "RunInstances")
    assert len(starts) == 3 and max(starts) < min(ends)  # all three launches in flight at once
    # Same calls as one after another: one launch per resource, 4 table batches, 1 DNS batch.
    assert dict(counter.counts) == {
        "ec2.RunInstances": 3,
        "dynamodb.BatchWriteItem": 4,
        "route53.ChangeResourceRecordSets": 1,
    }
    assert order == ["dynamodb"] * 4 + ["route53", "slurm"]
    assert len(a_records(config)) == 90 and len(table_items(config)) == 90


def test_a_failing_compute_resource_fails_only_its_nodes_while_others_launch(
    cluster: Callable[..., NodeConfig], clients: Clients
) -> None:
    config = cluster(**two_resources())
    fail(clients.ec2, "RunInstances", "InsufficientInstanceCapacity", when=uses_template("demo-q-b"))
    nodes = [f"q-dy-{cr}-{i}" for cr in ("a", "b", "c") for i in (1, 2)]
    slurm = FakeSlurm()
    report = resume(config, clients, slurm, nodes)

    assert sorted(report.failed) == ["q-dy-b-1", "q-dy-b-2"]
    assert report.failed["q-dy-b-1"][0] == "InsufficientInstanceCapacity"
    assert sorted(report.launched) == ["q-dy-a-1", "q-dy-a-2", "q-dy-c-1", "q-dy-c-2"]
    assert sorted(table_items(config)) == sorted(report.launched)
    assert ("set_down", ("q-dy-b-1", "q-dy-b-2")) in slurm.calls


def test_terminations_and_suspend_cleanup_run_in_concurrent_batches(
    cluster: Callable[..., NodeConfig], clients: Clients, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = cluster(**two_resources())
    nodes = [f"q-dy-{cr}-{i}" for cr in ("a", "b", "c") for i in range(1, 41)]
    resume(config, clients, FakeSlurm(), nodes)
    monkeypatch.setattr("pcluster_pulumi.node.ec2_launch.TERMINATE_BATCH", 50)
    timeline = Timeline(clients, delay=0.1)
    counter = CallCounter(clients)
    report = suspend(config, clients, FakeSlurm(), nodes)

    assert len(report.terminated) == 120
    assert counter["ec2.TerminateInstances"] == 3  # 120 ids / 50
    starts, ends = timeline.times("start", "TerminateInstances"), timeline.times("end", "TerminateInstances")
    assert max(starts) < min(ends)
    assert counter["dynamodb.BatchGetItem"] == 2 and counter["dynamodb.BatchWriteItem"] == 5
    # Terminate, then DNS, then the table, as before: no record outlives its cleanup order.
    assert max(ends) < min(timeline.times("start", "ChangeResourceRecordSets"))
    assert max(timeline.times("end", "ChangeResourceRecordSets")) < min(
        t for t in timeline.times("start", "BatchWriteItem")
    )
    assert not table_items(config) and not a_records(config)
    assert not running_instances(config)


def test_an_unknown_id_in_a_batch_falls_back_to_terminating_each_id(
    cluster: Callable[..., NodeConfig], clients: Clients
) -> None:
    config = cluster()
    report = resume(config, clients, FakeSlurm(), ["q1-dy-c5-1", "q1-dy-c5-2"])
    live = [i.instance_id for i in report.launched.values()]
    counter = CallCounter(clients)
    terminate(clients, [*live, "i-0123456789abcdef0"])
    assert counter["ec2.TerminateInstances"] == 4  # the batch, then each of its three ids
    assert not running_instances(config)


def test_an_unexpected_error_in_one_launch_fails_only_that_groups_nodes(
    cluster: Callable[..., NodeConfig], clients: Clients
) -> None:
    config = cluster(**two_resources())
    wanted = uses_template("demo-q-c")
    last = threading.local()

    def remember(params: dict[str, Any], **_: Any) -> None:
        last.params = params

    def broken_connection(**_: Any) -> None:
        if wanted(last.params):
            raise ConnectionResetError("connection reset by peer")

    clients.ec2.meta.events.register("before-parameter-build.ec2.RunInstances", remember)
    clients.ec2.meta.events.register("before-call.ec2.RunInstances", broken_connection)
    nodes = [f"q-dy-{cr}-{i}" for cr in ("a", "b", "c") for i in (1, 2)]
    slurm = FakeSlurm()
    report = resume(config, clients, slurm, nodes)

    assert sorted(report.failed) == ["q-dy-c-1", "q-dy-c-2"]
    assert report.failed["q-dy-c-1"] == ("ConnectionResetError", "connection reset by peer")
    assert (
        sorted(table_items(config))
        == sorted(report.launched)
        == [f"q-dy-{cr}-{i}" for cr in "ab" for i in (1, 2)]
    )
    assert sorted(slurm.addresses) == sorted(report.launched)
