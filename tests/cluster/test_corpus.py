"""Every valid Slurm config of the reference corpus plans; an AWS Batch config is refused in one line."""

from __future__ import annotations

import json

import pytest

from pcluster_pulumi.cluster.cluster import UnsupportedSpecError
from pcluster_pulumi.offline import default_cluster_name, plan

from .conftest import CORPUS, cached_plan, of_type


def valid_configs(scheduler: str) -> list[str]:
    entries = json.loads((CORPUS / "manifest.json").read_text())
    files = [e["file"] for e in entries if e["verdict"] == "valid"]
    return [
        f for f in files if (f"Scheduler: {scheduler}" in (CORPUS / f).read_text()) == (scheduler == "slurm")
    ]


SLURM = valid_configs("slurm")


def test_the_corpus_has_slurm_configs_to_plan() -> None:
    assert len(SLURM) >= 30


@pytest.mark.parametrize("file", SLURM)
def test_valid_slurm_config_plans_a_complete_cluster(file: str) -> None:
    result = cached_plan(CORPUS / file, default_cluster_name(file))
    types = {r.type for r in result.resources}
    assert {"pcluster:cluster:Cluster", "aws:ec2/instance:Instance", "aws:dynamodb/table:Table"} <= types
    templates = of_type(result, "aws:ec2/launchTemplate:LaunchTemplate")
    crs = sum(
        len(q.compute_resources or ()) for q in __import__("pcluster_pulumi").load_spec(CORPUS / file).queues
    )
    assert len(templates) == crs
    assert result.outputs["headNodeInstanceId"].endswith("-head-node-instance-id")


def test_awsbatch_is_refused_with_one_sentence() -> None:
    batch = [e for e in json.loads((CORPUS / "manifest.json").read_text()) if "awsbatch" in e["file"]]
    valid = next(CORPUS / e["file"] for e in batch if e["verdict"] == "valid")
    with pytest.raises(UnsupportedSpecError, match=r"^scheduler 'awsbatch' is not supported yet"):
        plan(valid, "batch")
