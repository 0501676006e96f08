"""Conformance with ParallelCluster's own verdicts on its public example configs."""

from __future__ import annotations

import ast
from typing import Any

import pytest

from pcluster_pulumi.spec.problems import Level, format_path

from .conftest import CORPUS, check, manifest

ENTRIES = manifest()


def reference_paths(error: Any, prefix: tuple[Any, ...] = ()) -> list[str]:
    """Leaf key paths of a marshmallow error dict such as {'Image': {'Os': ['...']}}."""
    if isinstance(error, dict):
        out: list[str] = []
        for key, value in error.items():
            out += reference_paths(value, (*prefix, key))
        return out
    return [format_path(prefix)]


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e["verdict"] == "valid"], ids=lambda e: e["file"])
def test_valid_reference_config_loads(entry: dict[str, Any]) -> None:
    result = check((CORPUS / entry["file"]).read_text())
    assert [p.located(entry["file"]) for p in result.problems if p.level is Level.ERROR] == []
    assert result.spec is not None


@pytest.mark.parametrize(
    "entry",
    [e for e in ENTRIES if e["verdict"] == "invalid" and e["enforced_by"] == "schema"],
    ids=lambda e: e["file"],
)
def test_schema_invalid_reference_config_is_refused_at_the_same_keys(entry: dict[str, Any]) -> None:
    result = check((CORPUS / entry["file"]).read_text())
    ours = {p.path for p in result.problems if p.level is Level.ERROR}
    expected = set(reference_paths(ast.literal_eval(entry["reference_error"])))
    assert result.spec is None
    assert expected <= ours, sorted(expected - ours)


@pytest.mark.parametrize(
    "entry",
    [e for e in ENTRIES if e["verdict"] == "invalid" and str(e["enforced_by"]).startswith("validator:")],
    ids=lambda e: e["file"],
)
def test_validator_invalid_reference_config_is_refused_by_the_same_validator(entry: dict[str, Any]) -> None:
    validator = entry["enforced_by"].split(":", 1)[1]
    result = check((CORPUS / entry["file"]).read_text())
    found = [p for p in result.problems if p.level is Level.ERROR and p.validator == validator]
    assert found, f"{validator} did not fire; got {[p.located(entry['file']) for p in result.problems]}"
    quoted = entry["reference_error"].split("'")[1] if "'" in entry["reference_error"] else None
    if quoted:
        assert any(quoted in p.message for p in found)


def test_conformance_corpus_is_complete() -> None:
    verdicts = {e["verdict"] for e in ENTRIES}
    assert verdicts == {"valid", "invalid"} and len(ENTRIES) >= 40
