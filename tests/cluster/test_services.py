"""DNS zone, DynamoDB tables, artifact bucket and CloudWatch: names, settings, DeletionPolicy."""

from __future__ import annotations

import json

import pytest

from pcluster_pulumi.cluster.bucket import artifact_prefix, bucket_prefix
from pcluster_pulumi.cluster.dns import plan_dns
from pcluster_pulumi.spec.loader import load_spec

from .conftest import EXAMPLES, MINIMAL, named, of_type, policy

DNS = "  SlurmQueues:\n"


def with_dns(block: str) -> str:
    return MINIMAL.replace(DNS, f"  SlurmSettings:\n    Dns:\n{block}{DNS}")


def test_managed_dns_is_a_private_zone_named_after_the_cluster_on_its_vpc(minimal) -> None:  # type: ignore[no-untyped-def]
    zone = named(minimal, "demo-dns-zone").inputs
    assert zone["name"] == "demo.pcluster"
    assert zone["vpcs"] == [{"vpcId": "vpc-0123456789abcdef0", "vpcRegion": "us-east-1"}]
    assert zone["forceDestroy"] is True
    assert minimal.outputs["clusterDnsDomain"] == "demo.pcluster."


@pytest.mark.parametrize(
    ("block", "mode", "domain"),
    [
        ("", "managed", "demo.pcluster."),
        ("      HostedZoneId: Z0123456789ABCDEFGHIJ\n", "existing", "demo.example.com."),
        ("      DisableManagedDns: true\n", "disabled", None),
    ],
)
def test_dns_mode_follows_hosted_zone_id_and_disable_managed_dns(
    block: str, mode: str, domain: str | None
) -> None:
    spec = load_spec(with_dns(block) if block else MINIMAL)
    assert plan_dns(spec, "Demo", {"Z0123456789ABCDEFGHIJ": "example.com."}) == plan_dns(
        spec, "Demo", {"Z0123456789ABCDEFGHIJ": "example.com"}
    )
    planned = plan_dns(spec, "Demo", {"Z0123456789ABCDEFGHIJ": "example.com."})
    assert (planned.mode, planned.domain) == (mode, domain)


def test_existing_zone_creates_no_zone_and_scopes_route53_rights_to_it(plan_of) -> None:  # type: ignore[no-untyped-def]
    result = plan_of(with_dns("      HostedZoneId: Z0123456789ABCDEFGHIJ\n"))
    assert not of_type(result, "aws:route53/zone:Zone")
    head = policy(named(result, "demo-iam-head-policy"))
    records = next(s for s in head["Statement"] if s["Sid"] == "NodeRecords")
    assert records["Resource"] == "arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ"


def test_instance_tables_are_on_demand_encrypted_recoverable_with_an_instance_id_index(minimal) -> None:  # type: ignore[no-untyped-def]
    nodes = named(minimal, "demo-tables-nodes").inputs
    assert nodes["name"] == "parallelcluster-slurm-demo"
    assert nodes["hashKey"] == "Id"
    assert nodes["billingMode"] == "PAY_PER_REQUEST"
    assert nodes["serverSideEncryption"] == {"enabled": True}
    assert nodes["pointInTimeRecovery"] == {"enabled": True}
    assert nodes["globalSecondaryIndexes"] == [
        {"hashKey": "InstanceId", "name": "InstanceId", "projectionType": "ALL"}
    ]
    assert named(minimal, "demo-tables-status").inputs["name"] == "parallelcluster-demo"


def test_bucket_is_private_versioned_encrypted_and_tls_only(minimal) -> None:  # type: ignore[no-untyped-def]
    assert (
        named(minimal, "demo-bucket-artifacts").inputs["bucketPrefix"]
        == bucket_prefix("demo")
        == "pcluster-demo-"
    )
    block = named(minimal, "demo-bucket-public-access-block").inputs
    assert all(
        block[k] is True
        for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )
    assert named(minimal, "demo-bucket-versioning").inputs["versioningConfiguration"] == {"status": "Enabled"}
    rule = named(minimal, "demo-bucket-encryption").inputs["rules"][0]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    deny = policy(named(minimal, "demo-bucket-policy"))["Statement"][0]
    assert (deny["Effect"], deny["Condition"]) == ("Deny", {"Bool": {"aws:SecureTransport": "false"}})
    package = named(minimal, "demo-bucket-node-package").inputs
    assert package["key"] == f"{artifact_prefix('demo')}node/pcluster-pulumi-node.tar.gz"
    assert package["source"] == {"asset": "FileAsset"}


def test_custom_bucket_is_used_as_is_and_only_our_prefix_is_written(plan_of) -> None:  # type: ignore[no-untyped-def]
    result = plan_of(MINIMAL + "CustomS3Bucket: team-artifacts\n")
    assert not of_type(result, "aws:s3/bucket:Bucket")
    assert named(result, "demo-bucket-node-package").inputs["bucket"] == "team-artifacts"
    assert result.outputs["clusterBucket"] == "team-artifacts"


def test_log_group_retention_and_deletion_policy(plan_of, minimal) -> None:  # type: ignore[no-untyped-def]
    group = named(minimal, "demo-logs-group").inputs
    assert group["namePrefix"] == "/aws/parallelcluster/demo-"
    assert group["retentionInDays"] == 180
    result = plan_of(EXAMPLES / "slurm-custom-dns-iam.yaml", "team")
    assert named(result, "team-logs-group").inputs["retentionInDays"] == 365


def test_disabled_logs_dashboard_and_alarms_create_nothing(plan_of) -> None:  # type: ignore[no-untyped-def]
    text = MINIMAL + (
        "Monitoring:\n  Logs:\n    CloudWatch:\n      Enabled: false\n  Dashboards:\n    CloudWatch:\n"
        "      Enabled: false\n  Alarms:\n    Enabled: false\n"
    )
    result = plan_of(text)
    assert not [r for r in result.resources if r.type.startswith("aws:cloudwatch/")]
    head = policy(named(result, "demo-iam-head-policy"))
    assert "ClusterLogs" not in {s["Sid"] for s in head["Statement"]}


def test_head_node_alarms_match_parallelcluster_and_compose(minimal) -> None:  # type: ignore[no-untyped-def]
    alarms = {r.inputs["name"]: r.inputs for r in of_type(minimal, "aws:cloudwatch/metricAlarm:MetricAlarm")}
    assert set(alarms) == {f"demo-HeadNode-{s}" for s in ("Health", "Cpu", "Mem", "Disk")}
    disk = alarms["demo-HeadNode-Disk"]
    assert disk["dimensions"] == {"InstanceId": "demo-head-node-instance-id", "path": "/"}
    assert (disk["namespace"], disk["threshold"], disk["period"]) == ("CWAgent", 90, 60)
    composite = named(minimal, "demo-monitoring-head").inputs
    assert composite["alarmName"] == "demo-HeadNode"
    assert composite["alarmRule"].count("ALARM(") == 4


def test_dashboard_is_named_cluster_region_and_shows_the_head_node(minimal) -> None:  # type: ignore[no-untyped-def]
    dashboard = named(minimal, "demo-monitoring-dashboard").inputs
    assert dashboard["dashboardName"] == "demo-us-east-1"
    body = json.loads(dashboard["dashboardBody"])
    assert "demo-head-node-instance-id" in json.dumps(body)
    assert {w["type"] for w in body["widgets"]} == {"text", "metric", "alarm", "log"}
