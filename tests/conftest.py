"""Shared by every test folder: ``--update-golden``, the ``golden`` fixture, the minimal config factory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

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


def minimal_config(
    *,
    queue: str = "q1",
    compute_resource: str = "c5",
    instance_type: str = "c5.xlarge",
    min_count: int = 1,
    max_count: int = 4,
    head_subnet: str = "subnet-0aaaaaaaaaaaaaaa0",
    queue_subnet: str = "subnet-0bbbbbbbbbbbbbbb1",
    os_name: str = "alinux2023",
) -> str:
    """The smallest valid Slurm config (one queue, one compute resource), as YAML text.

    Every test folder builds its minimal config here, naming only what its tests rely on.
    """
    return f"""\
Image:
  Os: {os_name}
HeadNode:
  InstanceType: t3.medium
  Networking:
    SubnetId: {head_subnet}
  Ssh:
    KeyName: my-key
Scheduling:
  Scheduler: slurm
  SlurmQueues:
    - Name: {queue}
      ComputeResources:
        - Name: {compute_resource}
          InstanceType: {instance_type}
          MinCount: {min_count}
          MaxCount: {max_count}
      Networking:
        SubnetIds:
          - {queue_subnet}
"""


@pytest.fixture(scope="session")
def plan_of() -> Callable[..., Any]:
    """plan_of(spec, name="demo"): the cached offline plan of a spec (``tests/plans.py``)."""
    from .plans import cached_plan  # the plan machinery loads Pulumi: only for tests that plan

    return cached_plan


@pytest.fixture(scope="session")
def minimal() -> Any:
    """The plan of the minimal config as cluster "demo"."""
    from .plans import MINIMAL, cached_plan

    return cached_plan(MINIMAL)
