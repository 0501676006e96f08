"""`up` waits for the head node's update report; ``ClusterStack.head_node_update`` reads it from moto.

The Pulumi CLI boundary is the only thing stood in for: the report is the real item in moto's
DynamoDB, the ETag the real one of the configuration object in moto's S3.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from pcluster_pulumi.cli import app
from pcluster_pulumi.contract.update_report import (
    APPLIED,
    FAILED,
    IN_PROGRESS,
    RUNTIME_CONFIG_KEY,
    UpdateReport,
    UpdateWaitTimeout,
    wait_for_report,
)
from pcluster_pulumi.engines.automation.stack import ClusterStack

from . import test_stack as cli_tests
from .test_stack import FakeStack, output, runner

# The CLI tests' fixtures: a clean home with fake credentials, the example config, the stand-in stack.
home, config, stand_in = cli_tests.home, cli_tests.config, cli_tests.stand_in

TABLE = "parallelcluster-demo"
BUCKET = "pcluster-demo-artifacts"
PREFIX = "pcluster-pulumi/demo/"


@pytest.fixture
def aws(home: Path) -> Iterator[str]:
    """moto with the status table and a runtime configuration object; yields its ETag."""
    with mock_aws():
        boto3.client("dynamodb", region_name="us-east-1").create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "Id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "Id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        put = s3.put_object(
            Bucket=BUCKET, Key=f"{PREFIX}{RUNTIME_CONFIG_KEY}", Body=b'{"format_version": 1}\n'
        )
        yield str(put["ETag"]).strip('"')


def write(report: UpdateReport) -> None:
    boto3.client("dynamodb", region_name="us-east-1").put_item(TableName=TABLE, Item=report.to_item())


OUTPUTS = {"statusTable": TABLE, "clusterBucket": BUCKET, "artifactPrefix": PREFIX, "region": "us-east-1"}


def test_head_node_update_waits_past_older_reports_until_the_one_about_this_object(aws: str) -> None:
    write(UpdateReport(APPLIED, "an-older-etag", summary="queue q2 added"))
    seen: list[UpdateReport | None] = []

    def head_node(report: UpdateReport | None) -> None:
        """The head node moves on each time the deployer has seen where it stands."""
        seen.append(report)
        if report is None:
            write(UpdateReport(IN_PROGRESS, aws, summary="q1/c5 +2 node(s)"))
        elif report.status == IN_PROGRESS:
            write(UpdateReport(APPLIED, aws, applied_etag=aws, summary="q1/c5 +2 node(s)"))

    report = ClusterStack("demo").head_node_update(OUTPUTS, timeout=10, interval=0.01, on_report=head_node)
    assert report is not None and report.line() == "head node applied update: q1/c5 +2 node(s)"
    assert [r.status if r else None for r in seen] == [None, IN_PROGRESS, APPLIED]


def test_head_node_update_returns_a_failure_with_its_reason(aws: str) -> None:
    write(
        UpdateReport(FAILED, aws, applied_etag="previous", reason="slurm.conf refused by Slurm's parser: x")
    )
    report = ClusterStack("demo").head_node_update(OUTPUTS, timeout=1, interval=0.01)
    assert report is not None and report.status == FAILED
    assert report.line() == (
        "head node could not apply the update: slurm.conf refused by Slurm's parser: x "
        "(it runs the previous configuration)"
    )


def test_head_node_update_gives_up_after_its_timeout(aws: str) -> None:
    with pytest.raises(UpdateWaitTimeout, match="has not applied the new configuration after 0s"):
        ClusterStack("demo").head_node_update(OUTPUTS, timeout=0, interval=0.01)


def test_head_node_report_reads_the_report_as_it_stands(aws: str) -> None:
    stack = ClusterStack("demo")
    assert stack.head_node_report(OUTPUTS) is None
    write(UpdateReport(IN_PROGRESS, aws, applied_etag="older"))
    report = stack.head_node_report(OUTPUTS)
    assert report is not None and (report.status, report.applied_etag) == (IN_PROGRESS, "older")


def test_clusters_without_a_status_table_have_nothing_to_wait_for(aws: str) -> None:
    assert ClusterStack("demo").head_node_update({**OUTPUTS, "statusTable": None}) is None


def test_wait_for_report_reports_each_change_once() -> None:
    reports = iter(
        [None, UpdateReport(IN_PROGRESS, "e"), UpdateReport(IN_PROGRESS, "e"), UpdateReport(APPLIED, "e")]
    )
    seen: list[UpdateReport | None] = []
    final = wait_for_report(lambda: next(reports), "e", interval=0, on_report=seen.append)
    assert final.status == APPLIED
    assert [r.status if r else None for r in seen] == [None, IN_PROGRESS, APPLIED]


class ReportingStack(FakeStack):
    """The stand-in stack, with the head node's answer to return."""

    answer: UpdateReport | None = None
    waited: list[float] = []

    def head_node_report(self, outputs: Any) -> Any:
        return self.answer

    def head_node_update(self, outputs: Any, *, timeout: float, on_report: Any = None, **_: Any) -> Any:
        self.waited.append(timeout)
        if on_report is not None:
            on_report(None)
        return self.answer


@pytest.fixture
def reporting(stand_in: type[FakeStack], monkeypatch: pytest.MonkeyPatch) -> type[ReportingStack]:
    from pcluster_pulumi.cli import session

    monkeypatch.setattr(session, "ClusterStack", ReportingStack)
    ReportingStack.stored_outputs = {"headNodePrivateIp": output("10.0.0.5"), "statusTable": output(TABLE)}
    ReportingStack.waited = []
    return ReportingStack


def test_up_prints_what_the_head_node_applied(reporting: type[ReportingStack], config: Path) -> None:
    reporting.answer = UpdateReport(APPLIED, "e", summary="queue fresh added")
    result = runner.invoke(app, ["up", str(config), "-n", "demo", "--yes", "--update-timeout", "30"])
    assert result.exit_code == 0, result.output
    assert "head node applied update: queue fresh added" in result.stdout
    assert "waiting for the head node" in result.stderr
    assert reporting.waited == [30]


def test_up_fails_when_the_head_node_could_not_apply_it(
    reporting: type[ReportingStack], config: Path
) -> None:
    reporting.answer = UpdateReport(FAILED, "e", reason="slurmctld does not answer after restart")
    result = runner.invoke(app, ["up", str(config), "-n", "demo", "--yes"])
    assert result.exit_code == 1
    assert "head node could not apply the update: slurmctld does not answer after restart" in result.stdout


def test_up_no_wait_does_not_ask_the_head_node(reporting: type[ReportingStack], config: Path) -> None:
    result = runner.invoke(app, ["up", str(config), "-n", "demo", "--yes", "--no-wait"])
    assert result.exit_code == 0, result.output
    assert reporting.waited == []


def test_outputs_show_the_configuration_the_head_node_runs_on(reporting: type[ReportingStack]) -> None:
    reporting.answer = UpdateReport(
        FAILED,
        "new",
        applied_etag="0123abcd",
        reason="slurmctld refused it",
        time="2026-01-02T03:04:05+00:00",
    )
    result = runner.invoke(app, ["outputs", "-n", "demo"])
    assert result.exit_code == 0, result.output
    expected = "head node configuration: 0123abcd (last update FAILED at 2026-01-02T03:04:05+00:00: "
    assert expected + "slurmctld refused it)" in result.stdout
