"""Suspend and the keeper against moto, with an in-memory slurmctld."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import boto3

from pcluster_pulumi.contract.config import NodeConfig
from pcluster_pulumi.node import fleet_status
from pcluster_pulumi.node.aws import Clients
from pcluster_pulumi.node.keeper import run_once
from pcluster_pulumi.node.resume import failure_reason, resume
from pcluster_pulumi.node.suspend import suspend

from .aws_calls import spy
from .factories import compute_resource, facts
from .fake_slurm import FakeSlurm
from .provision import a_records, running_instances, table_items

LATER = 10_000_000_000.0  # a clock far past every grace period


def static_cluster(**keeper: Any) -> dict[str, Any]:
    """Queue q: resource s with 2 static + 2 dynamic nodes."""
    return {
        "queues": [
            {
                "name": "q",
                "subnet_ids": ["s1"],
                "compute_resources": [
                    compute_resource("demo", "q", "s", [facts("c5.large")], min_count=2, max_count=4)
                ],
            }
        ],
        "keeper": {"orphan_grace_seconds": 300, **keeper},
    }


def test_suspend_terminates_and_forgets_only_the_given_nodes(
    cluster: Callable[..., NodeConfig], clients: Clients, slurm: FakeSlurm
) -> None:
    config = cluster()
    resume(config, clients, slurm, ["q1-dy-c5-1", "q1-dy-c5-2", "q1-dy-c5-3"])
    keep = table_items(config)["q1-dy-c5-3"]["InstanceId"]["S"]

    report = suspend(config, clients, slurm, ["q1-dy-c5-1", "q1-dy-c5-2", "q1-dy-c5-4"])

    assert list(running_instances(config)) == [keep]
    assert sorted(table_items(config)) == ["q1-dy-c5-3"]
    assert list(a_records(config)) == ["q1-dy-c5-3.demo.pcluster."]
    assert report.without_instance == ["q1-dy-c5-4"]
    assert slurm.addresses["q1-dy-c5-1"] == ("q1-dy-c5-1", "q1-dy-c5-1")


def test_suspend_of_nodes_without_instances_touches_no_ec2(
    cluster: Callable[..., NodeConfig], clients: Clients, slurm: FakeSlurm
) -> None:
    config = cluster()
    terminations = spy(clients.ec2, "TerminateInstances")
    suspend(config, clients, slurm, ["q1-dy-c5-1"])
    assert terminations == []


def test_keeper_powers_up_static_nodes_that_have_no_instance(
    cluster: Callable[..., NodeConfig], clients: Clients, slurm: FakeSlurm
) -> None:
    config = cluster(**static_cluster())
    slurm.add(["q-st-s-1", "q-st-s-2", "q-dy-s-1", "q-dy-s-2"])
    report = run_once(config, clients, slurm)
    assert report.powered_up == ["q-st-s-1", "q-st-s-2"]
    assert slurm.called("power_up") == ["q-st-s-1", "q-st-s-2"]


def test_keeper_powers_down_a_node_whose_instance_died(
    cluster: Callable[..., NodeConfig], clients: Clients, slurm: FakeSlurm
) -> None:
    config = cluster(**static_cluster())
    slurm.add(["q-st-s-1", "q-st-s-2"], "IDLE", "CLOUD")
    resume(config, clients, slurm, ["q-st-s-1", "q-st-s-2"])
    victim = table_items(config)["q-st-s-1"]["InstanceId"]["S"]
    boto3.client("ec2", region_name="us-east-1").terminate_instances(InstanceIds=[victim])

    report = run_once(config, clients, slurm, clock=lambda: LATER)

    assert report.powered_down == ["q-st-s-1"]
    assert report.terminated_orphans == [] and report.powered_up == []


def test_keeper_terminates_old_orphans_but_not_young_ones(
    cluster: Callable[..., NodeConfig], clients: Clients, slurm: FakeSlurm
) -> None:
    config = cluster(**static_cluster())
    ec2 = boto3.client("ec2", region_name="us-east-1")
    orphan = ec2.run_instances(LaunchTemplate={"LaunchTemplateName": "demo-q-s"}, MinCount=1, MaxCount=1)
    orphan_id = orphan["Instances"][0]["InstanceId"]

    assert run_once(config, clients, slurm).terminated_orphans == []
    assert run_once(config, clients, slurm, clock=lambda: LATER).terminated_orphans == [orphan_id]
    assert running_instances(config) == {}


def test_keeper_drops_records_of_powered_down_nodes_and_their_instances(
    cluster: Callable[..., NodeConfig], clients: Clients, slurm: FakeSlurm
) -> None:
    config = cluster()
    resume(config, clients, slurm, ["q1-dy-c5-1"])
    slurm.add(["q1-dy-c5-1"])  # slurmctld says: powered down (suspend never ran)

    report = run_once(config, clients, slurm, clock=lambda: LATER)

    assert report.stale_records == ["q1-dy-c5-1"]
    assert table_items(config) == {} and running_instances(config) == {} and a_records(config) == {}


def test_keeper_holds_capacity_failures_down_until_the_timeout(
    cluster: Callable[..., NodeConfig], clients: Clients, slurm: FakeSlurm
) -> None:
    config = cluster(**static_cluster(insufficient_capacity_timeout_seconds=600))
    slurm.add(["q-dy-s-1"], "IDLE", "CLOUD")
    slurm.set_down(["q-dy-s-1"], failure_reason("InsufficientInstanceCapacity", "none left"))
    downed_at = slurm.reasons["q-dy-s-1"][1]

    soon = run_once(config, clients, slurm, local_now=lambda: downed_at + timedelta(seconds=60))
    later = run_once(config, clients, slurm, local_now=lambda: downed_at + timedelta(seconds=601))

    assert "q-dy-s-1" not in soon.powered_down
    assert "q-dy-s-1" in later.powered_down


def test_keeper_resets_static_nodes_slurm_marked_down(
    cluster: Callable[..., NodeConfig], clients: Clients, slurm: FakeSlurm
) -> None:
    config = cluster(**static_cluster())
    slurm.add(["q-st-s-1"], "IDLE", "CLOUD")
    slurm.set_down(["q-st-s-1"], "Not responding")
    assert run_once(config, clients, slurm).powered_down == ["q-st-s-1"]


def test_keeper_replaces_instances_failing_ec2_health_checks(
    cluster: Callable[..., NodeConfig], clients: Clients, slurm: FakeSlurm
) -> None:
    config = cluster(**static_cluster())
    slurm.add(["q-st-s-1"], "IDLE", "CLOUD")
    resume(config, clients, slurm, ["q-st-s-1"])
    instance_id = table_items(config)["q-st-s-1"]["InstanceId"]["S"]

    def impaired(parsed: dict[str, Any], **_: Any) -> None:
        for status in parsed.get("InstanceStatuses", []):
            if status["InstanceId"] == instance_id:
                status["InstanceStatus"] = {"Status": "impaired"}

    clients.ec2.meta.events.register("after-call.ec2.DescribeInstanceStatus", impaired)
    report = run_once(config, clients, slurm, clock=lambda: LATER)
    assert report.powered_down == ["q-st-s-1"]


def test_stop_then_start_the_fleet(
    cluster: Callable[..., NodeConfig], clients: Clients, slurm: FakeSlurm
) -> None:
    config = cluster(**static_cluster())
    slurm.add(["q-st-s-1", "q-st-s-2"], "IDLE", "CLOUD")
    resume(config, clients, slurm, ["q-st-s-1", "q-st-s-2"])
    fleet_status.set_status(clients, config, fleet_status.STOP_REQUESTED, expected=None)

    stopping = run_once(config, clients, slurm)

    assert stopping.status == fleet_status.STOPPED
    assert slurm.partitions == {"q": "INACTIVE"}
    assert running_instances(config) == {} and table_items(config) == {}
    assert sorted(slurm.called("power_down")) == ["q-st-s-1", "q-st-s-2"]
    assert run_once(config, clients, slurm).powered_up == []  # stopped: nothing comes up

    slurm.add(["q-st-s-1", "q-st-s-2"])
    fleet_status.set_status(clients, config, fleet_status.START_REQUESTED, expected=fleet_status.STOPPED)
    starting = run_once(config, clients, slurm)

    assert starting.status == fleet_status.RUNNING
    assert fleet_status.get_status(clients, config) == fleet_status.RUNNING
    assert slurm.partitions == {"q": "UP"}
    assert starting.powered_up == ["q-st-s-1", "q-st-s-2"]


def test_reason_time_is_parsed_from_scontrol_output() -> None:
    from pcluster_pulumi.node.scontrol import parse_show_nodes

    line = (
        "NodeName=q-dy-s-1 CoresPerSocket=1 CPUAlloc=0 State=DOWN+CLOUD+POWERED_DOWN NodeAddr=q-dy-s-1 "
        "NodeHostName=q-dy-s-1 OS=Linux 6.1 #1 SMP "
        "Reason=launch failed (Code:X) no [root@2026-01-02T03:04:05]"
    )
    (node,) = parse_show_nodes(line)
    assert node.states == {"DOWN", "CLOUD", "POWERED_DOWN"} and node.down and node.powered_down
    assert node.reason.startswith("launch failed (Code:X)")
    assert node.reason_time == datetime(2026, 1, 2, 3, 4, 5)
