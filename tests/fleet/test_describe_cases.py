"""The edges of describing a cluster: absent, half-present, stopped, and larger than one page."""

from __future__ import annotations

import boto3
import pytest

from pcluster_pulumi.contract import names
from pcluster_pulumi.contract.update_report import UpdateReport
from pcluster_pulumi.fleet import aws as fleet_aws
from pcluster_pulumi.fleet.aws import AwsClients, ClusterNotFound, Day2Error
from pcluster_pulumi.fleet.describe import describe_cluster, describe_compute_fleet
from pcluster_pulumi.fleet.instances import cluster_instances
from pcluster_pulumi.fleet.resources import head_node_update

from .world import REGION, build_cluster


def test_an_unknown_cluster_is_one_sentence_naming_it_and_the_region(aws: str, clients: AwsClients) -> None:
    build_cluster("demo", nodes=(), login_count=0)

    for describe in (describe_cluster, describe_compute_fleet):
        with pytest.raises(ClusterNotFound) as caught:
            describe(clients, "nosuch")
        assert str(caught.value).startswith("no cluster named 'nosuch' in us-east-1:")


def test_every_page_of_instances_and_node_records_is_read(
    aws: str, clients: AwsClients, monkeypatch: pytest.MonkeyPatch
) -> None:
    nodes = tuple(f"q1-dy-c5-{i}" for i in range(1, 24))
    world = build_cluster("big", nodes=nodes, login_count=0)
    monkeypatch.setattr(fleet_aws, "PAGE_SIZE", 5)

    compute = cluster_instances(clients, "big", node_type="ComputeNode")

    assert [i.node_name for i in compute] == list(nodes)  # natural order: ...-9 before ...-10
    assert {i.node_name: i.instance_id for i in compute} == world.compute
    assert describe_cluster(clients, "big")["instances"]["ComputeNode"] == 23


def test_a_cluster_without_fleet_item_or_update_report_says_so(aws: str, clients: AwsClients) -> None:
    build_cluster("fresh", nodes=(), login_count=0, fleet=None)

    described = describe_cluster(clients, "fresh")

    # Nobody wrote the item yet: the keeper treats that as RUNNING, and so do we.
    assert (described["computeFleetStatus"], described["lastStatusUpdatedTime"]) == ("RUNNING", None)
    assert described["lastUpdate"] is None
    assert described["loginNodes"] == []


def test_a_failed_update_reports_the_version_still_running_and_why(aws: str, clients: AwsClients) -> None:
    report = UpdateReport(
        status="FAILED",
        config_etag="etag-8",
        config_version_id="v8",
        applied_etag="etag-7",
        applied_version_id="v7",
        summary="CustomSlurmSettings changed",
        reason="slurmctld rejected slurm.conf: unknown key Bogus",
        time="2026-12-01T11:00:00+00:00",
    )
    build_cluster("upd", nodes=(), login_count=0, head_update=report)

    update = head_node_update(clients, "upd")

    assert update is not None
    assert update.as_dict() == {
        "result": "FAILED",
        "appliedVersion": "v7",
        "requestedVersion": "v8",
        "summary": "CustomSlurmSettings changed",
        "reason": "slurmctld rejected slurm.conf: unknown key Bogus",
        "time": "2026-12-01T11:00:00+00:00",
    }


def test_a_stopped_head_node_makes_the_cluster_stopped(aws: str, clients: AwsClients) -> None:
    world = build_cluster("sleepy", nodes=(), login_count=0)
    boto3.client("ec2", region_name=REGION).stop_instances(InstanceIds=[world.head_id])

    described = describe_cluster(clients, "sleepy")

    assert described["clusterStatus"] in ("STOPPING", "STOPPED")
    assert described["headNode"]["state"] in ("stopping", "stopped")


def test_without_a_status_table_the_fleet_has_no_status(aws: str, clients: AwsClients) -> None:
    build_cluster("nofleet", nodes=(), login_count=0)
    boto3.client("dynamodb", region_name=REGION).delete_table(TableName=names.status_table_name("nofleet"))

    described = describe_cluster(clients, "nofleet")

    assert described["computeFleetStatus"] is None
    assert described["tables"]["status"] is None
    with pytest.raises(Day2Error, match="no cluster named 'nofleet'"):
        describe_compute_fleet(clients, "nofleet")


def test_an_aws_batch_cluster_is_described_by_its_compute_environment(aws: str, clients: AwsClients) -> None:
    iam = boto3.client("iam", region_name=REGION)
    trust = '{"Version":"2012-10-17","Statement":[]}'
    role = iam.create_role(RoleName="batch-service", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    boto3.client("batch", region_name=REGION).create_compute_environment(
        computeEnvironmentName="hpc-ce",
        type="UNMANAGED",
        state="ENABLED",
        serviceRole=role,
        tags={names.TAG_CLUSTER_NAME: "hpc"},
    )

    described = describe_cluster(clients, "hpc")

    assert described["scheduler"] == "awsbatch"
    assert described["batchComputeEnvironments"] == ["hpc-ce"]
    assert described["computeFleetStatus"] == "RUNNING"
    assert describe_compute_fleet(clients, "hpc") == {"status": "RUNNING", "lastStatusUpdatedTime": None}
