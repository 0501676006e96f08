"""Every storage and accounting config of the conformance corpus builds SharedStorage and SlurmAccounting."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pcluster_pulumi.cluster.accounting import SlurmAccounting, accounting_mode
from pcluster_pulumi.cluster.storage.fsx import resource_key
from pcluster_pulumi.cluster.storage.shared import SharedStorage, StorageNetwork
from pcluster_pulumi.derive.deletion import Fate, plan_destroy
from pcluster_pulumi.derive.mount_table import HEAD, NODE_TYPES, normalize_mount_dir
from pcluster_pulumi.spec.loader import load_spec

from .conftest import HEAD_IP, SUBNET_AZS, VPC, Run

CORPUS = Path(__file__).resolve().parents[4] / "shared" / "configs" / "pcluster"
KEYS = ("SharedStorage", "Database", "ExternalSlurmdbd", "SharedStorageType: Efs")
Build = Callable[[Callable[[], Any]], Run]


def storage_configs() -> list[str]:
    manifest = json.loads((CORPUS / "manifest.json").read_text())
    return sorted(
        e["file"]
        for e in manifest
        if e["verdict"] == "valid" and any(k in (CORPUS / e["file"]).read_text() for k in KEYS)
    )


def test_the_corpus_has_storage_and_accounting_configs() -> None:
    files = storage_configs()
    assert len(files) >= 15
    assert any("ontap" in f for f in files) and any("accounting" in f for f in files)


@pytest.mark.parametrize("file", storage_configs())
def test_corpus_config_builds_storage_and_accounting(build: Build, file: str) -> None:
    spec = load_spec(str(CORPUS / file), cluster_name="corpus")
    pools = spec.login_nodes.pools if spec.login_nodes else ()
    net = StorageNetwork(
        vpc_id=VPC,
        subnet_azs=SUBNET_AZS,
        head_groups={"head": "sg-head"},
        compute_groups={"compute": "sg-compute"},
        login_groups={f"login-{p.name}": f"sg-login-{p.name}" for p in pools},
    )

    def program() -> Any:
        storage = SharedStorage("st", spec, network=net, tags={"parallelcluster:cluster-name": "corpus"})
        storage.attach_to_head_node("i-0head")
        accounting = SlurmAccounting(
            "acct",
            spec,
            cluster_name="corpus",
            vpc_id=VPC,
            subnet_azs=SUBNET_AZS,
            head_security_groups={"head": "sg-head"},
            head_role_name="head-role",
        )
        return storage.mount_entries(HEAD_IP).apply(
            lambda mounts: accounting.config.apply(lambda c: (mounts, c))
        )

    run = build(program)
    mounts, config = run.value
    names = [r.name for r in run.records]
    assert len(names) == len(set(names)), "two resources would share a URN"
    assert all(r.parent != "storage-test" for r in run.records if r.type.startswith("aws:")), (
        "every resource has a component parent"
    )
    # An AWS Batch cluster's only node of ours is the head node (its jobs mount from their environment).
    node_types = NODE_TYPES if spec.is_slurm else (HEAD,)
    for storage in spec.shared_storage or ():
        mount_dir = normalize_mount_dir(storage.mount_dir)
        for node_type in node_types:
            assert [m for m in mounts if m["roles"] == [node_type] and m["mount_dir"] == mount_dir], (
                node_type,
                mount_dir,
            )
    owned = {
        resource_key(r.owner.split()[1])
        for r in plan_destroy(spec)
        if r.owner.startswith("SharedStorage") and r.fate is not Fate.NOT_OWNED
    }
    with_resources = {
        r.parent.removeprefix("st-")
        for r in run.created()
        if r.parent.startswith("st-") and r.parent != "st-attach"
    }
    with_resources = {name.removesuffix("-sg") for name in with_resources} - {"internal"}
    assert with_resources == owned
    mode = accounting_mode(spec)
    assert (config or {}).get("kind") == {
        "existing": "database",
        "managed": "database",
        "external": "external",
    }.get(mode or "")
    if mode == "existing":
        assert run.of_type("aws:iam/rolePolicy:RolePolicy")
