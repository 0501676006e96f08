"""Least privilege of the AWS Batch roles: what each may do, on which ARNs (``derive/batch_policies.py``)."""

from __future__ import annotations

import json
from pathlib import Path

from pcluster_pulumi.derive import batch_policies
from pcluster_pulumi.derive.context import ClusterContext
from pcluster_pulumi.engines.offline.facts import cluster_facts
from pcluster_pulumi.engines.offline.plan import default_cluster_name
from pcluster_pulumi.spec.loader import load_spec

from ..conftest import cached_plan, of_type

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "awsbatch.yaml"
BUCKET, PREFIX = "bucket", "pcluster-pulumi/demo/"


def context() -> ClusterContext:
    spec = load_spec(EXAMPLE, cluster_name="demo")
    return ClusterContext("demo", spec, cluster_facts(spec))


def test_a_job_reads_only_the_files_awsbsub_uploaded() -> None:
    read, listing = batch_policies.job_role_statements(context(), bucket=BUCKET, prefix=PREFIX)
    assert (read["Action"], read["Resource"]) == (
        "s3:GetObject",
        "arn:aws:s3:::bucket/pcluster-pulumi/demo/batch/*",
    )
    assert (listing["Action"], listing["Resource"]) == ("s3:ListBucket", "arn:aws:s3:::bucket")
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["pcluster-pulumi/demo/batch/*"]}}


def test_the_cli_submits_only_to_the_cluster_queue_with_its_definitions() -> None:
    statements = {s["Sid"]: s for s in batch_policies.cli_statements(context(), bucket=BUCKET, prefix=PREFIX)}
    assert statements["BatchCliSubmit"]["Resource"] == [
        "arn:aws:batch:us-east-1:123456789012:job-queue/demo-jobs",
        "arn:aws:batch:us-east-1:123456789012:job-definition/demo-job:*",
        "arn:aws:batch:us-east-1:123456789012:job-definition/demo-job-mnp:*",
    ]
    assert statements["BatchCliJobFiles"]["Resource"] == "arn:aws:s3:::bucket/pcluster-pulumi/demo/batch/*"
    assert statements["BatchCliHosts"]["Resource"] == (
        "arn:aws:ecs:us-east-1:123456789012:cluster/AWSBatch-demo-optimal-*"
    )
    # '*' only where Batch and EC2 have no resource-level permission: describe and list calls.
    for statement in statements.values():
        if statement["Resource"] == "*":
            assert all(a.split(":")[1].startswith(("Describe", "List")) for a in statement["Action"])


def test_codebuild_pushes_only_to_the_cluster_repository_and_reads_only_its_sources() -> None:
    statements = {
        s["Sid"]: s
        for s in batch_policies.codebuild_statements(
            context(),
            repository_arn="arn:aws:ecr:us-east-1:123456789012:repository/pcluster-demo",
            bucket=BUCKET,
            source_key="pcluster-pulumi/demo/batch-image/job-image.zip",
        )
    }
    assert (
        statements["PushJobImage"]["Resource"]
        == "arn:aws:ecr:us-east-1:123456789012:repository/pcluster-demo"
    )
    assert statements["ImageSources"]["Resource"] == (
        "arn:aws:s3:::bucket/pcluster-pulumi/demo/batch-image/job-image.zip"
    )
    assert statements["BuildLogs"]["Resource"][0] == (
        "arn:aws:logs:us-east-1:123456789012:log-group:/aws/parallelcluster/codebuild/demo"
    )
    assert statements["EcrLogin"] == {
        "Sid": "EcrLogin",
        "Effect": "Allow",
        "Action": "ecr:GetAuthorizationToken",
        "Resource": "*",
    }


def test_the_cluster_gives_its_head_node_the_cli_rights_and_no_slurm_tables_exist() -> None:
    result = cached_plan(EXAMPLE, default_cluster_name(EXAMPLE))
    head_policies = [
        r
        for r in of_type(result, "aws:iam/rolePolicy:RolePolicy")
        if r.inputs["name"] == "pcluster-pulumi-awsbatch"
    ]
    (policy,) = head_policies
    assert policy.inputs["role"].endswith("-iam-head-role-id")
    sids = {s["Sid"] for s in json.loads(policy.inputs["policy"])["Statement"]}
    assert {"BatchCliRead", "BatchCliSubmit", "BatchCliTerminate", "BatchCliJobFiles"} <= sids
    head = next(r for r in of_type(result, "aws:ec2/instance:Instance"))
    assert any(d.endswith("-head-awsbatch-policy") for d in head.dependencies)
    assert of_type(result, "aws:dynamodb/table:Table") == []
    assert of_type(result, "aws:route53/zone:Zone") == []


def test_the_head_node_of_a_batch_cluster_gets_no_slurm_table_or_termination_rights() -> None:
    result = cached_plan(EXAMPLE, default_cluster_name(EXAMPLE))
    head = next(
        r for r in of_type(result, "aws:iam/rolePolicy:RolePolicy") if r.name.endswith("-iam-head-policy")
    )
    sids = {s["Sid"] for s in json.loads(head.inputs["policy"])["Statement"]}
    assert not sids & {"NodesTable", "StatusTable", "Ec2ManageClusterInstances", "NodeRecords"}
    assert "ClusterArtifactsRead" in sids  # it still reads the awsb* configuration at boot
