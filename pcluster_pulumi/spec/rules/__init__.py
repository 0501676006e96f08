"""ParallelCluster's load-time rules beyond the JSON Schema (``pcluster-schema-rules.md``).

Importing the package registers every rule; ``check_rules`` runs them all. A rule's finding
is dropped when the object that owns the rule already has a schema error on one of its own
keys: marshmallow skips cross-field rules on such objects, and the key error says enough.
"""

from __future__ import annotations

from collections.abc import Collection

from pcluster_pulumi.spec.problems import KeyPath
from pcluster_pulumi.spec.rules import (  # noqa: F401  (imported to register their rules)
    batch,
    compute,
    misc,
    nodes,
    storage,
)
from pcluster_pulumi.spec.rules.base import RULES, RuleFinding
from pcluster_pulumi.spec.validators.base import ConfigView

__all__ = ["RULES", "RuleFinding", "check_rules"]


def _has_field_error(owner: KeyPath, faults: Collection[KeyPath]) -> bool:
    return any(len(fault) == len(owner) + 1 and fault[: len(owner)] == owner for fault in faults)


def check_rules(view: ConfigView, schema_faults: Collection[KeyPath] = ()) -> list[RuleFinding]:
    """Every rule's findings, minus those on objects whose own keys the schema refused."""
    faults = set(schema_faults)
    return [
        finding
        for fn in RULES.values()
        for finding in fn(view)
        if finding.path not in faults and not _has_field_error(finding.owner, faults)
    ]
