"""The deployment commands: exit codes, the missing-CLI line, safe updates and the fleet.

No Pulumi CLI exists here, so every command is first run without one (one line, exit 1).
The update flow is then driven through a stand-in ``ClusterStack`` that replays recorded
engine events, while the fleet status item and EC2 are moto's, so ``--stop-fleet`` and
``destroy`` are checked against real DynamoDB/EC2 state.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
import yaml
from moto import mock_aws
from typer.testing import CliRunner

from pcluster_pulumi.cli import app, session, stack, update_gate
from pcluster_pulumi.contract import names
from pcluster_pulumi.engines.automation import stack as automation
from pcluster_pulumi.engines.automation.stack import SPEC_OUTPUT, DeployError, resolve_backend

from ..engines.automation.test_progress import PREVIEW_EVENTS, UP_EVENTS, events

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "slurm-minimal.yaml"
INSTALL = "curl -fsSL https://get.pulumi.com | sh"
runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home without ~/.pulumi, a PATH without pulumi, fake AWS credentials, a passphrase."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    for key in ("PULUMI_BACKEND_URL", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_REGION"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "test")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("COLUMNS", "200")  # tables on one line each, as a wide terminal shows them
    return home


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "cluster.yaml"
    path.write_text(EXAMPLE.read_text())
    return path


def edited(config: Path, old: str, new: str) -> Path:
    text = config.read_text()
    assert old in text
    path = config.with_name("new.yaml")
    path.write_text(text.replace(old, new))
    return path


# --- no Pulumi CLI: one line, exit 1, for every command that needs it ----------------------

NEEDS_CLI = [
    ["preview", "{config}", "-n", "demo"],
    ["preview", "{config}", "-n", "demo", "--json"],
    ["up", "{config}", "-n", "demo", "--yes"],
    ["destroy", "-n", "demo", "--yes"],
    ["refresh", "-n", "demo"],
    ["outputs", "-n", "demo"],
    ["outputs", "-n", "demo", "--json"],
    ["list"],
    ["ssh", "-n", "demo"],
]


@pytest.mark.parametrize("args", NEEDS_CLI, ids=lambda a: " ".join(a[:1] + a[-1:]))
def test_without_the_pulumi_cli_every_command_prints_one_line_and_exits_1(
    args: list[str], home: Path, config: Path
) -> None:
    result = runner.invoke(app, [a.format(config=config) for a in args])
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert INSTALL in lines[0]
    assert "Traceback" not in result.stderr


def test_update_compute_fleet_needs_no_pulumi_cli(home: Path) -> None:
    with mock_aws():
        make_status_table()
        result = runner.invoke(
            app, ["update-compute-fleet", "-n", "demo", "--status", "STOP", "--region", "us-east-1"]
        )
    assert result.exit_code == 0, result.output
    assert "compute fleet of demo: RUNNING → STOP_REQUESTED" in result.stdout


def test_a_real_process_without_pulumi_has_no_traceback(home: Path, config: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "pcluster_pulumi.cli", "up", str(config), "-n", "demo", "--yes"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/nonexistent", "HOME": str(home), "PULUMI_CONFIG_PASSPHRASE": "x"},
    )
    assert completed.returncode == 1
    assert completed.stderr.count("\n") == 1 and INSTALL in completed.stderr
    assert "Traceback" not in completed.stderr


# --- spec problems and usage errors ---------------------------------------------------------


def test_spec_problems_print_as_located_lines_and_exit_1(home: Path, config: Path) -> None:
    broken = edited(config, "MaxCount: 10", "MaxCount: lots")
    result = runner.invoke(app, ["up", str(broken), "-n", "demo", "--yes"])
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{broken}:22:21: ")
    assert "Scheduling.SlurmQueues[0].ComputeResources[0].MaxCount" in result.stdout
    assert "invalid (1 error)" in result.stderr
    assert INSTALL not in result.stderr  # the config is judged before the CLI is looked for


@pytest.mark.parametrize(
    "args",
    [
        ["up", "{config}"],  # no -n
        ["preview", "{config}", "-n", "9lives"],
        ["destroy", "-n", "a_b"],
        ["up", "missing.yaml", "-n", "demo"],
        ["update-compute-fleet", "-n", "demo", "--status", "PAUSE"],
        ["outputs"],
    ],
)
def test_usage_errors_exit_2(args: list[str], home: Path, config: Path) -> None:
    result = runner.invoke(app, [a.format(config=config) for a in args])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output


def test_no_region_is_one_line(home: Path, config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    result = runner.invoke(app, ["update-compute-fleet", "-n", "demo", "--status", "STOP"])
    assert result.exit_code == 1
    assert result.stderr.startswith("pcluster-pulumi: no AWS region: set `Region:` in the cluster config")
    assert result.stderr.count("\n") == 1


# --- update-compute-fleet against moto ------------------------------------------------------


def make_status_table(status: str | None = None, cluster: str = "demo") -> Any:
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    table = names.status_table_name(cluster)
    dynamodb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "Id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "Id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    if status is not None:
        set_item(status, cluster)
    return dynamodb


def set_item(status: str, cluster: str = "demo") -> None:
    boto3.client("dynamodb", region_name="us-east-1").put_item(
        TableName=names.status_table_name(cluster),
        Item={"Id": {"S": names.COMPUTE_FLEET_ITEM_ID}, "Data": {"M": {"status": {"S": status}}}},
    )


def item(cluster: str = "demo") -> str | None:
    response = boto3.client("dynamodb", region_name="us-east-1").get_item(
        TableName=names.status_table_name(cluster), Key={"Id": {"S": names.COMPUTE_FLEET_ITEM_ID}}
    )
    found = response.get("Item")
    return found["Data"]["M"]["status"]["S"] if found else None


@pytest.fixture
def moto(home: Path) -> Iterator[None]:
    with mock_aws():
        yield


def fleet(*args: str) -> Any:
    return runner.invoke(app, ["update-compute-fleet", "-n", "demo", *args])


def test_stop_writes_stop_requested_for_the_keeper(moto: None) -> None:
    make_status_table("RUNNING")
    result = fleet("--status", "STOP", "--region", "us-east-1")
    assert result.exit_code == 0, result.output
    assert item() == "STOP_REQUESTED"


def test_parallelcluster_spelling_is_accepted(moto: None) -> None:
    make_status_table("STOPPED")
    assert fleet("--status", "start_requested", "--region", "us-east-1").exit_code == 0
    assert item() == "START_REQUESTED"


def test_a_request_already_satisfied_writes_nothing(moto: None) -> None:
    make_status_table("STOPPED")
    result = fleet("--status", "STOP", "--region", "us-east-1")
    assert result.exit_code == 0
    assert "already STOPPED" in result.stdout
    assert item() == "STOPPED"


def test_starting_while_stopping_is_refused(moto: None) -> None:
    make_status_table("STOPPING")
    result = fleet("--status", "START", "--region", "us-east-1")
    assert result.exit_code == 1
    assert "still stopping (STOPPING); wait until it is STOPPED" in result.stderr
    assert item() == "STOPPING"


def test_region_comes_from_the_deployed_stack(moto: None, home: Path) -> None:
    work_dir = resolve_backend(None, {}, home).work_dir
    work_dir.mkdir(parents=True)
    (work_dir / "Pulumi.demo.yaml").write_text("config:\n  aws:region: us-east-1\n")
    make_status_table()
    result = runner.invoke(
        app, ["update-compute-fleet", "-n", "demo", "--status", "STOP"], env={"AWS_DEFAULT_REGION": ""}
    )
    assert result.exit_code == 0, result.output
    assert item() == "STOP_REQUESTED"


def test_an_undeployed_cluster_is_one_line(moto: None) -> None:
    result = fleet("--status", "STOP", "--region", "us-east-1")
    assert result.exit_code == 1
    assert "has no fleet status table parallelcluster-demo in us-east-1" in result.stderr


def fake_keeper(target: str = "STOPPED") -> threading.Thread:
    """Walks STOP_REQUESTED → STOPPING → STOPPED like the head node's keeper, then stops watching."""
    steps = {"STOP_REQUESTED": "STOPPING", "STOPPING": "STOPPED", "START_REQUESTED": "RUNNING"}

    def run() -> None:
        for _ in range(400):
            current = item()
            if current in steps:
                set_item(steps[current])
                if steps[current] == target:
                    return
            threading.Event().wait(0.005)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_wait_follows_the_keeper_to_stopped(moto: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(update_gate, "POLL_SECONDS", 0.01)
    make_status_table("RUNNING")
    keeper = fake_keeper()
    result = fleet("--status", "STOP", "--region", "us-east-1", "--wait")
    keeper.join(5)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "compute fleet of demo: STOPPED"


# --- the update flow through a stand-in stack -----------------------------------------------


class FakeStack:
    """Stands in for ClusterStack: replays recorded events, records calls and the fleet state."""

    deployed: str | None = None
    calls: list[str] = []
    fleet_during_up: list[str | None] = []
    fail_up: bool = False
    track_fleet: bool = False
    stored_outputs: dict[str, Any] = {}

    def __init__(self, name: str, config: str | None = None, **_: Any) -> None:
        self.name, self.config = name, config

    def deployed_config(self) -> str | None:
        return self.deployed

    def preview(self, on_event: Callable[[Any], None] | None = None, *, diff: bool = False) -> Any:
        self.calls.append("preview")
        for event in events(PREVIEW_EVENTS):
            if on_event:
                on_event(event)
        return SimpleNamespace(
            change_summary={"create": 1, "replace": 1, "delete": 1, "same": 40}, stdout="~ diff"
        )

    def up(self, on_event: Callable[[Any], None] | None = None) -> Any:
        self.calls.append("up")
        if self.track_fleet:
            self.fleet_during_up.append(item())
        if self.fail_up:
            raise DeployError("pulumi failed (exit 255): aws:ec2:Instance (demo-head-node-instance): boom")
        for event in events(UP_EVENTS):
            if on_event:
                on_event(event)
        return SimpleNamespace(outputs=self.outputs())

    def outputs(self) -> dict[str, Any]:
        self.calls.append("outputs")
        return self.stored_outputs

    def destroy(self, on_event: Callable[[Any], None] | None = None) -> Any:
        self.calls.append("destroy")
        return SimpleNamespace()

    @property
    def region(self) -> str:
        return "us-east-1"


def output(value: Any, secret: bool = False) -> Any:
    return SimpleNamespace(value=value, secret=secret)


@pytest.fixture
def stand_in(home: Path, monkeypatch: pytest.MonkeyPatch) -> type[FakeStack]:
    monkeypatch.setattr(session, "find_pulumi", lambda: Path("/usr/bin/pulumi"))
    monkeypatch.setattr(session, "ClusterStack", FakeStack)
    monkeypatch.setattr(update_gate, "ClusterStack", FakeStack)
    monkeypatch.setattr(update_gate, "POLL_SECONDS", 0.01)
    # The AWS pre-flight has its own tests against moto (tests/spec/aws/test_cli_preflight.py).
    monkeypatch.setattr(stack, "_preflight", lambda *args: None)
    FakeStack.deployed, FakeStack.calls, FakeStack.fleet_during_up = None, [], []
    FakeStack.fail_up = FakeStack.track_fleet = False
    FakeStack.stored_outputs = {
        "headNodePrivateIp": output("10.0.0.5"),
        "dbPassword": output("x", secret=True),
    }
    return FakeStack


def test_up_of_a_new_cluster_previews_then_deploys(stand_in: type[FakeStack], config: Path) -> None:
    result = runner.invoke(app, ["up", str(config), "-n", "demo", "--yes"])
    assert result.exit_code == 0, result.output
    assert stand_in.calls == ["preview", "up", "outputs"]
    assert "not deployed yet" in result.stdout
    assert "update of demo: 4 create, 1 update" in result.stdout
    assert "10.0.0.5" in result.stdout and "[secret]" in result.stdout
    assert "pcluster-pulumi ssh -n demo" in result.stdout


def test_up_without_yes_and_without_a_terminal_is_a_usage_error(
    stand_in: type[FakeStack], config: Path
) -> None:
    result = runner.invoke(app, ["up", str(config), "-n", "demo"])
    assert result.exit_code == 2
    assert "pass --yes" in result.stderr
    assert "up" not in stand_in.calls


def test_up_refuses_a_change_that_replaces_the_head_node(stand_in: type[FakeStack], config: Path) -> None:
    stand_in.deployed = config.read_text()
    new = edited(config, "InstanceType: t3.medium", "InstanceType: t3.large")
    result = runner.invoke(app, ["up", str(new), "-n", "demo", "--yes"])
    assert result.exit_code == 1
    assert "HeadNode.InstanceType" in result.stdout and "replaces (unsupported)" in result.stdout
    assert "cannot be made in place" in result.stderr and "--force" in result.stderr
    assert stand_in.calls == []


def test_force_applies_it_anyway(stand_in: type[FakeStack], config: Path) -> None:
    stand_in.deployed = config.read_text()
    new = edited(config, "InstanceType: t3.medium", "InstanceType: t3.large")
    result = runner.invoke(app, ["up", str(new), "-n", "demo", "--yes", "--force"])
    assert result.exit_code == 0, result.output
    assert "up" in stand_in.calls


def test_fleet_stop_change_is_refused_while_the_fleet_runs(
    stand_in: type[FakeStack], config: Path, moto: None
) -> None:
    make_status_table("RUNNING")
    stand_in.deployed = config.read_text()
    new = edited(config, "MaxCount: 10", "MaxCount: 5")
    result = runner.invoke(app, ["up", str(new), "-n", "demo", "--yes"])
    assert result.exit_code == 1
    assert "compute fleet stopped" in result.stdout
    assert "--stop-fleet" in result.stderr
    assert "up" not in stand_in.calls


def test_stop_fleet_stops_applies_and_starts_again(
    stand_in: type[FakeStack], config: Path, moto: None
) -> None:
    make_status_table("RUNNING")
    stand_in.deployed = config.read_text()
    stand_in.track_fleet = True
    new = edited(config, "MaxCount: 10", "MaxCount: 5")
    keeper = fake_keeper()
    result = runner.invoke(app, ["up", str(new), "-n", "demo", "--yes", "--stop-fleet"])
    keeper.join(5)
    assert result.exit_code == 0, result.output
    assert stand_in.fleet_during_up == ["STOPPED"]
    assert item() == "START_REQUESTED"
    assert "compute fleet: RUNNING → STOP_REQUESTED" in result.stderr
    assert "compute fleet: STOPPED → START_REQUESTED" in result.stderr


def test_a_fleet_the_user_stopped_lets_the_change_through_and_stays_stopped(
    stand_in: type[FakeStack], config: Path, moto: None
) -> None:
    make_status_table("STOPPED")
    stand_in.deployed = config.read_text()
    new = edited(config, "MaxCount: 10", "MaxCount: 5")
    result = runner.invoke(app, ["up", str(new), "-n", "demo", "--yes"])
    assert result.exit_code == 0, result.output
    assert item() == "STOPPED"


def test_a_failed_update_leaves_the_fleet_stopped_and_says_so(
    stand_in: type[FakeStack], config: Path, moto: None
) -> None:
    make_status_table("RUNNING")
    stand_in.deployed = config.read_text()
    stand_in.fail_up = True
    new = edited(config, "MaxCount: 10", "MaxCount: 5")
    keeper = fake_keeper()
    result = runner.invoke(app, ["up", str(new), "-n", "demo", "--yes", "--stop-fleet"])
    keeper.join(5)
    assert result.exit_code == 1
    assert item() == "STOPPED"
    assert "stays STOPPED" in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "pcluster-pulumi: pulumi failed (exit 255): aws:ec2:Instance (demo-head-node-instance): boom"
    )


def test_live_changes_deploy_without_flags(stand_in: type[FakeStack], config: Path) -> None:
    stand_in.deployed = config.read_text()
    new = edited(config, "MaxCount: 10", "MaxCount: 20")
    result = runner.invoke(app, ["up", str(new), "-n", "demo", "--yes"])
    assert result.exit_code == 0, result.output
    assert "1 change to the config: 1 live." in result.stdout


def test_preview_json_has_the_config_changes_and_the_planned_steps(
    stand_in: type[FakeStack], config: Path
) -> None:
    stand_in.deployed = config.read_text()
    new = edited(config, "MaxCount: 10", "MaxCount: 20")
    result = runner.invoke(app, ["preview", str(new), "-n", "demo", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["deployed"] is True
    assert payload["changeSummary"] == {"create": 1, "replace": 1, "delete": 1, "same": 40}
    assert [s["op"] for s in payload["steps"]] == ["create", "replace", "delete"]
    assert (
        payload["updates"][0]["parameter"]
        == "Scheduling.SlurmQueues[compute].ComputeResources[c5xl].MaxCount"
    )
    assert payload["updates"][0]["impact"] == "LIVE"


def test_preview_diff_prints_pulumis_diff(stand_in: type[FakeStack], config: Path) -> None:
    result = runner.invoke(app, ["preview", str(config), "-n", "demo", "--diff"])
    assert result.exit_code == 0, result.output
    assert result.stdout.rstrip().endswith("~ diff")


def test_outputs_json_masks_secrets_and_hides_the_stored_config(stand_in: type[FakeStack]) -> None:
    stand_in.stored_outputs = {**stand_in.stored_outputs, SPEC_OUTPUT: output("Image: ...")}
    result = runner.invoke(app, ["outputs", "-n", "demo", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"dbPassword": "[secret]", "headNodePrivateIp": "10.0.0.5"}


def test_ssh_logs_in_as_the_os_user(stand_in: type[FakeStack], config: Path) -> None:
    ubuntu = config.read_text().replace("Os: alinux2023", "Os: ubuntu2404")
    stand_in.stored_outputs = {"headNodePrivateIp": output("10.0.0.5"), SPEC_OUTPUT: output(ubuntu)}
    result = runner.invoke(app, ["ssh", "-n", "demo", "--dryrun", "-i", "key.pem"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "ssh ubuntu@10.0.0.5 -i key.pem"


def test_list_shows_every_cluster(stand_in: type[FakeStack], monkeypatch: pytest.MonkeyPatch) -> None:

    stacks = [SimpleNamespace(name="b", last_update=None, resource_count=3, update_in_progress=False)]
    monkeypatch.setattr(automation, "list_clusters", lambda url: stacks)
    result = runner.invoke(app, ["list", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [{"name": "b", "lastUpdate": None, "resources": 3}]


# --- destroy ---------------------------------------------------------------------------------


def launch_compute_nodes(count: int) -> list[str]:
    ec2 = boto3.client("ec2", region_name="us-east-1")
    tags = [
        {"Key": names.TAG_CLUSTER_NAME, "Value": "demo"},
        {"Key": names.TAG_NODE_TYPE, "Value": names.NODE_TYPE_COMPUTE},
    ]
    reply = ec2.run_instances(
        ImageId="ami-12345678",
        MinCount=count,
        MaxCount=count,
        TagSpecifications=[{"ResourceType": "instance", "Tags": tags}],
    )
    return [i["InstanceId"] for i in reply["Instances"]]


def states(ids: list[str]) -> set[str]:
    ec2 = boto3.client("ec2", region_name="us-east-1")
    reply = ec2.describe_instances(InstanceIds=ids)
    return {i["State"]["Name"] for r in reply["Reservations"] for i in r["Instances"]}


def test_destroy_lists_data_fates_terminates_nodes_then_destroys(
    stand_in: type[FakeStack], config: Path, moto: None
) -> None:
    data = yaml.safe_load(config.read_text())
    data["SharedStorage"] = [
        {"Name": "scratch", "StorageType": "Ebs", "MountDir": "/scratch", "EbsSettings": {"Size": 100}},
        {
            "Name": "keep",
            "StorageType": "Efs",
            "MountDir": "/keep",
            "EfsSettings": {"DeletionPolicy": "Retain"},
        },
    ]
    stand_in.stored_outputs = {SPEC_OUTPUT: output(yaml.safe_dump(data))}
    make_status_table("RUNNING")
    nodes = launch_compute_nodes(2)
    result = runner.invoke(app, ["destroy", "-n", "demo", "--yes"])
    assert result.exit_code == 0, result.output
    rows = {
        line.split("│")[2].strip(): line.split("│")[1].strip()
        for line in result.stdout.splitlines()
        if "│" in line
    }
    assert rows["EBS volume"] == "deleted"
    assert (
        rows["EFS file system (with its mount targets and security group)"] == "kept (DeletionPolicy Retain)"
    )
    assert "kept: EFS file system" in result.stdout
    assert states(nodes) == {"terminated"}
    assert item() == "STOP_REQUESTED"
    assert stand_in.calls == ["outputs", "destroy"]
    assert "terminated 2 compute instance(s)" in result.stderr


def test_destroy_asks_first(stand_in: type[FakeStack], config: Path) -> None:
    stand_in.stored_outputs = {SPEC_OUTPUT: output(config.read_text())}
    result = runner.invoke(app, ["destroy", "-n", "demo"])
    assert result.exit_code == 2
    assert "Destroy cluster demo and delete 1 data resource(s): refusing" in result.stderr
    assert "destroy" not in stand_in.calls


def test_deployment_errors_are_one_paragraph(
    stand_in: type[FakeStack], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: FakeStack) -> dict[str, Any]:
        raise DeployError("no cluster named 'demo' in file:///state")

    monkeypatch.setattr(FakeStack, "outputs", broken)
    result = runner.invoke(app, ["outputs", "-n", "demo"])
    assert result.exit_code == 1
    assert result.stderr == "pcluster-pulumi: no cluster named 'demo' in file:///state\n"


def test_registered_commands_are_the_documented_ones() -> None:
    names = {c.name for c in app.registered_commands}
    assert {"preview", "up", "destroy", "refresh", "outputs", "list", "update-compute-fleet", "ssh"} <= names
    assert stack.register.__doc__
