"""Day-2 commands on larger and stranger worlds: many pages, S3 export, --follow, no credentials."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from typer.testing import CliRunner

from pcluster_pulumi.cli import app
from pcluster_pulumi.fleet import aws as fleet_aws
from pcluster_pulumi.fleet.times import from_millis
from tests.fleet.world import EPOCH, REGION, build_cluster, millis, put_events

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]


def run(*argv: str) -> Any:
    return runner.invoke(app, list(argv))


def test_every_page_is_listed(aws: str, monkeypatch: pytest.MonkeyPatch) -> None:
    nodes = tuple(f"q1-dy-c5-{i}" for i in range(1, 24))
    world = build_cluster("big", nodes=nodes, login_count=0)
    logs = boto3.client("logs", region_name=REGION)
    for index in range(60):
        logs.create_log_stream(
            logGroupName=world.log_group, logStreamName=f"ip-10-9-0-{index}.i-{index:017x}.slurmd"
        )
    monkeypatch.setattr(fleet_aws, "PAGE_SIZE", 5)

    instances = json.loads(
        run("describe-cluster-instances", "-n", "big", "--node-type", "ComputeNode", "--json").stdout
    )
    streams = json.loads(run("list-cluster-log-streams", "-n", "big", "--json").stdout)["logStreams"]

    assert [i["nodeName"] for i in instances["instances"]] == list(nodes)
    assert {i["nodeName"]: i["instanceId"] for i in instances["instances"]} == world.compute
    assert len(streams) == 60 + len(world.streams)


def test_export_to_s3_drives_a_cloudwatch_export_task(aws: str) -> None:
    world = build_cluster("exp", nodes=("q1-dy-c5-1",), login_count=0)
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="cluster-logs")

    result = run(
        "export-cluster-logs", "-n", "exp", "--bucket", "cluster-logs", "--bucket-prefix", "exp", "--json"
    )
    filtered = run(
        "export-cluster-logs", "-n", "exp", "--bucket", "cluster-logs", "--filters", "node-type=HeadNode"
    )

    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["url"] == "s3://cluster-logs/exp/"
    assert len(payload["tasks"]) == 1
    assert f"export task {payload['tasks'][0]}: COMPLETED" in result.stderr
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="cluster-logs", Prefix="exp/")["Contents"]]
    assert len(keys) == len(world.streams)
    # Filtered: one task per matching stream (an account runs one export task at a time).
    assert filtered.exit_code == 0, filtered.output
    assert filtered.stdout.startswith(f"exported {world.log_group} to s3://cluster-logs/exp-logs-")
    assert "(2 export tasks)" in filtered.stdout


def test_export_options_that_contradict_are_usage_errors(aws: str, tmp_path: Path) -> None:
    both = run("export-cluster-logs", "-n", "x", "--bucket", "b", "--output-file", str(tmp_path / "a.tgz"))
    prefix_alone = run("export-cluster-logs", "-n", "x", "--bucket-prefix", "p")

    assert both.exit_code == 2
    assert "not both" in both.output
    assert prefix_alone.exit_code == 2
    assert "--bucket-prefix needs --bucket" in prefix_alone.output


def test_follow_prints_events_as_they_arrive(aws: str) -> None:
    world = build_cluster("tail", nodes=(), login_count=0)
    stream = next(s for s in world.streams if s.endswith(".slurmctld"))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "pcluster_pulumi.cli", "get-cluster-log-events", "-n", "tail"),
            *("--log-stream-name", stream, "--tail", "1", "--follow"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(process.stdout.readline, "")), daemon=True)  # type: ignore[union-attr]
    try:
        reader.start()
        _wait(lambda: len(lines) >= 1, process)
        later = millis(EPOCH) + 3_600_000
        put_events(world.log_group, stream, [(later, "job 42 started")])
        _wait(lambda: len(lines) >= 2, process)
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert lines[0].rstrip("\n").endswith(world.streams[stream][-1][1])
    assert lines[1] == f"{from_millis(later)} job 42 started\n"


def _wait(check: Any, process: subprocess.Popen[str], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if process.poll() is not None:
            raise AssertionError(f"exited {process.returncode}: {process.stderr.read()}")  # type: ignore[union-attr]
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for output")
        time.sleep(0.1)


def test_no_credentials_and_no_region_are_one_line_each(
    aws: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")

    no_credentials = run("describe-cluster", "-n", "demo")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    no_region = run("describe-compute-fleet", "-n", "demo")

    assert no_credentials.exit_code == 1
    assert no_credentials.stderr == (
        "pcluster-pulumi: no AWS credentials found: configure them (aws configure, AWS_PROFILE, ...)\n"
    )
    assert no_region.exit_code == 1
    assert no_region.stderr == "pcluster-pulumi: no AWS region: pass --region or set AWS_REGION\n"


class Refusing:
    """A client whose listed operations AWS refuses, as for a least-privilege operator."""

    def __init__(self, client: Any, refused: set[str]) -> None:
        self._client, self._refused = client, refused

    def __getattr__(self, name: str) -> Any:
        if name in self._refused:

            def refuse(**_: Any) -> Any:
                raise ClientError({"Error": {"Code": "AccessDenied", "Message": "not for you"}}, name)

            return refuse
        if name == "get_paginator":
            return lambda operation: (
                Refusing(self._client.get_paginator(operation), {"paginate"})
                if operation in self._refused
                else self._client.get_paginator(operation)
            )
        return getattr(self._client, name)


def test_details_the_credentials_may_not_read_are_left_out_with_a_warning(
    aws: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = build_cluster("least", nodes=(), login_count=1)
    real = fleet_aws.AwsClients.client
    refused = {"elbv2": {"describe_load_balancers"}, "fsx": {"describe_file_systems"}}

    def client(self: fleet_aws.AwsClients, service: str) -> Any:
        made = real(self, service)
        return Refusing(made, refused[service]) if service in refused else made

    monkeypatch.setattr(fleet_aws.AwsClients, "client", client)

    described = json.loads(run("describe-cluster", "-n", "least", "--json").stdout)
    text = run("describe-cluster", "-n", "least")

    assert described["warnings"] == [
        "FSx file systems not shown: AWS refused the call (AccessDenied)",
        "login pools' load balancers not shown: AWS refused the call (AccessDenied)",
    ]
    assert {s["id"] for s in described["sharedStorage"]} == set(
        world.storage.values()
    )  # EBS and EFS still read
    assert described["loginNodes"][0]["address"] is None
    assert text.exit_code == 0
    assert "pcluster-pulumi: warning: FSx file systems not shown" in text.stderr
