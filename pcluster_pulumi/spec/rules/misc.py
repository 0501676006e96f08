"""Load-time rules of tags and DevSettings: reserved and duplicate tag keys, JSON-valued
settings (R08, R09, R19, R20)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from pcluster_pulumi.spec.rules.base import RuleFinding, rule, value_text
from pcluster_pulumi.spec.validators.base import ConfigView, Node, as_list

RESERVED_PREFIX = "parallelcluster:"
RESERVED_EXCEPTION = "parallelcluster:custom_resource"


def _tag_owners(view: ConfigView) -> Iterator[Node]:
    yield view.root
    for queue in view.slurm_queues():
        yield queue
        yield from queue.items("ComputeResources")


def _tag_keys(owner: Node) -> list[tuple[int, str]]:
    keys = []
    for index, tag in enumerate(as_list(owner.data.get("Tags"))):
        key = tag.get("Key") if isinstance(tag, dict) else None
        if isinstance(key, str):
            keys.append((index, key))
    return keys


@rule("R08")
def reserved_tag_keys(view: ConfigView) -> Iterator[RuleFinding]:
    """Keys starting with ``parallelcluster:`` are how ParallelCluster finds its own resources."""
    for owner in _tag_owners(view):
        for index, key in _tag_keys(owner):
            if key.startswith(RESERVED_PREFIX) and key != RESERVED_EXCEPTION:
                yield RuleFinding(
                    "R08",
                    owner.at("Tags", index, "Key"),
                    f"The tag key prefix 'parallelcluster:' is reserved and cannot be used "
                    f"('{value_text(key)}'); choose a key without it.",
                    owner.at("Tags"),
                    at_key=False,
                )


@rule("R09")
def duplicate_tag_keys(view: ConfigView) -> Iterator[RuleFinding]:
    """Tag keys are unique within one ``Tags`` list (a list with a reserved key reports only that)."""
    for owner in _tag_owners(view):
        keys = _tag_keys(owner)
        if any(k.startswith(RESERVED_PREFIX) and k != RESERVED_EXCEPTION for _, k in keys):
            continue
        seen: set[str] = set()
        for index, key in keys:
            if key in seen:
                yield RuleFinding(
                    "R09",
                    owner.at("Tags", index, "Key"),
                    f"Duplicate tag key ({value_text(key)}) detected. Tags keys should be unique within the "
                    "Tags section.",
                    owner.at("Tags"),
                    at_key=False,
                )
            seen.add(key)


def _not_json(text: object) -> bool:
    if not isinstance(text, str) or not text:
        return False
    try:
        json.loads(text)
    except ValueError:
        return True
    return False


@rule("R19")
def extra_chef_attributes(view: ConfigView) -> Iterator[RuleFinding]:
    """``ExtraChefAttributes`` is a JSON document merged into the node attributes."""
    cookbook = view.root.child("DevSettings", "Cookbook")
    value = cookbook.data.get("ExtraChefAttributes")
    if _not_json(value):
        yield RuleFinding(
            "R19",
            cookbook.at("ExtraChefAttributes"),
            f"'{value_text(value)}' is invalid: ExtraChefAttributes must be a JSON object.",
            cookbook.path,
            at_key=False,
        )


@rule("R20")
def instance_types_data(view: ConfigView) -> Iterator[RuleFinding]:
    """``InstanceTypesData`` is JSON describing extra instance types."""
    dev = view.root.child("DevSettings")
    if _not_json(dev.data.get("InstanceTypesData")):
        yield RuleFinding(
            "R20",
            dev.at("InstanceTypesData"),
            "DevSettings/InstanceTypesData is not a valid JSON.",
            dev.path,
            at_key=False,
        )
