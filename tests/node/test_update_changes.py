"""The change set between the applied and a new runtime configuration, and what it does to nodes."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

import pytest

from pcluster_pulumi.contract.config import NodeConfig
from pcluster_pulumi.node.scontrol import SlurmNode
from pcluster_pulumi.node.update_changes import compute_changes, config_nodes
from pcluster_pulumi.node.update_strategy import removed_node_actions, replacement_actions

from .factories import compute_resource, config_dict, facts


def document() -> dict[str, Any]:
    def queue(name: str, cr: str, **extra: Any) -> dict[str, Any]:
        resource = compute_resource("demo", name, cr, [facts("c5.large")], max_count=3, min_count=1, **extra)
        return {"name": name, "subnet_ids": ["subnet-1"], "compute_resources": [resource]}

    return config_dict(queues=[queue("q1", "c5"), queue("q2", "g4")])


def changed(edit: Any) -> tuple[NodeConfig, NodeConfig]:
    before = document()
    after = copy.deepcopy(before)
    edit(after)
    return NodeConfig.from_dict(before), NodeConfig.from_dict(after)


def node(name: str, *states: str) -> SlurmNode:
    return SlurmNode(name, frozenset(states), name, name, "", datetime(2026, 1, 1))


def test_the_same_document_changes_nothing() -> None:
    old, new = changed(lambda d: None)
    changes = compute_changes(old, new)
    assert changes.empty and changes.summary() == "no change"


def test_a_new_queue_adds_its_nodes_and_needs_no_replacement() -> None:
    def edit(d: dict[str, Any]) -> None:
        resource = compute_resource("demo", "q3", "m5", [facts("m5.large")], max_count=2)
        d["queues"].append({"name": "q3", "subnet_ids": ["subnet-1"], "compute_resources": [resource]})

    changes = compute_changes(*changed(edit))
    assert changes.added_queues == ("q3",) and changes.added_resources == ("q3/m5",)
    assert changes.added_nodes == ("q3-dy-m5-1", "q3-dy-m5-2")
    assert changes.node_set_changed and not changes.replaced_nodes
    assert changes.summary() == "queue q3 added"


def test_max_count_up_adds_dynamic_nodes_and_down_removes_the_highest() -> None:
    def raise_it(d: dict[str, Any]) -> None:
        d["queues"][0]["compute_resources"][0]["max_count"] = 5

    grown = compute_changes(*changed(raise_it))
    assert grown.added_nodes == ("q1-dy-c5-3", "q1-dy-c5-4") and not grown.removed_nodes
    assert grown.summary() == "q1/c5 +2 node(s)"

    def lower_it(d: dict[str, Any]) -> None:
        d["queues"][0]["compute_resources"][0]["max_count"] = 2

    shrunk = compute_changes(*changed(lower_it))
    assert shrunk.removed_nodes == ("q1-dy-c5-2",) and shrunk.summary() == "q1/c5 -1 node(s)"


def test_launch_settings_replace_the_nodes_but_priorities_and_settings_do_not() -> None:
    def edit(d: dict[str, Any]) -> None:
        d["queues"][0]["compute_resources"][0]["instances"] = [facts("c6i.large")]
        d["queues"][1]["capacity_type"] = "SPOT"
        d["queues"][1]["compute_resources"][0]["dynamic_node_priority"] = 7
        d["queues"][1]["custom_slurm_settings"] = {"MaxNodes": 2}

    changes = compute_changes(*changed(edit))
    assert changes.replaced_resources == (("q1/c5", ("instances",)), ("q2/g4", ("capacity_type",)))
    assert changes.replaced_nodes == (
        "q1-st-c5-1",
        "q1-dy-c5-1",
        "q1-dy-c5-2",
        "q2-st-g4-1",
        "q2-dy-g4-1",
        "q2-dy-g4-2",
    )
    assert changes.tuned == (("q2", ("custom_slurm_settings",)), ("q2/g4", ("dynamic_node_priority",)))
    assert not changes.node_set_changed


def test_removed_queue_and_compute_facing_storage_change() -> None:
    def edit(d: dict[str, Any]) -> None:
        d["queues"].pop()
        d["mounts"] = [
            {"mount_dir": "/data", "kind": "efs", "source": "fs-1:/", "roles": ["head", "compute"]}
        ]

    changes = compute_changes(*changed(edit))
    assert changes.removed_queues == ("q2",)
    assert changes.removed_nodes == ("q2-st-g4-1", "q2-dy-g4-1", "q2-dy-g4-2")
    assert changes.replaced_resources == (("q1/c5", ("shared storage",)),)
    assert changes.head_mounts_added == ("/data",)
    assert "queue q2 removed" in changes.summary() and "mount /data added" in changes.summary()


def test_scheduler_settings_are_named_as_the_spec_names_them() -> None:
    def edit(d: dict[str, Any]) -> None:
        d["scheduler"] = {"scaledown_idletime_seconds": 300, "queue_update_strategy": "DRAIN"}

    changes = compute_changes(*changed(edit))
    assert changes.settings == ("ScaledownIdletime 600→300", "QueueUpdateStrategy COMPUTE_FLEET_STOP→DRAIN")


def test_config_nodes_lists_every_declared_node_with_its_resource() -> None:
    nodes = config_nodes(NodeConfig.from_dict(document()))
    assert nodes["q1-st-c5-1"] == "q1/c5" and nodes["q2-dy-g4-2"] == "q2/g4" and len(nodes) == 6


def replaced_q1() -> Any:
    def edit(d: dict[str, Any]) -> None:
        d["queues"][0]["compute_resources"][0]["instances"] = [facts("c6i.large")]
        d["queues"].pop()

    return compute_changes(*changed(edit))


SLURM = [
    node("q1-st-c5-1", "IDLE", "CLOUD"),  # up, idle
    node("q1-dy-c5-1", "ALLOCATED", "CLOUD"),  # running a job
    node("q1-dy-c5-2", "IDLE", "CLOUD", "POWERED_DOWN"),  # no instance
    node("q2-st-g4-1", "MIXED", "CLOUD"),  # leaves with its queue
    node("q2-dy-g4-1", "IDLE", "CLOUD", "POWERING_DOWN"),  # already going
]


def test_drain_powers_idle_nodes_down_now_and_busy_ones_once_their_jobs_end() -> None:
    actions = replacement_actions(replaced_q1(), "DRAIN", SLURM)
    assert actions.force == ("q1-st-c5-1",) and actions.asap == ("q1-dy-c5-1",) and not actions.kept


def test_terminate_powers_every_awake_node_down_now() -> None:
    actions = replacement_actions(replaced_q1(), "TERMINATE", SLURM)
    assert actions.force == ("q1-dy-c5-1", "q1-st-c5-1") and not actions.asap


def test_compute_fleet_stop_touches_no_node() -> None:
    actions = replacement_actions(replaced_q1(), "COMPUTE_FLEET_STOP", SLURM)
    assert not actions.force and not actions.asap and actions.kept == ("q1-dy-c5-1", "q1-st-c5-1")


def test_nodes_leaving_the_cluster_go_by_force_whatever_the_strategy() -> None:
    assert removed_node_actions(replaced_q1(), SLURM).force == ("q2-st-g4-1",)


def test_an_unknown_strategy_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown QueueUpdateStrategy 'LATER'"):
        replacement_actions(replaced_q1(), "LATER", SLURM)
