"""The YAML reader: ParallelCluster's refusals, reported as located problems."""

from __future__ import annotations

from pcluster_pulumi.spec.yaml_source import read_yaml


def test_duplicate_keys_are_refused_naming_both_lines() -> None:
    doc = read_yaml("HeadNode:\n  InstanceType: t3.micro\n  InstanceType: t3.large\n")
    [problem] = doc.problems
    assert problem.path == "HeadNode.InstanceType"
    assert (problem.line, problem.column) == (3, 3)
    assert "line 2" in problem.message and "line 3" in problem.message


def test_duplicate_keys_are_found_at_any_depth_and_all_reported() -> None:
    doc = read_yaml("a: 1\na: 2\nb:\n  - c: 1\n    c: 2\n")
    assert [p.path for p in doc.problems] == ["a", "b[0].c"]


def test_merge_keys_are_refused_like_parallelcluster() -> None:
    doc = read_yaml("base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n")
    [problem] = doc.problems
    assert "merge keys" in problem.message
    assert problem.line == 3


def test_anchors_and_aliases_are_accepted() -> None:
    doc = read_yaml("a: &subnets [subnet-1, subnet-2]\nb: *subnets\n")
    assert not doc.problems
    assert doc.data == {"a": ["subnet-1", "subnet-2"], "b": ["subnet-1", "subnet-2"]}


def test_recursive_alias_is_a_problem_not_a_crash() -> None:
    doc = read_yaml("a: &x\n  - *x\n")
    assert any("recursive" in p.message for p in doc.problems)


def test_empty_file_is_refused() -> None:
    assert "empty" in read_yaml("").problems[0].message
    assert "empty" in read_yaml("# only a comment\n").problems[0].message


def test_top_level_must_be_a_mapping() -> None:
    [problem] = read_yaml("- Image\n- HeadNode\n").problems
    assert "must be a mapping" in problem.message and "list" in problem.message


def test_syntax_error_is_located() -> None:
    [problem] = read_yaml("Image:\n  Os: [alinux2023\nHeadNode: {}\n").problems
    assert problem.message.startswith("not valid YAML")
    assert problem.line is not None and problem.line >= 2


def test_positions_of_keys_and_values_are_kept() -> None:
    doc = read_yaml("Image:\n  Os: alinux2023\nTags:\n  - Key: a\n    Value: b\n")
    assert doc.key_marks[("Image", "Os")] == (2, 3)
    assert doc.value_marks[("Image", "Os")] == (2, 7)
    assert doc.key_marks[("Tags", 0, "Value")] == (5, 5)
    assert doc.locate(("Tags", 0, "Missing"), prefer_key=True) == doc.value_marks[("Tags", 0)]
