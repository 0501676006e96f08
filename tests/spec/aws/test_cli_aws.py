# ruff: noqa: E501  (expected CLI lines are kept whole)
"""`validate --aws` through the real CLI (a subprocess) and the pre-flight of `preview`/`up`
(the typer app in-process, with a stand-in for the Pulumi stack), both against moto on
127.0.0.1: one located line per problem, one line when AWS cannot be asked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from botocore.exceptions import ClientError
from typer.testing import CliRunner

from pcluster_pulumi.cli import app, session
from pcluster_pulumi.engines.automation.stack import DeployError
from pcluster_pulumi.spec.aws_checks import inventory

from .world import World

runner = CliRunner()
REACHED = "reached the Pulumi stack"


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pcluster_pulumi.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "COLUMNS": "300", **(env or {})},
    )


def write(tmp_path: Path, config: dict[str, Any]) -> Path:
    path = tmp_path / "cluster.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def position(path: Path, text: str) -> str:
    """``LINE:COL`` of the first occurrence of ``text`` in the file."""
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if text in line:
            return f"{number}:{line.index(text) + 1}"
    raise AssertionError(f"{text!r} not in {path}")


def test_validate_aws_passes_on_what_exists_and_counts_its_calls(world: World, tmp_path: Path) -> None:
    completed = cli("validate", "--aws", str(write(tmp_path, world.config())))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "Traceback" not in completed.stderr
    assert completed.stderr.strip().endswith("AWS API calls)")
    assert "[KeyPairValidator]" not in completed.stdout


def test_validate_aws_refuses_a_missing_key_pair_in_one_located_line(world: World, tmp_path: Path) -> None:
    config = world.config()
    config["HeadNode"]["Ssh"]["KeyName"] = "nobody"
    path = write(tmp_path, config)
    completed = cli("validate", "--aws", str(path))
    assert completed.returncode == 1
    errors = [line for line in completed.stdout.splitlines() if ": info: " not in line]
    assert errors == [
        f"{path}:{position(path, 'nobody')}: HeadNode.Ssh.KeyName: The key pair 'nobody' does not exist in us-east-1; create or "
        "import it (aws ec2 import-key-pair) or name an existing one. [KeyPairValidator]"
    ]


def test_validate_without_aws_makes_no_call(world: World, tmp_path: Path) -> None:
    config = world.config()
    config["HeadNode"]["Ssh"]["KeyName"] = "nobody"
    completed = cli("validate", str(write(tmp_path, config)), env={"AWS_ENDPOINT_URL": "http://127.0.0.1:9"})
    assert completed.returncode == 0 and "AWS API calls" not in completed.stderr


def test_validate_aws_json_names_the_validator(world: World, tmp_path: Path) -> None:
    config = world.config()
    config["HeadNode"]["Networking"]["SubnetId"] = "subnet-0123456789abcdef9"
    completed = cli("validate", "--aws", "--json", str(write(tmp_path, config)))
    assert completed.returncode == 1
    problems = json.loads(completed.stdout)["problems"]
    assert [p["path"] for p in problems if p["validator"] == "SubnetsValidator"] == [
        "HeadNode.Networking.SubnetId"
    ]


def test_no_credentials_is_one_line(world: World, tmp_path: Path) -> None:
    env = {
        "AWS_ACCESS_KEY_ID": "",
        "AWS_SECRET_ACCESS_KEY": "",
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    completed = cli("validate", "--aws", str(write(tmp_path, world.config())), env=env)
    assert completed.returncode == 1
    assert completed.stderr.strip() == (
        "pcluster-pulumi: no AWS credentials found: configure them (aws configure, AWS_PROFILE, ...) or run "
        "validate without --aws"
    )
    assert completed.stdout == ""


def test_no_region_is_one_line_and_region_option_gives_one(world: World, tmp_path: Path) -> None:
    config = world.config()
    del config["Region"]
    path = write(tmp_path, config)
    env = {"AWS_DEFAULT_REGION": "", "AWS_CONFIG_FILE": str(tmp_path / "none")}
    completed = cli("validate", "--aws", str(path), env=env)
    assert completed.returncode == 1
    assert completed.stderr.strip() == (
        "pcluster-pulumi: no AWS region: set Region in the config, pass --region, or set AWS_REGION"
    )
    assert cli("validate", "--aws", "--region", "us-east-1", str(path), env=env).returncode == 0


def test_an_unreachable_endpoint_is_one_line(world: World, tmp_path: Path) -> None:
    env = {"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_MAX_ATTEMPTS": "1"}
    completed = cli("validate", "--aws", str(write(tmp_path, world.config())), env=env)
    assert completed.returncode == 1
    [line] = completed.stderr.splitlines()
    assert line.startswith("pcluster-pulumi: cannot reach AWS: Could not connect to the endpoint URL")


class StandInStack:
    """Where Pulumi would start: constructing the stack means the pre-flight let it through."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise DeployError(REACHED)


@pytest.fixture
def no_pulumi_needed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(session, "find_pulumi", lambda: Path("/usr/bin/pulumi"))
    monkeypatch.setattr(session, "ClusterStack", StandInStack)
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "test")
    monkeypatch.setenv("PULUMI_BACKEND_URL", f"file://{tmp_path / 'state'}")


@pytest.mark.parametrize("command", ["preview", "up"])
def test_preflight_stops_before_pulumi_at_a_missing_subnet(
    world: World, tmp_path: Path, no_pulumi_needed: None, command: str
) -> None:
    config = world.config()
    config["Scheduling"]["SlurmQueues"][1]["Networking"]["SubnetIds"] = ["subnet-0123456789abcdef9"]
    path = write(tmp_path, config)
    result = runner.invoke(
        app,
        [command, str(path), "-n", "demo", "--yes"]
        if command == "up"
        else [command, str(path), "-n", "demo"],
    )
    assert result.exit_code == 1
    assert REACHED not in result.output
    assert result.stdout.splitlines() == [
        f"{path}:{position(path, 'subnet-0123456789abcdef9')}: Scheduling.SlurmQueues[1].Networking.SubnetIds[0]: The subnet "
        "'subnet-0123456789abcdef9' does not exist in us-east-1. [SubnetsValidator]"
    ]


@pytest.mark.parametrize("command", ["preview", "up"])
def test_preflight_lets_a_good_config_through_to_pulumi(
    world: World, tmp_path: Path, no_pulumi_needed: None, command: str
) -> None:
    path = write(tmp_path, world.config())
    args = [command, str(path), "-n", "demo"] + (["--yes"] if command == "up" else [])
    result = runner.invoke(app, args)
    assert result.exit_code == 1 and REACHED in result.stderr, result.output


def test_suppressing_the_validator_lets_preview_through(
    world: World, tmp_path: Path, no_pulumi_needed: None
) -> None:
    config = world.config()
    config["HeadNode"]["Ssh"]["KeyName"] = "nobody"
    path = write(tmp_path, config)
    refused = runner.invoke(app, ["preview", str(path), "-n", "demo"])
    allowed = runner.invoke(
        app, ["preview", str(path), "-n", "demo", "--suppress-validators", "KeyPairValidator"]
    )
    assert refused.exit_code == 1 and "[KeyPairValidator]" in refused.stdout
    assert REACHED in allowed.stderr


def test_failure_level_warning_makes_aws_warnings_fatal(
    world: World, tmp_path: Path, no_pulumi_needed: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def denied(self: Any) -> set[str]:
        raise ClientError({"Error": {"Code": "UnauthorizedOperation", "Message": "no"}}, "DescribeKeyPairs")

    monkeypatch.setattr(inventory.Inventory, "key_pairs", property(denied))
    path = write(tmp_path, world.config())
    lenient = runner.invoke(app, ["preview", str(path), "-n", "demo"])
    strict = runner.invoke(app, ["preview", str(path), "-n", "demo", "--failure-level", "WARNING"])
    assert REACHED in lenient.stderr and "was refused (UnauthorizedOperation)" in lenient.stderr
    assert strict.exit_code == 1 and REACHED not in strict.output
