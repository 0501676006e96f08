"""The issue's five scenarios on a real slurmctld with moto's server (see conftest).

Each scenario uses its own queue so they do not depend on each other's leftovers, except
that scenario 3 (scale-down) continues from the node scenario 2 brought up.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import boto3
import pytest

from ..node.provision import a_records, running_instances, table_items
from .conftest import SlurmCluster
from .processes import Daemon, as_freshly_booted, require, wait_for

pytestmark = pytest.mark.integration


def submit(cluster: SlurmCluster, partition: str, nodes: int, command: str) -> str:
    out = cluster.run("sbatch", "--parsable", "-p", partition, "-N", str(nodes), "--wrap", command)
    return out.strip().split(";")[0]


def records_of(cluster: SlurmCluster, prefix: str) -> dict[str, str]:
    """Node → instance id from the nodes table, for nodes whose name starts with prefix."""
    return {
        node: item["InstanceId"]["S"]
        for node, item in table_items(cluster.config).items()
        if node.startswith(prefix)
    }


def running_of(cluster: SlurmCluster, queue: str) -> dict[str, dict[str, object]]:
    """Live instances launched for a queue (by the launch template's queue tag)."""
    return {
        iid: item
        for iid, item in running_instances(cluster.config).items()
        if {"Key": "parallelcluster:queue-name", "Value": queue} in item.get("Tags", [])
    }


def test_1_two_node_job_launches_two_instances_with_records_dns_and_addresses(
    slurm_cluster: SlurmCluster,
) -> None:
    cluster = slurm_cluster
    job = submit(cluster, "burst", 2, "sleep 600")
    recorded = wait_for(
        lambda: len(records_of(cluster, "burst-")) == 2 and records_of(cluster, "burst-"),
        60,
        f"two burst nodes recorded\n{cluster.logs()}",
    )
    assert isinstance(recorded, dict)
    instances = running_of(cluster, "burst")
    assert set(instances) == set(recorded.values())
    dns = a_records(cluster.config)
    for node, instance_id in recorded.items():
        address = str(instances[instance_id]["PrivateIpAddress"])
        assert address.startswith("127.77.")
        assert dns[f"{node}.itest.pcluster."] == address
        wait_for(lambda n=node, a=address: cluster.node(n).address == a, 20, f"{node} NodeAddr={address}")
        assert cluster.node(node).powering_up
    # Clean up through Slurm itself: cancel, then force power-down runs the suspend program.
    cluster.run("scancel", job)
    cluster.run("scontrol", "update", f"nodename={','.join(recorded)}", "state=power_down_force")
    wait_for(
        lambda: not running_of(cluster, "burst") and not records_of(cluster, "burst-"),
        60,
        f"burst instances terminated\n{cluster.logs()}",
    )


@dataclass
class RegisteredNode:
    name: str
    job: str
    slurmd: Daemon
    instance_id: str


@pytest.fixture(scope="module")
def registered_node(slurm_cluster: SlurmCluster) -> Iterator[RegisteredNode]:
    """Scenario 2's set-up: a 1-node job, and a slurmd on 127.0.0.1 registering as its node."""
    cluster = slurm_cluster
    job = submit(cluster, "work", 1, "hostname; sleep 1")
    recorded = wait_for(lambda: records_of(cluster, "work-"), 60, f"work node recorded\n{cluster.logs()}")
    assert isinstance(recorded, dict) and len(recorded) == 1
    ((name, instance_id),) = recorded.items()
    time.sleep(2)  # the "instance" boots after slurmctld asked for it (see as_freshly_booted)
    slurmd = cluster.start_daemon(
        "slurmd",
        as_freshly_booted([require("slurmd"), "-D", "-N", name, "-f", str(cluster.layout.slurm_conf)]),
    )
    try:
        yield RegisteredNode(name, job, slurmd, instance_id)
    finally:
        slurmd.stop()


def test_2_slurmd_registers_as_the_node_and_the_job_completes(
    slurm_cluster: SlurmCluster, registered_node: RegisteredNode
) -> None:
    cluster = slurm_cluster
    wait_for(
        lambda: cluster.job_state(registered_node.job) == "COMPLETED",
        60,
        f"job COMPLETED\n{registered_node.slurmd.tail()}\n{cluster.logs()}",
    )
    node = cluster.node(registered_node.name)
    assert not node.powering_up and not node.down


def test_3_idle_node_is_suspended_terminated_forgotten_and_back_to_idle_cloud(
    slurm_cluster: SlurmCluster, registered_node: RegisteredNode
) -> None:
    cluster = slurm_cluster
    wait_for(lambda: cluster.job_state(registered_node.job) == "COMPLETED", 60, "job completion")
    # The suspend program terminates first, then forgets the node: wait for it to finish both.
    wait_for(
        lambda: (
            registered_node.instance_id not in running_instances(cluster.config)
            and records_of(cluster, "work-") == {}
            and f"{registered_node.name}.itest.pcluster." not in a_records(cluster.config)
        ),
        60,
        f"the idle node's instance terminated and its records removed after SuspendTime\n{cluster.logs()}",
    )
    registered_node.slurmd.stop()  # the machine is gone
    wait_for(
        lambda: cluster.node(registered_node.name).powered_down,
        60,
        f"{registered_node.name} idle~ again\n{cluster.logs()}",
    )
    node = cluster.node(registered_node.name)
    assert "IDLE" in node.states and node.address == registered_node.name


@pytest.fixture
def keeper(slurm_cluster: SlurmCluster) -> Iterator[Daemon]:
    daemon = slurm_cluster.start_daemon("keeper", [str(slurm_cluster.root / "bin" / "keeper")])
    try:
        yield daemon
    finally:
        daemon.stop()


def test_4_keeper_brings_static_nodes_up_and_replaces_a_terminated_one(
    slurm_cluster: SlurmCluster, keeper: Daemon
) -> None:
    cluster = slurm_cluster
    static = ["steady-st-s-1", "steady-st-s-2"]

    def both_up() -> dict[str, str] | None:
        recorded = records_of(cluster, "steady-")
        live = running_of(cluster, "steady")
        return recorded if sorted(recorded) == static and set(recorded.values()) <= set(live) else None

    recorded = wait_for(
        both_up, 60, f"static nodes launched by the keeper\n{keeper.tail()}\n{cluster.logs()}"
    )
    assert isinstance(recorded, dict)
    victim = recorded["steady-st-s-1"]
    boto3.client("ec2", region_name="us-east-1").terminate_instances(InstanceIds=[victim])

    def replaced() -> str | None:
        now = records_of(cluster, "steady-")
        new = now.get("steady-st-s-1")
        return new if new and new != victim and new in running_of(cluster, "steady") else None

    new_id = wait_for(replaced, 90, f"steady-st-s-1 replaced\n{keeper.tail()}\n{cluster.logs()}")
    assert records_of(cluster, "steady-")["steady-st-s-2"] == recorded["steady-st-s-2"]
    address = running_of(cluster, "steady")[str(new_id)]["PrivateIpAddress"]
    wait_for(lambda: cluster.node("steady-st-s-1").address == address, 30, "the new address in Slurm")


def test_5_capacity_error_sets_nodes_down_with_reason_and_leaves_no_unknown_instance(
    slurm_cluster: SlurmCluster,
) -> None:
    cluster = slurm_cluster
    cluster.proxy.fail_launches(
        "itest-scarce-x",
        "InsufficientInstanceCapacity",
        "We currently do not have sufficient t3.small capacity",
    )
    job = submit(cluster, "scarce", 2, "true")
    nodes = ["scarce-dy-x-1", "scarce-dy-x-2"]
    wait_for(lambda: all(cluster.node(n).down for n in nodes), 60, f"scarce nodes DOWN\n{cluster.logs()}")
    for name in nodes:
        reason = cluster.node(name).reason
        assert "launch failed (Code:InsufficientInstanceCapacity)" in reason, reason
    assert running_of(cluster, "scarce") == {}
    known = set(records_of(cluster, "").values())
    assert set(running_instances(cluster.config)) <= known
    assert any(
        form.get("LaunchTemplate.LaunchTemplateName") == ["itest-scarce-x"]
        for form in cluster.proxy.launch_requests
    )
    cluster.run("scancel", job)
