"""The package's folders are its data flow: every import points down DESIGN.md's list."""

from __future__ import annotations

from pathlib import Path

import pcluster_pulumi

from .import_rule import check_file, check_tree, cycles, module_graph

ROOT = Path(pcluster_pulumi.__file__).resolve().parent


def test_every_import_follows_the_layer_rule() -> None:
    violations = check_tree(ROOT)
    assert not violations, "\n".join(map(str, violations))


def test_no_module_imports_itself_back_through_a_cycle() -> None:
    found = cycles(module_graph(ROOT))
    assert not found, "\n".join(" -> ".join(cycle) for cycle in found)


def test_a_planted_violation_is_reported_with_its_place(tmp_path: Path) -> None:
    package = tmp_path / "pcluster_pulumi"
    (package / "node").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "node" / "__init__.py").write_text("")
    planted = package / "node" / "bad.py"
    planted.write_text(
        "from pcluster_pulumi.contract import names\n"
        "from pcluster_pulumi.cluster.cluster import Cluster\n"
        "def late():\n"
        "    import pcluster_pulumi.spec.loader\n"
    )
    messages = [str(v) for v in check_file(package, planted)]
    assert messages == [
        "pcluster_pulumi/node/bad.py:2: node may not import pcluster_pulumi.cluster.cluster (cluster)",
        "pcluster_pulumi/node/bad.py:4: import inside a function without a '# start-up:' reason",
        "pcluster_pulumi/node/bad.py:4: node may not import pcluster_pulumi.spec.loader (spec)",
    ]


def test_a_planted_cycle_is_found() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c", "a"]]
