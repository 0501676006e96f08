"""The resume program against moto: launches, records, DNS, addresses, failures, strategies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pcluster_pulumi.contract import names
from pcluster_pulumi.contract.config import NodeConfig
from pcluster_pulumi.node.aws import Clients
from pcluster_pulumi.node.fleet_status import STOP_REQUESTED, set_status
from pcluster_pulumi.node.keeper import run_once
from pcluster_pulumi.node.resume import resume

from .aws_calls import CallCounter, fail, spy, uses_template
from .factories import compute_resource, facts
from .fake_slurm import FakeSlurm
from .provision import a_records, running_instances, table_items


def two_resources(strategy: str) -> dict[str, Any]:
    """Queue q with single-type resource a and multi-type (fleet) resource b."""
    return {
        "queues": [
            {
                "name": "q",
                "subnet_ids": ["s1", "s2"],
                "compute_resources": [
                    compute_resource("demo", "q", "a", [facts("c5.large")], max_count=600),
                    compute_resource(
                        "demo", "q", "b", [facts("m5.large"), facts("m6i.large")], max_count=600
                    ),
                ],
            }
        ],
        "scheduler": {"scaling_strategy": strategy},
    }


def test_resume_launches_records_names_and_sets_addresses(
    cluster: Callable[..., NodeConfig], clients: Clients, slurm: FakeSlurm
) -> None:
    config = cluster()
    nodes = ["q1-dy-c5-1", "q1-dy-c5-2", "q1-dy-c5-3"]
    report = resume(config, clients, slurm, nodes)

    instances = running_instances(config)
    items = table_items(config)
    assert sorted(report.launched) == nodes and not report.failed
    assert len(instances) == 3
    assert {items[n]["InstanceId"]["S"] for n in nodes} == set(instances)
    records = a_records(config)
    for node in nodes:
        instance = instances[items[node]["InstanceId"]["S"]]
        assert records[f"{node}.demo.pcluster."] == instance["PrivateIpAddress"]
        assert slurm.addresses[node] == (instance["PrivateIpAddress"], node)
        assert items[node]["HeadNodePrivateIp"]["S"] == "10.0.0.10"


def test_multi_type_resource_launches_one_instant_fleet_over_all_types_and_subnets(
    cluster: Callable[..., NodeConfig], clients: Clients, slurm: FakeSlurm
) -> None:
    config = cluster(**two_resources("best-effort"))
    requests = spy(clients.ec2, "CreateFleet")
    report = resume(config, clients, slurm, ["q-dy-b-1", "q-dy-b-2"])

    assert len(report.launched) == 2 and len(requests) == 1
    overrides = requests[0]["LaunchTemplateConfigs"][0]["Overrides"]
    assert {(o["InstanceType"], o["SubnetId"]) for o in overrides} == {
        (t, s) for t in ("m5.large", "m6i.large") for s in config.queues[0].subnet_ids
    }
    assert requests[0]["Type"] == "instant"
    assert (
        requests[0]["LaunchTemplateConfigs"][0]["LaunchTemplateSpecification"]["LaunchTemplateName"]
        == "demo-q-b"
    )
    assert {i["InstanceType"] for i in running_instances(config).values()} <= {"m5.large", "m6i.large"}


def test_large_resumes_are_batched_to_api_limits(
    cluster: Callable[..., NodeConfig], clients: Clients, slurm: FakeSlurm
) -> None:
    config = cluster(**two_resources("best-effort"))
    counter = CallCounter(clients)
    nodes = [names.dynamic_node_name("q", "a", i) for i in range(1, 601)]
    resume(config, clients, slurm, nodes)

    assert counter["ec2.RunInstances"] == 2  # 500 + 100
    assert counter["dynamodb.BatchWriteItem"] == 24  # 25 items each
    assert counter["route53.ChangeResourceRecordSets"] == 2  # 500 UPSERTs each
    assert counter.total("ec2") == 2
    assert len(table_items(config)) == 600


def test_capacity_error_sets_nodes_down_with_the_code_and_leaves_nothing_running(
    cluster: Callable[..., NodeConfig], clients: Clients, slurm: FakeSlurm
) -> None:
    config = cluster()
    fail(
        clients.ec2,
        "RunInstances",
        "InsufficientInstanceCapacity",
        "We currently do not have sufficient capacity",
    )
    report = resume(config, clients, slurm, ["q1-dy-c5-1", "q1-dy-c5-2"])

    assert not report.launched and running_instances(config) == {} and table_items(config) == {}
    assert slurm.called("set_down") == ["q1-dy-c5-1", "q1-dy-c5-2"]
    reason = slurm.reasons["q1-dy-c5-1"][0]
    assert reason.startswith("launch failed (Code:InsufficientInstanceCapacity) We currently")


def test_all_or_nothing_job_gives_back_instances_when_another_resource_fails(
    cluster: Callable[..., NodeConfig], clients: Clients, slurm: FakeSlurm
) -> None:
    config = cluster(**two_resources("all-or-nothing"))
    fail(clients.ec2, "CreateFleet", "InsufficientInstanceCapacity", when=uses_template("demo-q-b"))
    job = ["q-dy-a-1", "q-dy-a-2", "q-dy-b-1"]
    report = resume(config, clients, slurm, job, jobs=[job])

    assert not report.launched and len(report.released) == 2
    assert running_instances(config) == {} and table_items(config) == {}
    assert sorted(slurm.called("set_down")) == sorted(job)


def test_best_effort_keeps_what_launched(
    cluster: Callable[..., NodeConfig], clients: Clients, slurm: FakeSlurm
) -> None:
    config = cluster(**two_resources("best-effort"))
    fail(clients.ec2, "CreateFleet", "InsufficientInstanceCapacity", when=uses_template("demo-q-b"))
    job = ["q-dy-a-1", "q-dy-a-2", "q-dy-b-1"]
    report = resume(config, clients, slurm, job, jobs=[job])

    assert sorted(report.launched) == ["q-dy-a-1", "q-dy-a-2"]
    assert len(running_instances(config)) == 2 and sorted(table_items(config)) == ["q-dy-a-1", "q-dy-a-2"]
    assert slurm.called("set_down") == ["q-dy-b-1"]


def test_greedy_launches_once_per_resource_and_only_incomplete_jobs_give_back(
    cluster: Callable[..., NodeConfig], clients: Clients, slurm: FakeSlurm
) -> None:
    config = cluster(**two_resources("greedy-all-or-nothing"))
    fail(clients.ec2, "CreateFleet", "InsufficientInstanceCapacity", when=uses_template("demo-q-b"))
    counter = CallCounter(clients)
    complete, incomplete = ["q-dy-a-1", "q-dy-a-2"], ["q-dy-a-3", "q-dy-b-1"]
    report = resume(config, clients, slurm, complete + incomplete, jobs=[complete, incomplete])

    assert counter["ec2.RunInstances"] == 1 and counter["ec2.CreateFleet"] == 1
    assert sorted(report.launched) == complete
    assert sorted(table_items(config)) == complete and len(running_instances(config)) == 2
    assert sorted(slurm.called("set_down")) == sorted(incomplete)


def test_all_or_nothing_asks_ec2_for_atomic_launches(
    cluster: Callable[..., NodeConfig], clients: Clients, slurm: FakeSlurm
) -> None:
    config = cluster(**two_resources("all-or-nothing"))
    seen = spy(clients.ec2, "RunInstances")
    fleets = spy(clients.ec2, "CreateFleet")
    job = ["q-dy-a-1", "q-dy-a-2", "q-dy-b-1", "q-dy-b-2"]
    resume(config, clients, slurm, job, jobs=[job])

    run, fleet = seen[0], fleets[0]
    assert (run["MinCount"], run["MaxCount"]) == (2, 2)
    assert fleet["OnDemandOptions"]["MinTargetCapacity"] == 2
    assert fleet["OnDemandOptions"]["SingleAvailabilityZone"] is True


def test_failed_table_write_terminates_the_new_instances(
    cluster: Callable[..., NodeConfig], clients: Clients, slurm: FakeSlurm
) -> None:
    config = cluster()
    fail(clients.dynamodb, "BatchWriteItem", "ProvisionedThroughputExceededException")
    report = resume(config, clients, slurm, ["q1-dy-c5-1"])

    assert not report.launched and running_instances(config) == {}
    assert "ProvisionedThroughputExceededException" in slurm.reasons["q1-dy-c5-1"][0]


def test_fleet_the_keeper_saw_stopped_launches_nothing(
    cluster: Callable[..., NodeConfig], clients: Clients, slurm: FakeSlurm
) -> None:
    config = cluster()
    set_status(clients, config, STOP_REQUESTED, expected=None)
    run_once(config, clients, slurm)  # the keeper acts on the request and records it locally
    report = resume(config, clients, slurm, ["q1-dy-c5-1"])
    assert running_instances(config) == {} and report.failed["q1-dy-c5-1"][0] == "ComputeFleetStopped"


def test_foreign_node_names_are_left_alone(
    cluster: Callable[..., NodeConfig], clients: Clients, slurm: FakeSlurm
) -> None:
    config = cluster()
    report = resume(config, clients, slurm, ["burst1", "other-dy-x-1"])
    assert report.ignored == ["burst1", "other-dy-x-1"] and slurm.calls == []


def test_best_effort_falls_back_to_a_partial_launch_when_the_full_one_is_refused(
    cluster: Callable[..., NodeConfig], clients: Clients, slurm: FakeSlurm
) -> None:
    config = cluster(**two_resources("best-effort"))
    refused = fail(
        clients.ec2, "RunInstances", "InsufficientInstanceCapacity", when=lambda p: p["MinCount"] > 1
    )
    report = resume(config, clients, slurm, ["q-dy-a-1", "q-dy-a-2", "q-dy-a-3"])

    assert len(refused) == 1 and len(report.launched) >= 1
    assert len(running_instances(config)) == len(report.launched) == len(table_items(config))
    assert sorted(slurm.called("set_down")) == sorted(set(report.failed))
