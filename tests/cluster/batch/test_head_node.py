"""The head node of an AWS Batch cluster is ParallelCluster's awsbatch head node: no Slurm anywhere.

Asserted on the offline plan's recorded inputs: no Slurm queues component, a runtime
configuration without anything a node would run Slurm from, a mount table that shares only
/home and the user's storage, and head role documents without DynamoDB, Route 53 or instance
launches.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pcluster_pulumi.cluster.cluster import UnsupportedSpecError
from pcluster_pulumi.contract.config import AWSBATCH, NodeConfig
from pcluster_pulumi.derive.mount_table import HEAD, ResolvedStorage, mount_table
from pcluster_pulumi.engines.offline.plan import Plan, default_cluster_name
from pcluster_pulumi.spec.loader import load_spec

from ..conftest import cached_plan, of_type

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "awsbatch.yaml"
SLURM_EXAMPLE = ROOT / "examples" / "slurm-storage.yaml"
#: What a ParallelCluster awsbatch head node never has: the Slurm installation and its shared dirs.
SLURM_DIRS = (
    "/opt/slurm",
    "/opt/intel",
    "/opt/parallelcluster/shared",
    "/opt/parallelcluster/shared_login_nodes",
)


def batch_plan() -> Plan:
    return cached_plan(EXAMPLE, default_cluster_name(EXAMPLE))


def runtime_document() -> dict[str, object]:
    (obj,) = [r for r in batch_plan().resources if r.name.endswith("-runtime-config-object")]
    document: dict[str, object] = json.loads(obj.inputs["content"])
    return document


def test_the_cluster_registers_no_slurm_queues_or_launch_templates_of_its_own() -> None:
    result = batch_plan()
    assert [r.name for r in result.resources if r.type == "pcluster:slurm_queues:SlurmQueues"] == []
    templates = [r.name for r in of_type(result, "aws:ec2/launchTemplate:LaunchTemplate")]
    assert templates == ["awsbatch-batch-compute-launch-template"]  # the compute environment's only
    assert result.outputs["launchTemplates"] == {}
    # ...while a Slurm cluster still has its queues.
    slurm = cached_plan(SLURM_EXAMPLE, default_cluster_name(SLURM_EXAMPLE))
    assert [r.type for r in slurm.resources].count("pcluster:slurm_queues:SlurmQueues") == 1


def test_the_runtime_configuration_carries_nothing_a_node_would_run_slurm_from() -> None:
    document = runtime_document()
    assert document["scheduler_type"] == AWSBATCH
    slurm_keys = {
        "tables",
        "queues",
        "scheduler",
        "keeper",
        "munge_key_secret_arn",
        "dns",
        "use_ec2_hostnames",
    }
    assert not slurm_keys & set(document)
    config = NodeConfig.from_dict(dict(document))  # the node's own reader takes it
    assert (config.scheduler_type, config.queues, config.scheduler.accounting) == (AWSBATCH, (), None)


def test_a_slurm_document_without_tables_is_refused_by_the_node_reader() -> None:
    document = {k: v for k, v in runtime_document().items() if k != "scheduler_type"}
    with pytest.raises(ValueError, match=r"\$\.tables"):
        NodeConfig.from_dict(document)


def test_the_head_node_shares_only_home_and_the_user_storage_as_parallelclusters_does() -> None:
    mounts = runtime_document()["mounts"]
    assert isinstance(mounts, list)
    assert {m["roles"][0] for m in mounts} == {HEAD}  # no node of ours mounts from it: Batch jobs do
    assert [(m["mount_dir"], m["kind"], "export_options" in m) for m in mounts] == [
        ("/home", "local", True),
        ("/shared", "ebs", True),
        ("/data", "efs", False),  # every job mounts EFS itself
    ]
    assert not {m["mount_dir"] for m in mounts} & set(SLURM_DIRS)


def test_home_on_shared_storage_leaves_the_head_node_no_internal_dir() -> None:
    text = EXAMPLE.read_text().replace("MountDir: /shared", "MountDir: /home")
    spec = load_spec(text, cluster_name="demo")
    table = mount_table(
        spec,
        {"shared": ResolvedStorage(volume_ids=("vol-1",)), "data": ResolvedStorage(dns_name="fs-1.efs")},
        head_address="10.0.0.10",
    )
    assert [(e["mount_dir"], e["kind"]) for e in table[HEAD]] == [("/home", "ebs"), ("/data", "efs")]
    assert table["compute"] == table["login"] == []


def _head_role_documents() -> dict[str, dict[str, object]]:
    """Every inline policy on the head node's role, by resource name."""
    result = batch_plan()
    return {
        r.name: json.loads(r.inputs["policy"])
        for r in of_type(result, "aws:iam/rolePolicy:RolePolicy")
        if r.inputs["role"] == "awsbatch-iam-head-role-id"
    }


def test_no_head_role_document_allows_dynamodb_route53_or_launching_instances() -> None:
    documents = _head_role_documents()
    assert set(documents) >= {"awsbatch-iam-head-policy", "awsbatch-batch-iam-head-awsbatch-policy"}
    actions = [
        action
        for document in documents.values()
        for statement in document["Statement"]  # type: ignore[attr-defined]
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    ]
    forbidden = ("dynamodb:", "route53:", "ec2:RunInstances", "ec2:CreateFleet", "ec2:TerminateInstances")
    assert [a for a in actions if a.startswith(forbidden)] == []
    assert "iam:PassRole" not in actions  # Batch passes the ECS instance role itself
    assert "batch:SubmitJob" in actions  # what the head role is for: the awsb* commands
    # No policy of the Slurm fleet, and no managed policy granting any of it, either.
    attached = [
        r.inputs["policyArn"]
        for r in of_type(batch_plan(), "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if r.inputs["role"] == "awsbatch-iam-head-role-id"
    ]
    assert not [a for a in attached if "DynamoDB" in a or "Route53" in a or "EC2FullAccess" in a]


def test_an_s3_cli_package_is_readable_by_the_head_role_only() -> None:
    text = (
        EXAMPLE.read_text() + "DevSettings:\n  AwsBatchCliPackage: s3://my-packages/awsbatch-cli-1.6.0.tgz\n"
    )
    result = cached_plan(text, "awsbatch")
    by_name = {
        r.name: json.loads(r.inputs["policy"]) for r in of_type(result, "aws:iam/rolePolicy:RolePolicy")
    }
    head = {s["Sid"]: s for s in by_name["awsbatch-batch-iam-head-awsbatch-policy"]["Statement"]}
    assert head["BatchCliPackage"] == {
        "Sid": "BatchCliPackage",
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::my-packages/awsbatch-cli-1.6.0.tgz",
    }
    user = {s["Sid"] for s in by_name["awsbatch-batch-iam-batch-user-policy"]["Statement"]}
    assert "BatchCliPackage" not in user
    example = {s["Sid"] for s in json.loads(_head_awsbatch_policy())["Statement"]}
    assert "BatchCliPackage" not in example  # no package setting: nothing more to read


def _head_awsbatch_policy() -> str:
    (policy,) = [
        r
        for r in of_type(batch_plan(), "aws:iam/rolePolicy:RolePolicy")
        if r.name.endswith("head-awsbatch-policy")
    ]
    return str(policy.inputs["policy"])


def test_an_s3_cli_package_that_names_no_object_is_refused_before_anything_is_planned() -> None:
    text = EXAMPLE.read_text() + "DevSettings:\n  AwsBatchCliPackage: s3://my-packages/\n"
    with pytest.raises(UnsupportedSpecError, match="AwsBatchCliPackage: 's3://my-packages/' names no object"):
        cached_plan(text, "awsbatch")


def test_planning_never_imports_boto3_the_image_build_loads_it_when_the_engine_runs_it() -> None:
    probe = (
        "import sys\n"
        "from pcluster_pulumi.engines.offline.plan import plan\n"
        f"plan({str(EXAMPLE)!r}, 'awsbatch')\n"
        "print(sorted(m for m in ('boto3', 'botocore') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.strip() == "[]", done.stderr


def test_home_on_the_internal_efs_is_refused_since_batch_jobs_mount_it_from_the_head_node() -> None:
    text = EXAMPLE.read_text().replace("  Imds:\n", "  SharedStorageType: Efs\n  Imds:\n", 1)
    with pytest.raises(
        UnsupportedSpecError, match="SharedStorageType: Efs is not supported with Scheduler: awsbatch"
    ):
        cached_plan(text, "awsbatch")
