"""``dcv-connect`` and ``ssh --pool``, up to the SSH boundary: the command run, the URL built.

The stack's outputs are given (no Pulumi CLI here) and ``run_ssh`` stands for the node: it
records the command and answers as the node's ``dcv-connect`` script does.
"""

from __future__ import annotations

import subprocess
from typing import Any

import pytest
from typer.testing import CliRunner

from pcluster_pulumi.cli import dcv
from pcluster_pulumi.cli.main import app
from pcluster_pulumi.cli.session import Session
from pcluster_pulumi.engines.automation.stack import SPEC_OUTPUT

runner = CliRunner()
ANSWER = (
    "PclusterDcvServerPort=8443 PclusterDcvSessionId=pcluster-ubuntu "
    "PclusterDcvSessionToken=tok_-123 PclusterDcvServerHost=203.0.113.9\n"
)
OUTPUTS: dict[str, Any] = {
    "headNodePublicIp": "198.51.100.7",
    "headNodePrivateIp": "10.0.0.5",
    "loginPools": {"users": "demo-users-0123.elb.us-east-1.amazonaws.com"},
    SPEC_OUTPUT: "Image:\n  Os: ubuntu2204\n",
}


class Value:
    """What the Automation API gives for an output."""

    def __init__(self, value: Any) -> None:
        self.value = value


class FakeStack:
    def __init__(self, outputs: dict[str, Any]) -> None:
        self._outputs = outputs

    def outputs(self) -> dict[str, Value]:
        return {key: Value(value) for key, value in self._outputs.items()}


@pytest.fixture
def node(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The deployed cluster's outputs, and a node answering over SSH; returns the commands run."""
    commands: list[list[str]] = []

    def answer(command: list[str]) -> subprocess.CompletedProcess[str]:
        commands.append(command)
        return subprocess.CompletedProcess(command, 0, stdout="Welcome\n" + ANSWER, stderr="")

    monkeypatch.setattr(Session, "require_pulumi", lambda self: None)
    monkeypatch.setattr(Session, "stack", lambda self, *a, **k: FakeStack(OUTPUTS))
    monkeypatch.setattr(dcv, "run_ssh", answer)
    return commands


def test_the_head_node_url_is_built_from_the_scripts_answer(node: list[list[str]]) -> None:
    result = runner.invoke(app, ["dcv-connect", "-n", "demo", "--show-url-only", "--key-path", "k.pem"])
    assert result.exit_code == 0, result.output
    assert node == [["ssh", "-i", "k.pem", "ubuntu@198.51.100.7", "/opt/pcluster-pulumi/bin/dcv-connect"]]
    assert result.stdout.strip() == "https://198.51.100.7:8443?authToken=tok_-123#pcluster-ubuntu"


def test_through_a_login_pool_the_answering_nodes_own_address_is_used(node: list[list[str]]) -> None:
    result = runner.invoke(app, ["dcv-connect", "-n", "demo", "--login-pool", "users", "--show-url-only"])
    assert result.exit_code == 0, result.output
    assert node[0][1:] == [
        "ubuntu@demo-users-0123.elb.us-east-1.amazonaws.com",
        "/opt/pcluster-pulumi/bin/dcv-connect",
    ]
    assert result.stdout.strip() == "https://203.0.113.9:8443?authToken=tok_-123#pcluster-ubuntu"


def test_an_unknown_pool_is_refused_naming_the_pools(node: list[list[str]]) -> None:
    result = runner.invoke(app, ["dcv-connect", "-n", "demo", "--login-pool", "other"])
    assert result.exit_code == 1
    assert "no login pool 'other' (login pools: users)" in result.stderr
    assert node == []


def test_a_node_without_dcv_fails_in_one_line(node: list[list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(command: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(
            command, 1, stdout="", stderr="ERROR: the DCV server is not running on this node\n"
        )

    monkeypatch.setattr(dcv, "run_ssh", refuse)
    result = runner.invoke(app, ["dcv-connect", "-n", "demo", "--show-url-only"])
    assert result.exit_code == 1
    assert result.stderr.strip().endswith("ERROR: the DCV server is not running on this node")


def test_without_show_url_only_the_browser_opens_the_url(
    node: list[list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []

    def browser(url: str) -> bool:
        opened.append(url)
        return True

    monkeypatch.setattr(dcv.webbrowser, "open", browser)
    result = runner.invoke(app, ["dcv-connect", "-n", "demo"])
    assert result.exit_code == 0, result.output
    assert opened == ["https://198.51.100.7:8443?authToken=tok_-123#pcluster-ubuntu"]
    assert result.stdout == ""


def test_ssh_to_a_pool_goes_to_its_load_balancer(node: list[list[str]]) -> None:
    result = runner.invoke(app, ["ssh", "-n", "demo", "--pool", "users", "--dryrun"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "ssh ubuntu@demo-users-0123.elb.us-east-1.amazonaws.com"
    missing = runner.invoke(app, ["ssh", "-n", "demo", "--pool", "nope", "--dryrun"])
    assert missing.exit_code == 1 and "no login pool 'nope'" in missing.stderr


def test_address_helpers_read_plain_or_automation_outputs() -> None:
    outputs = {"headNodePrivateIp": Value("10.0.0.5"), "headNodePublicIp": Value(None)}
    assert dcv.head_address(outputs) == "10.0.0.5"
    assert dcv.login_pool_address({"loginPools": Value({"a": "a.elb"})}, "a") == "a.elb"
    assert dcv.login_pool_address({"loginPools": {"a": "plain.elb"}}, "a") == "plain.elb"
    with pytest.raises(LookupError, match="login pools: none"):
        dcv.login_pool_address({}, "a")
