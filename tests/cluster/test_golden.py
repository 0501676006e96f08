"""Each example's whole plan against its committed golden JSON (``pytest --update-golden`` rewrites)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pcluster_pulumi.engines.offline.plan import default_cluster_name
from pcluster_pulumi.spec.loader import validate_text
from pcluster_pulumi.spec.problems import Level

from .conftest import EXAMPLES, GOLDEN, cached_plan

EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml"))


def test_there_are_examples_for_users_to_copy() -> None:
    assert len(EXAMPLE_FILES) >= 3


@pytest.mark.parametrize("example", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_example_plan_matches_its_golden_file(example: Path, golden: Callable[[str, Path], None]) -> None:
    result = cached_plan(example, default_cluster_name(example))
    golden(result.to_json(), GOLDEN / f"{example.stem}.json")


@pytest.mark.parametrize("example", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_example_validates_without_an_error_or_warning(example: Path) -> None:
    result = validate_text(example.read_text(), str(example), cluster_name=default_cluster_name(example))
    assert result.spec is not None
    assert [p.located(str(example)) for p in result.problems if p.level >= Level.WARNING] == []


def test_every_golden_file_has_its_example() -> None:
    stems = {p.stem for p in EXAMPLE_FILES}
    assert {p.stem for p in GOLDEN.glob("*.json")} <= stems
