"""Shared fixtures for the cluster tests: offline plans, cached per spec, and ways to read them.

Planning runs the real program under pulumi mocks (about 0.1 s a spec once pulumi_aws is
imported), so every test that looks at one spec shares one plan through ``plan_of``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pcluster_pulumi.cluster.context import ClusterContext
from pcluster_pulumi.cluster.facts_offline import cluster_facts
from pcluster_pulumi.offline import Plan, Recorded, plan
from pcluster_pulumi.spec.loader import load_spec

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
GOLDEN = Path(__file__).parent / "golden"
CORPUS = REPO.parent / "shared" / "configs" / "pcluster"

MINIMAL = """\
Image:
  Os: alinux2023
HeadNode:
  InstanceType: t3.medium
  Networking:
    SubnetId: subnet-0aaaaaaaaaaaaaaa0
  Ssh:
    KeyName: my-key
Scheduling:
  Scheduler: slurm
  SlurmQueues:
    - Name: q1
      ComputeResources:
        - Name: c5
          InstanceType: c5.xlarge
          MinCount: 1
          MaxCount: 4
      Networking:
        SubnetIds:
          - subnet-0bbbbbbbbbbbbbbb1
"""

_CACHE: dict[tuple[str, str], Plan] = {}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """pulumi_aws warns about its own deprecated V2 aliases when a submodule is first loaded."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.filterwarnings("ignore::DeprecationWarning:pulumi_aws.*"))


def cached_plan(spec: str | Path, name: str = "demo") -> Plan:
    """The offline plan of a spec (a path or YAML text), computed once per test session."""
    key = (str(spec), name)
    if key not in _CACHE:
        _CACHE[key] = plan(spec if isinstance(spec, str) else str(spec), name)
    return _CACHE[key]


@pytest.fixture(scope="session")
def plan_of() -> Callable[..., Plan]:
    """plan_of(spec, name="demo"): the cached offline plan of a spec."""
    return cached_plan


@pytest.fixture(scope="session")
def minimal() -> Plan:
    """The plan of the MINIMAL spec as cluster "demo"."""
    return cached_plan(MINIMAL)


def of_type(result: Plan, type_: str) -> list[Recorded]:
    """Every recorded resource of a type token (``aws:ec2/launchTemplate:LaunchTemplate``)."""
    return [r for r in result.resources if r.type == type_]


def named(result: Plan, name: str) -> Recorded:
    """The one resource with this logical name."""
    found = [r for r in result.resources if r.name == name]
    assert len(found) == 1, f"{len(found)} resources named {name!r}: {[r.name for r in result.resources]}"
    return found[0]


def policy(resource: Recorded) -> dict[str, Any]:
    """The policy document of a RolePolicy / BucketPolicy, parsed."""
    document: dict[str, Any] = json.loads(resource.inputs["policy"])
    return document


def statements(result: Plan) -> Iterator[tuple[Recorded, dict[str, Any]]]:
    """Every IAM statement of every inline policy in a plan, with its resource."""
    for res in of_type(result, "aws:iam/rolePolicy:RolePolicy"):
        for statement in policy(res)["Statement"]:
            yield res, statement


def context(text: str = MINIMAL, name: str = "demo", **overrides: Any) -> ClusterContext:
    """A ClusterContext with the offline default facts (for the pure planning functions)."""
    spec = load_spec(text, cluster_name=name)
    facts = cluster_facts(spec)
    return ClusterContext(name, spec, dataclasses.replace(facts, **overrides))
