"""What ``pcluster-pulumi validators`` says about each validator: its levels and its whole rule.

The rule is the check's docstring, written for developers in reStructuredText: it is joined
into one paragraph and its markup (````Key````, ``:class:`X```) becomes plain text, so the
listing neither cuts a sentence at the first line break nor shows backticks.

The levels are read from the check's code: every ``Level.X`` it (or a helper of its own
module it calls) names, plus ERROR when it builds a ``Finding`` without a level (ERROR is
the default). That is exact for how validators are written here, and needs no second list
that could drift from the code.
"""

from __future__ import annotations

import ast
import inspect
import re
import sys
import textwrap
from collections.abc import Callable
from functools import cache
from typing import Any

__all__ = ["LEVEL_ORDER", "levels", "rule_text"]

LEVEL_ORDER = ("ERROR", "WARNING", "INFO")
_ROLE = re.compile(r":[a-z]+:`~?([^`]+)`")
_LITERAL = re.compile(r"``([^`]+)``")
_EMPHASIS = re.compile(r"(?<![`\w])`([^`]+)`(?!\w)")


def rule_text(doc: str) -> str:
    """The docstring as one plain-text paragraph (first paragraph and the rest, joined)."""
    text = _ROLE.sub(r"\1", doc)
    text = _LITERAL.sub(r"\1", text)
    text = _EMPHASIS.sub(r"\1", text)
    return " ".join(text.split())


def levels(check: Callable[..., Any]) -> list[str]:
    """The levels a check can report, most severe first."""
    found = _levels(check, depth=2)
    return [level for level in LEVEL_ORDER if level in found] or ["ERROR"]


def _levels(function: Callable[..., Any], depth: int) -> set[str]:
    tree = _tree(function)
    if tree is None:
        return set()
    found: set[str] = set()
    module = sys.modules.get(getattr(function, "__module__", ""), None)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "Level":
            found.add(node.attr)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "Finding":
                if len(node.args) < 3 and not any(k.arg == "level" for k in node.keywords):
                    found.add("ERROR")
            elif depth > 0 and module is not None:
                helper: Any = getattr(module, node.func.id, None)
                if _is_local(helper, module.__name__) and helper is not function:
                    found |= _levels(helper, depth - 1)
    return found


def _is_local(helper: Any, module: str) -> bool:
    return inspect.isfunction(helper) and helper.__module__ == module


@cache
def _tree(function: Callable[..., Any]) -> ast.AST | None:
    try:
        return ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return None
