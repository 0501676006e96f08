"""The contract of a schema-level rule: ParallelCluster's load-time refusals beyond the JSON Schema.

ParallelCluster refuses some configs while *loading* them (marshmallow cross-field checks,
custom fields, config-object constructors), before any named validator runs. Those
refusals are not suppressible and block the config, exactly like a schema error; so a
rule here reports like the schema does (no validator name) and is never skipped by
``--suppress-validators``. Each rule carries the id of ``pcluster-schema-rules.md``
(R.., B..) so a finding can be traced to ParallelCluster's source.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pcluster_pulumi.spec.problems import KeyPath, shorten
from pcluster_pulumi.spec.validators.base import ConfigView, Node


@dataclass(frozen=True)
class RuleFinding:
    """A refusal at ``path``; ``owner`` is the object whose rule it is (its field errors win)."""

    rule: str
    path: KeyPath
    message: str
    owner: KeyPath
    at_key: bool = True


RuleFn = Callable[[ConfigView], Iterable[RuleFinding]]
RULES: dict[str, RuleFn] = {}


def rule(rule_id: str) -> Callable[[RuleFn], RuleFn]:
    """Register a rule under its id in pcluster-schema-rules.md."""

    def register(fn: RuleFn) -> RuleFn:
        if rule_id in RULES:
            raise ValueError(f"rule {rule_id} registered twice")
        RULES[rule_id] = fn
        return fn

    return register


def configured(node: Node, key: str) -> bool:
    """ParallelCluster's "configured": present and truthy, so ``[]``, ``{}``, ``""``, ``0`` and
    ``false`` count as absent (``BaseSchema.fields_coexist``)."""
    return bool(node.data.get(key))


def present(node: Node, key: str) -> bool:
    """A section that builds an object counts as present even when written as ``{}``."""
    return node.data.get(key) is not None


def head_and_queues_and_pools(view: ConfigView, batch: bool = False) -> Iterator[Node]:
    """The owners of Networking/Iam sections: head node, Slurm queues, login pools (and AWS
    Batch queues when ``batch``)."""
    if isinstance(view.root.data.get("HeadNode"), dict):
        yield view.head_node
    yield from view.slurm_queues()
    yield from view.login_pools()
    if batch:
        yield from view.batch_queues()


def value_text(value: Any) -> str:
    """A user value for a message, shortened so a huge value cannot flood the terminal."""
    return shorten(str(value))
