"""Shared pytest options: ``--update-golden`` and the ``golden`` fixture for snapshot files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite golden files with the current output instead of comparing against them",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    """True when the run was asked to rewrite golden files."""
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture
def golden(update_golden: bool) -> Callable[[str, Path], None]:
    """golden(text, path): assert text equals the file, or rewrite it under --update-golden."""

    def check(text: str, path: Path) -> None:
        if update_golden:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            return
        assert path.exists(), f"{path} is missing: run pytest --update-golden to create it"
        expected = path.read_text(encoding="utf-8")
        assert text == expected, f"output differs from {path}; review and run pytest --update-golden"

    return check
