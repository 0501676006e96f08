"""HeadNode.Imds.Secured on the head node: iptables lets only root and the Slurm user reach
IMDS, re-applied idempotently at each boot; ``Secured: false`` leaves (or makes) it open."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pcluster_pulumi.contract.bootstrap import render_user_data
from pcluster_pulumi.contract.config import ENV_VAR, NodeConfig
from pcluster_pulumi.node import imds_access
from pcluster_pulumi.node.imds_access import CHAIN, apply

from .factories import config_dict


class FakeIptables:
    """Just enough of iptables' filter table: chains with rules, -N/-F/-X/-A/-I/-C/-D/-L."""

    def __init__(self) -> None:
        self.chains: dict[str, list[list[str]]] = {"OUTPUT": [["-d", "10.0.0.1/32", "-j", "ACCEPT"]]}
        self.calls: list[list[str]] = []

    def __call__(self, command: list[str]) -> int:
        self.calls.append(command)
        assert command[:2] == ["iptables", "-w"]
        if "-L" in command:
            return 0 if command[-1] in self.chains else 1
        op, rest = command[2], command[3:]
        if op == "-N":
            if rest[0] in self.chains:
                return 1
            self.chains[rest[0]] = []
            return 0
        chain = rest[0]
        if chain not in self.chains:
            return 1
        rules = self.chains[chain]
        if op == "-F":
            rules.clear()
        elif op == "-X":
            if rules or any(CHAIN in r for c in self.chains.values() for r in c):
                return 1
            del self.chains[chain]
        elif op == "-A":
            rules.append(rest[1:])
        elif op == "-I":
            rules.insert(int(rest[1]) - 1, rest[2:])
        elif op == "-C":
            return 0 if rest[1:] in rules else 1
        elif op == "-D":
            if rest[1:] not in rules:
                return 1
            rules.remove(rest[1:])
        return 0


def test_secured_lets_only_root_and_the_slurm_user_reach_imds_first_in_output() -> None:
    iptables = FakeIptables()
    assert apply(True, "slurm", run=iptables, exists=lambda user: True) == ["root", "slurm"]
    assert iptables.chains["OUTPUT"][0] == ["-d", "169.254.169.254/32", "-j", CHAIN]
    assert iptables.chains[CHAIN] == [
        ["-m", "owner", "--uid-owner", "root", "-j", "ACCEPT"],
        ["-m", "owner", "--uid-owner", "slurm", "-j", "ACCEPT"],
        ["-j", "REJECT", "--reject-with", "icmp-port-unreachable"],
    ]


def test_applying_again_at_the_next_boot_changes_nothing() -> None:
    iptables = FakeIptables()
    apply(True, "slurm", run=iptables, exists=lambda user: True)
    before = json.dumps(iptables.chains)
    apply(True, "slurm", run=iptables, exists=lambda user: True)
    assert json.dumps(iptables.chains) == before


def test_a_slurm_user_that_does_not_exist_is_not_named_in_a_rule() -> None:
    iptables = FakeIptables()
    assert apply(True, "slurm", run=iptables, exists=lambda user: False) == ["root"]
    assert len(iptables.chains[CHAIN]) == 2


def test_not_secured_removes_the_lockdown_and_leaves_other_rules() -> None:
    iptables = FakeIptables()
    apply(True, "slurm", run=iptables, exists=lambda user: True)
    assert apply(False, "slurm", run=iptables) == []
    assert iptables.chains == {"OUTPUT": [["-d", "10.0.0.1/32", "-j", "ACCEPT"]]}
    assert apply(False, "slurm", run=iptables) == []


def test_a_failing_iptables_command_fails_the_step_rather_than_leave_imds_open() -> None:
    def broken(command: list[str]) -> int:
        return 0 if "-L" in command else 4

    with pytest.raises(RuntimeError, match=r"iptables -w -F PCLUSTER_PULUMI_IMDS exited with status 4"):
        apply(True, "slurm", run=broken)


def test_the_runtime_configuration_carries_the_setting_and_defaults_to_secured() -> None:
    assert NodeConfig.from_dict(config_dict()).head_node.imds_secured is True
    opened = config_dict(head_node={"private_ip": "10.0.0.10", "imds_secured": False})
    assert NodeConfig.from_dict(opened).head_node.imds_secured is False


def test_the_setup_step_reads_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from pcluster_pulumi.node.boot_steps import main

    path = tmp_path / "node-config.json"
    path.write_text(json.dumps(config_dict(head_node={"private_ip": "10.0.0.10", "imds_secured": False})))
    monkeypatch.setenv(ENV_VAR, str(path))
    seen: list[bool] = []
    monkeypatch.setattr(imds_access, "apply", lambda secured, user: seen.append(secured) or [])
    assert main(["imds-access"]) == 0
    assert seen == [False] and capsys.readouterr().out == "IMDS open to every user\n"


def test_only_the_head_node_gets_the_unit_that_reapplies_the_rules_at_boot() -> None:
    config = NodeConfig.from_dict(config_dict(bucket="b", node_package_key="k"))
    head = json.loads(render_user_data(config, "head", "c").split("\n", 1)[1])
    unit = next(f for f in head["write_files"] if f["path"].endswith("pcluster-pulumi-imds.service"))
    assert "ExecStart=/usr/bin/python3 -m pcluster_pulumi.node.boot_steps imds-access" in unit["content"]
    assert "Before=pcluster-pulumi-slurmctld.service" in unit["content"]
    compute = json.loads(render_user_data(config, "compute", "c").split("\n", 1)[1])
    assert not [f for f in compute["write_files"] if "imds" in f["path"]]


def test_without_iptables_opening_is_a_no_op_and_securing_fails_clearly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    assert apply(False, "slurm") == []
    with pytest.raises(RuntimeError, match="exited with status 127"):
        apply(True, "slurm")
