"""The runtime configuration document: strict parsing, defaults, round trip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pcluster_pulumi.contract.config import ENV_VAR, ConfigError, NodeConfig

from .factories import compute_resource, config_dict, facts


def test_minimal_document_gets_documented_defaults() -> None:
    config = NodeConfig.from_dict(config_dict())
    assert config.scheduler.scaling_strategy == "all-or-nothing"
    assert config.scheduler.scaledown_idletime_seconds == 600
    assert config.keeper.orphan_grace_seconds == 300
    resource = config.queues[0].compute_resources[0]
    assert (resource.min_count, resource.max_count, resource.api) == (0, 4, "run-instances")
    assert config.dns is None


def test_multi_type_resources_default_to_create_fleet_and_take_the_smallest_facts() -> None:
    resource = compute_resource(
        "demo", "q1", "flex", [facts("c5.xlarge", 4, 8192), facts("m5.xlarge", 4, 16384, threads_per_core=2)]
    )
    queue = {"name": "q1", "subnet_ids": ["s1"], "compute_resources": [resource]}
    parsed = NodeConfig.from_dict(config_dict(queues=[queue])).queues[0].compute_resources[0]
    assert parsed.api == "create-fleet"
    assert (parsed.vcpus, parsed.memory_mib) == (4, 8192)


def test_round_trip_through_json_is_lossless() -> None:
    document = config_dict(
        dns={"hosted_zone_id": "Z1", "domain": "demo.pcluster."},
        mounts=[{"mount_dir": "/shared", "kind": "nfs", "source": "10.0.0.10:/shared", "options": "hard"}],
        scheduler={
            "custom_slurm_settings": [{"MaxJobCount": 5000}],
            "accounting": {"kind": "external", "host": "dbd.example", "port": 6819},
        },
    )
    config = NodeConfig.from_dict(document)
    again = NodeConfig.from_dict(json.loads(config.to_json()))
    assert again == config
    assert again.mounts[0]["mount_dir"] == "/shared"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("region"), r"\$\.region: required key is missing"),
        (lambda d: d.update(regoin="x"), r"\$: unknown key\(s\) regoin"),
        (
            lambda d: d["queues"][0]["compute_resources"][0].update(max_count="4"),
            r"max_count: expected an integer",
        ),
        (
            lambda d: d["queues"][0]["compute_resources"][0].update(min_count=9),
            r"min_count 9 exceeds max_count 4",
        ),
        (lambda d: d.update(scheduler={"scaling_strategy": "yolo"}), r"scaling_strategy: must be one of"),
        (lambda d: d.update(format_version=2), r"reads version 1, got 2"),
        (lambda d: d["queues"][0].update(subnet_ids=[]), r"subnet_ids: expected at least 1"),
        (lambda d: d["tables"].update(extra=True), r"\$\.tables: unknown key\(s\) extra"),
    ],
)
def test_bad_documents_are_refused_with_the_key_path(mutate, message) -> None:  # type: ignore[no-untyped-def]
    document = config_dict()
    mutate(document)
    with pytest.raises(ConfigError, match=message):
        NodeConfig.from_dict(document)


def test_load_reads_the_path_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "node-config.json"
    path.write_text(json.dumps(config_dict(cluster="envy")))
    monkeypatch.setenv(ENV_VAR, str(path))
    assert NodeConfig.load().cluster_name == "envy"


def test_load_reports_bad_json_with_position(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"format_version": 1,\n  oops}')
    with pytest.raises(ConfigError, match=r"broken.json:2:3: invalid JSON"):
        NodeConfig.load(path)


def test_load_without_path_or_environment_says_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    with pytest.raises(ConfigError, match=ENV_VAR):
        NodeConfig.load()
