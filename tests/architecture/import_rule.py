"""The import rule of DESIGN.md as data, and an AST walk that lists every import breaking it.

Kept apart from the test so the closing check can run it on a planted violation too.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "pcluster_pulumi"

#: Layer → the layers of ours it may import (itself always allowed). ``cli`` and the package root
#: (``pcluster_pulumi/__init__``, ``testing``) may import anything.
ALLOWED: dict[str, frozenset[str]] = {
    "contract": frozenset(),
    "spec": frozenset({"contract"}),
    "derive": frozenset({"spec", "contract"}),
    "cluster": frozenset({"derive", "spec", "contract"}),
    "program": frozenset({"cluster", "derive", "spec", "contract"}),
    "engines": frozenset({"program", "cluster", "derive", "spec", "contract"}),
    "fleet": frozenset({"node", "contract"}),
    "node": frozenset({"contract"}),
}
ANYTHING = frozenset({"cli", "__init__", "testing"})

#: The marker a function-level import carries when it is there for start-up time.
START_UP_MARK = "start-up"


@dataclass(frozen=True)
class Violation:
    """One import that breaks the rule, located for the failure message."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def layer_of(module: str) -> str | None:
    """``pcluster_pulumi.cluster.storage.ebs`` → ``cluster``; foreign modules → None."""
    parts = module.split(".")
    if parts[0] != PACKAGE:
        return None
    if len(parts) == 1:
        return "__init__"
    return parts[1].removesuffix(".py")


def module_name(root: Path, path: Path) -> str:
    """Dotted module name of a file under the package root's parent."""
    relative = path.relative_to(root.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported(node: ast.AST, current: str, is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        if node.level:
            base = current.split(".")
            base = base[: len(base) - node.level + (1 if is_package else 0)]
            prefix = ".".join(base + ([node.module] if node.module else []))
        else:
            prefix = node.module or ""
        # ``from pkg import mod`` imports the submodule when there is one: count both spellings
        # (but not the bare root package, which ``from pcluster_pulumi import contract`` only names).
        named = [f"{prefix}.{alias.name}" for alias in node.names]
        return named if prefix == PACKAGE else [prefix, *named]
    return []


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def check_file(root: Path, path: Path) -> list[Violation]:
    """Every import of ``path`` that its layer may not make, and unmarked function-level imports."""
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text, str(path))
    source_lines = text.splitlines()
    current = module_name(root, path)
    layer = layer_of(current)
    is_package = path.name == "__init__.py"
    typing_only = _type_checking_lines(tree)
    found: list[Violation] = []
    shown = str(path.relative_to(root.parent))
    in_function: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for child in ast.walk(node):
                if isinstance(child, ast.Import | ast.ImportFrom):
                    in_function.add(child.lineno)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Import | ast.ImportFrom) or node.lineno in typing_only:
            continue
        if node.lineno in in_function:
            above = source_lines[max(0, node.lineno - 12) : node.lineno]
            if not any(START_UP_MARK in line for line in above):
                found.append(
                    Violation(shown, node.lineno, "import inside a function without a '# start-up:' reason")
                )
        if layer is None or layer in ANYTHING:
            continue
        for target in _imported(node, current, is_package):
            other = layer_of(target)
            if other is None or other == layer:
                continue
            if other not in ALLOWED.get(layer, frozenset()):
                found.append(Violation(shown, node.lineno, f"{layer} may not import {target} ({other})"))
                break
    return found


def check_tree(root: Path) -> list[Violation]:
    """Violations across the whole package, sorted by place."""
    found: list[Violation] = []
    for path in sorted(root.rglob("*.py")):
        found.extend(check_file(root, path))
    return sorted(found, key=lambda v: (v.path, v.line))


def module_graph(root: Path) -> dict[str, set[str]]:
    """Module → modules of ours it imports at run time (module level, outside TYPE_CHECKING)."""
    graph: dict[str, set[str]] = {}
    modules = {module_name(root, p) for p in root.rglob("*.py")}
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        current = module_name(root, path)
        typing_only = _type_checking_lines(tree)
        targets: set[str] = set()
        for node in tree.body:
            if isinstance(node, ast.Import | ast.ImportFrom) and node.lineno not in typing_only:
                found = [t for t in _imported(node, current, path.name == "__init__.py") if t in modules]
                # ``from pkg import mod`` depends on the submodule, not on the package's __init__.
                names = (
                    {f".{alias.name}" for alias in node.names} if isinstance(node, ast.ImportFrom) else set()
                )
                submodules = [t for t in found if any(t.endswith(name) for name in names)]
                for target in submodules or found:
                    if target != current:
                        targets.add(target)
        graph[current] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Import cycles among our modules (each reported once, from its smallest member)."""
    found: list[list[str]] = []
    seen: set[tuple[str, ...]] = set()

    def visit(start: str, node: str, path: list[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt == start:
                key = tuple(sorted(path))
                if key not in seen:
                    seen.add(key)
                    found.append([*path, start])
            elif nxt not in path and nxt > start:
                visit(start, nxt, [*path, nxt])

    for start in sorted(graph):
        visit(start, start, [start])
    return found
