"""``load_spec``: YAML → coercion → JSON Schema → validators → defaults → ``ClusterSpec``.

Each stage reports into one list of located problems, so a user sees every problem of a
config at once. Nothing here calls AWS: the validators that need AWS facts run later, where
those facts are resolved.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from pcluster_pulumi.spec.aws_names import AWS_VALIDATOR_NAMES
from pcluster_pulumi.spec.coerce import coerce
from pcluster_pulumi.spec.defaults import apply_defaults
from pcluster_pulumi.spec.model import ClusterSpec
from pcluster_pulumi.spec.problems import (
    MAX_MESSAGE_CHARS,
    KeyPath,
    Level,
    Problem,
    SpecError,
    format_path,
    shorten,
)
from pcluster_pulumi.spec.rules import check_rules
from pcluster_pulumi.spec.schema import check, load_schema
from pcluster_pulumi.spec.source import SpecSource, resolve_source
from pcluster_pulumi.spec.validators import REGISTRY, run_validators
from pcluster_pulumi.spec.validators.base import ConfigView, Finding
from pcluster_pulumi.spec.yaml_source import YamlDocument, read_yaml

__all__ = ["ExtraChecks", "SpecSource", "Validation", "load_spec", "parse_suppressed", "validate_text"]

#: More named checks over a structurally valid config: (validator name, finding) pairs.
ExtraChecks = Callable[[ConfigView], list[tuple[str, Finding]]]


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


def parse_suppressed(names: Collection[str]) -> set[str]:
    """Accept ``NAME``, ``type:NAME`` (ParallelCluster's spelling) and ``ALL``; refuse unknown names."""
    out: set[str] = set()
    for raw in names:
        for name in filter(None, (n.strip() for n in raw.split(","))):
            name = name.removeprefix("type:")
            if name.upper() == "ALL":
                out.add("ALL")
            elif name in REGISTRY or name in AWS_VALIDATOR_NAMES:
                out.add(name)
            else:
                raise ValueError(f"unknown validator {name!r}; `pcluster-pulumi validators` lists them")
    return out


def _located(
    doc: YamlDocument, path: KeyPath, message: str, level: Level, validator: str | None, at_key: bool
) -> Problem:
    line, col = doc.locate(path, prefer_key=at_key)
    text = shorten(message, MAX_MESSAGE_CHARS)
    return Problem(
        format_path(path), text, level=level, line=line, column=col, validator=validator, key_path=path
    )


def validate_text(
    text: str,
    source: str = "<string>",
    *,
    cluster_name: str | None = None,
    suppress: Collection[str] = (),
    extra: ExtraChecks | None = None,
) -> Validation:
    """Run every stage on YAML text and collect the problems; never raises for bad input.

    ``extra`` runs after the static validators when the config is structurally valid (the
    AWS-backed validators of ``spec.aws_checks``; it may raise ``AwsUnavailable``)."""
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
    findings = run_validators(view, suppressed=parse_suppressed(suppress))
    if extra is not None and not schema_faults:
        findings += extra(view)
    for name, finding in findings:
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
    """Load and validate a ParallelCluster v3 cluster config (a path, YAML text, or a ``ClusterSpec``;
    ``spec.source`` says which is which).

    Raises ``SpecError`` listing every problem when any is at or above ``failure_level``, and
    naming the real file.
    """
    resolved = resolve_source(source)
    if isinstance(resolved, ClusterSpec):
        return resolved
    level = Level.parse(failure_level) if isinstance(failure_level, str) else failure_level
    text, name = resolved.text, resolved.name
    try:
        suppressed = parse_suppressed(suppress_validators)
    except ValueError as exc:
        raise SpecError([Problem("", str(exc))], name) from None
    result = validate_text(text, name, cluster_name=cluster_name, suppress=suppressed)
    if result.failed(level) or result.spec is None:
        raise SpecError(result.problems or [Problem("", "invalid cluster config")], name)
    return result.spec
