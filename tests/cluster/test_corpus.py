"""Every valid config of the reference corpus plans: Slurm (its shared storage and accounting
included) and AWS Batch (compute environment, queue, job definitions, job image; no Slurm pieces)."""

from __future__ import annotations

import json

import pytest

from pcluster_pulumi import load_spec
from pcluster_pulumi.cluster.accounting import accounting_mode
from pcluster_pulumi.derive.mount_table import NODE_TYPES, normalize_mount_dir
from pcluster_pulumi.engines.offline.plan import default_cluster_name

from .conftest import CORPUS, cached_plan, named, of_type


def valid_configs(scheduler: str) -> list[str]:
    entries = json.loads((CORPUS / "manifest.json").read_text())
    files = [e["file"] for e in entries if e["verdict"] == "valid"]
    return [
        f for f in files if (f"Scheduler: {scheduler}" in (CORPUS / f).read_text()) == (scheduler == "slurm")
    ]


SLURM = valid_configs("slurm")
#: The valid AWS Batch configs (``valid_configs`` keeps the files that name their scheduler as Slurm).
AWSBATCH = [
    e["file"]
    for e in json.loads((CORPUS / "manifest.json").read_text())
    if e["verdict"] == "valid" and "Scheduler: awsbatch" in (CORPUS / e["file"]).read_text()
]
#: The valid Slurm configs with shared storage or Slurm accounting.
WITH_STORAGE = [
    f
    for f in SLURM
    if any(k in (CORPUS / f).read_text() for k in ("SharedStorage", "Database", "ExternalSlurmdbd"))
]


def test_the_corpus_has_slurm_configs_to_plan() -> None:
    assert len(SLURM) >= 30


@pytest.mark.parametrize("file", SLURM)
def test_valid_slurm_config_plans_a_complete_cluster(file: str) -> None:
    result = cached_plan(CORPUS / file, default_cluster_name(file))
    types = {r.type for r in result.resources}
    assert {"pcluster:cluster:Cluster", "aws:ec2/instance:Instance", "aws:dynamodb/table:Table"} <= types
    templates = of_type(result, "aws:ec2/launchTemplate:LaunchTemplate")
    spec = load_spec(CORPUS / file)
    crs = sum(len(q.compute_resources or ()) for q in spec.queues)
    pools = len(spec.login_nodes.pools) if spec.login_nodes else 0
    assert len(templates) == crs + pools
    assert result.outputs["headNodeInstanceId"].endswith("-head-node-instance-id")


def test_the_corpus_has_storage_and_accounting_configs_to_plan() -> None:
    kinds = {s.storage_type for f in WITH_STORAGE for s in load_spec(CORPUS / f).shared_storage or ()}
    assert kinds == {"Ebs", "Efs", "FsxLustre", "FsxOntap", "FsxOpenZfs", "FileCache"}
    modes = {accounting_mode(load_spec(CORPUS / f)) for f in WITH_STORAGE}
    assert {"existing", "external"} <= modes


@pytest.mark.parametrize("file", WITH_STORAGE)
def test_storage_and_accounting_of_a_corpus_config_reach_every_node(file: str) -> None:
    name = default_cluster_name(file)
    result, spec = cached_plan(CORPUS / file, name), load_spec(CORPUS / file, cluster_name=name)
    config = json.loads(named(result, f"{name}-runtime-config-object").inputs["content"])
    placed = {(m["roles"][0], m["mount_dir"]) for m in config["mounts"]}
    entries = spec.shared_storage or ()
    for storage in entries:
        for node_type in NODE_TYPES:
            assert (node_type, normalize_mount_dir(storage.mount_dir)) in placed, (storage.name, node_type)
    ebs = [s.ebs_settings for s in entries if s.storage_type == "Ebs"]
    assert len(result.outputs["ebsIds"]) == sum(1 for e in ebs if e is None or e.raid is None)
    assert len(result.outputs["raidIds"]) == sum(e.raid.number_of_volumes for e in ebs if e and e.raid)
    assert len(result.outputs["efsIds"]) == sum(s.storage_type == "Efs" for s in entries)
    assert len(result.outputs["fsxIds"]) == sum(s.storage_type not in ("Ebs", "Efs") for s in entries)
    accounting = config["scheduler"].get("accounting")
    expected = {"existing": "database", "managed": "database", "external": "external"}.get(
        accounting_mode(spec) or ""
    )
    assert (accounting or {}).get("kind") == expected
    assert bool(of_type(result, "pcluster:accounting:SlurmAccounting")) is (expected is not None)


def test_the_corpus_has_awsbatch_configs_to_plan() -> None:
    assert AWSBATCH


@pytest.mark.parametrize("file", AWSBATCH)
def test_valid_awsbatch_config_plans_the_batch_scheduler_and_no_slurm_pieces(file: str) -> None:
    result = cached_plan(CORPUS / file, default_cluster_name(file))
    types = {r.type for r in result.resources}
    assert {
        "aws:batch/computeEnvironment:ComputeEnvironment",
        "aws:batch/jobQueue:JobQueue",
        "aws:ecr/repository:Repository",
        "aws:codebuild/project:Project",
        "pulumi-python:dynamic/batch:ImageBuild",
        "aws:ec2/instance:Instance",
    } <= types
    assert len(of_type(result, "aws:batch/jobDefinition:JobDefinition")) == 2
    assert not types & {"aws:dynamodb/table:Table", "aws:route53/zone:Zone"}
    assert result.outputs["batchJobQueueArn"] and result.outputs["batchUserRole"]
