"""Limits that keep the YAML reader safe on any input: alias expansion, recursion, size, depth.

YAML aliases let a few hundred bytes stand for billions of nodes (the "billion laughs"
document), or for an infinite one (an alias inside its own anchor). Building plain data
from such a document would run until the machine runs out of memory. So before anything
is built, one pass over the parser's events (libyaml's, cheap and linear in the file)
measures what the document would expand to and refuses it at the first alias that goes
past the limit, pointing at that alias's line.

Limits (documented in the README):
- ``MAX_ALIAS_NODES``: nodes brought in by aliases, in total (each alias counts the whole
  subtree it repeats). A real cluster config uses aliases for a few repeated sections.
- ``MAX_NODES``: nodes of the document itself (ParallelCluster's maxima of 50 queues and
  50 compute resources make a few thousand).
- ``MAX_DEPTH``: nesting of mappings and lists (a cluster config is about 8 levels deep).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from pcluster_pulumi.spec.problems import Problem, shorten

MAX_ALIAS_NODES = 10_000
MAX_NODES = 200_000
MAX_DEPTH = 100

# libyaml is much faster when present; both produce the same events.
_Parser: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class _Open:
    """A mapping or list being read: its anchor and how many nodes it holds so far."""

    anchor: str | None
    nodes: int = 1


def _at(event: yaml.Event, message: str) -> Problem:
    mark = event.start_mark
    if mark is None:  # pragma: no cover - libyaml and PyYAML always mark events
        return Problem("", message, line=1, column=1)
    return Problem("", message, line=mark.line + 1, column=mark.column + 1)


def check_limits(text: str) -> Problem | None:
    """The first limit ``text`` breaks, located, or None. Syntax errors are left to the reader
    (which reports them with their position), so they return None here."""
    parser = _Parser(text)
    sizes: dict[str, int] = {}  # anchor -> nodes of its subtree, aliases expanded
    stack: list[_Open] = []
    open_anchors: set[str] = set()
    aliased = total = 0
    try:
        while (event := parser.get_event()) is not None:
            if isinstance(event, yaml.AliasEvent):
                anchor = event.anchor or ""
                if anchor in open_anchors:
                    return _at(
                        event,
                        f"the alias *{shorten(anchor)} refers to the mapping or list that contains it (a "
                        "recursive structure, which would be infinite); write the values out instead",
                    )
                size = sizes.get(anchor, 1)
                aliased += size
                if aliased > MAX_ALIAS_NODES:
                    return _at(
                        event,
                        f"YAML aliases expand to more than {MAX_ALIAS_NODES:,} nodes in total (this alias "
                        f"*{shorten(anchor)} repeats {size:,}); such a document is refused as a "
                        "denial-of-service risk. Write the repeated sections out, or use fewer aliases",
                    )
                if stack:
                    stack[-1].nodes += size
            elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                total += 1
                if len(stack) >= MAX_DEPTH:
                    return _at(event, f"nested more than {MAX_DEPTH} levels deep; a cluster config never is")
                stack.append(_Open(event.anchor))
                if event.anchor:
                    open_anchors.add(event.anchor)
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                done = stack.pop()
                if done.anchor:
                    open_anchors.discard(done.anchor)
                    sizes[done.anchor] = done.nodes
                if stack:
                    stack[-1].nodes += done.nodes
            elif isinstance(event, yaml.ScalarEvent):
                total += 1
                if event.anchor:
                    sizes[event.anchor] = 1
                if stack:
                    stack[-1].nodes += 1
            if total > MAX_NODES:
                return _at(
                    event,
                    f"the document has more than {MAX_NODES:,} YAML nodes; a cluster config has a few "
                    "thousand at most",
                )
    except yaml.YAMLError:
        return None
    finally:
        parser.dispose()
    return None


def tab_hint(text: str, line: int | None) -> str:
    """A hint when the line a syntax error points at is indented with a tab (YAML forbids tabs
    in indentation, and libyaml's own message does not say so)."""
    if line is None:
        return ""
    lines = text.splitlines()
    if 0 < line <= len(lines):
        source = lines[line - 1]
        if "\t" in source[: len(source) - len(source.lstrip())]:
            return " (this line is indented with a tab: YAML allows only spaces for indentation)"
    return ""
