"""Hostile input through the real CLI (a subprocess, as a user runs it): each file gets one
located line and exit status 1, bounded time and memory, never a traceback. The figures
themselves are measured by benchmarks/validate_hostile.py, not asserted here."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from pcluster_pulumi.spec.source import MAX_CONFIG_BYTES
from pcluster_pulumi.spec.yaml_limits import MAX_ALIAS_NODES, check_limits

from .conftest import MINIMAL

# A bound far above what these inputs cost when refused, far below what they cost otherwise.
MEMORY_CAP_BYTES = 1024 * 1024 * 1024


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP_BYTES, MEMORY_CAP_BYTES))


def cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    """``pcluster-pulumi ARGS`` in a subprocess with 1 GiB of address space and 60 s."""
    completed = subprocess.run(
        [sys.executable, "-m", "pcluster_pulumi.cli", *args],
        input=stdin,
        env={**os.environ, "COLUMNS": "300"},
        capture_output=True,
        timeout=60,
        preexec_fn=_cap_memory,
        check=False,
    )
    return subprocess.CompletedProcess(
        completed.args, completed.returncode, completed.stdout.decode(), completed.stderr.decode()
    )


def billion_laughs(levels: int = 10) -> str:
    """The classic bomb: each level repeats the previous one nine times (9**10 nodes)."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def assert_one_line(completed: subprocess.CompletedProcess[str], expected: str) -> None:
    assert completed.returncode == 1, completed
    assert "Traceback" not in completed.stdout + completed.stderr
    [line] = completed.stdout.splitlines()
    assert line == expected


def test_an_alias_bomb_is_refused_at_the_alias_that_crosses_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(billion_laughs())
    completed = cli("validate", str(path))
    assert completed.returncode == 1 and "Traceback" not in completed.stderr
    [line] = completed.stdout.splitlines()
    assert line.startswith(f"{path}:5:10: <config>: YAML aliases expand to more than 10,000 nodes")


def test_the_limit_counts_nodes_not_aliases() -> None:
    under = "base: &b [" + ",".join(["x"] * 99) + "]\n" + "".join(f"k{i}: *b\n" for i in range(99))
    over = under + "k99: *b\nk100: *b\n"
    assert check_limits(under) is None  # 99 aliases of 100 nodes: 9,900
    problem = check_limits(over)
    assert problem is not None and problem.line == 102 and str(MAX_ALIAS_NODES)[:2] in problem.message


def test_a_recursive_alias_is_one_error(tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text(MINIMAL.replace("HeadNode:\n", "HeadNode: &head\n  Again: *head\n"))
    completed = cli("validate", str(path))
    assert_one_line(
        completed,
        f"{path}:4:10: <config>: the alias *head refers to the mapping or list that contains it (a recursive "
        "structure, which would be infinite); write the values out instead",
    )


def test_a_huge_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("w") as fh:
        for i in range(1_000_000):
            fh.write(f"key{i}: {i}\n")
    completed = cli("validate", str(path))
    size = path.stat().st_size
    limit = f"a cluster config may be at most {MAX_CONFIG_BYTES:,} bytes (2 MiB)"
    assert_one_line(completed, f"{path}: the file is {size:,} bytes; {limit}")


def test_a_file_under_the_limit_with_many_nodes_is_refused_by_node_count(tmp_path: Path) -> None:
    path = tmp_path / "keys.yaml"
    path.write_text("Tags:\n" + "- 1\n" * 250_000)
    assert path.stat().st_size < MAX_CONFIG_BYTES
    completed = cli("validate", str(path))
    assert completed.returncode == 1
    [line] = completed.stdout.splitlines()
    assert "more than 200,000 YAML nodes" in line


def test_a_huge_scalar_is_shortened_in_the_message(tmp_path: Path) -> None:
    path = tmp_path / "long.yaml"
    path.write_text(MINIMAL.replace("alinux2023", "x" * 500_000))
    completed = cli("validate", str(path))
    assert completed.returncode == 1
    assert max(len(line) for line in completed.stdout.splitlines()) < 600
    assert "(500,002 characters)" in completed.stdout


@pytest.mark.parametrize("how", ["file", "stdin"])
def test_non_utf8_input_is_one_line(tmp_path: Path, how: str) -> None:
    data = MINIMAL.replace("my-key", "clé").encode("latin-1")
    byte = data.index(b"\xe9") + 1
    if how == "file":
        path = tmp_path / "latin1.yaml"
        path.write_bytes(data)
        assert_one_line(cli("validate", str(path)), f"{path}: not UTF-8 text (byte {byte})")
    else:
        assert_one_line(cli("validate", "-", stdin=data), f"<stdin>: not UTF-8 text (byte {byte})")


def test_non_utf8_input_with_json_is_json() -> None:
    completed = cli("validate", "--json", "-", stdin=b"Image: \xff\n")
    assert completed.returncode == 1
    assert json.loads(completed.stdout)["problems"] == [
        {
            "path": "",
            "line": None,
            "column": None,
            "message": "not UTF-8 text (byte 8)",
            "level": "ERROR",
            "validator": None,
        }
    ]


def test_tab_indentation_gets_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "tabs.yaml"
    path.write_text(MINIMAL.replace("  Os: alinux2023", "\tOs: alinux2023"))
    completed = cli("validate", str(path))
    assert completed.returncode == 1
    [line] = completed.stdout.splitlines()
    assert line.startswith(f"{path}:2:1: <config>: not valid YAML:")
    assert line.endswith("(this line is indented with a tab: YAML allows only spaces for indentation)")


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("Image: " + "[" * 50_000 + "]" * 50_000 + "\n")
    completed = cli("validate", str(path))
    assert_one_line(
        completed, f"{path}:1:107: <config>: nested more than 100 levels deep; a cluster config never is"
    )


def test_plan_refuses_the_bomb_the_same_way(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(billion_laughs())
    completed = cli("plan", str(path))
    assert completed.returncode == 1 and "Traceback" not in completed.stderr
    assert completed.stdout.splitlines()[0].startswith(f"{path}:5:10: <config>: YAML aliases expand")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"region: us-east-1 \xff\n", "not UTF-8 text (byte 19)"),
        (
            b"instance_types:\n  c5.xlarge:\n    vcpus: four\n",
            "instance_types.c5.xlarge.vcpus: expected a whole number",
        ),
        (
            b"amis:\n  official:alinux2023:x86_64:\n    image_id: 12\n",
            "image_id: expected a string, got int 12",
        ),
        (b"a: &a [1, *a]\n", "refers to the mapping or list that contains it"),
    ],
)
def test_a_bad_facts_file_is_a_usage_error_naming_file_and_key(
    tmp_path: Path, content: bytes, message: str
) -> None:
    facts = tmp_path / "facts.yaml"
    facts.write_bytes(content)
    config = tmp_path / "cluster.yaml"
    config.write_text(MINIMAL)
    completed = cli("plan", str(config), "--facts", str(facts))
    assert completed.returncode == 2
    assert "Traceback" not in completed.stdout + completed.stderr
    assert f"Invalid value for --facts: {facts}" in completed.stderr and message in completed.stderr


def test_the_alias_bomb_with_json_is_json(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(billion_laughs())
    completed = cli("validate", "--json", str(path))
    assert completed.returncode == 1
    [problem] = json.loads(completed.stdout)["problems"]
    assert (problem["line"], problem["column"], problem["validator"]) == (5, 10, None)
    assert problem["message"].startswith("YAML aliases expand to more than 10,000 nodes")
