"""Custom actions of any node type as the runtime document states them (``contract.custom_actions``).

The head node's, a queue's and a login pool's ``CustomActions`` differ only in which events they
may have, so one renderer serves all three, and the URLs a role must read come from the same place.
"""

from __future__ import annotations

from typing import Any

from pcluster_pulumi.contract.custom_actions import EVENTS

__all__ = ["custom_action_urls", "custom_actions_section"]


def _steps(action: Any) -> list[dict[str, Any]]:
    """One event's scripts: ``Script``+``Args`` or a ``Sequence`` of them, as an ordered list."""
    if action is None:
        return []
    if action.sequence:
        return [{"script": s.script, "args": list(s.args or ())} for s in action.sequence]
    if action.script:
        return [{"script": action.script, "args": list(action.args or ())}]
    return []


def custom_actions_section(actions: Any) -> dict[str, Any] | None:
    """A ``custom_actions`` section of the runtime document; None when no event has a script.

    Takes the spec's ``HeadNodeCustomActions``, ``QueueCustomActions`` or
    ``LoginNodesCustomActions``; only the events the section has are rendered.
    """
    if actions is None:
        return None
    section = {event: steps for event in EVENTS if (steps := _steps(getattr(actions, event, None)))}
    return section or None


def custom_action_urls(actions: Any) -> list[str]:
    """Every script URL of a CustomActions section, in event order (what the node's role must read)."""
    section = custom_actions_section(actions) or {}
    return [step["script"] for steps in section.values() for step in steps]
