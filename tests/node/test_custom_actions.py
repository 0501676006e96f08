"""CustomActions on a node: read from the runtime configuration, fetched from S3 or HTTPS,
run in order with their arguments, and a failure fails the boot step."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from pcluster_pulumi.contract.bootstrap_script import SCRIPT
from pcluster_pulumi.contract.config import ENV_VAR, ConfigError, NodeConfig
from pcluster_pulumi.contract.custom_actions import Action
from pcluster_pulumi.node.boot_steps import custom_actions_of, main
from pcluster_pulumi.node.custom_actions import CustomActionError, run_actions

from .factories import compute_resource, config_dict, facts

RECORDER = '#!/bin/sh\nprintf "%s|" "$0" "$@" >> "{log}"\necho >> "{log}"\nexit {status}\n'


def queues(actions: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    queue: dict[str, Any] = {
        "name": "q1",
        "subnet_ids": ["subnet-1"],
        "compute_resources": [compute_resource("demo", "q1", "c5", [facts("c5.large")])],
    }
    if actions:
        queue["custom_actions"] = actions
    return [queue, {**queue, "name": "q2", "custom_actions": {}}]


def head_actions(**events: Any) -> dict[str, Any]:
    return {"private_ip": "10.0.0.10", "custom_actions": events}


def test_the_head_node_and_queue_scripts_round_trip_through_the_runtime_configuration() -> None:
    document = config_dict(
        head_node=head_actions(
            on_node_start=[{"script": "s3://b/start.sh", "args": ["a b", ""]}],
            on_node_updated=[{"script": "https://example.com/up.sh"}],
        ),
        queues=queues({"on_node_configured": [{"script": "s3://b/q.sh", "args": ["x"]}]}),
    )
    config = NodeConfig.from_dict(document)
    assert config.head_node.custom_actions.on_node_start == (Action("s3://b/start.sh", ("a b", "")),)
    assert config.head_node.custom_actions.urls() == ["s3://b/start.sh", "https://example.com/up.sh"]
    assert config.queue("q1").custom_actions.on_node_configured == (Action("s3://b/q.sh", ("x",)),)
    assert not config.queue("q2").custom_actions
    assert NodeConfig.from_dict(config.to_dict()) == config


@pytest.mark.parametrize(
    ("head", "queue", "message"),
    [
        (
            {"on_node_start": [{"script": "ftp://h/x"}]},
            None,
            r"\$\.head_node\.custom_actions\.on_node_start\[0\]\.script: 'ftp://h/x' is neither s3:// nor https://",
        ),
        ({"on_node_start": [{"script": "s3://bucket"}]}, None, "names no object: use s3://BUCKET/KEY"),
        ({"on_boot": []}, None, r"\$\.head_node\.custom_actions: unknown key\(s\) on_boot"),
        (
            None,
            {"on_node_updated": [{"script": "s3://b/u.sh"}]},
            r"\$\.queues\[0\]\.custom_actions\.on_node_updated: not run here",
        ),
        ({"on_node_start": [{"script": "s3://b/k", "args": [1]}]}, None, "expected a list of strings"),
    ],
)
def test_scripts_a_node_cannot_run_are_refused_with_their_json_path(
    head: dict[str, Any] | None, queue: dict[str, Any] | None, message: str
) -> None:
    document = config_dict(queues=queues(queue), **({"head_node": head_actions(**head)} if head else {}))
    with pytest.raises(ConfigError, match=message):
        NodeConfig.from_dict(document)


@pytest.fixture
def bucket(moto: None) -> Any:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="scripts")
    return s3


def put_script(s3: Any, key: str, log: Path, status: int = 0) -> str:
    s3.put_object(Bucket="scripts", Key=key, Body=RECORDER.format(log=log, status=status).encode())
    return f"s3://scripts/{key}"


def test_a_sequence_runs_in_order_with_each_scripts_own_arguments(bucket: Any, tmp_path: Path) -> None:
    log = tmp_path / "ran.log"
    actions = [
        Action(put_script(bucket, "one.sh", log), ("R curl wget", "arg2")),
        Action(put_script(bucket, "dir/two.sh", log)),
    ]
    assert run_actions(actions, "on_node_start", bucket, workdir=str(tmp_path)) == 2
    lines = log.read_text().splitlines()
    assert [line.split("|")[1:] for line in lines] == [["R curl wget", "arg2", ""], [""]]
    assert lines[0].split("|")[0].endswith("on_node_start-1") and lines[1].split("|")[0].endswith(
        "on_node_start-2"
    )


def test_a_failing_script_stops_the_sequence_and_names_its_exit_status(bucket: Any, tmp_path: Path) -> None:
    log = tmp_path / "ran.log"
    actions = [
        Action(put_script(bucket, "bad.sh", log, status=3)),
        Action(put_script(bucket, "never.sh", log)),
    ]
    with pytest.raises(
        CustomActionError, match=r"OnNodeConfigured script 1 \(s3://scripts/bad.sh\) exited with status 3"
    ):
        run_actions(actions, "on_node_configured", bucket, workdir=str(tmp_path))
    assert len(log.read_text().splitlines()) == 1


def test_a_missing_script_fails_before_any_script_has_run(bucket: Any, tmp_path: Path) -> None:
    log = tmp_path / "ran.log"
    actions = [Action(put_script(bucket, "ok.sh", log)), Action("s3://scripts/missing.sh")]
    with pytest.raises(
        CustomActionError, match=r"OnNodeStart script 2: cannot fetch s3://scripts/missing\.sh"
    ):
        run_actions(actions, "on_node_start", bucket, workdir=str(tmp_path))
    assert not log.exists()


def test_https_scripts_are_fetched_without_the_node_role(tmp_path: Path) -> None:
    log = tmp_path / "ran.log"
    fetched: list[str] = []

    def opener(url: str) -> io.BytesIO:
        fetched.append(url)
        return io.BytesIO(RECORDER.format(log=log, status=0).encode())

    run_actions(
        [Action("https://example.com/x.sh", ("1",))],
        "on_node_start",
        s3=None,
        workdir=str(tmp_path),
        opener=opener,
    )
    assert fetched == ["https://example.com/x.sh"]
    assert log.read_text().split("|")[1:] == ["1", "\n"]


def test_a_compute_node_runs_its_own_queues_scripts_and_a_login_node_none() -> None:
    config = NodeConfig.from_dict(
        config_dict(
            head_node=head_actions(on_node_start=[{"script": "s3://b/head.sh"}]),
            queues=queues({"on_node_start": [{"script": "s3://b/q1.sh"}]}),
        )
    )
    assert custom_actions_of(config, "on_node_start", "head", None) == (Action("s3://b/head.sh"),)
    assert custom_actions_of(config, "on_node_start", "compute", "q1-dy-c5-3") == (Action("s3://b/q1.sh"),)
    assert custom_actions_of(config, "on_node_start", "compute", "q2-st-c5-1") == ()
    assert custom_actions_of(config, "on_node_configured", "compute", "q1-dy-c5-3") == ()
    assert custom_actions_of(config, "on_node_start", "login", None) == ()


def test_the_boot_step_fails_in_one_line_when_a_script_fails(
    bucket: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "ran.log"
    good = put_script(bucket, "good.sh", log)
    bad = put_script(bucket, "bad.sh", log, status=7)
    path = tmp_path / "node-config.json"
    path.write_text(
        json.dumps(
            config_dict(
                head_node=head_actions(on_node_start=[{"script": good}]),
                queues=queues({"on_node_configured": [{"script": bad}]}),
            )
        )
    )
    monkeypatch.setenv(ENV_VAR, str(path))
    assert main(["custom-action", "on-node-start", "head"]) == 0
    assert main(["custom-action", "on-node-start", "compute", "--node", "q1-dy-c5-1"]) == 0
    assert len(log.read_text().splitlines()) == 1
    assert main(["custom-action", "on-node-configured", "compute", "--node", "q1-dy-c5-1"]) == 1
    assert capsys.readouterr().err.strip() == (
        "custom action failed: OnNodeConfigured script 1 (s3://scripts/bad.sh) exited with status 7"
    )
    assert main(["custom-action", "on-node-start", "compute"]) == 1


def test_the_bootstrap_runs_on_node_start_before_setup_and_on_node_configured_before_slurmd() -> None:
    main_part = SCRIPT[SCRIPT.index("\ninstall_packages\n") :]
    order = [
        "fetch_runtime",
        "find_node_name",
        "custom_action on-node-start",
        "node_setup storage",
        "setup_munge",
        "custom_action on-node-configured",
        "systemctl enable --now pcluster-pulumi-slurmd",
    ]
    positions = [main_part.index(step) for step in order]
    assert positions == sorted(positions)
