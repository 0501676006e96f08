"""Property: any mutation of a valid config yields a valid spec or a SpecError — never a crash."""

from __future__ import annotations

import copy
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pcluster_pulumi import ClusterSpec, SpecError, load_spec
from pcluster_pulumi.spec.coerce import iter_paths
from pcluster_pulumi.spec.problems import Level

from .conftest import CORPUS, MINIMAL, manifest

VALID = [yaml.safe_load(MINIMAL)] + [
    yaml.safe_load((CORPUS / e["file"]).read_text())
    for e in manifest()
    if e["verdict"] == "valid" and (CORPUS / e["file"]).stat().st_size < 20_000
]
WRONG_VALUES = [None, True, -1, 0, 2**40, 1.5, "", "x" * 300, "-1", [], {}, ["a"], {"Foo": 1}]


def get(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


def mutate(data: dict[str, Any], draw: Any) -> dict[str, Any]:
    data = copy.deepcopy(data)
    paths = [p for p in iter_paths(data) if p]
    path = draw(st.sampled_from(paths))
    parent = get(data, path[:-1])
    kind = draw(st.sampled_from(["drop", "wrong", "unknown", "duplicate", "number"]))
    if kind == "drop":
        del parent[path[-1]]
    elif kind == "wrong":
        parent[path[-1]] = copy.deepcopy(draw(st.sampled_from(WRONG_VALUES)))
    elif kind == "number":
        parent[path[-1]] = draw(st.integers(min_value=-(2**33), max_value=2**33))
    elif kind == "unknown" and isinstance(parent, dict):
        parent[draw(st.sampled_from(["Foo", "name", "MaxCont", "Instancetype"]))] = 1
    elif kind == "duplicate" and isinstance(parent, list) and parent:
        parent.append(copy.deepcopy(parent[0]))
    return data


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(VALID), st.data())
def test_mutated_config_is_either_valid_or_refused_with_located_problems(
    base: dict[str, Any], data: Any
) -> None:
    text = yaml.safe_dump(mutate(base, data.draw), sort_keys=False)
    try:
        spec = load_spec(text)
    except SpecError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert isinstance(problem.message, str) and problem.message
            assert isinstance(problem.level, Level)
            assert problem.line is None or problem.line >= 1
            assert "internal error" not in problem.message
        assert any(p.level is Level.ERROR for p in exc.problems)
    else:
        assert isinstance(spec, ClusterSpec)
        assert ClusterSpec.from_dict(spec.to_dict()) == spec
