"""`pcluster-pulumi validate` and `schema`: located lines, JSON, exit codes 0/1/2, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pcluster_pulumi.cli import app
from pcluster_pulumi.spec.schema import load_schema

from ..spec.conftest import MINIMAL

runner = CliRunner()


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "cluster.yaml"
    path.write_text(MINIMAL)
    return path


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    path = tmp_path / "broken.yaml"
    path.write_text(MINIMAL.replace("MaxCount: 10", "MaxCount: lots").replace("KeyName", "KeyNam"))
    return path


def test_valid_config_exits_zero_with_a_summary(config: Path) -> None:
    result = runner.invoke(app, ["validate", str(config)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert f"{config}: valid" in result.stderr


def test_invalid_config_prints_one_located_line_per_problem_and_exits_one(broken: Path) -> None:
    result = runner.invoke(app, ["validate", str(broken)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert f"{broken}:8:5: HeadNode.Ssh.KeyNam: unknown key 'KeyNam'; did you mean 'KeyName'?" in lines
    assert any(
        line.startswith(f"{broken}:17:21: Scheduling.SlurmQueues[0].ComputeResources[0].MaxCount: ")
        for line in lines
    )
    assert "invalid (2 errors" in result.stderr


def test_json_output_has_the_documented_shape(broken: Path) -> None:
    result = runner.invoke(app, ["validate", str(broken), "--json"])
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert payload["valid"] is False
    assert {tuple(sorted(p)) for p in payload["problems"]} == {
        ("column", "level", "line", "message", "path", "validator")
    }
    assert {p["path"] for p in payload["problems"] if p["level"] == "ERROR"} == {
        "HeadNode.Ssh.KeyNam",
        "Scheduling.SlurmQueues[0].ComputeResources[0].MaxCount",
    }


def test_failure_level_warning_fails_on_warnings(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(MINIMAL.replace("MaxCount: 10", "MaxCount: 10.5"))
    assert runner.invoke(app, ["validate", str(path)]).exit_code == 0
    result = runner.invoke(app, ["validate", str(path), "--failure-level", "WARNING"])
    assert result.exit_code == 1
    assert "warning: 10.5 is not a whole number" in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["validate", "/nonexistent/cluster.yaml"],
        ["validate", "{config}", "--failure-level", "LOUD"],
        ["validate", "{config}", "--suppress-validators", "NoSuchValidator"],
        ["validate"],
        ["frobnicate"],
    ],
)
def test_usage_errors_exit_two(args: list[str], config: Path) -> None:
    result = runner.invoke(app, [a.format(config=config) for a in args])
    assert result.exit_code == 2, result.output


def test_reads_standard_input() -> None:
    result = runner.invoke(app, ["validate", "-"], input=MINIMAL)
    assert result.exit_code == 0 and "<stdin>: valid" in result.stderr


def test_schema_command_prints_the_bundled_schema() -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == load_schema()


def test_console_script_never_shows_a_traceback_for_bad_input(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.yaml"
    garbage.write_bytes(b"\xff\xfe\x00binary: [\n")
    proc = subprocess.run(
        [sys.executable, "-m", "pcluster_pulumi.cli", "validate", str(garbage)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode in (1, 2)
    assert "Traceback" not in proc.stderr + proc.stdout
