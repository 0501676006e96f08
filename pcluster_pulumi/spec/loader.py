"""``load_spec``: YAML → coercion → JSON Schema → validators → defaults → ``ClusterSpec``.

Each stage reports into one list of located problems, so a user sees every problem of a
config at once. Nothing here calls AWS: the validators that need AWS facts run later, where
those facts are resolved.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from pcluster_pulumi.spec.coerce import coerce
from pcluster_pulumi.spec.defaults import apply_defaults
from pcluster_pulumi.spec.model import ClusterSpec
from pcluster_pulumi.spec.problems import KeyPath, Level, Problem, SpecError, format_path
from pcluster_pulumi.spec.rules import check_rules
from pcluster_pulumi.spec.schema import check, load_schema
from pcluster_pulumi.spec.validators import REGISTRY, run_validators
from pcluster_pulumi.spec.validators.base import ConfigView
from pcluster_pulumi.spec.yaml_source import YamlDocument, read_yaml

SpecSource = str | os.PathLike[str] | ClusterSpec


@dataclass
class Validation:
    """Everything ``validate`` knows about a config: its problems and, when valid, the spec."""

    source: str
    problems: list[Problem] = field(default_factory=list)
    spec: ClusterSpec | None = None
    data: dict[str, object] | None = None

    def failed(self, failure_level: Level = Level.ERROR) -> bool:
        """True when some problem is at or above ``failure_level`` (or the spec could not be built)."""
        return self.spec is None or any(p.level >= failure_level for p in self.problems)


def _read_source(source: str | os.PathLike[str]) -> tuple[str, str]:
    """(text, name to show in messages) for a path or for YAML text given inline."""
    if isinstance(source, os.PathLike) or ("\n" not in source and source.strip().endswith((".yaml", ".yml"))):
        path = Path(source)
        try:
            return path.read_text(encoding="utf-8"), str(source)
        except FileNotFoundError:
            raise SpecError([Problem("", f"no such file: {source}", line=None)], str(source)) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise SpecError([Problem("", f"cannot read {source}: {exc}")], str(source)) from None
    if "\n" not in source and os.path.isfile(source):
        return Path(source).read_text(encoding="utf-8"), source
    return source, "<string>"


def parse_suppressed(names: Collection[str]) -> set[str]:
    """Accept ``NAME``, ``type:NAME`` (ParallelCluster's spelling) and ``ALL``; refuse unknown names."""
    out: set[str] = set()
    for raw in names:
        for name in filter(None, (n.strip() for n in raw.split(","))):
            name = name.removeprefix("type:")
            if name.upper() == "ALL":
                out.add("ALL")
            elif name in REGISTRY:
                out.add(name)
            else:
                raise ValueError(f"unknown validator {name!r}; `pcluster-pulumi validators` lists them")
    return out


def _located(
    doc: YamlDocument, path: KeyPath, message: str, level: Level, validator: str | None, at_key: bool
) -> Problem:
    line, col = doc.locate(path, prefer_key=at_key)
    return Problem(
        format_path(path), message, level=level, line=line, column=col, validator=validator, key_path=path
    )


def validate_text(
    text: str,
    source: str = "<string>",
    *,
    cluster_name: str | None = None,
    suppress: Collection[str] = (),
) -> Validation:
    """Run every stage on YAML text and collect the problems; never raises for bad input."""
    result = Validation(source=source)
    doc = read_yaml(text)
    result.problems.extend(doc.problems)
    if not isinstance(doc.data, dict):
        return result
    data, lossy = coerce(doc.data, load_schema())
    for change in lossy:
        result.problems.append(
            _located(
                doc,
                change.path,
                f"{change.before!r} is not a whole number; it was truncated to {change.after}",
                Level.WARNING,
                None,
                False,
            )
        )
    issues = check(data)
    for issue in issues:
        result.problems.append(_located(doc, issue.path, issue.message, Level.ERROR, None, issue.at_key))
    view = ConfigView(data, cluster_name=cluster_name)
    for rule in check_rules(view, {issue.path for issue in issues}):
        result.problems.append(_located(doc, rule.path, rule.message, Level.ERROR, None, rule.at_key))
    schema_faults = {p.key_path for p in result.problems if p.level is Level.ERROR}
    for name, finding in run_validators(view, suppressed=parse_suppressed(suppress)):
        if finding.path in schema_faults:
            continue  # the schema already said what is wrong with this key
        result.problems.append(_located(doc, finding.path, finding.message, finding.level, name, False))
    result.problems.sort(key=lambda p: (p.line or 0, p.column or 0, p.path))
    result.data = data
    if not any(p.level is Level.ERROR and p.validator is None for p in result.problems):
        result.spec = ClusterSpec.from_dict(apply_defaults(data))
    return result


def load_spec(
    source: SpecSource,
    *,
    cluster_name: str | None = None,
    suppress_validators: Collection[str] = (),
    failure_level: Level | str = Level.ERROR,
) -> ClusterSpec:
    """Load and validate a ParallelCluster v3 cluster config (a path, YAML text, or a ``ClusterSpec``).

    Raises ``SpecError`` listing every problem when any is at or above ``failure_level``.
    """
    if isinstance(source, ClusterSpec):
        return source
    level = Level.parse(failure_level) if isinstance(failure_level, str) else failure_level
    text, name = _read_source(source)
    try:
        suppressed = parse_suppressed(suppress_validators)
    except ValueError as exc:
        raise SpecError([Problem("", str(exc))], name) from None
    result = validate_text(text, name, cluster_name=cluster_name, suppress=suppressed)
    if result.failed(level) or result.spec is None:
        raise SpecError(result.problems or [Problem("", "invalid cluster config")], name)
    return result.spec
