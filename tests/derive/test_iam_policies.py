"""IAM documents: every statement scoped to this cluster's resources, never ``*`` on ``*``."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pcluster_pulumi.derive import iam_policies
from pcluster_pulumi.derive.launch_policy import fleet_statements

from ..plans import MINIMAL, context

#: The only actions allowed on ``"Resource": "*"``: AWS cannot scope them to a resource.
UNSCOPABLE = {
    "ec2:DescribeInstances",
    "ec2:DescribeInstanceStatus",
    "ec2:DescribeInstanceAttribute",
    "ec2:DescribeTags",
    "ec2:DescribeVolumes",
    "ec2:DescribeCapacityReservations",
    "cloudwatch:PutMetricData",
}


def as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def by_sid(statements: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in statements}


def head(
    text: str = MINIMAL, zone: str | None = "Z1", log: str | None = "/aws/parallelcluster/demo-x"
) -> dict:  # type: ignore[type-arg]
    ctx = context(text)
    return by_sid(
        iam_policies.head_node_statements(
            ctx, bucket="bkt", prefix="pcluster-pulumi/demo/", hosted_zone_id=zone, log_group_name=log
        )
    )


def test_head_node_may_terminate_only_instances_tagged_with_its_cluster_name() -> None:
    statement = head()["Ec2ManageClusterInstances"]
    assert statement["Action"] == ["ec2:TerminateInstances", "ec2:GetConsoleOutput"]
    assert statement["Resource"] == "arn:aws:ec2:us-east-1:123456789012:instance/*"
    assert statement["Condition"] == {
        "StringEquals": {"ec2:ResourceTag/parallelcluster:cluster-name": "demo"}
    }


def test_head_node_touches_only_this_clusters_tables_zone_bucket_prefix_and_log_group() -> None:
    statements = head()
    assert statements["NodesTable"]["Resource"] == [
        "arn:aws:dynamodb:us-east-1:123456789012:table/parallelcluster-slurm-demo",
        "arn:aws:dynamodb:us-east-1:123456789012:table/parallelcluster-slurm-demo/index/*",
    ]
    assert (
        statements["StatusTable"]["Resource"]
        == "arn:aws:dynamodb:us-east-1:123456789012:table/parallelcluster-demo"
    )
    assert statements["NodeRecords"]["Resource"] == "arn:aws:route53:::hostedzone/Z1"
    assert statements["ClusterArtifactsRead"]["Resource"] == "arn:aws:s3:::bkt/pcluster-pulumi/demo/*"
    assert statements["ClusterArtifactsList"]["Condition"] == {
        "StringLike": {"s3:prefix": ["pcluster-pulumi/demo/*"]}
    }
    assert statements["ClusterLogs"]["Resource"] == [
        "arn:aws:logs:us-east-1:123456789012:log-group:/aws/parallelcluster/demo-x",
        "arn:aws:logs:us-east-1:123456789012:log-group:/aws/parallelcluster/demo-x:*",
    ]


def test_without_managed_dns_or_logs_the_head_node_gets_no_route53_or_logs_rights() -> None:
    statements = head(zone=None, log=None)
    assert "NodeRecords" not in statements and "ClusterLogs" not in statements


def test_metrics_may_only_go_to_the_agent_and_cluster_namespaces() -> None:
    statement = head()["ClusterMetrics"]
    assert statement["Condition"] == {
        "StringEquals": {"cloudwatch:namespace": ["CWAgent", "ParallelCluster"]}
    }


def test_secrets_are_readable_by_arn_only_and_ssm_parameters_use_ssm() -> None:
    text = MINIMAL.replace(
        "  SlurmQueues:\n",
        "  SlurmSettings:\n"
        "    MungeKeySecretArn: arn:aws:secretsmanager:us-east-1:123456789012:secret:munge-AbCdEf\n"
        "  SlurmQueues:\n",
    )
    statements = head(text)
    assert statements["ClusterSecrets"] == {
        "Sid": "ClusterSecrets",
        "Effect": "Allow",
        "Action": "secretsmanager:GetSecretValue",
        "Resource": "arn:aws:secretsmanager:us-east-1:123456789012:secret:munge-AbCdEf",
    }
    compute = by_sid(
        iam_policies.compute_node_statements(context(text), bucket="b", prefix="p/", log_group_name=None)
    )
    assert compute["ClusterSecrets"]["Resource"] == statements["ClusterSecrets"]["Resource"]


def test_compute_nodes_only_look_up_their_node_name_and_report_status() -> None:
    compute = by_sid(
        iam_policies.compute_node_statements(context(), bucket="b", prefix="p/", log_group_name=None)
    )
    assert compute["NodesTableLookup"]["Action"] == ["dynamodb:GetItem", "dynamodb:Query"]
    assert not any(
        a.startswith(("ec2:Run", "ec2:Terminate", "route53:"))
        for s in compute.values()
        for a in as_list(s["Action"])
    )


def test_fleet_policy_launches_only_from_the_given_launch_templates() -> None:
    ctx = context()
    statements = by_sid(
        fleet_statements(
            ctx,
            launch_template_ids=["lt-1", "lt-2"],
            security_group_ids=["sg-1"],
            image_ids=["ami-1"],
            placement_group_names=["pg-1"],
            role_arns=["arn:aws:iam::123456789012:role/r"],
        )
    )
    templates = [
        "arn:aws:ec2:us-east-1:123456789012:launch-template/lt-1",
        "arn:aws:ec2:us-east-1:123456789012:launch-template/lt-2",
    ]
    assert statements["LaunchTemplates"]["Resource"] == templates
    only = statements["LaunchFromClusterTemplatesOnly"]
    assert only["Condition"] == {"ArnEquals": {"ec2:LaunchTemplate": templates}}
    assert "arn:aws:ec2:us-east-1:123456789012:instance/*" in only["Resource"]
    network = statements["LaunchIntoClusterNetwork"]["Resource"]
    assert "arn:aws:ec2:us-east-1:123456789012:subnet/subnet-0bbbbbbbbbbbbbbb1" in network
    assert "arn:aws:ec2:us-east-1:123456789012:security-group/sg-1" in network
    assert "arn:aws:ec2:us-east-1::image/ami-1" in network
    assert "arn:aws:ec2:us-east-1:123456789012:placement-group/pg-1" in network
    assert not any(r.endswith(("subnet/*", "security-group/*", "image/*")) for r in network)
    assert statements["PassComputeRoles"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}
    }


def test_spot_queues_may_create_spot_requests_from_cluster_templates_only() -> None:
    text = MINIMAL.replace("    - Name: q1\n", "    - Name: q1\n      CapacityType: SPOT\n")
    statements = by_sid(
        fleet_statements(
            context(text), launch_template_ids=["lt-1"], security_group_ids=[], image_ids=[],
            placement_group_names=[], role_arns=[],
        )
    )  # fmt: skip
    resources = statements["LaunchFromClusterTemplatesOnly"]["Resource"]
    assert "arn:aws:ec2:us-east-1:123456789012:spot-instances-request/*" in resources
    assert "PassComputeRoles" not in statements


def test_s3_access_reads_or_writes_only_the_named_bucket_and_keys() -> None:
    from pcluster_pulumi.spec.model import S3Access

    entries = [
        S3Access(bucket_name="data", key_name="inputs/*"),
        S3Access(bucket_name="results", enable_write_access=True),
    ]
    statements = by_sid(iam_policies.s3_access_statements(context(), entries))
    assert statements["S3AccessRead"]["Resource"] == ["arn:aws:s3:::data/inputs/*", "arn:aws:s3:::results/*"]
    assert statements["S3AccessWrite"]["Resource"] == "arn:aws:s3:::results/*"
    assert statements["S3AccessList"]["Resource"] == ["arn:aws:s3:::data", "arn:aws:s3:::results"]


def test_china_regions_use_their_partition_and_ec2_principal() -> None:
    ctx = context(partition="aws-cn", dns_suffix="amazonaws.com.cn", region="cn-north-1")
    assert iam_policies.assume_role_policy(ctx)["Statement"][0]["Principal"] == {
        "Service": "ec2.amazonaws.com.cn"
    }
    statements = by_sid(
        iam_policies.head_node_statements(
            ctx, bucket="b", prefix="p/", hosted_zone_id=None, log_group_name=None
        )
    )
    assert statements["StatusTable"]["Resource"].startswith("arn:aws-cn:dynamodb:cn-north-1:")


@settings(max_examples=30, deadline=None)
@given(
    name=st.from_regex(r"[a-z][a-z0-9-]{0,20}[a-z0-9]", fullmatch=True),
    spot=st.booleans(),
    zone=st.none() | st.just("Z9"),
)
def test_no_statement_allows_star_actions_and_star_resources_only_for_unscopable_calls(
    name: str, spot: bool, zone: str | None
) -> None:
    text = (
        MINIMAL.replace("    - Name: q1\n", "    - Name: q1\n      CapacityType: SPOT\n") if spot else MINIMAL
    )
    ctx = context(text, name=name)
    documents = [
        iam_policies.head_node_statements(
            ctx, bucket="b", prefix="p/", hosted_zone_id=zone, log_group_name="g"
        ),
        iam_policies.compute_node_statements(ctx, bucket="b", prefix="p/", log_group_name="g"),
        fleet_statements(
            ctx, launch_template_ids=["lt-1"], security_group_ids=["sg-1"], image_ids=["ami-1"],
            placement_group_names=[], role_arns=["arn:aws:iam::1:role/x"],
        ),
    ]  # fmt: skip
    for statement in (s for doc in documents for s in doc):
        assert statement["Effect"] == "Allow"
        actions = as_list(statement["Action"])
        assert not any(a == "*" or a.endswith(":*") for a in actions), statement
        if "*" in as_list(statement["Resource"]):
            assert set(actions) <= UNSCOPABLE, statement


def test_nodes_may_read_exactly_their_own_s3_custom_action_scripts() -> None:
    text = MINIMAL.replace(
        "HeadNode:\n",
        "HeadNode:\n  CustomActions:\n    OnNodeStart:\n      Script: s3://scripts/head/pre.sh\n"
        "    OnNodeConfigured:\n      Sequence:\n        - Script: https://example.com/x.sh\n"
        "        - Script: s3://other/post.sh\n",
        1,
    ).replace(
        "      Networking:\n        SubnetIds:\n",
        "      CustomActions:\n        OnNodeStart:\n          Script: s3://scripts/q1.sh\n"
        "      Networking:\n        SubnetIds:\n",
    )
    assert head(text)["CustomActionScripts"] == {
        "Sid": "CustomActionScripts",
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "Resource": ["arn:aws:s3:::other/post.sh", "arn:aws:s3:::scripts/head/pre.sh"],
    }
    compute = by_sid(
        iam_policies.compute_node_statements(
            context(text), bucket="b", prefix="p/", log_group_name=None, queue_name="q1"
        )
    )
    assert compute["CustomActionScripts"]["Resource"] == "arn:aws:s3:::scripts/q1.sh"
    assert "CustomActionScripts" not in head()
    assert "CustomActionScripts" not in by_sid(
        iam_policies.compute_node_statements(context(text), bucket="b", prefix="p/", log_group_name=None)
    )
