"""The registry and ``run_validators``: every validator is named, documented and suppressible,
a clean config raises nothing, and a validator's bug never escapes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pcluster_pulumi.spec.problems import Level
from pcluster_pulumi.spec.validators import REGISTRY, run_validators
from pcluster_pulumi.spec.validators.base import ConfigView, Finding, Validator

from .conftest import CR, QUEUE, at


def _errors(config: dict[str, Any]) -> list[tuple[str, Finding]]:
    return [
        (n, f) for n, f in run_validators(ConfigView(config, cluster_name="demo")) if f.level is Level.ERROR
    ]


def test_minimal_slurm_config_yields_no_findings_at_all(slurm: dict[str, Any]) -> None:
    assert run_validators(ConfigView(slurm, cluster_name="demo")) == []


def test_minimal_awsbatch_config_yields_no_findings_at_all(awsbatch: dict[str, Any]) -> None:
    assert run_validators(ConfigView(awsbatch, cluster_name="demo")) == []


def test_feature_rich_clean_slurm_config_yields_no_errors(slurm: dict[str, Any]) -> None:
    queue = at(slurm, QUEUE)
    queue["Networking"]["SubnetIds"].append("subnet-0123456789abcdef2")
    at(slurm, CR).pop("InstanceType")
    at(slurm, CR)["Instances"] = [{"InstanceType": "c5.xlarge"}, {"InstanceType": "c5a.xlarge"}]
    queue["ComputeResources"].append({"Name": "hpc", "Instances": [{"InstanceType": "hpc7a.96xlarge"}]})
    slurm["SharedStorage"] = [
        {"Name": "home", "MountDir": "/home", "StorageType": "Efs", "EfsSettings": {"Encrypted": True}},
        {"Name": "data", "MountDir": "/data", "StorageType": "Ebs", "EbsSettings": {"Size": 500}},
    ]
    slurm["Scheduling"]["SlurmSettings"] = {"Database": {"Uri": "db.example.com:3306"}}
    slurm["Tags"] = [{"Key": "team", "Value": "hpc"}]
    assert _errors(slurm) == []


def test_every_validator_has_a_docstring_for_the_help_listing() -> None:
    undocumented = [name for name, entry in REGISTRY.items() if len(entry.doc) < 20]
    assert undocumented == []


def test_validators_are_registered_under_parallelcluster_class_names() -> None:
    assert {
        "NameValidator",
        "DuplicateNameValidator",
        "MaxCountValidator",
        "EbsVolumeTypeSizeValidator",
    } <= set(REGISTRY)
    assert all(name[0].isupper() and " " not in name for name in REGISTRY)


def test_a_suppressed_validator_is_skipped(slurm: dict[str, Any]) -> None:
    at(slurm, QUEUE)["Name"] = "Bad_Name"
    view = ConfigView(slurm)
    assert "NameValidator" in {n for n, _ in run_validators(view)}
    assert "NameValidator" not in {n for n, _ in run_validators(view, suppressed={"NameValidator"})}


def test_parallelcluster_type_prefix_suppresses_too(slurm: dict[str, Any]) -> None:
    at(slurm, QUEUE)["Name"] = "Bad_Name"
    results = run_validators(ConfigView(slurm), suppressed=["type:NameValidator"])
    assert "NameValidator" not in {n for n, _ in results}


def test_suppressing_all_skips_every_validator(slurm: dict[str, Any]) -> None:
    at(slurm, QUEUE)["Name"] = "Bad_Name"
    assert run_validators(ConfigView(slurm), suppressed=("ALL",)) == []


def test_results_name_the_validator_that_found_them(slurm: dict[str, Any]) -> None:
    at(slurm, CR)["MinCount"] = 20
    results = run_validators(ConfigView(slurm))
    assert [(n, f.path) for n, f in results] == [("ComputeResourceSizeValidator", (*CR, "MaxCount"))]


def test_a_validator_that_raises_becomes_one_internal_error_finding(
    slurm: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(view: ConfigView) -> Iterator[Finding]:
        yield Finding(("Image",), "partial result that must be dropped")
        raise RuntimeError("boom")

    monkeypatch.setitem(REGISTRY, "BrokenValidator", Validator("BrokenValidator", broken, "Always fails."))
    results = run_validators(ConfigView(slurm))
    assert results == [
        ("BrokenValidator", Finding((), "internal error in BrokenValidator: boom", Level.ERROR))
    ]
