"""The day-2 commands through the real CLI, against a moto server holding cluster ``demo``.

``demo`` is what the runtime leaves in AWS: tagged head, login and compute instances (the
compute ones launched by the resume program, which also wrote the nodes table), the status
table, the zone, shared storage and a log group whose streams are named by node.
"""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pcluster_pulumi.cli import app
from pcluster_pulumi.fleet.times import from_millis
from tests.fleet.world import World

runner = CliRunner()


@pytest.fixture(autouse=True)
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")  # tables on one line each, as a wide terminal shows them


def run(*argv: str) -> Any:
    return runner.invoke(app, list(argv))


def as_json(result: Any) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("flag", ["-n", "-c", "--cluster-name", "--name"])
def test_describe_cluster_json_has_stable_keys(demo: World, flag: str) -> None:
    described = as_json(run("describe-cluster", flag, "demo", "--json"))

    assert described["clusterName"] == "demo"
    assert described["region"] == "us-east-1"
    assert described["scheduler"] == "slurm"
    assert described["clusterStatus"] == "RUNNING"
    assert list(described["headNode"]) == [
        "instanceId",
        "instanceType",
        "state",
        "launchTime",
        "privateIpAddress",
        "publicIpAddress",
        "privateDnsName",
        "publicDnsName",
    ]
    assert described["headNode"]["instanceId"] == demo.head_id
    assert described["computeFleetStatus"] == "RUNNING"
    assert described["lastUpdate"]["appliedVersion"] == "v7"
    assert described["loginNodes"][0]["address"] == demo.load_balancer_dns
    assert {s["id"] for s in described["sharedStorage"]} == set(demo.storage.values())
    assert described["logGroupName"] == demo.log_group


def test_describe_cluster_text_names_each_part(demo: World) -> None:
    result = run("describe-cluster", "-n", "demo")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["cluster:", "demo", "(us-east-1)"]
    assert f"head node:          {demo.head_id} c5.xlarge running" in lines
    assert "applied config:     version v7, last update APPLIED: queue gpu added" in lines
    assert f"login pool login: 2 running, {demo.load_balancer_dns}" in lines
    assert f"storage:            home Efs {demo.storage['home']}" in lines
    assert f"log group:          {demo.log_group}" in lines


def test_describe_compute_fleet(demo: World) -> None:
    assert as_json(run("describe-compute-fleet", "-n", "demo", "--json")) == {
        "status": "RUNNING",
        "lastStatusUpdatedTime": "2026-12-01T09:30:00+00:00",
    }
    text = run("describe-compute-fleet", "-c", "demo")
    assert text.stdout == "RUNNING (since 2026-12-01T09:30:00+00:00)\n"


def test_describe_cluster_instances_by_node_type_and_queue(demo: World) -> None:
    everything = as_json(run("describe-cluster-instances", "-n", "demo", "--json"))["instances"]
    q1 = as_json(
        run(
            "describe-cluster-instances",
            "-n",
            "demo",
            "--node-type",
            "ComputeNode",
            "--queue",
            "q1",
            "--json",
        )
    )["instances"]
    logins = as_json(run("describe-cluster-instances", "-n", "demo", "--node-type", "LoginNode", "--json"))

    assert [i["nodeType"] for i in everything] == ["HeadNode", "LoginNode", "LoginNode", *["ComputeNode"] * 3]
    assert [(i["nodeName"], i["queueName"], i["computeResourceName"]) for i in q1] == [
        ("q1-dy-c5-1", "q1", "c5"),
        ("q1-dy-c5-2", "q1", "c5"),
    ]
    assert {i["instanceId"]: i["nodeName"] for i in q1} == {
        demo.compute["q1-dy-c5-1"]: "q1-dy-c5-1",
        demo.compute["q1-dy-c5-2"]: "q1-dy-c5-2",
    }
    assert sorted(i["instanceId"] for i in logins["instances"]) == sorted(demo.login_ids)
    assert set(q1[0]) == {
        "instanceId",
        "instanceType",
        "state",
        "launchTime",
        "privateIpAddress",
        "publicIpAddress",
        "privateDnsName",
        "publicDnsName",
        "nodeType",
        "queueName",
        "computeResourceName",
        "poolName",
        "nodeName",
    }


def test_describe_cluster_instances_table(demo: World) -> None:
    result = run("describe-cluster-instances", "-n", "demo", "--node-type", "computenode")

    assert result.exit_code == 0, result.output
    header, *rows = result.stdout.splitlines()
    assert header.split()[:3] == ["INSTANCE", "NODE", "TYPE"]
    assert [row.split()[0] for row in rows] == [
        demo.compute[n] for n in ("gpu-dy-g4-1", "q1-dy-c5-1", "q1-dy-c5-2")
    ]
    assert rows[0].split()[-1] == "gpu-dy-g4-1"


def test_a_node_type_pcluster_does_not_know_is_a_usage_error(demo: World) -> None:
    result = run("describe-cluster-instances", "-n", "demo", "--node-type", "Worker")

    assert result.exit_code == 2
    assert "use HeadNode, ComputeNode or LoginNode" in result.output


def test_list_cluster_log_streams_with_filters(demo: World) -> None:
    listed = as_json(run("list-cluster-log-streams", "-n", "demo", "--json"))
    head_only = as_json(
        run("list-cluster-log-streams", "-n", "demo", "--filters", "Name=node-type,Values=HeadNode", "--json")
    )
    by_host = run("list-cluster-log-streams", "-n", "demo", "--filters", f"private-dns-name={demo.head_host}")

    assert listed["logGroupName"] == demo.log_group
    assert [s["logStreamName"] for s in listed["logStreams"]] == sorted(demo.streams)
    assert [s["logStreamName"] for s in head_only["logStreams"]] == sorted(
        s for s in demo.streams if demo.head_id in s
    )
    assert by_host.exit_code == 0
    assert [line.split()[0] for line in by_host.stdout.splitlines()[1:]] == sorted(
        s for s in demo.streams if demo.head_id in s
    )
    bad = run("list-cluster-log-streams", "-n", "demo", "--filters", "zone=a")
    assert bad.exit_code == 2
    assert "bad filter 'zone=a'" in bad.output


def _slurmctld(demo: World) -> tuple[str, list[tuple[int, str]]]:
    stream = next(s for s in demo.streams if s.endswith(".slurmctld"))
    return stream, demo.streams[stream]


def test_get_cluster_log_events_text_json_head_tail_and_window(demo: World) -> None:
    stream, written = _slurmctld(demo)
    base = ("get-cluster-log-events", "-n", "demo", "--log-stream-name", stream)

    text = run(*base)
    as_data = as_json(run(*base, "--json"))
    head = run(*base, "--head", "1")
    tail = run(*base, "--tail", "2")
    window = run(*base, "--start-time", from_millis(written[1][0]), "--end-time", from_millis(written[1][0]))

    assert text.exit_code == 0, text.output
    assert text.stdout.splitlines() == [f"{from_millis(t)} {m}" for t, m in written]
    assert as_data["logStreamName"] == stream
    assert as_data["events"] == [{"timestamp": from_millis(t), "message": m} for t, m in written]
    assert head.stdout.splitlines() == [f"{from_millis(written[0][0])} {written[0][1]}"]
    assert [line.split(" ", 1)[1] for line in tail.stdout.splitlines()] == [m for _, m in written[-2:]]
    assert [line.split(" ", 1)[1] for line in window.stdout.splitlines()] == [written[1][1]]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--head", "1", "--tail", "1"], "--head cannot be combined with --tail or --follow"),
        (["--start-time", "yesterday"], "'yesterday' is not a time"),
        (["--follow", "--end-time", "1h"], "--follow cannot be combined with --end-time"),
    ],
)
def test_get_cluster_log_events_usage_errors(demo: World, extra: list[str], message: str) -> None:
    stream, _ = _slurmctld(demo)

    result = run("get-cluster-log-events", "-n", "demo", "--log-stream-name", stream, *extra)

    assert result.exit_code == 2
    assert message in result.output


def test_an_unknown_stream_names_the_command_that_lists_them(demo: World) -> None:
    result = run("get-cluster-log-events", "-n", "demo", "--log-stream-name", "ip-1.i-1.nothing")

    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"pcluster-pulumi: cluster 'demo' has no log stream 'ip-1.i-1.nothing' in {demo.log_group} "
        "(pcluster-pulumi list-cluster-log-streams -n demo lists them)"
    )


def _members(path: Path) -> dict[str, str]:
    with tarfile.open(path) as archive:
        return {
            m.name.split("/", 1)[1]: archive.extractfile(m).read().decode()  # type: ignore[union-attr]
            for m in archive.getmembers()
        }


def test_export_cluster_logs_writes_each_stream_in_order(demo: World, tmp_path: Path) -> None:
    output = tmp_path / "demo-logs.tar.gz"

    result = run("export-cluster-logs", "-n", "demo", "--output-file", str(output), "--json")
    head_only = run(
        "export-cluster-logs",
        "-n",
        "demo",
        "-o",
        str(tmp_path / "head.tgz"),
        "--filters",
        "node-type=HeadNode",
    )

    payload = as_json(result)
    assert payload["path"] == str(output)
    assert payload["events"] == {name: len(items) for name, items in demo.streams.items()}
    members = _members(output)
    assert sorted(members) == sorted(f"{name}.log" for name in demo.streams)
    for name, items in demo.streams.items():
        assert members[f"{name}.log"].splitlines() == [f"{from_millis(t)} {m}" for t, m in items]
    assert head_only.exit_code == 0, head_only.output
    assert head_only.stdout.startswith(f"wrote {tmp_path / 'head.tgz'}: 2 streams, 6 events")
    assert sorted(_members(tmp_path / "head.tgz")) == sorted(
        f"{s}.log" for s in demo.streams if demo.head_id in s
    )


def test_export_cluster_logs_default_file_name(
    demo: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    result = run("export-cluster-logs", "-n", "demo", "--start-time", "1d")

    assert result.exit_code == 0, result.output
    (archive,) = tmp_path.glob("demo-logs-*.tar.gz")
    assert len(archive.name) == len("demo-logs-202612010930.tar.gz")
    assert all(name.startswith(archive.name.removesuffix(".tar.gz") + "/") for name in _names(archive))


def _names(path: Path) -> list[str]:
    with tarfile.open(fileobj=io.BytesIO(path.read_bytes())) as archive:
        return archive.getnames()


COMMANDS = [
    ["describe-cluster"],
    ["describe-compute-fleet"],
    ["describe-cluster-instances"],
    ["describe-cluster-instances", "--node-type", "HeadNode"],
    ["list-cluster-log-streams"],
    ["get-cluster-log-events", "--log-stream-name", "x"],
    ["export-cluster-logs"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c))
def test_an_unknown_cluster_is_one_line_naming_it_and_the_region(demo: World, command: list[str]) -> None:
    missing = run(*command, "-n", "ghost")

    assert missing.exit_code == 1
    assert missing.stdout == ""
    assert missing.stderr == (
        "pcluster-pulumi: no cluster named 'ghost' in us-east-1: no instance, table or log group of it there "
        "(wrong --region?)\n"
    )


def test_a_cluster_looked_for_in_another_region_is_not_found_there(demo: World) -> None:
    elsewhere = run("describe-cluster", "-n", "demo", "--region", "eu-west-1")

    assert elsewhere.exit_code == 1
    assert "no cluster named 'demo' in eu-west-1" in elsewhere.stderr


@pytest.mark.parametrize(
    ("command", "ours"),
    [
        ("create-cluster", "up"),
        ("update-cluster", "up"),
        ("delete-cluster", "destroy"),
        ("list-clusters", "list"),
    ],
)
def test_parallelcluster_names_answer_with_ours(command: str, ours: str) -> None:
    result = run(command, "-n", "demo", "-c", "cluster.yaml", "--region", "us-east-1")

    assert result.exit_code == 2
    assert result.stderr.startswith(f"pcluster-pulumi: `{command}` is `{ours}` here: pcluster-pulumi {ours}")


def test_pclusters_limit_and_start_from_head_still_work(demo: World) -> None:
    stream, written = _slurmctld(demo)
    base = ("get-cluster-log-events", "-n", "demo", "--log-stream-name", stream, "--limit", "1")

    last = run(*base)
    first = run(*base, "--start-from-head")

    assert last.stdout.split(" ", 1)[1] == f"{written[-1][1]}\n"
    assert first.stdout.split(" ", 1)[1] == f"{written[0][1]}\n"


def test_exporting_nothing_says_so(demo: World, tmp_path: Path) -> None:
    result = run(
        "export-cluster-logs",
        "-n",
        "demo",
        "-o",
        str(tmp_path / "x.tgz"),
        "--filters",
        "private-dns-name=ip-1",
    )

    assert result.exit_code == 1
    assert result.stderr == "pcluster-pulumi: no log stream of 'demo' matches; nothing to export\n"
    assert not (tmp_path / "x.tgz").exists()
