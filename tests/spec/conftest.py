"""Shared fixtures for the spec tests: the reference corpus and a minimal valid config."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pcluster_pulumi.spec.loader import Validation, validate_text

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "configs" / "pcluster"
REFERENCE = SHARED / "reference"

MINIMAL = """\
Image:
  Os: alinux2023
HeadNode:
  InstanceType: t3.medium
  Networking:
    SubnetId: subnet-0123456789abcdef0
  Ssh:
    KeyName: my-key
Scheduling:
  Scheduler: slurm
  SlurmQueues:
    - Name: compute
      ComputeResources:
        - Name: c5
          InstanceType: c5.xlarge
          MinCount: 0
          MaxCount: 10
      Networking:
        SubnetIds:
          - subnet-0123456789abcdef1
"""


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
