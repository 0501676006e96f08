"""Shared fixtures for the spec tests: the reference corpus and a minimal valid config."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pcluster_pulumi.spec.loader import Validation, validate_text

from ..conftest import minimal_config

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "configs" / "pcluster"
REFERENCE = SHARED / "reference"

MINIMAL = minimal_config(
    queue="compute",
    min_count=0,
    max_count=10,
    head_subnet="subnet-0123456789abcdef0",
    queue_subnet="subnet-0123456789abcdef1",
)


def manifest() -> list[dict[str, Any]]:
    """The reference verdicts; the shared corpus must be beside the clone (as in CI)."""
    path = CORPUS / "manifest.json"
    assert path.is_file(), f"the shared conformance corpus is missing: {path}"
    entries: list[dict[str, Any]] = json.loads(path.read_text())
    return entries


@pytest.fixture
def minimal_text() -> str:
    """A small valid Slurm config."""
    return MINIMAL


def check(text: str, **kwargs: Any) -> Validation:
    """Validate YAML text and return everything found."""
    return validate_text(text, "cluster.yaml", **kwargs)


def errors(text: str, **kwargs: Any) -> list[Any]:
    """Only the ERROR-level problems of a config."""
    return [p for p in check(text, **kwargs).problems if p.level.name == "ERROR"]
