"""The cluster tests: shared plans and readers come from ``tests/plans.py``."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..plans import (  # noqa: F401  (re-exported: the cluster tests import them from here)
    CORPUS,
    EXAMPLES,
    GOLDEN,
    MINIMAL,
    REPO,
    cached_plan,
    context,
    kit,
    named,
    of_type,
    policy,
    statements,
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """pulumi_aws warns about its own deprecated V2 aliases when a submodule is first loaded."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.filterwarnings("ignore::DeprecationWarning:pulumi_aws.*"))
