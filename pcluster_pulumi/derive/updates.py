"""What a cluster update costs: diff two cluster configs and classify every change.

ParallelCluster attaches an update policy to every config key (our schema's
``x-update-policy``) and checks each change of ``pcluster update-cluster`` against it. We do
the same before ``up`` so a user learns *before* deploying whether a change applies live,
replaces compute nodes through ``QueueUpdateStrategy``, needs the compute fleet or the login
nodes stopped, or cannot be made in place at all (it would replace the head node, a file
system or the whole cluster).

The diff follows ParallelCluster's ``ConfigPatch``: both configs have their defaults filled
in (so spelling out a default is not a change), list items are matched by their
``x-update-key`` (``Name`` for queues, compute resources, storage and pools) so adding or
removing an item is one change, and so is a section added or removed as a whole. Unlike
ParallelCluster, a section whose own policy is ``IGNORED`` (``HeadNode.CustomActions``) does
not hide the keys inside it.

Everything here is pure: the only live fact a check needs, whether the compute fleet is
already stopped, is passed in by the caller.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pcluster_pulumi.derive.update_policies import (
    DEFAULT_QUEUE_UPDATE_STRATEGY,
    Impact,
    PolicyContext,
    Scope,
    combine,
    impact_of,
)
from pcluster_pulumi.spec.coerce import coerce
from pcluster_pulumi.spec.defaults import apply_defaults
from pcluster_pulumi.spec.model import ClusterSpec
from pcluster_pulumi.spec.schema import load_schema
from pcluster_pulumi.spec.yaml_source import read_yaml

__all__ = ["Change", "Impact", "UpdatePlan", "config_data", "plan_update"]


@dataclass(frozen=True)
class Change:
    """One changed key (or list item, or whole section) and what applying it demands."""

    path: tuple[str, ...]
    old: Any
    new: Any
    policy: str
    impact: Impact
    reason: str
    is_item: bool = False

    @property
    def parameter(self) -> str:
        """``Scheduling.SlurmQueues[q1].ComputeResources[cr1].MaxCount``, as ParallelCluster prints it."""
        return ".".join(self.path)

    @property
    def kind(self) -> str:
        """``added``, ``removed`` or ``changed``."""
        if self.old is None:
            return "added"
        if self.new is None:
            return "removed"
        return "changed"

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape ``preview --json`` prints."""
        return {
            "parameter": self.parameter,
            "kind": self.kind,
            "old": self.old,
            "new": self.new,
            "updatePolicy": self.policy,
            "impact": self.impact.name,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class UpdatePlan:
    """Every change between the deployed config and the new one, classified."""

    changes: tuple[Change, ...]
    queue_update_strategy: str = DEFAULT_QUEUE_UPDATE_STRATEGY

    @property
    def impact(self) -> Impact:
        """The demand of the whole update (LIVE when nothing changed)."""
        out = Impact.LIVE
        for change in self.changes:
            out = combine(out, change.impact)
        return out

    def at(self, *impacts: Impact) -> list[Change]:
        """The changes with one of these impacts."""
        return [c for c in self.changes if c.impact in impacts]

    def blocking(self, *, fleet_stopped: bool) -> list[Change]:
        """Changes that cannot be applied now (``up`` refuses them without ``--force``).

        Login nodes are stopped by an update setting every pool's ``Count`` to 0, so nothing
        here can do that for the user; a stopped compute fleet is a live fact the caller reads.
        """
        blocked = {Impact.UNSUPPORTED, Impact.LOGIN_NODES_STOP, Impact.FLEET_AND_LOGIN_STOP}
        if not fleet_stopped:
            blocked.add(Impact.FLEET_STOP)
        return [c for c in self.changes if c.impact in blocked]

    def counts(self) -> dict[Impact, int]:
        """How many changes of each impact (only impacts that occur)."""
        out: dict[Impact, int] = {}
        for change in self.changes:
            out[change.impact] = out.get(change.impact, 0) + 1
        return out


def config_data(source: str | ClusterSpec | Mapping[str, Any]) -> dict[str, Any]:
    """YAML-keyed data with defaults filled in, from YAML text, a spec or plain data.

    Stored configs are read without the validators on purpose: the config a cluster was
    deployed with must stay readable even if a later release validates it more strictly.
    """
    if isinstance(source, ClusterSpec):
        return source.to_dict()
    if isinstance(source, str):
        parsed = read_yaml(source).data
        if not isinstance(parsed, dict):
            raise ValueError("the cluster config is not a YAML mapping")
        source = parsed
    data, _ = coerce(dict(source), load_schema())
    return apply_defaults(data)


def plan_update(
    old: str | ClusterSpec | Mapping[str, Any], new: str | ClusterSpec | Mapping[str, Any]
) -> UpdatePlan:
    """Diff the deployed config against the new one and classify each change."""
    old_data, new_data = config_data(old), config_data(new)
    ctx = PolicyContext(old_data, new_data)
    changes = tuple(_walk_object(load_schema(), old_data, new_data, Scope(), ctx))
    return UpdatePlan(changes, ctx.strategy)


def _is_section(node: Mapping[str, Any]) -> bool:
    return node.get("type") == "object" and "properties" in node


def _keyed_list(node: Mapping[str, Any]) -> bool:
    items = node.get("items")
    return node.get("type") == "array" and isinstance(items, dict) and _is_section(items)


def _walk_object(
    schema: Mapping[str, Any], old: dict[str, Any], new: dict[str, Any], scope: Scope, ctx: PolicyContext
) -> Iterator[Change]:
    for key, prop in schema.get("properties", {}).items():
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        policy = str(prop.get("x-update-policy", "UNKNOWN"))
        if _is_section(prop) and isinstance(before or {}, dict) and isinstance(after or {}, dict):
            if before is not None and after is not None:
                yield from _walk_object(prop, before, after, scope.key(key), ctx)
            else:
                yield from _section_change(prop, before, after, scope.key(key), policy, ctx)
        elif _keyed_list(prop) and "x-update-key" in prop:
            yield from _walk_list(prop, key, before or [], after or [], scope, policy, ctx)
        elif policy != "IGNORED":  # ParallelCluster does not even show these (QueueUpdateStrategy)
            yield _classified(scope.key(key), before, after, policy, ctx, is_item=False)
    for key in sorted(set(old) | set(new)):
        if key not in schema.get("properties", {}) and old.get(key) != new.get(key):
            yield _classified(scope.key(key), old.get(key), new.get(key), "UNKNOWN", ctx, is_item=False)


def _walk_list(
    prop: Mapping[str, Any],
    key: str,
    before: list[Any],
    after: list[Any],
    scope: Scope,
    policy: str,
    ctx: PolicyContext,
) -> Iterator[Change]:
    update_key = str(prop["x-update-key"])

    def keyed(items: list[Any]) -> dict[str, Any]:
        return {str(item.get(update_key, i)): item for i, item in enumerate(items) if isinstance(item, dict)}

    old_items, new_items = keyed(before), keyed(after)
    for name, item in new_items.items():
        if name in old_items:
            if old_items[name] != item:
                yield from _walk_object(prop["items"], old_items[name], item, scope.entry(key, name), ctx)
        else:
            yield _classified(scope.entry(key, name), None, item, policy, ctx, is_item=True)
    for name, item in old_items.items():
        if name not in new_items:
            yield _classified(scope.entry(key, name), item, None, policy, ctx, is_item=True)


def _section_change(
    prop: Mapping[str, Any], before: Any, after: Any, scope: Scope, policy: str, ctx: PolicyContext
) -> Iterator[Change]:
    """A whole section added or removed is one change under the section's own policy.

    A container whose policy is IGNORED (``HeadNode.CustomActions``) would hide an
    UNSUPPORTED ``OnNodeStart`` inside it, so its keys are diffed one by one instead.
    """
    if policy in ("IGNORED", "UNKNOWN"):
        yield from _walk_object(prop, before or {}, after or {}, scope, ctx)
    else:
        yield _classified(scope, before, after, policy, ctx, is_item=False)


def _classified(
    scope: Scope, old: Any, new: Any, policy: str, ctx: PolicyContext, *, is_item: bool
) -> Change:
    impact, reason = impact_of(scope, old, new, policy, ctx, is_item)
    return Change(scope.path, old, new, policy, impact, reason, is_item)
