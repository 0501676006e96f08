"""Login nodes: the client slurm.conf, the pool's shared host keys, the lifecycle hooks."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from pcluster_pulumi.contract.slurm_layout import SlurmLayout
from pcluster_pulumi.node.login import (
    HOST_KEY_TYPES,
    LAUNCH_HOOK,
    complete_launch,
    controller_hostname,
    ensure_pool_host_keys,
    install_host_keys,
    render_client_slurm_conf,
    termination_message,
    wait_for_share,
    watch_termination,
)

from .factories import make_config

LAYOUT = SlurmLayout(controller_hostname="ip-10-0-0-10")


def settings(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))


def test_the_client_config_points_at_the_head_node_and_munge() -> None:
    conf = settings(render_client_slurm_conf(make_config(cluster="demo"), LAYOUT))
    assert conf["SlurmctldHost"] == "ip-10-0-0-10(10.0.0.10)"
    assert conf["SlurmctldPort"] == "6817"
    assert conf["AuthType"] == "auth/munge"
    assert conf["ClusterName"] == "demo"
    assert "AccountingStorageType" not in conf


def test_with_accounting_sacct_reaches_slurmdbd_on_the_head_node_or_the_external_one() -> None:
    database = {"kind": "database", "host": "db.example", "user_name": "u", "password_secret_arn": "arn:x"}
    conf = settings(render_client_slurm_conf(make_config(scheduler={"accounting": database}), LAYOUT))
    assert conf["AccountingStorageHost"] == "10.0.0.10"
    assert conf["AccountingStoragePort"] == "6819"
    external = {"kind": "external", "host": "dbd.example", "port": 7000}
    conf = settings(render_client_slurm_conf(make_config(scheduler={"accounting": external}), LAYOUT))
    assert (conf["AccountingStorageHost"], conf["AccountingStoragePort"]) == ("dbd.example", "7000")


def test_without_a_recorded_hostname_the_controller_is_named_as_ec2_names_it() -> None:
    assert controller_hostname(make_config()) == "ip-10-0-0-10"
    named = make_config(head_node={"private_ip": "10.0.0.10", "hostname": "head.ec2.internal"})
    assert controller_hostname(named) == "head"


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="needs OpenSSH's ssh-keygen")
def test_each_pool_gets_one_set_of_host_keys_kept_across_reboots(tmp_path: Path) -> None:
    created = ensure_pool_host_keys(tmp_path, ["pool1", "pool2"])
    assert len(created) == 2 * len(HOST_KEY_TYPES)
    assert (tmp_path / "pool1").stat().st_mode & 0o777 == 0o700
    fingerprint = subprocess.run(
        ["ssh-keygen", "-lf", str(tmp_path / "pool1" / "ssh_host_ed25519_key.pub")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert ensure_pool_host_keys(tmp_path, ["pool1", "pool2"]) == []  # a reboot keeps them
    target = tmp_path / "etc-ssh"
    target.mkdir()
    installed = install_host_keys(tmp_path / "pool1", target)
    assert len(installed) == 2 * len(HOST_KEY_TYPES)
    assert (target / "ssh_host_ed25519_key").stat().st_mode & 0o777 == 0o600
    assert (target / "ssh_host_ed25519_key.pub").stat().st_mode & 0o777 == 0o644
    again = subprocess.run(
        ["ssh-keygen", "-lf", str(target / "ssh_host_ed25519_key.pub")], capture_output=True, text=True
    ).stdout
    assert again == fingerprint


def test_installing_refuses_an_incomplete_set(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="ssh_host_rsa_key"):
        install_host_keys(tmp_path, tmp_path / "x")


def test_the_node_completes_its_launch_hook_with_the_bootstrap_result() -> None:
    calls: list[dict[str, Any]] = []

    class Recorder:
        def complete_lifecycle_action(self, **kwargs: Any) -> None:
            calls.append(kwargs)

    complete_launch(Recorder(), "demo-pool", "i-0123", success=True)
    complete_launch(Recorder(), "demo-pool", "i-0123", success=False)
    assert [c["LifecycleActionResult"] for c in calls] == ["CONTINUE", "ABANDON"]
    assert {c["LifecycleHookName"] for c in calls} == {LAUNCH_HOOK}
    assert {c["AutoScalingGroupName"] for c in calls} == {"demo-pool"}
    # And botocore's model of the real API accepts the call as made.
    autoscaling = boto3.client(
        "autoscaling", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(autoscaling) as stub:
        stub.add_response("complete_lifecycle_action", {}, calls[0])
        complete_launch(autoscaling, "demo-pool", "i-0123", success=True)
        stub.assert_no_pending_responses()


def test_users_are_warned_every_minute_during_the_grace_period() -> None:
    states = iter(["InService", "InService", "Terminated"])
    now = [0.0]
    messages: list[str] = []

    def sleep(seconds: float) -> None:
        now[0] += seconds

    done = watch_termination(
        lambda: next(states, "Terminated"), messages.append, 3, sleep=sleep, clock=lambda: now[0]
    )
    assert done
    assert len(messages) == 3
    assert "about 3 minute" in messages[0] and "about 1 minute" in messages[2]
    assert now[0] == 20 + 180


def test_no_warning_while_the_node_stays_in_service() -> None:
    messages: list[str] = []
    done = watch_termination(lambda: "InService", messages.append, 10, sleep=lambda s: None, max_polls=5)
    assert not done and messages == []
    assert "less than a minute" in termination_message(0)


def test_a_login_node_waits_for_the_head_nodes_share_keeping_its_launch_hook_alive(tmp_path: Path) -> None:
    ready = tmp_path / "ssh_host_ed25519_key.pub"
    now = [0.0]
    beats: list[float] = []

    def sleep(seconds: float) -> None:
        now[0] += seconds
        if now[0] >= 700:
            ready.write_text("key")

    assert wait_for_share(ready, lambda: beats.append(now[0]), sleep=sleep, clock=lambda: now[0])
    assert beats == [300.0, 600.0]  # every 5 minutes, within the hook's 10-minute heartbeat
    ready.unlink()
    now[0] = 0.0
    assert not wait_for_share(
        ready, lambda: None, timeout=60, sleep=lambda s: now.__setitem__(0, now[0] + s), clock=lambda: now[0]
    )
