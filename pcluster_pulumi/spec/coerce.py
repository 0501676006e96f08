"""Scalar coercion the way ParallelCluster's marshmallow fields do it, before the schema runs.

ParallelCluster accepts ``MaxCount: "10"`` and ``Enabled: "yes"``; a config it accepts must
load here too. Coercion is driven by the schema's declared type at each path, so strings
stay strings (``Name: yes`` is a boolean in YAML and is refused, as there).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

from pcluster_pulumi.spec.problems import KeyPath

TRUTHY = {"t", "true", "on", "y", "yes", "1"}
FALSY = {"f", "false", "off", "n", "no", "0"}
_NUMBER = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$")


class Coercion:
    """A note that a value was changed on the way in (reported as a warning when lossy)."""

    def __init__(self, path: KeyPath, before: Any, after: Any) -> None:
        self.path = path
        self.before = before
        self.after = after


def coerce(data: Any, schema: dict[str, Any], path: KeyPath = ()) -> tuple[Any, list[Coercion]]:
    """Return a coerced copy of ``data`` and the lossy changes made (e.g. 10.7 → 10)."""
    lossy: list[Coercion] = []
    return _walk(data, schema, path, lossy), lossy


def _walk(value: Any, schema: dict[str, Any], path: KeyPath, lossy: list[Coercion]) -> Any:
    kind = schema.get("type")
    if isinstance(value, dict) and kind == "object":
        props = schema.get("properties", {})
        return {
            k: (_walk(v, props[k], (*path, k), lossy) if isinstance(k, str) and k in props else v)
            for k, v in value.items()
        }
    if isinstance(value, list) and kind == "array" and isinstance(schema.get("items"), dict):
        return [_walk(v, schema["items"], (*path, i), lossy) for i, v in enumerate(value)]
    if kind == "integer":
        return _to_int(value, path, lossy)
    if kind == "number":
        return _to_number(value)
    if kind == "boolean":
        return _to_bool(value)
    return value


def _to_int(value: Any, path: KeyPath, lossy: list[Coercion]) -> Any:
    if isinstance(value, bool):
        return value  # marshmallow refuses booleans for integers; so does the schema
    number: Decimal | None = None
    if isinstance(value, float):
        number = Decimal(repr(value))
    elif isinstance(value, str) and _NUMBER.match(value):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:  # pragma: no cover - the regex admits only decimals
            return value
    if number is None or not number.is_finite():
        return value
    result = int(number)
    if number != result:
        lossy.append(Coercion(path, value, result))
    return result


def _to_number(value: Any) -> Any:
    if isinstance(value, str) and _NUMBER.match(value):
        return float(value)
    return value


def _to_bool(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in TRUTHY:
            return True
        if text in FALSY:
            return False
    return value


def iter_paths(value: Any, path: KeyPath = ()) -> Iterator[KeyPath]:
    """Every key path in plain data (used by tests and by the mutation generator)."""
    yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from iter_paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from iter_paths(v, (*path, i))
