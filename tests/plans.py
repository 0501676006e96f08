"""Offline plans for tests in every folder: cached per spec, and ways to read them.

Planning runs the real program under pulumi mocks (about 0.1 s a spec once pulumi_aws is
imported), so every test that looks at one spec shares one plan (``cached_plan``; the
``plan_of`` and ``minimal`` fixtures in ``tests/conftest.py``). Readers go through the public
testing kit (``pcluster_pulumi.testing``), as a user's own tests would.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pcluster_pulumi.derive.context import ClusterContext
from pcluster_pulumi.engines.offline.facts import cluster_facts
from pcluster_pulumi.engines.offline.plan import Plan, Recorded, plan
from pcluster_pulumi.spec.loader import load_spec
from pcluster_pulumi.testing import Resource, Resources

from .conftest import minimal_config

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
GOLDEN = REPO / "tests" / "cluster" / "golden"
CORPUS = REPO.parent / "shared" / "configs" / "pcluster"

MINIMAL = minimal_config()

_CACHE: dict[tuple[str, str], Plan] = {}


def cached_plan(spec: str | Path, name: str = "demo") -> Plan:
    """The offline plan of a spec (a path or YAML text), computed once per test session."""
    key = (str(spec), name)
    if key not in _CACHE:
        _CACHE[key] = plan(spec if isinstance(spec, str) else str(spec), name)
    return _CACHE[key]


def kit(result: Plan) -> Resources:
    """A plan's resources through the public testing kit (``pcluster_pulumi.testing``)."""
    return Resources([Resource.of(r) for r in result.resources], result.outputs)


def of_type(result: Plan, type_: str) -> list[Resource]:
    """Every recorded resource of a type token (``aws:ec2/launchTemplate:LaunchTemplate``)."""
    return kit(result).of_type(type_)


def named(result: Plan, name: str) -> Resource:
    """The one resource with this logical name."""
    return kit(result).named(name)


def policy(resource: Recorded | Resource) -> dict[str, Any]:
    """The policy document of a RolePolicy / BucketPolicy, parsed."""
    document: dict[str, Any] = json.loads(resource.inputs["policy"])
    return document


def statements(result: Plan) -> Iterator[tuple[Resource, dict[str, Any]]]:
    """Every IAM statement of every inline policy in a plan, with its resource."""
    for res in of_type(result, "aws:iam/rolePolicy:RolePolicy"):
        for statement in policy(res)["Statement"]:
            yield res, statement


def context(text: str = MINIMAL, name: str = "demo", **overrides: Any) -> ClusterContext:
    """A ClusterContext with the offline default facts (for the pure planning functions)."""
    spec = load_spec(text, cluster_name=name)
    facts = cluster_facts(spec)
    return ClusterContext(name, spec, dataclasses.replace(facts, **overrides))
