"""Read YAML the way ParallelCluster does (YAML 1.1, safe), keeping where every key stands.

ParallelCluster refuses duplicate keys and merge keys at any depth and accepts anchors and
aliases; we do the same, but report each refusal as a located problem instead of stopping
at the first, and keep a map from key path to (line, column) for every later message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from pcluster_pulumi.spec.problems import KeyPath, Problem, format_path, shorten
from pcluster_pulumi.spec.yaml_limits import check_limits, tab_hint

# libyaml is much faster when present; both resolve scalars identically (YAML 1.1, safe).
_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass
class YamlDocument:
    """Plain data read from YAML plus the position of each key and value."""

    data: Any
    value_marks: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)
    key_marks: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def locate(self, path: KeyPath, prefer_key: bool = False) -> tuple[int | None, int | None]:
        """Best position for a message about ``path``: the key itself, else its nearest ancestor."""
        probe = tuple(path)
        while True:
            first, second = (
                (self.key_marks, self.value_marks) if prefer_key else (self.value_marks, self.key_marks)
            )
            for marks in (first, second):
                if probe in marks:
                    return marks[probe]
            if not probe:
                return (None, None)
            probe = probe[:-1]


def _mark(node: yaml.Node) -> tuple[int, int]:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


class _Builder:
    """Turns a composed node graph into plain data, recording marks and refusals."""

    def __init__(self, loader: Any, doc: YamlDocument) -> None:
        self.loader = loader
        self.doc = doc
        self.active: set[int] = set()

    def problem(self, path: KeyPath, node: yaml.Node, message: str) -> None:
        line, col = _mark(node)
        self.doc.problems.append(Problem(format_path(path), message, line=line, column=col, key_path=path))

    def build(self, node: yaml.Node, path: KeyPath) -> Any:
        self.doc.value_marks.setdefault(path, _mark(node))
        if isinstance(node, yaml.ScalarNode):
            return self.loader.construct_object(node, deep=True)
        if id(node) in self.active:
            self.problem(path, node, "a YAML alias refers to a node that contains it (recursive structure)")
            return None
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
            if isinstance(node, yaml.MappingNode):
                return self.build_mapping(node, path)
        finally:
            self.active.discard(id(node))
        return None  # pragma: no cover - PyYAML has only three node kinds

    def build_mapping(self, node: yaml.MappingNode, path: KeyPath) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        seen: dict[Any, yaml.Node] = {}
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_TAG:
                self.problem(path, key_node, "YAML merge keys ('<<') are not accepted; write the keys out")
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.problem(path, key_node, "a mapping key must be a plain string")
                continue
            key = self.loader.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:  # pragma: no cover - scalars are hashable
                key = str(key)
            child: KeyPath = (*path, key if isinstance(key, str) else str(key))
            if key in seen:
                first_line, _ = _mark(seen[key])
                line, _ = _mark(key_node)
                self.problem(
                    child,
                    key_node,
                    f"duplicate key '{shorten(str(key))}' (first at line {first_line}, again at line {line})",
                )
                continue
            seen[key] = key_node
            self.doc.key_marks[child] = _mark(key_node)
            out[key] = self.build(value_node, child)
        return out


def _one_line(exc: yaml.YAMLError) -> str:
    """PyYAML's error text without its multi-line source excerpt, shortened."""
    problem = getattr(exc, "problem", None)
    return shorten(" ".join(str(problem or exc).split()), 200)


def read_yaml(text: str) -> YamlDocument:
    """Parse one YAML document; syntax errors and refusals become problems, never exceptions.

    A document past the limits of ``yaml_limits`` (alias expansion, recursion, size, depth)
    is refused with one located problem before any data is built."""
    doc = YamlDocument(data=None)
    limit = check_limits(text)
    if limit is not None:
        doc.problems.append(limit)
        return doc
    loader = _BaseLoader(text)
    try:
        try:
            root = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
            what = " ".join(str(p) for p in (exc.context, exc.problem) if p)
            doc.problems.append(
                Problem("", f"not valid YAML: {what}{tab_hint(text, line)}", line=line, column=col)
            )
            return doc
        except yaml.YAMLError as exc:
            doc.problems.append(Problem("", f"not valid YAML: {_one_line(exc)}", line=1, column=1))
            return doc
        if root is None:
            doc.problems.append(
                Problem("", "the file is empty: a cluster config is a YAML mapping", line=1, column=1)
            )
            return doc
        try:
            doc.data = _Builder(loader, doc).build(root, ())
        except yaml.YAMLError as exc:  # e.g. a malformed timestamp or an unknown tag
            mark = getattr(exc, "problem_mark", None)
            line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            doc.problems.append(Problem("", f"not valid YAML: {_one_line(exc)}", line=line, column=col))
            doc.data = None
    finally:
        loader.dispose()
    if doc.data is not None and not isinstance(doc.data, dict):
        kind = type(doc.data).__name__
        doc.problems.append(
            Problem(
                "",
                f"the top level must be a mapping of sections (Image, HeadNode, ...), not a {kind}",
                line=1,
                column=1,
            )
        )
    return doc
