"""Updating an AWS Batch cluster: the vCPU bounds are live, everything else the compute environment
cannot change in place needs it disabled first (the fleet stopped)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pcluster_pulumi.derive.update_policies import Impact
from pcluster_pulumi.derive.updates import plan_update

EXAMPLE = (Path(__file__).resolve().parents[3] / "examples" / "awsbatch.yaml").read_text()
CR = "Scheduling.AwsBatchQueues[jobs].ComputeResources[optimal]"


def changed(old: str, new: str) -> str:
    text = EXAMPLE.replace(old, new)
    assert text != EXAMPLE, old
    return text


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("MaxvCpus: 64", "MaxvCpus: 128", "MaxvCpus"),
        ("MinvCpus: 0 ", "MinvCpus: 2 ", "MinvCpus"),
    ],
)
def test_vcpu_bounds_are_applied_in_place(old: str, new: str, key: str) -> None:
    plan = plan_update(EXAMPLE, changed(old, new))
    (change,) = plan.changes
    assert (change.parameter, change.impact) == (f"{CR}.{key}", Impact.LIVE)
    assert plan.blocking(fleet_stopped=False) == []


@pytest.mark.parametrize(
    ("old", "new", "parameter"),
    [
        ("- optimal                    #", "- c5.xlarge                  #", f"{CR}.InstanceTypes"),
        ("CapacityType: SPOT", "CapacityType: ONDEMAND", "Scheduling.AwsBatchQueues[jobs].CapacityType"),
        ("SpotBidPercentage: 80", "SpotBidPercentage: 60", f"{CR}.SpotBidPercentage"),
    ],
)
def test_what_replaces_the_environment_needs_it_disabled(old: str, new: str, parameter: str) -> None:
    plan = plan_update(EXAMPLE, changed(old, new))
    (change,) = plan.changes
    assert (change.parameter, change.impact) == (parameter, Impact.FLEET_STOP)
    assert "update-compute-fleet --status STOP" in change.reason
    assert plan.blocking(fleet_stopped=False) == [change]
    assert plan.blocking(fleet_stopped=True) == []


def test_desired_vcpus_never_block_an_update() -> None:
    """ParallelCluster ignores DesiredvCpus in updates (Batch moves it itself); the new value is applied."""
    assert plan_update(EXAMPLE, changed("DesiredvCpus: 0", "DesiredvCpus: 8")).changes == ()


def test_renaming_the_queue_replaces_it_with_the_fleet_stopped() -> None:
    plan = plan_update(EXAMPLE, changed("- Name: jobs", "- Name: work"))
    assert {(c.kind, c.impact) for c in plan.changes} == {
        ("added", Impact.FLEET_STOP),
        ("removed", Impact.FLEET_STOP),
    }
