"""Every valid Slurm config of the reference corpus plans (its shared storage and accounting included);
an AWS Batch config is refused in one line."""

from __future__ import annotations

import json

import pytest

from pcluster_pulumi import load_spec
from pcluster_pulumi.cluster.accounting import accounting_mode
from pcluster_pulumi.cluster.cluster import UnsupportedSpecError
from pcluster_pulumi.mount_table import NODE_TYPES, normalize_mount_dir
from pcluster_pulumi.offline import default_cluster_name, plan

from .conftest import CORPUS, cached_plan, named, of_type


def valid_configs(scheduler: str) -> list[str]:
    entries = json.loads((CORPUS / "manifest.json").read_text())
    files = [e["file"] for e in entries if e["verdict"] == "valid"]
    return [
        f for f in files if (f"Scheduler: {scheduler}" in (CORPUS / f).read_text()) == (scheduler == "slurm")
    ]


SLURM = valid_configs("slurm")
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
    crs = sum(len(q.compute_resources or ()) for q in load_spec(CORPUS / file).queues)
    assert len(templates) == crs
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


def test_awsbatch_is_refused_with_one_sentence() -> None:
    batch = [e for e in json.loads((CORPUS / "manifest.json").read_text()) if "awsbatch" in e["file"]]
    valid = next(CORPUS / e["file"] for e in batch if e["verdict"] == "valid")
    with pytest.raises(UnsupportedSpecError, match=r"^scheduler 'awsbatch' is not supported yet"):
        plan(valid, "batch")
