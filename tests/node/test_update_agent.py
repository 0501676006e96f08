"""The update agent's transaction against moto (S3, DynamoDB, EC2) with a scripted controller.

The real controller (Slurm's parser, reconfigure, restart) is exercised by
``tests/integration/test_updates.py``; here the controller only records what it is asked and
fails on demand, so every branch of the transaction — adopt, apply, refuse, roll back,
upgrade — is checked on the files it leaves and the records it writes.
"""

from __future__ import annotations

import copy
import json
import tarfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest

from pcluster_pulumi.contract.config import NodeConfig
from pcluster_pulumi.contract.slurm_layout import SlurmLayout
from pcluster_pulumi.contract.update_report import UpdateReport
from pcluster_pulumi.derive.node_package import build_node_package
from pcluster_pulumi.node import fleet_status
from pcluster_pulumi.node.aws import Clients
from pcluster_pulumi.node.custom_actions import CustomActionError
from pcluster_pulumi.node.records import NodeRecord, put_records
from pcluster_pulumi.node.slurm_files import write_all
from pcluster_pulumi.node.update_agent import UpdateAgent
from pcluster_pulumi.node.update_files import LiveFiles
from pcluster_pulumi.node.update_package import install_package
from pcluster_pulumi.node.update_slurmctld import Controller, ControllerError, last_complaint
from pcluster_pulumi.node.update_source import ConfigSource, config_key, read_state
from pcluster_pulumi.node.update_status import get_status

from .factories import compute_resource, facts
from .fake_slurm import FakeSlurm
from .provision import running_instances, table_items

BUCKET = "pcluster-demo-artifacts"
KEY = "pcluster-pulumi/demo/config/node-config.json"


@dataclass
class ScriptedController(Controller):
    """Records requests; partitions answer from the live slurm.conf; fails where told."""

    conf: Path = Path("/nonexistent")
    calls: list[str] = field(default_factory=list)
    failing: set[str] = field(default_factory=set)

    def _step(self, name: str) -> None:
        self.calls.append(name)
        if name in self.failing:
            self.failing.discard(name)  # the rollback's own restart succeeds
            raise ControllerError(f"{name} failed: fatal: scripted")

    def check_files(self, slurm_conf: Path) -> None:
        self._step("check")

    def reconfigure(self) -> None:
        self._step("reconfigure")

    def restart(self) -> None:
        self._step("restart")

    def answering(self) -> bool:
        return True

    def partitions(self) -> set[str]:
        lines = self.conf.read_text().splitlines()
        return {line.split()[0].split("=", 1)[1] for line in lines if line.startswith("PartitionName=")}

    def set_node_state(self, nodes: Any, state: str, reason: str) -> None:
        self.calls.append(f"{state} {','.join(nodes)}")


@dataclass
class Head:
    """A head node in a temp dir: live files, the agent, and moto holding bucket and tables."""

    agent: UpdateAgent
    controller: ScriptedController
    config: NodeConfig
    document: dict[str, Any]
    layout: SlurmLayout
    config_path: Path
    scripts: list[str]
    clients: Clients

    def write(self, document: dict[str, Any]) -> str:
        text = json.dumps(document, indent=2, sort_keys=True) + "\n"
        put = boto3.client("s3", region_name="us-east-1").put_object(
            Bucket=BUCKET, Key=KEY, Body=text.encode()
        )
        return str(put["ETag"]).strip('"')

    def report(self) -> UpdateReport | None:
        return get_status(boto3.client("dynamodb", region_name="us-east-1"), self.config.tables.status_table)

    def edited(self, edit: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
        document = copy.deepcopy(self.document)
        edit(document)
        return document


@pytest.fixture
def head(cluster: Callable[..., NodeConfig], tmp_path: Path) -> Head:
    queues = [
        {
            "name": name,
            "subnet_ids": ["subnet-1"],
            "compute_resources": [compute_resource("demo", name, "c5", [facts("c5.large")], max_count=2)],
        }
        for name in ("q1", "q2")
    ]
    config = cluster(queues=queues, bucket=BUCKET)
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
    layout = SlurmLayout(controller_hostname="head", conf_dir=tmp_path / "etc", log_dir=tmp_path / "log")
    write_all(config, layout)
    config_path = tmp_path / "node-config.json"
    config_path.write_text(config.to_json())
    controller = ScriptedController(conf=layout.slurm_conf)
    scripts: list[str] = []
    clients = Clients("us-east-1")

    def run_scripts(actions: Any, event: str, s3: Any) -> int:
        scripts.append(event)
        if any("fails" in a.script for a in actions):
            raise CustomActionError("OnNodeUpdated script 1 (s3://b/fails.sh) exited with status 3")
        return len(actions)

    agent = UpdateAgent(
        clients=clients,
        slurm=FakeSlurm(),
        files=LiveFiles(layout, config_path),
        controller=controller,
        source=ConfigSource(BUCKET, KEY),
        run_scripts=run_scripts,
    )
    head = Head(agent, controller, config, config.to_dict(), layout, config_path, scripts, clients)
    head.write(head.document)
    return head


def test_the_first_pass_adopts_the_boot_document_and_later_passes_cost_one_conditional_get(
    head: Head,
) -> None:
    outcome = head.agent.check(head.config)
    assert outcome is not None and outcome.status == "APPLIED" and outcome.summary == "no change"
    assert head.controller.calls == [] and head.scripts == []
    report = head.report()
    assert report is not None and report.status == "APPLIED" and report.applied_etag == report.config_etag
    state = read_state()
    assert state is not None and state.etag == report.config_etag
    assert head.agent.check(head.config) is None


def test_a_grown_queue_restarts_slurmctld_swaps_every_file_and_runs_on_node_updated(head: Head) -> None:
    head.agent.check(head.config)

    def edit(d: dict[str, Any]) -> None:
        d["queues"][0]["compute_resources"][0]["max_count"] = 4
        d["head_node"]["custom_actions"] = {"on_node_updated": [{"script": "s3://b/ok.sh", "args": []}]}

    document = head.edited(edit)
    etag = head.write(document)
    outcome = head.agent.check(head.config)
    assert outcome is not None
    assert outcome.status == "APPLIED", outcome.reason
    assert outcome.config.queue("q1").compute_resources[0].max_count == 4
    assert head.controller.calls == ["check", "restart"]
    assert "NodeName=q1-dy-c5-[1-4]" in head.layout.slurm_conf.read_text()
    assert NodeConfig.load(head.config_path) == outcome.config
    assert head.scripts == ["on_node_updated"]
    report = head.report()
    assert report is not None and (report.status, report.config_etag, report.summary) == (
        "APPLIED",
        etag,
        "q1/c5 +2 node(s); other settings: HeadNode",
    )


def test_a_live_setting_only_reconfigures(head: Head) -> None:
    head.agent.check(head.config)
    head.write(head.edited(lambda d: d.setdefault("scheduler", {}).update(scaledown_idletime_seconds=120)))
    outcome = head.agent.check(head.config)
    assert outcome is not None and outcome.status == "APPLIED"
    assert head.controller.calls == ["check", "reconfigure"]
    assert "SuspendTime=120" in head.layout.slurm_conf.read_text()


def test_a_document_the_strict_reader_refuses_touches_nothing(head: Head) -> None:
    head.agent.check(head.config)
    before = head.layout.slurm_conf.read_text()
    head.write(head.edited(lambda d: d["queues"][0]["compute_resources"][0].update(max_count="many")))
    outcome = head.agent.check(head.config)
    assert outcome is not None and outcome.status == "FAILED"
    assert outcome.reason == (
        "invalid runtime configuration: "
        "$.queues[0].compute_resources[0].max_count: expected an integer, got str"
    )
    assert outcome.config is head.config and head.controller.calls == []
    assert head.layout.slurm_conf.read_text() == before
    assert head.agent.check(head.config) is None  # a failed object is not retried until `up` writes another


def test_files_slurms_parser_refuses_never_go_live(head: Head) -> None:
    head.agent.check(head.config)
    before = head.layout.slurm_conf.read_text()
    head.controller.failing.add("check")
    head.write(head.edited(lambda d: d["queues"][0]["compute_resources"][0].update(max_count=3)))
    outcome = head.agent.check(head.config)
    assert outcome is not None and outcome.status == "FAILED" and "check failed" in outcome.reason
    assert head.layout.slurm_conf.read_text() == before
    assert not (head.layout.conf_dir / ".pcluster-pulumi-staging").exists()


def test_a_failing_on_node_updated_rolls_every_file_back_and_restarts_on_them(head: Head) -> None:
    head.agent.check(head.config)
    conf, config_text = head.layout.slurm_conf.read_text(), head.config_path.read_text()

    def edit(d: dict[str, Any]) -> None:
        d["queues"][0]["compute_resources"][0]["max_count"] = 3
        d["head_node"]["custom_actions"] = {"on_node_updated": [{"script": "s3://b/fails.sh", "args": []}]}

    head.write(head.edited(edit))
    outcome = head.agent.check(head.config)
    assert outcome is not None and outcome.status == "FAILED"
    assert outcome.reason == (
        "OnNodeUpdated script 1 (s3://b/fails.sh) exited with status 3"
        " (rolled back to the previous configuration)"
    )
    assert head.controller.calls == ["check", "restart", "restart"]
    assert head.layout.slurm_conf.read_text() == conf and head.config_path.read_text() == config_text
    report = head.report()
    assert report is not None and report.status == "FAILED" and report.applied_etag != report.config_etag


def test_a_controller_that_dies_on_the_new_files_is_brought_back_on_the_old_ones(head: Head) -> None:
    head.agent.check(head.config)
    conf = head.layout.slurm_conf.read_text()
    head.controller.failing.add("reconfigure")
    head.write(head.edited(lambda d: d.setdefault("scheduler", {}).update(scaledown_idletime_seconds=60)))
    outcome = head.agent.check(head.config)
    assert outcome is not None and outcome.status == "FAILED"
    assert outcome.reason.startswith("reconfigure failed: fatal: scripted")
    assert head.controller.calls == ["check", "reconfigure", "reconfigure"]
    assert head.layout.slurm_conf.read_text() == conf


def test_a_removed_queue_is_powered_down_first_then_its_instances_and_records_go(head: Head) -> None:
    head.agent.check(head.config)
    slurm = head.agent.slurm
    assert isinstance(slurm, FakeSlurm)
    slurm.add(["q2-dy-c5-1"], "ALLOCATED", "CLOUD")
    slurm.add(["q1-dy-c5-1"], "IDLE", "CLOUD")
    ec2 = boto3.client("ec2", region_name="us-east-1")
    launched = [
        ec2.run_instances(LaunchTemplate={"LaunchTemplateName": f"demo-{q}-c5"}, MinCount=1, MaxCount=1)
        for q in ("q1", "q2")
    ]
    q1_id, q2_id = (r["Instances"][0]["InstanceId"] for r in launched)
    put_records(
        head.clients,
        head.config,
        [
            NodeRecord("q1-dy-c5-1", q1_id, "10.0.0.1", "ip-10-0-0-1", 1.0),
            NodeRecord("q2-dy-c5-1", q2_id, "10.0.0.2", "ip-10-0-0-2", 1.0),
        ],
    )
    head.write(head.edited(lambda d: d["queues"].pop()))
    outcome = head.agent.check(head.config)
    assert outcome is not None
    assert outcome.status == "APPLIED", outcome.reason
    assert head.controller.calls[:2] == ["check", "power_down_force q2-dy-c5-1"]
    assert head.controller.calls[2] == "restart"
    assert set(table_items(head.config)) == {"q1-dy-c5-1"}
    assert set(running_instances(head.config)) == {q1_id}


def test_a_new_node_package_is_installed(head: Head) -> None:
    head.agent.check(head.config)
    installed: list[tuple[str, str]] = []

    def install(clients: Clients, bucket: str, key: str) -> Path:
        installed.append((bucket, key))
        return Path("/opt/pcluster-pulumi/lib/pcluster_pulumi")

    head.agent.install = install
    refreshed: list[Path] = []
    head.agent.refresh_boot_files = refreshed.append
    head.write(head.edited(lambda d: d.update(node_package_key="pkg.tar.gz", node_package_version="abc")))
    outcome = head.agent.check(head.config)
    assert outcome is not None and outcome.package_upgraded and installed == [(BUCKET, "pkg.tar.gz")]
    assert outcome.summary == "node package upgraded"
    assert refreshed == [Path("/opt/pcluster-pulumi/lib/pcluster_pulumi")]


def test_install_package_swaps_the_library_and_refuses_what_is_not_a_node_package(
    moto: None, tmp_path: Path
) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(
        Bucket=BUCKET, Key="pkg.tar.gz", Body=build_node_package(tmp_path / "p.tar.gz").read_bytes()
    )
    lib = tmp_path / "lib"
    (lib / "pcluster_pulumi").mkdir(parents=True)
    (lib / "pcluster_pulumi" / "stale.py").write_text("old = True\n")
    live = install_package(Clients("us-east-1"), BUCKET, "pkg.tar.gz", lib=lib)
    assert (live / "node" / "update_agent.py").is_file() and not (live / "stale.py").exists()
    with tarfile.open(tmp_path / "other.tar.gz", "w:gz") as archive:
        archive.add(tmp_path / "p.tar.gz", arcname="something/else")
    s3.put_object(Bucket=BUCKET, Key="bad.tar.gz", Body=(tmp_path / "other.tar.gz").read_bytes())
    with pytest.raises(ValueError, match="is not a node package"):
        install_package(Clients("us-east-1"), BUCKET, "bad.tar.gz", lib=lib)
    assert (live / "node" / "update_agent.py").is_file()


def test_the_config_key_comes_from_the_environment_or_the_bootstrap_env(tmp_path: Path) -> None:
    env_file = tmp_path / "bootstrap.env"
    env_file.write_text("ROLE=head\nCONFIG_KEY='pcluster-pulumi/demo/config/node-config.json'\n")
    assert config_key({"PCLUSTER_PULUMI_BOOTSTRAP_ENV": str(env_file)}) == KEY
    assert (
        config_key({"PCLUSTER_PULUMI_CONFIG_KEY": "k", "PCLUSTER_PULUMI_BOOTSTRAP_ENV": str(env_file)}) == "k"
    )
    assert config_key({"PCLUSTER_PULUMI_BOOTSTRAP_ENV": str(tmp_path / "missing")}) is None


def test_the_reason_slurmctld_gives_is_its_last_fatal_line_and_the_errors_before_it(tmp_path: Path) -> None:
    log = tmp_path / "slurmctld.log"
    log.write_text("[t] error: an old complaint\n")
    offset = log.stat().st_size
    with log.open("a") as handle:
        handle.write(
            "[t] debug: starting\n[t] error: cannot find sched plugin for sched/x\n"
            "[t] error: cannot create sched context for sched/x\n"
            "[t] fatal: Failed to initialize sched plugin\n"
        )
    assert last_complaint(log, offset) == (
        "error: cannot find sched plugin for sched/x; error: cannot create sched context for sched/x; "
        "fatal: Failed to initialize sched plugin"
    )
    assert last_complaint(log, log.stat().st_size) is None


def test_new_head_storage_is_mounted_before_the_swap_and_removed_storage_unmounted_after(head: Head) -> None:
    head.agent.check(head.config)
    events: list[str] = []
    head.agent.mount = lambda config: events.append(f"mount {[m['mount_dir'] for m in config.mounts]}")
    head.agent.unmount = lambda dirs: events.append(f"unmount {list(dirs)}")
    efs = {"mount_dir": "/data", "kind": "efs", "source": "fs-1.efs:/", "roles": ["head", "compute"]}
    head.write(head.edited(lambda d: d.update(mounts=[efs])))
    outcome = head.agent.check(head.config)
    assert outcome is not None and outcome.status == "APPLIED"
    assert events == ["mount ['/data']"]
    assert "mount /data added" in outcome.summary and "q1/c5 replaced (shared storage)" in outcome.summary
    head.write(head.edited(lambda d: d.update(mounts=[])))
    outcome = head.agent.check(outcome.config)
    assert outcome is not None and outcome.status == "APPLIED"
    assert events == ["mount ['/data']", "unmount ['/data']"]


def test_a_stopped_fleet_keeps_its_partitions_inactive_through_an_update(head: Head) -> None:
    head.agent.check(head.config)
    fleet_status.write_local(fleet_status.STOPPED)
    head.write(head.edited(lambda d: d["queues"][0]["compute_resources"][0].update(max_count=3)))
    outcome = head.agent.check(head.config)
    assert outcome is not None and outcome.status == "APPLIED"
    slurm = head.agent.slurm
    assert isinstance(slurm, FakeSlurm)
    assert slurm.partitions == {"q1": "INACTIVE", "q2": "INACTIVE"}


def test_the_report_names_the_object_in_effect_across_several_failures(head: Head) -> None:
    head.agent.check(head.config)
    grown = head.edited(lambda d: d["queues"][0]["compute_resources"][0].update(max_count=3))
    applied = head.write(grown)
    outcome = head.agent.check(head.config)
    assert outcome is not None and outcome.status == "APPLIED"
    for bad in ("many", "lots"):
        document = copy.deepcopy(grown)
        document["queues"][0]["compute_resources"][0]["max_count"] = bad
        failed = head.write(document)
        assert head.agent.check(outcome.config) is not None
        report = head.report()
        assert report is not None and (report.status, report.config_etag) == ("FAILED", failed)
        assert report.applied_etag == applied
