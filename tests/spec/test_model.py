"""The typed model: generated from the schema, frozen, defaults applied, lossless round trip."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from pcluster_pulumi.spec.loader import load_spec
from pcluster_pulumi.spec.model import ClusterSpec

from .conftest import CORPUS, REPO, manifest


def test_committed_model_is_what_the_generator_writes(tmp_path: Path) -> None:
    out = tmp_path / "model.py"
    subprocess.run(
        [sys.executable, str(REPO / "tools" / "gen_model.py"), str(out)], check=True, capture_output=True
    )
    assert out.read_text() == (REPO / "pcluster_pulumi" / "spec" / "model.py").read_text()


def test_spec_is_frozen(minimal_text: str) -> None:
    spec = load_spec(minimal_text)
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.head_node.instance_type = "c5.large"  # type: ignore[misc]


def test_defaults_are_applied(minimal_text: str) -> None:
    spec = load_spec(minimal_text)
    queue = spec.scheduling.slurm_queues[0] if spec.scheduling.slurm_queues else None
    assert queue is not None
    assert queue.capacity_type == "ONDEMAND"
    assert queue.compute_settings.local_storage.root_volume.encrypted is True
    assert spec.head_node.local_storage.root_volume.volume_type == "gp3"
    assert spec.head_node.imds.secured is True
    assert spec.imds.imds_support == "v2.0"
    assert spec.monitoring.logs.cloud_watch.retention_in_days == 180
    assert spec.monitoring.logs.cloud_watch.deletion_policy == "Retain"
    slurm = spec.scheduling.slurm_settings
    assert slurm is not None and slurm.scaledown_idletime == 10 and slurm.dns.disable_managed_dns is False
    assert spec.scheduling.scaling_strategy == "all-or-nothing"
    cr = queue.compute_resources[0] if queue.compute_resources else None
    assert cr is not None and (cr.static_node_priority, cr.dynamic_node_priority) == (1, 1000)
    assert spec.shared_storage is None and spec.login_nodes is None


def test_storage_settings_block_exists_for_its_type() -> None:
    text = (
        "Image: {Os: alinux2023}\n"
        "HeadNode: {InstanceType: t3.micro, Networking: {SubnetId: subnet-0123456789abcdef0}}\n"
        "Scheduling: {Scheduler: slurm, SlurmQueues: [{Name: q,"
        " ComputeResources: [{Name: c, InstanceType: c5.large}],"
        " Networking: {SubnetIds: [subnet-0123456789abcdef0]}}]}\n"
        "SharedStorage: [{Name: data, MountDir: /data, StorageType: Ebs}]\n"
    )
    [storage] = load_spec(text).shared_storage or ()
    assert storage.settings is storage.ebs_settings
    assert (storage.settings.size, storage.settings.volume_type, storage.settings.encrypted) == (
        40,
        "gp3",
        True,
    )


def test_derived_helpers(minimal_text: str) -> None:
    spec = load_spec(minimal_text)
    cr = spec.queues[0].compute_resources[0]
    assert cr.instance_types == ("c5.xlarge",) and not cr.uses_fleet
    assert (cr.static_count, cr.dynamic_count) == (0, 10)
    assert spec.is_slurm and spec.queues[0].effective_allocation_strategy is None


@pytest.mark.parametrize("entry", [e for e in manifest() if e["verdict"] == "valid"], ids=lambda e: e["file"])
def test_round_trip_through_plain_data_is_lossless(entry: dict[str, str]) -> None:
    spec = load_spec(CORPUS / entry["file"])
    again = ClusterSpec.from_dict(spec.to_dict())
    assert again == spec
