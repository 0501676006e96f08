"""Tables the deployment commands print: update costs, destroy fates, outputs, clusters.

Kept apart from the commands so each is a function of plain data, rendered the same way in a
terminal and in a test's recording console.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Protocol

from rich.table import Table
from rich.text import Text

from pcluster_pulumi.derive.deletion import DataResource
from pcluster_pulumi.derive.updates import Impact, UpdatePlan

__all__ = [
    "clusters_table",
    "destroy_table",
    "format_value",
    "outputs_table",
    "plan_summary",
    "update_table",
]

#: Outputs that are bookkeeping, not something a user looks up.
HIDDEN_OUTPUTS = frozenset({"clusterConfig"})


class OutputLike(Protocol):
    """``auto.OutputValue``: a value and whether it is secret."""

    value: Any
    secret: bool


class StackLike(Protocol):
    """``auto.StackSummary``: what ``list`` shows of a stack."""

    name: str
    last_update: datetime | None
    resource_count: int | None
    update_in_progress: bool | None


def format_value(value: Any, width: int = 48) -> str:
    """A config value on one line: scalars as written, the rest as compact JSON, ellipsized."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = value if isinstance(value, str) else json.dumps(value, separators=(", ", ": "), default=str)
    return text if len(text) <= width else text[: width - 1] + "…"


def update_table(plan: UpdatePlan) -> Table:
    """One row per change: what it costs, the parameter, old → new, and why."""
    table = Table(title="Changes to the deployed cluster config", title_justify="left", expand=False)
    table.add_column("applies", no_wrap=True)
    table.add_column("parameter", overflow="fold")
    table.add_column("old → new", overflow="fold")
    table.add_column("why", overflow="fold")
    for change in sorted(plan.changes, key=lambda c: (-c.impact, c.parameter)):
        if change.is_item or change.kind != "changed":
            values = change.kind
        else:
            values = f"{format_value(change.old)} → {format_value(change.new)}"
        label = Text(change.impact.label, style=change.impact.style)
        table.add_row(label, Text(change.parameter), Text(values), Text(change.reason))
    return table


def plan_summary(plan: UpdatePlan) -> str:
    """``3 changes: 1 live, 2 need the compute fleet stopped`` (or that nothing changed)."""
    if not plan.changes:
        return "The cluster config is unchanged."
    counts = plan.counts()
    parts = [f"{n} {impact.label}" for impact, n in sorted(counts.items())]
    total = len(plan.changes)
    return f"{total} change{'s' * (total != 1)} to the config: {', '.join(parts)}."


def destroy_table(resources: Iterable[DataResource]) -> Table:
    """Each data resource and its fate: deleted (red), snapshot then deleted, or kept."""
    table = Table(title="Data resources", title_justify="left")
    table.add_column("fate", no_wrap=True)
    table.add_column("what")
    table.add_column("from")
    table.add_column("DeletionPolicy")
    for resource in resources:
        fate = Text(resource.fate.value, style="bold red" if resource.deleted else "green")
        table.add_row(fate, Text(resource.description), Text(resource.owner), Text(resource.policy or "—"))
    return table


def outputs_table(outputs: Mapping[str, OutputLike]) -> Table:
    """Stack outputs, secrets masked, bookkeeping outputs left out."""
    table = Table(show_header=True)
    table.add_column("output")
    table.add_column("value", overflow="fold")
    for key in sorted(outputs):
        if key in HIDDEN_OUTPUTS:
            continue
        output = outputs[key]
        shown = "[secret]" if output.secret else format_value(output.value, width=200)
        table.add_row(Text(key), Text(shown))
    return table


def outputs_json(outputs: Mapping[str, OutputLike]) -> dict[str, Any]:
    """Stack outputs as plain JSON data, secrets masked, bookkeeping outputs left out."""
    return {
        key: "[secret]" if outputs[key].secret else outputs[key].value
        for key in sorted(outputs)
        if key not in HIDDEN_OUTPUTS
    }


def clusters_table(stacks: Iterable[StackLike]) -> Table:
    """Every cluster stack in the backend."""
    table = Table()
    table.add_column("cluster")
    table.add_column("last update")
    table.add_column("resources", justify="right")
    table.add_column("status")
    for stack in sorted(stacks, key=lambda s: s.name):
        when = stack.last_update.strftime("%Y-%m-%d %H:%M") if stack.last_update else "never"
        count = "" if stack.resource_count is None else str(stack.resource_count)
        table.add_row(Text(stack.name), when, count, "updating" if stack.update_in_progress else "")
    return table


def blocked_message(plan: UpdatePlan, blocked: Iterable[Any], *, fleet_stopped: bool) -> str:
    """Why ``up`` refuses, and the way forward for each kind of blocking change."""
    kinds = {change.impact for change in blocked}
    lines = ["up refuses these changes (they are marked in the table above):"]
    if Impact.UNSUPPORTED in kinds:
        lines.append(
            "  - some cannot be made in place: revert them, create a new cluster, or pass --force "
            "to let Pulumi replace what it must (data on replaced resources is lost)"
        )
    if kinds & {Impact.LOGIN_NODES_STOP, Impact.FLEET_AND_LOGIN_STOP}:
        lines.append(
            "  - some need the login nodes stopped: set Count: 0 in the pool, run up, then make the change"
        )
    if kinds & {Impact.FLEET_STOP, Impact.FLEET_AND_LOGIN_STOP} and not fleet_stopped:
        lines.append(
            "  - some need the compute fleet stopped: pass --stop-fleet (stop, apply, start again), "
            "or run update-compute-fleet --status STOP first"
        )
    return "\n".join(lines)
