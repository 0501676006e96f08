"""The JSON Schema (structure, types, enums, limits, defaults, update policies) and its checker.

``cluster.schema.json`` is the single source of structure: editors use it, the loader checks
configs against it, and the typed model is generated from it. jsonschema's errors are turned
into sentences a cluster admin can act on, each pointing at the key at fault.
"""

from __future__ import annotations

import difflib
import functools
import json
from collections.abc import Iterator
from importlib import resources
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError

from pcluster_pulumi.spec.problems import KeyPath, shorten

SCHEMA_FILE = "cluster.schema.json"

# Messages for keys that exist in some ParallelCluster releases or schedulers but not here.
REMOVED_KEYS: dict[tuple[str, ...], str] = {
    ("LoginNodes", "Pools", "*", "Ssh", "KeyName"): (
        "Starting with ParallelCluster 3.15, the KeyName parameter is no longer supported for login nodes; "
        "remove it (login nodes use the head node's key)"
    ),
}
SCHEDULER_ONLY: dict[str, str] = {
    "AwsBatchCliPackage": "DevSettings.AwsBatchCliPackage is only accepted with Scheduler: awsbatch",
}
PATTERN_HINTS: dict[str, str] = {
    "^subnet-": "a subnet id such as subnet-0123456789abcdef0",
    "^sg-": "a security group id such as sg-0123456789abcdef0",
    "^ami-": "an AMI id such as ami-0123456789abcdef0",
    "^vol-": "an EBS volume id such as vol-0123456789abcdef0",
    "^snap-": "an EBS snapshot id such as snap-0123456789abcdef0",
    "^fs-": "a file system id such as fs-0123456789abcdef0",
    "^fsvol-": "an FSx volume id such as fsvol-0123456789abcdef0",
    "^fsap-": "an EFS access point id such as fsap-0123456789abcdef0",
    "^(fc-": "a File Cache id such as fc-0123456789abcdef0",
    "^(pl-": "a CIDR block such as 203.0.113.0/24 or a prefix list id such as pl-12345678",
    "^arn:.*:role/": "an IAM role ARN (arn:aws:iam::123456789012:role/name)",
    "^arn:.*:policy/": "an IAM policy ARN (arn:aws:iam::123456789012:policy/name)",
    "^arn:.*:instance-profile/": "an IAM instance profile ARN",
    "^arn:.*:secret": "a Secrets Manager secret ARN",
    "^lt-": "a launch template id such as lt-0123456789abcdef0",
    "^(backup-": "an FSx backup id such as backup-0123456789abcdef0",
    "^[1-7]:": "d:HH:MM, a weekday 1-7 and a time, such as 1:00:00",
    "^([01]": "HH:MM, such as 03:30 (quote it: unquoted YAML reads 03:30 as a number)",
    "^\\/?[^": "a directory path such as /shared",
}


@functools.cache
def load_schema() -> dict[str, Any]:
    """The bundled JSON Schema, parsed once."""
    text = resources.files("pcluster_pulumi.spec").joinpath(SCHEMA_FILE).read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


@functools.cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(load_schema())


def schema_at(path: KeyPath) -> dict[str, Any] | None:
    """The schema node that governs ``path`` (indices step into array items)."""
    node: dict[str, Any] = load_schema()
    for part in path:
        if isinstance(part, int):
            items = node.get("items")
            if not isinstance(items, dict):
                return None
            node = items
        else:
            props = node.get("properties", {})
            if part not in props:
                return None
            node = props[part]
    return node


class SchemaIssue:
    """One schema violation, translated: where, what, and whether the key itself is at fault."""

    def __init__(self, path: KeyPath, message: str, at_key: bool = False) -> None:
        self.path = path
        self.message = message
        self.at_key = at_key


def check(data: Any) -> list[SchemaIssue]:
    """Every schema violation in ``data``, one per key and kind (a scheduler rule may repeat an enum)."""
    issues: list[SchemaIssue] = []
    seen: set[tuple[KeyPath, str]] = set()
    for error in _validator().iter_errors(data):
        for issue in _translate(error):
            key = (issue.path, str(error.validator))
            if key not in seen:
                seen.add(key)
                issues.append(issue)
    return issues


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    kind = {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a mapping",
    }
    text = shorten(json.dumps(value)) if isinstance(value, (str, int, float, bool)) else ""
    return f"{kind.get(type(value), type(value).__name__)} {text}".strip()


_EXPECTED = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean (true or false)",
    "object": "a mapping of keys",
    "array": "a list",
}


def _matches_removed(path: KeyPath) -> str | None:
    for pattern, message in REMOVED_KEYS.items():
        if len(pattern) == len(path) and all(p == "*" or p == q for p, q in zip(pattern, path, strict=True)):
            return message
    return None


def _unknown_key(path: KeyPath, key: str, allowed: list[str]) -> SchemaIssue:
    full = (*path, key)
    removed = _matches_removed(full)
    if removed:
        return SchemaIssue(full, removed, at_key=True)
    message = f"unknown key '{shorten(key)}'"
    lowered = {a.lower(): a for a in allowed}
    guess = lowered.get(key.lower()) or next(
        iter(difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)), None
    )
    if guess:
        message += f"; did you mean '{guess}'?"
    elif allowed:
        message += f"; allowed here: {', '.join(sorted(allowed))}"
    return SchemaIssue(full, message, at_key=True)


def _pattern_hint(pattern: str) -> str:
    for prefix, hint in PATTERN_HINTS.items():
        if pattern.startswith(prefix):
            return hint
    return f"a value matching {pattern}"


def _translate(error: ValidationError) -> Iterator[SchemaIssue]:
    path: KeyPath = tuple(error.absolute_path)
    validator: Any = error.validator
    value: Any = error.validator_value
    instance = error.instance
    schema = error.schema if isinstance(error.schema, dict) else {}
    if instance is None and validator != "type":
        return  # the type error for the null value says it all
    if validator == "additionalProperties" and isinstance(instance, dict):
        allowed = list(schema.get("properties", {}))
        for key in instance:
            if key not in allowed:
                yield _unknown_key(path, str(key), allowed)
    elif validator == "required":
        for key in value:
            if isinstance(instance, dict) and key not in instance:
                yield SchemaIssue((*path, key), f"required key '{key}' is missing", at_key=True)
    elif validator == "type":
        expected = value
        want = " or ".join(
            str(_EXPECTED.get(t, t)) for t in (expected if isinstance(expected, list) else [expected])
        )
        if instance is None:
            yield SchemaIssue(path, f"has no value (null); give {want} or remove the key")
        elif isinstance(instance, bool) and expected == "string":
            yield SchemaIssue(
                path, f"expected {want}, but YAML read a boolean ({instance}); put it in quotes"
            )
        elif (
            isinstance(instance, int)
            and expected == "string"
            and ":" in json.dumps(schema.get("pattern", ""))
        ):
            yield SchemaIssue(
                path, f"expected {want}, but YAML read the number {instance}; put the time in quotes"
            )
        else:
            yield SchemaIssue(path, f"expected {want}, got {_describe(instance)}")
    elif validator == "enum":
        options = value
        message = f"{_describe(instance)} is not allowed; use one of: {', '.join(str(o) for o in options)}"
        if path[-2:] == ("Image", "Os") and instance == "alinux2":
            message = "alinux2 is not supported with Scheduler: slurm (ParallelCluster 3.16 removed it); " + (
                f"use one of: {', '.join(options)}"
            )
        else:
            close = [str(o) for o in options if str(o).lower() == str(instance).lower()]
            if close:
                message += f" (did you mean '{close[0]}'?)"
        yield SchemaIssue(path, message)
    elif validator == "const":
        yield SchemaIssue(path, f"must be {value!r}")
    elif validator == "pattern":
        yield SchemaIssue(path, f"{_describe(instance)} is not {_pattern_hint(str(value))}")
    elif validator in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        word = {
            "minimum": "at least",
            "maximum": "at most",
            "exclusiveMinimum": "greater than",
            "exclusiveMaximum": "less than",
        }[str(validator)]
        yield SchemaIssue(path, f"{_describe(instance)} is out of range: must be {word} {value}")
    elif validator in ("minItems", "maxItems"):
        bound = value
        lo, hi = schema.get("minItems"), schema.get("maxItems")
        if lo is not None and lo == hi:
            need = f"exactly {lo} item{'s' * (lo != 1)}"
        else:
            need = f"{'at least' if validator == 'minItems' else 'at most'} {bound} item{'s' * (bound != 1)}"
        count = len(instance) if isinstance(instance, list) else 0
        yield SchemaIssue(path, f"has {count} item{'s' * (count != 1)}; it must have {need}")
    elif validator in ("minLength", "maxLength"):
        word = "at least" if validator == "minLength" else "at most"
        yield SchemaIssue(path, f"{_describe(instance)} must be {word} {value} characters long")
    elif validator == "oneOf" and "Sequence" in json.dumps(value):
        if isinstance(instance, dict):  # otherwise the type error says it all
            yield _script_or_sequence(path, instance)
    elif validator == "dependentRequired" and isinstance(instance, dict):
        for key, needs in value.items():
            if key in instance:
                missing = [n for n in needs if n not in instance]
                for need in missing:
                    yield SchemaIssue((*path, need), f"'{need}' is required when '{key}' is set", at_key=True)
    elif validator == "not":
        yield from _forbidden_keys(path, instance, value)
    else:
        yield SchemaIssue(path, error.message)


def _script_or_sequence(path: KeyPath, instance: dict[str, Any]) -> SchemaIssue:
    if "Script" in instance and "Sequence" in instance:
        return SchemaIssue(
            (*path, "Sequence"), "set either Script (with Args) or Sequence, not both", at_key=True
        )
    return SchemaIssue(
        (*path, "Script"), "required key 'Script' is missing (or give a Sequence)", at_key=True
    )


def _required_in(subschema: Any) -> set[str]:
    """Every key a ``not``/``anyOf`` subschema names in ``required``."""
    if isinstance(subschema, dict):
        found = set(subschema.get("required", []))
        for value in subschema.values():
            found |= _required_in(value)
        return found
    if isinstance(subschema, list):
        return set().union(*(_required_in(v) for v in subschema)) if subschema else set()
    return set()


def _forbidden_keys(path: KeyPath, instance: Any, forbidden: Any) -> Iterator[SchemaIssue]:
    """A ``not`` rule failed: name each present key it forbids, and what it clashes with."""
    if not isinstance(instance, dict):
        return
    for key, message in SCHEDULER_ONLY.items():
        if key in instance:
            yield SchemaIssue((*path, key), message, at_key=True)
            return
    context = next(
        (f"{k}: {instance[k]}" for k in ("Scheduler", "StorageType") if k in instance),
        next((k for k in ("VolumeId", "FileSystemId", "BackupId") if k in instance), "the other keys"),
    )
    for key in sorted(_required_in(forbidden)):
        if key in instance:
            yield SchemaIssue((*path, key), f"'{key}' does not go with {context}", at_key=True)
