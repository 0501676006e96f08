"""Each example's whole plan against its committed golden JSON (``pytest --update-golden`` rewrites)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pcluster_pulumi.offline import default_cluster_name

from .conftest import EXAMPLES, GOLDEN, cached_plan

EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml"))


def test_there_are_examples_for_users_to_copy() -> None:
    assert len(EXAMPLE_FILES) >= 3


@pytest.mark.parametrize("example", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_example_plan_matches_its_golden_file(example: Path, golden: Callable[[str, Path], None]) -> None:
    result = cached_plan(example, default_cluster_name(example))
    golden(result.to_json(), GOLDEN / f"{example.stem}.json")


def test_every_golden_file_has_its_example() -> None:
    stems = {p.stem for p in EXAMPLE_FILES}
    assert {p.stem for p in GOLDEN.glob("*.json")} <= stems
