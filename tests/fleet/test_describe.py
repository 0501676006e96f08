"""describe-cluster, describe-compute-fleet and the instance listing, read from a moto server.

One cluster ``demo`` (head node, three compute nodes launched by the real resume program,
a login pool behind a load balancer, shared storage, log group, tables, zone) sits next to
``demo-2``, whose name starts the same: nothing of ``demo-2`` may leak into ``demo``'s answers.
"""

from __future__ import annotations

from pcluster_pulumi.fleet.aws import AwsClients
from pcluster_pulumi.fleet.describe import describe_cluster, describe_compute_fleet
from pcluster_pulumi.fleet.instances import cluster_instances

from .world import World


def test_describe_cluster_reports_each_part_by_stable_keys(clients: AwsClients, demo: World) -> None:
    described = describe_cluster(clients, "demo")

    assert list(described) == [
        "clusterName",
        "region",
        "clusterStatus",
        "scheduler",
        "headNode",
        "computeFleetStatus",
        "lastStatusUpdatedTime",
        "lastUpdate",
        "instances",
        "loginNodes",
        "sharedStorage",
        "logGroupName",
        "dns",
        "tables",
        "batchComputeEnvironments",
        "warnings",
    ]
    assert described["clusterStatus"] == "RUNNING"
    assert described["scheduler"] == "slurm"
    head = described["headNode"]
    assert head["instanceId"] == demo.head_id
    assert head["instanceType"] == "c5.xlarge"
    assert head["state"] == "running"
    assert head["privateDnsName"].split(".")[0] == demo.head_host
    assert head["privateIpAddress"].startswith("10.40.")
    assert described["computeFleetStatus"] == "RUNNING"
    assert described["lastStatusUpdatedTime"] == "2026-12-01T09:30:00+00:00"
    assert described["lastUpdate"] == {
        "result": "APPLIED",
        "appliedVersion": "v7",
        "requestedVersion": "v7",
        "summary": "queue gpu added",
        "reason": None,
        "time": "2026-12-01T10:00:00+00:00",
    }
    assert described["instances"] == {"HeadNode": 1, "ComputeNode": 3, "LoginNode": 2}
    (pool,) = described["loginNodes"]
    assert pool["poolName"] == "login"
    assert pool["address"] == demo.load_balancer_dns
    assert pool["scheme"] == "internet-facing"
    assert sorted(pool["instances"]) == sorted(demo.login_ids)
    assert pool["runningNodes"] == 2
    assert {(s["name"], s["type"], s["id"]) for s in described["sharedStorage"]} == {
        ("home", "Efs", demo.storage["home"]),
        ("shared", "Ebs", demo.storage["shared"]),
    }
    assert described["logGroupName"] == demo.log_group
    assert described["dns"]["domain"] == "demo.pcluster."
    assert described["tables"] == {"nodes": "parallelcluster-slurm-demo", "status": "parallelcluster-demo"}
    assert described["warnings"] == []


def test_describe_compute_fleet_reads_the_status_item(clients: AwsClients, demo: World) -> None:
    assert describe_compute_fleet(clients, "demo") == {
        "status": "RUNNING",
        "lastStatusUpdatedTime": "2026-12-01T09:30:00+00:00",
    }


def test_instances_carry_queue_resource_and_slurm_node_name(clients: AwsClients, demo: World) -> None:
    compute = cluster_instances(clients, "demo", node_type="ComputeNode")

    by_node = {i.node_name: i for i in compute}
    assert {node: i.instance_id for node, i in by_node.items()} == demo.compute
    gpu = by_node["gpu-dy-g4-1"]
    assert (gpu.queue, gpu.compute_resource, gpu.instance_type) == ("gpu", "g4", "g4dn.xlarge")
    assert gpu.as_dict()["nodeName"] == "gpu-dy-g4-1"
    assert [i.node_name for i in cluster_instances(clients, "demo", queue="q1")] == [
        "q1-dy-c5-1",
        "q1-dy-c5-2",
    ]
    heads = cluster_instances(clients, "demo", node_type="HeadNode")
    assert [(i.instance_id, i.node_name) for i in heads] == [(demo.head_id, None)]
    assert {i.instance_id for i in cluster_instances(clients, "demo", node_type="LoginNode")} == set(
        demo.login_ids
    )
