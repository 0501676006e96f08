"""Updates reach the running cluster: the keeper's update agent on a real slurmctld + moto.

Each test writes a new runtime configuration object to moto's S3 exactly as `up` does (the
``RuntimeConfig`` component's JSON text at the cluster's config key, in a versioned bucket),
runs ``pcluster-pulumi-keeper --once`` — the very wrapper the head node runs — and asserts on
Slurm's answers (``scontrol``, ``squeue``) and moto's state (instances, records, the status
item). slurmctld runs daemonized and is restarted by a small script standing in for
``systemctl restart pcluster-pulumi-slurmctld``. The tests run in file order and share one
cluster; each starts from the document the previous one left applied.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from pcluster_pulumi.contract import names

from ..node.factories import compute_resource, facts
from .processes import as_freshly_booted, require, wait_for
from .update_cluster import (
    BUCKET,
    CLUSTER,
    SMALL,
    UpdateCluster,
    job_field,
    live,
    queue,
    records,
    submit,
    updates,
)

pytestmark = pytest.mark.integration

__all__ = ["updates"]  # the module's cluster fixture


def test_1_first_pass_adopts_the_document_the_head_node_booted_with(updates: UpdateCluster) -> None:
    slurm_conf = updates.slurm.layout.slurm_conf.read_text()
    updates.keeper_once()
    status = updates.status()
    assert status is not None, updates.keeper_log()
    assert (status.status, status.summary, status.reason) == ("APPLIED", "no change", "")
    assert status.applied_etag == status.config_etag
    assert updates.slurm.layout.slurm_conf.read_text() == slurm_conf
    assert set(updates.partitions()) == {"work", "fleet", "term", "gone"}


def test_2_new_queue_appears_and_gets_an_instance_max_count_raised_adds_nodes(updates: UpdateCluster) -> None:
    document = updates.next_document()
    document["queues"].append(queue("fresh", compute_resource(CLUSTER, "fresh", "n", [SMALL], max_count=2)))
    document["queues"][-1]["subnet_ids"] = document["queues"][0]["subnet_ids"]
    document["queues"][0]["compute_resources"][0]["max_count"] = 4
    updates.add_launch_template("fresh", "n")

    status = updates.update(document)

    assert status.status == "APPLIED", f"{status.reason}\n{updates.keeper_log()}"
    assert "queue fresh added" in status.summary and "work/w +2 node(s)" in status.summary
    partitions = updates.partitions()
    assert partitions["fresh"] == "fresh-dy-n-[1-2]"
    assert partitions["work"] == "work-dy-w-[1-4]"
    assert "NodeName=work-dy-w-[1-4]" in updates.slurm.layout.slurm_conf.read_text()
    job = submit(updates, "fresh", "sleep 300")
    recorded = wait_for(
        lambda: records(updates, "fresh-"), 60, f"a fresh node launched\n{updates.slurm.logs()}"
    )
    assert isinstance(recorded, dict)
    ((node, instance_id),) = recorded.items()
    assert instance_id in live(updates)
    assert job_field(updates, job, "NodeList") == node
    updates.slurm.run("scancel", job)


def test_3_scaledown_idletime_becomes_suspend_time_and_on_node_updated_runs_once(
    updates: UpdateCluster,
) -> None:
    marker = updates.slurm.root / "on-node-updated.txt"
    updates.s3.put_object(
        Bucket=BUCKET,
        Key="scripts/updated.sh",
        Body=b'#!/bin/sh\necho "updated $1" >> "$2"\n',
    )
    document = updates.next_document()
    document["scheduler"]["scaledown_idletime_seconds"] = 420
    document["head_node"]["custom_actions"] = {
        "on_node_updated": [{"script": f"s3://{BUCKET}/scripts/updated.sh", "args": ["ok", str(marker)]}]
    }
    assert updates.config_value("SuspendTime") == "300 sec"

    status = updates.update(document)

    assert status.status == "APPLIED", f"{status.reason}\n{updates.keeper_log()}"
    assert "ScaledownIdletime 300→420" in status.summary
    assert updates.config_value("SuspendTime") == "420 sec"
    assert marker.read_text() == "updated ok\n"
    updates.keeper_once()  # nothing new in S3: nothing runs again
    assert marker.read_text() == "updated ok\n"


def test_4_custom_settings_slurmctld_rejects_are_rolled_back_and_reported(updates: UpdateCluster) -> None:
    before_conf = updates.slurm.layout.slurm_conf.read_text()
    before_config = Path(updates.slurm.env["PCLUSTER_PULUMI_NODE_CONFIG"]).read_text()
    before = updates.partitions()
    document = updates.next_document()
    document["queues"].append(queue("extra", compute_resource(CLUSTER, "extra", "e", [SMALL], max_count=1)))
    document["queues"][-1]["subnet_ids"] = document["queues"][0]["subnet_ids"]
    # Slurm's parser accepts it; slurmctld exits when it cannot load the plugin.
    document["scheduler"]["custom_slurm_settings"] = [{"SchedulerType": "sched/pcluster_pulumi_missing"}]

    status = updates.update(document)

    assert status.status == "FAILED", status
    assert "sched/pcluster_pulumi_missing" in status.reason, status.reason
    assert "rolled back" in status.reason
    assert status.applied_etag != status.config_etag
    assert updates.partitions() == before
    assert updates.slurm.layout.slurm_conf.read_text() == before_conf
    assert Path(updates.slurm.env["PCLUSTER_PULUMI_NODE_CONFIG"]).read_text() == before_config
    # A key Slurm's parser refuses never reaches the running controller.
    document["scheduler"]["custom_slurm_settings"] = [{"NotASlurmParameter": "1"}]
    status = updates.update(document)
    assert status.status == "FAILED"
    assert "unrecognized key: NotASlurmParameter" in status.reason, status.reason
    assert updates.partitions() == before


def launched_types(cluster: UpdateCluster, template: str, since: int) -> list[str]:
    """Instance types of CreateFleet overrides sent for a launch template after request number since."""
    found = []
    for form in cluster.slurm.proxy.launch_requests[since:]:
        names_sent = [
            v[0] for k, v in form.items() if k.endswith("LaunchTemplateSpecification.LaunchTemplateName")
        ]
        if template in names_sent:
            found += [v[0] for k, v in form.items() if k.endswith(".InstanceType")]
    return found


def test_5_drain_replaces_idle_nodes_at_once_and_busy_ones_after_their_job(updates: UpdateCluster) -> None:
    cluster = updates.slurm
    template = names.launch_template_name(CLUSTER, "fleet", "f")
    # The static node the keeper powered up (no slurmd: idle, powering up) and a busy dynamic node.
    static = wait_for(lambda: records(updates, "fleet-st-f-1"), 30, "the static fleet node launched")
    assert isinstance(static, dict)
    job = submit(updates, "fleet", "sleep 12", "-w", "fleet-dy-f-1")
    busy = wait_for(lambda: records(updates, "fleet-dy-f-1"), 60, f"fleet-dy-f-1 launched\n{cluster.logs()}")
    assert isinstance(busy, dict)
    time.sleep(2)  # the "instance" boots after slurmctld asked for it (see as_freshly_booted)
    slurmd = cluster.start_daemon(
        "slurmd-fleet",
        as_freshly_booted(
            [require("slurmd"), "-D", "-N", "fleet-dy-f-1", "-f", str(cluster.layout.slurm_conf)]
        ),
    )
    try:
        wait_for(
            lambda: job_field(updates, job, "JobState") == "RUNNING", 60, f"job running\n{slurmd.tail()}"
        )
        requests_before = len(cluster.proxy.launch_requests)
        document = updates.next_document()
        resource = document["queues"][1]["compute_resources"][0]
        resource["instances"] = [facts("m5.large", 1, 2048), facts("m5a.large", 1, 2048)]
        document["scheduler"]["queue_update_strategy"] = "DRAIN"

        status = updates.update(document)

        assert status.status == "APPLIED", f"{status.reason}\n{updates.keeper_log()}"
        assert "fleet/f replaced (instances)" in status.summary
        node = cluster.node("fleet-dy-f-1")
        assert "DRAIN" in node.states and job_field(updates, job, "JobState") == "RUNNING", node
        # The idle static node went at once: its old instance is terminated.
        old_static = static["fleet-st-f-1"]
        wait_for(
            lambda: old_static not in live(updates),
            30,
            f"the idle node's instance terminated\n{cluster.logs()}",
        )
        # The busy node is replaced once its job is done.
        wait_for(lambda: job_field(updates, job, "JobState") == "COMPLETED", 60, "the job to finish")
        wait_for(
            lambda: busy["fleet-dy-f-1"] not in live(updates) and not records(updates, "fleet-dy-f-1"),
            60,
            f"the drained node's instance terminated after its job\n{cluster.logs()}",
        )
    finally:
        slurmd.stop()
    # The keeper powers the static node up again: the launch uses the new instance types.
    wait_for(lambda: cluster.node("fleet-st-f-1").powered_down, 30, "the static node idle~")
    updates.keeper_once()
    relaunched = wait_for(
        lambda: records(updates, "fleet-st-f-1"), 60, f"static node relaunched\n{cluster.logs()}"
    )
    assert isinstance(relaunched, dict) and relaunched["fleet-st-f-1"] != old_static
    assert set(launched_types(updates, template, requests_before)) == {"m5.large", "m5a.large"}


def test_6_terminate_requeues_jobs_and_a_removed_queue_leaves_nothing_behind(updates: UpdateCluster) -> None:
    cluster = updates.slurm
    term_job = submit(updates, "term", "sleep 300")
    gone_job = submit(updates, "gone", "sleep 300")
    term = wait_for(lambda: records(updates, "term-"), 60, f"term node launched\n{cluster.logs()}")
    gone = wait_for(lambda: records(updates, "gone-"), 60, f"gone node launched\n{cluster.logs()}")
    assert isinstance(term, dict) and isinstance(gone, dict)
    document = updates.next_document()
    document["queues"] = [q for q in document["queues"] if q["name"] != "gone"]
    term_queue = next(q for q in document["queues"] if q["name"] == "term")
    term_queue["compute_resources"][0]["instances"] = [facts("t3.medium", 1, 2048)]
    document["scheduler"]["queue_update_strategy"] = "TERMINATE"

    status = updates.update(document)

    assert status.status == "APPLIED", f"{status.reason}\n{updates.keeper_log()}"
    assert "queue gone removed" in status.summary and "term/t replaced (instances)" in status.summary
    # TERMINATE: powered down at once, the job requeued.
    wait_for(
        lambda: term["term-dy-t-1"] not in live(updates), 30, f"term instance terminated\n{cluster.logs()}"
    )
    assert job_field(updates, term_job, "Restarts") == "1", cluster.run("scontrol", "show", "job", term_job)
    # The removed queue: no partition, no instance, no record.
    assert "gone" not in updates.partitions()
    assert gone["gone-dy-g-1"] not in live(updates)
    assert records(updates, "gone-") == {}
    assert "gone-dy-g-1" not in cluster.run("sinfo", "-h", "-N", "-o", "%N")
    cluster.run("scancel", term_job, gone_job, check=False)
