"""The validators agree with ParallelCluster on its own corpus: configs it accepts get no
ERROR, and configs one of its validators rejects are rejected by ours with the same message."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from pcluster_pulumi.spec.problems import Level, format_path
from pcluster_pulumi.spec.validators import run_validators
from pcluster_pulumi.spec.validators.base import ConfigView

CORPUS = Path(__file__).resolve().parents[4] / "shared" / "configs" / "pcluster"
MANIFEST: list[dict[str, Any]] = (
    json.loads((CORPUS / "manifest.json").read_text()) if (CORPUS / "manifest.json").exists() else []
)
VALID = [entry for entry in MANIFEST if entry["verdict"] == "valid"]
BY_VALIDATOR = [entry for entry in MANIFEST if (entry["enforced_by"] or "").startswith("validator:")]

pytestmark = pytest.mark.skipif(
    not MANIFEST, reason="reference corpus ../shared/configs/pcluster not present"
)


def _load(entry: dict[str, Any]) -> dict[str, Any]:
    data = yaml.safe_load((CORPUS / entry["file"]).read_text())
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize("entry", VALID, ids=[e["file"] for e in VALID])
def test_config_parallelcluster_accepts_gets_no_error_from_any_validator(entry: dict[str, Any]) -> None:
    results = run_validators(ConfigView(_load(entry)))
    errors = [(name, format_path(f.path), f.message) for name, f in results if f.level is Level.ERROR]
    assert errors == []


@pytest.mark.parametrize("entry", BY_VALIDATOR, ids=[e["file"] for e in BY_VALIDATOR])
def test_config_a_parallelcluster_validator_rejects_is_rejected_with_the_same_message(
    entry: dict[str, Any],
) -> None:
    name = entry["enforced_by"].removeprefix("validator:")
    results = run_validators(ConfigView(_load(entry)))
    messages = [f.message for found_by, f in results if found_by == name and f.level is Level.ERROR]
    assert entry["reference_error"] in messages


def test_corpus_has_validator_rejections_to_compare_against() -> None:
    assert {e["enforced_by"] for e in BY_VALIDATOR} >= {
        "validator:NameValidator",
        "validator:EbsVolumeTypeSizeValidator",
    }
