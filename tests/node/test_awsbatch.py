"""The AWS Batch head node step: the awsb* commands' configuration for the user and root, and the CLI."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from pcluster_pulumi.cluster.batch.scheduler import CLI_CONFIG_KEY
from pcluster_pulumi.cluster.bucket import RUNTIME_CONFIG_KEY, artifact_prefix
from pcluster_pulumi.contract.config import HeadNode, NodeConfig, Tables
from pcluster_pulumi.derive.batch import CLI_CONFIG_RELATIVE_PATH, CliConfig, render_cli_config
from pcluster_pulumi.node import awsbatch

TEXT = render_cli_config(
    CliConfig(
        cluster="demo",
        region="us-east-1",
        bucket="bucket",
        artifact_directory="pcluster-pulumi/demo/",
        compute_environment="arn:aws:batch:us-east-1:123456789012:compute-environment/demo-optimal-x",
        job_queue="arn:aws:batch:us-east-1:123456789012:job-queue/demo-jobs",
        job_definition="arn:aws:batch:us-east-1:123456789012:job-definition/demo-job:1",
        job_definition_mnp="arn:aws:batch:us-east-1:123456789012:job-definition/demo-job-mnp:1",
        head_node_ip="10.0.0.10",
    )
)


def test_the_configuration_lands_where_the_cli_reads_it_for_each_user(tmp_path: Path) -> None:
    homes = [(tmp_path / "ec2-user", os.getuid(), os.getgid()), (tmp_path / "root", os.getuid(), os.getgid())]
    written = awsbatch.install_config(TEXT, homes)
    assert written == [home / CLI_CONFIG_RELATIVE_PATH for home, _, _ in homes]
    for path in written:
        assert path.read_text() == TEXT
        assert path.stat().st_mode & 0o777 == 0o644


def test_the_cli_gets_its_own_environment_and_its_six_commands_are_linked(tmp_path: Path) -> None:
    venv, bin_dir = tmp_path / "venv", tmp_path / "bin"
    calls: list[list[str]] = []

    def run(command: list[str], **_: Any) -> None:
        calls.append(command)
        if command[1:3] == ["-m", "venv"]:
            (venv / "bin").mkdir(parents=True)
        if command[0].endswith("/pip"):
            for name in awsbatch.COMMANDS:
                (venv / "bin" / name).write_text("#!/bin/sh\n")

    (bin_dir).mkdir()
    (bin_dir / "awsbsub").write_text("stale")
    links = awsbatch.install_cli(
        "aws-parallelcluster-awsbatch-cli<2.0.0", venv=venv, bin_dir=bin_dir, python="python3", run=run
    )
    assert calls == [
        ["python3", "-m", "venv", str(venv)],
        [
            str(venv / "bin" / "pip"),
            "install",
            "--quiet",
            "--upgrade",
            "aws-parallelcluster-awsbatch-cli<2.0.0",
        ],
    ]
    assert sorted(p.name for p in links) == sorted(awsbatch.COMMANDS)
    assert all(p.resolve() == venv / "bin" / p.name for p in links)


def test_a_package_without_the_commands_fails_the_step(tmp_path: Path) -> None:
    def run(command: list[str], **_: Any) -> None:
        (tmp_path / "venv" / "bin").mkdir(parents=True, exist_ok=True)

    with pytest.raises(FileNotFoundError, match="installed no awsbhosts"):
        awsbatch.install_cli(venv=tmp_path / "venv", bin_dir=tmp_path / "bin", run=run)


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="bucket")
        yield client


def recording(installed: list[str]) -> Any:
    """An ``install_cli`` that only records what it was asked to install."""

    def install_cli(package: str = awsbatch.REQUIREMENT) -> list[Path]:
        installed.append(package)
        return []

    return install_cli


def head_config() -> NodeConfig:
    return NodeConfig(
        cluster_name="demo",
        region="us-east-1",
        head_node=HeadNode(private_ip="10.0.0.10"),
        tables=Tables("nodes", "status"),
        queues=(),
        bucket="bucket",
        cluster_user="ec2-user",
    )


def test_the_head_node_installs_the_commands_only_on_a_batch_cluster(
    s3: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime_key = f"{artifact_prefix('demo')}{RUNTIME_CONFIG_KEY}"
    installed: list[str] = []
    monkeypatch.setattr(awsbatch, "_homes", lambda user: [(tmp_path / user, os.getuid(), os.getgid())])
    monkeypatch.setattr(awsbatch, "install_cli", recording(installed))

    assert awsbatch.setup_head(head_config(), runtime_key) is False  # a Slurm cluster: nothing here
    assert installed == []

    # What BatchScheduler uploads, where the head node looks for it.
    s3.put_object(Bucket="bucket", Key=f"{artifact_prefix('demo')}{CLI_CONFIG_KEY}", Body=TEXT.encode())
    assert awsbatch.setup_head(head_config(), runtime_key) is True
    assert (tmp_path / "ec2-user" / CLI_CONFIG_RELATIVE_PATH).read_text() == TEXT
    assert installed == ["aws-parallelcluster-awsbatch-cli<2.0.0"]


def test_dev_settings_cli_package_is_what_the_head_node_installs() -> None:
    assert awsbatch.package_of(TEXT) == "aws-parallelcluster-awsbatch-cli<2.0.0"
    custom = _config_with_package("https://example.com/aws-parallelcluster-awsbatch-cli-1.6.0.tar.gz")
    assert awsbatch.package_of(custom) == "https://example.com/aws-parallelcluster-awsbatch-cli-1.6.0.tar.gz"


def _config_with_package(package: str) -> str:
    return render_cli_config(
        CliConfig(
            cluster="demo",
            region="us-east-1",
            bucket="bucket",
            artifact_directory="pcluster-pulumi/demo/",
            compute_environment="ce",
            job_queue="demo-jobs",
            job_definition="demo-job",
            job_definition_mnp="demo-job-mnp",
            head_node_ip="10.0.0.10",
            cli_package=package,
        )
    )


def test_an_s3_cli_package_is_downloaded_with_the_role_and_pip_installs_the_file(
    s3: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = b"the aws-parallelcluster-awsbatch-cli sdist"
    s3.put_object(Bucket="bucket", Key="packages/awsbatch-cli-1.6.0.tar.gz", Body=archive)
    text = _config_with_package("s3://bucket/packages/awsbatch-cli-1.6.0.tar.gz")
    s3.put_object(Bucket="bucket", Key=f"{artifact_prefix('demo')}{CLI_CONFIG_KEY}", Body=text.encode())
    installed: list[str] = []
    monkeypatch.setattr(awsbatch, "DOWNLOADS", tmp_path / "downloads")
    monkeypatch.setattr(awsbatch, "_homes", lambda user: [(tmp_path / user, os.getuid(), os.getgid())])
    monkeypatch.setattr(awsbatch, "install_cli", recording(installed))

    assert awsbatch.setup_head(head_config(), f"{artifact_prefix('demo')}{RUNTIME_CONFIG_KEY}") is True

    local = tmp_path / "downloads" / "awsbatch-cli-1.6.0.tar.gz"
    assert installed == [str(local)]  # pip never sees the s3:// URL, which it could not read
    assert local.read_bytes() == archive


def test_the_package_given_to_the_head_step_wins_over_the_configuration(
    s3: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s3.put_object(Bucket="bucket", Key=f"{artifact_prefix('demo')}{CLI_CONFIG_KEY}", Body=TEXT.encode())
    installed: list[str] = []
    monkeypatch.setattr(awsbatch, "_homes", lambda user: [(tmp_path / user, os.getuid(), os.getgid())])
    monkeypatch.setattr(awsbatch, "install_cli", recording(installed))
    config_path = tmp_path / "node-config.json"
    config_path.write_text(head_config().to_json())
    monkeypatch.setenv("PCLUSTER_PULUMI_NODE_CONFIG", str(config_path))
    monkeypatch.setenv("CONFIG_KEY", f"{artifact_prefix('demo')}{RUNTIME_CONFIG_KEY}")

    package = "https://example.com/aws-parallelcluster-awsbatch-cli-1.6.1.tar.gz"
    assert awsbatch.main(["head", "--package", package]) == 0
    assert installed == [package]


@pytest.mark.parametrize("package", ["s3://bucket", "s3://bucket/folder/"])
def test_an_s3_cli_package_must_name_an_object(package: str) -> None:
    with pytest.raises(ValueError, match="names no object"):
        awsbatch.local_package(package, "us-east-1")
