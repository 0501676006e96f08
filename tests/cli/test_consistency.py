"""The same habits work on every command: -h, -c/--cluster-name, --region, --json, version,
validators with their levels and whole rules, and help text without type noise.

Deployment commands run against a stand-in ``ClusterStack`` (no Pulumi CLI exists here), the
same way ``tests/cli/test_stack.py`` drives them.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from pcluster_pulumi import __version__
from pcluster_pulumi.cli import app, session, stack, update_gate
from pcluster_pulumi.spec.validators import REGISTRY
from tests.fleet.world import build_cluster

runner = CliRunner()
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "slurm-minimal.yaml"


def run(*argv: str) -> Any:
    return runner.invoke(app, list(argv))


def commands() -> dict[str, Any]:
    """The click commands typer builds (typer 0.28+ vendors its own click, so no isinstance)."""
    return dict(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def command_names() -> list[str]:
    return sorted(commands())


@pytest.fixture(autouse=True)
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")


def test_dash_h_is_help_everywhere() -> None:
    top = run("-h")
    sub = run("describe-cluster", "-h")

    assert top.exit_code == 0
    assert top.stdout == run("--help").stdout
    assert sub.exit_code == 0
    assert "--cluster-name" in sub.stdout


@pytest.mark.parametrize("command", command_names())
def test_help_shows_no_python_types(command: str) -> None:
    result = run(command, "--help") if command not in _PCLUSTER_NAMES else run("--help")

    assert result.exit_code == 0, result.output
    assert not re.search(r"<(str|bool|int|float|path|list\[str\])>", result.stdout), result.stdout


_PCLUSTER_NAMES = {"create-cluster", "update-cluster", "delete-cluster", "list-clusters"}


def test_every_cluster_command_takes_n_and_c_and_cluster_name() -> None:
    for name, command in commands().items():
        for param in command.params:
            if "-n" in param.opts:
                assert {"-c", "--cluster-name", "--name"} <= set(param.opts), name


def test_every_aws_reading_command_takes_region() -> None:
    aws_commands = {
        "describe-cluster",
        "describe-compute-fleet",
        "describe-cluster-instances",
        "list-cluster-log-streams",
        "get-cluster-log-events",
        "export-cluster-logs",
        "update-compute-fleet",
        "destroy",
    }
    for name in aws_commands:
        options = {opt for param in commands()[name].params for opt in param.opts}
        assert {"--region", "-r"} <= options, name


def test_version_as_text_and_json() -> None:
    assert run("version").stdout == f"pcluster-pulumi {__version__}\n"
    assert json.loads(run("version", "--json").stdout) == {"version": __version__}
    assert run("--version").stdout == f"pcluster-pulumi {__version__}\n"


def test_validators_json_has_levels_and_the_whole_rule() -> None:
    result = run("validators", "--json")

    listed = {v["name"]: v for v in json.loads(result.stdout)}
    assert set(listed) == set(REGISTRY)
    for name, entry in listed.items():
        assert entry["levels"] and set(entry["levels"]) <= {"ERROR", "WARNING", "INFO"}, name
        assert "`" not in entry["rule"], name
        # Nothing cut off: the same letters and digits as the docstring, minus RST role names.
        letters = re.sub(r"\W", "", re.sub(r":[a-z]+:`", "", REGISTRY[name].doc))
        assert re.sub(r"\W", "", entry["rule"]) == letters, name
    assert listed["ClusterNameValidator"]["rule"] == (
        "The cluster name starts with a letter, has only letters, digits and hyphens, and is at most "
        "60 characters (40 with Slurm accounting): it names the stack and, with accounting, the Slurm "
        "database tables, whose names have a length limit."
    )
    assert listed["ClusterNameValidator"]["levels"] == ["ERROR"]
    assert any("WARNING" in entry["levels"] for entry in listed.values())


def test_validators_text_wraps_whole_rules_without_markup() -> None:
    result = run("validators")

    assert result.exit_code == 0
    assert "``" not in result.stdout
    assert "ClusterNameValidator  [ERROR]\n    The cluster name starts with a letter" in result.stdout
    assert "whose names have a length limit." in result.stdout


# --- deployment commands: --json, outputs KEY, -c, --region -------------------------------------


class StandIn:
    """Answers for ClusterStack: outputs, a recorded up/refresh/destroy, no Pulumi CLI needed."""

    calls: list[str] = []

    def __init__(self, name: str, config: str | None = None, **_: Any) -> None:
        self.name, self.spec_text = name, config

    def deployed_config(self) -> str | None:
        return None

    def preview(self, on_event: Callable[[Any], None] | None = None, *, diff: bool = False) -> Any:
        self.calls.append("preview")
        return SimpleNamespace(change_summary={"create": 3}, stdout="")

    def up(self, on_event: Callable[[Any], None] | None = None) -> Any:
        self.calls.append("up")
        return SimpleNamespace(
            outputs=self.outputs(), summary=SimpleNamespace(resource_changes={"create": 3})
        )

    def refresh(self, on_event: Callable[[Any], None] | None = None) -> Any:
        self.calls.append("refresh")
        return SimpleNamespace(summary=SimpleNamespace(resource_changes={"same": 41, "update": 1}))

    def destroy(self, on_event: Callable[[Any], None] | None = None) -> Any:
        self.calls.append("destroy")
        return SimpleNamespace()

    def outputs(self) -> dict[str, Any]:
        return {
            "headNodePrivateIp": SimpleNamespace(value="10.0.0.5", secret=False),
            "queues": SimpleNamespace(value=["q1", "gpu"], secret=False),
            "dbPassword": SimpleNamespace(value="x", secret=True),
        }

    @property
    def region(self) -> str:
        return "us-east-1"


@pytest.fixture
def deployed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The stand-in stack; returns the regions ``destroy`` terminated compute nodes in."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setattr(session, "find_pulumi", lambda: Path("/usr/bin/pulumi"))
    monkeypatch.setattr(session, "ClusterStack", StandIn)
    monkeypatch.setattr(stack, "_preflight", lambda *args: None)
    regions: list[Any] = []
    monkeypatch.setattr(update_gate, "terminate_nodes", lambda s, region, timeout: regions.append(region))
    StandIn.calls = []
    return regions


def test_outputs_key_prints_one_value(deployed: list[Any]) -> None:
    assert run("outputs", "-c", "demo", "headNodePrivateIp").stdout == "10.0.0.5\n"
    assert json.loads(run("outputs", "--cluster-name", "demo", "queues", "--json").stdout) == ["q1", "gpu"]
    assert run("outputs", "-n", "demo", "dbPassword").stdout == "[secret]\n"
    missing = run("outputs", "-n", "demo", "nope")
    assert missing.exit_code == 1
    assert missing.stderr.startswith(
        "pcluster-pulumi: cluster demo has no output 'nope' (outputs: dbPassword,"
    )


def test_up_json_keeps_stdout_for_json(deployed: list[Any], tmp_path: Path) -> None:
    config = tmp_path / "cluster.yaml"
    config.write_text(EXAMPLE.read_text())

    result = run("up", str(config), "-c", "demo", "--yes", "--no-wait", "--json")

    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload == {
        "cluster": "demo",
        "region": "us-east-1",
        "changed": True,
        "operation": "create",
        "changeSummary": {"create": 3},
        "outputs": {"dbPassword": "[secret]", "headNodePrivateIp": "10.0.0.5", "queues": ["q1", "gpu"]},
    }
    assert "not deployed yet" in result.stderr
    assert StandIn.calls == ["preview", "up"]


def test_refresh_and_destroy_json(deployed: list[Any]) -> None:
    refreshed = run("refresh", "-n", "demo", "--json")
    destroyed = run("destroy", "-n", "demo", "--yes", "--region", "eu-west-1", "--json")

    assert json.loads(refreshed.stdout) == {"cluster": "demo", "changeSummary": {"same": 41, "update": 1}}
    assert destroyed.exit_code == 0, destroyed.output
    assert json.loads(destroyed.stdout) == {"cluster": "demo", "destroyed": True, "dataResources": []}
    assert deployed == ["eu-west-1"]  # compute nodes are looked for where --region says
    assert StandIn.calls == ["refresh", "destroy"]


def test_a_missing_config_is_answered_before_pulumi_loads(tmp_path: Path) -> None:
    probe = (
        "import sys\nfrom pcluster_pulumi.cli import main\n"
        "try:\n    main()\nexcept SystemExit as e:\n    code = e.code\n"
        "print(sorted(m for m in ('pulumi', 'boto3', 'botocore', 'jsonschema') if m in sys.modules))\n"
        "sys.exit(code)\n"
    )
    for argv in (
        ["up", "missing.yaml", "-n", "demo"],
        ["plan", "missing.yaml"],
        ["validate", "missing.yaml"],
        ["describe-cluster"],
        ["--help"],
    ):
        done = subprocess.run(
            [sys.executable, "-c", probe, *argv], capture_output=True, text=True, cwd=tmp_path, check=False
        )
        assert done.stdout.strip().splitlines()[-1] == "[]", (argv, done.stdout, done.stderr)


def test_update_compute_fleet_json(aws: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    build_cluster("fleet", nodes=(), login_count=0)

    result = run(
        "update-compute-fleet", "-c", "fleet", "--status", "STOP_REQUESTED", "-r", "us-east-1", "--json"
    )

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "cluster": "fleet",
        "region": "us-east-1",
        "before": "RUNNING",
        "after": "STOP_REQUESTED",
        "changed": True,
        "final": None,
    }
    assert (
        json.loads(run("describe-compute-fleet", "-n", "fleet", "--json").stdout)["status"]
        == "STOP_REQUESTED"
    )
