"""EFS under mocks: new file systems, one mount target per AZ, existing ones, the internal EFS."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pcluster_pulumi.cluster.storage.efs import mount_target_subnets
from pcluster_pulumi.cluster.storage.shared import SharedStorage
from pcluster_pulumi.spec.model import ClusterSpec

from .conftest import HEAD_IP, HEAD_SUBNET, OTHER_SUBNET, QUEUE_SUBNET, SUBNET_AZS, Run, make_spec, network

FS = "aws:efs/fileSystem:FileSystem"
MT = "aws:efs/mountTarget:MountTarget"
SG = "aws:ec2/securityGroup:SecurityGroup"
Build = Callable[[Callable[[], Any]], Run]


def storage_run(build: Build, spec: ClusterSpec) -> Run:
    return build(
        lambda: SharedStorage("st", spec, network=network(login=True), tags={"team": "hpc"}).mount_entries(
            HEAD_IP
        )
    )


def efs(**settings: Any) -> dict[str, Any]:
    return {"MountDir": "/efs", "Name": "shared-efs", "StorageType": "Efs", "EfsSettings": settings}


def test_new_file_system_carries_the_spec_settings_its_name(build: Build) -> None:
    spec = make_spec(
        [
            efs(
                Encrypted=True,
                KmsKeyId="kms-1",
                PerformanceMode="maxIO",
                ThroughputMode="provisioned",
                ProvisionedThroughput=256,
            )
        ]
    )
    (fs,) = storage_run(build, spec).of_type(FS)
    assert fs.inputs == {
        "encrypted": True,
        "kmsKeyId": "kms-1",
        "performanceMode": "maxIO",
        "throughputMode": "provisioned",
        "provisionedThroughputInMibps": 256,
        "tags": {"team": "hpc", "Name": "shared-efs"},
    }


def test_efs_is_encrypted_at_rest_even_when_the_spec_leaves_it_unencrypted(build: Build) -> None:
    (fs,) = storage_run(build, make_spec([efs(Encrypted=False)])).of_type(FS)
    assert fs.inputs["encrypted"] is True and "kmsKeyId" not in fs.inputs


def test_one_mount_target_per_az_of_head_queue_and_login_subnets() -> None:
    spec = make_spec(
        top={
            "LoginNodes": {
                "Pools": [
                    {
                        "Name": "pool1",
                        "InstanceType": "t3.medium",
                        "Count": 1,
                        "Networking": {"SubnetIds": [OTHER_SUBNET]},
                    }
                ]
            }
        }
    )
    assert mount_target_subnets(spec, SUBNET_AZS) == {
        "us-east-1a": HEAD_SUBNET,
        "us-east-1b": QUEUE_SUBNET,
        "us-east-1c": OTHER_SUBNET,
    }


def test_mount_targets_use_the_storage_group_and_wait_for_its_rules(build: Build) -> None:
    queues = [
        {
            "Name": "a",
            "ComputeResources": [{"Name": "c", "Instances": [{"InstanceType": "c5.xlarge"}]}],
            "Networking": {"SubnetIds": [QUEUE_SUBNET, OTHER_SUBNET]},
        },
        {
            "Name": "b",
            "ComputeResources": [{"Name": "c", "InstanceType": "c5.xlarge"}],
            "Networking": {"SubnetIds": [QUEUE_SUBNET]},
        },
    ]
    spec = make_spec([efs()], top={"Scheduling": {"Scheduler": "slurm", "SlurmQueues": queues}})
    run = storage_run(build, spec)
    targets = {m.name: m for m in run.of_type(MT)}
    assert sorted(targets) == [
        "st-shared-efs-mt-us-east-1a",
        "st-shared-efs-mt-us-east-1b",
        "st-shared-efs-mt-us-east-1c",
    ]
    assert targets["st-shared-efs-mt-us-east-1c"].inputs["subnetId"] == OTHER_SUBNET
    for target in targets.values():
        assert target.inputs["fileSystemId"] == "st-shared-efs-fs-id"
        assert target.inputs["securityGroups"] == ["st-shared-efs-sg-group-id"]
        assert (
            "st-shared-efs-sg-in-self" in target.dependencies
            and "st-shared-efs-sg-in-head" in target.dependencies
        )
    group = run.named("st-shared-efs-sg-group")
    assert group.inputs["vpcId"] == "vpc-0123456789abcdef0"


def test_an_existing_file_system_is_read_for_its_dns_name_and_nothing_is_created(build: Build) -> None:
    run = storage_run(build, make_spec([efs(FileSystemId="fs-0123456789abcdef0")]))
    assert run.created() == []
    assert [r.read_id for r in run.reads(FS)] == ["fs-0123456789abcdef0"]
    assert {e["source"] for e in run.value if e["mount_dir"] == "/efs"} == {
        "fs-0123456789abcdef0.efs.us-east-1.amazonaws.com:/"
    }


def test_encryption_in_transit_mounts_through_the_efs_helper(build: Build) -> None:
    run = storage_run(build, make_spec([efs(FileSystemId="fs-0123456789abcdef0", EncryptionInTransit=True)]))
    mounts = [e for e in run.value if e["mount_dir"] == "/efs"]
    assert len(mounts) == 3
    assert {(e["fstype"], e["source"], e["options"]) for e in mounts} == {
        ("efs", "fs-0123456789abcdef0:/", "_netdev,noresvport,tls")
    }


def test_internal_efs_is_elastic_and_always_deleted(build: Build) -> None:
    spec = make_spec(head_node={"SharedStorageType": "Efs", "SharedStorageEfsSettings": {"Encrypted": False}})
    run = storage_run(build, spec)
    (fs,) = run.of_type(FS)
    assert fs.name == "st-internal-fs"
    assert fs.inputs["throughputMode"] == "elastic" and fs.inputs["encrypted"] is True
    assert fs.inputs["tags"]["Name"] == "internal_pcluster_shared"
    assert len(run.of_type(MT)) == 2
    assert not any(r.retain_on_delete for r in run.created())
    assert {e["source"] for e in run.value if e["mount_dir"] == "/opt/slurm"} == {
        "st-internal-fs-id.us-east-1.example.internal:/slurm"
    }


def test_retain_keeps_file_system_mount_targets_group_and_self_rules_but_not_node_rules(build: Build) -> None:
    run = storage_run(build, make_spec([efs(DeletionPolicy="Retain")]))
    kept = sorted(r.name for r in run.created() if r.retain_on_delete)
    assert kept == [
        "st-shared-efs-fs",
        "st-shared-efs-mt-us-east-1a",
        "st-shared-efs-mt-us-east-1b",
        "st-shared-efs-sg-group",
        "st-shared-efs-sg-in-self",
        "st-shared-efs-sg-out-self",
    ]
    assert not run.named("st-shared-efs-sg-in-compute").retain_on_delete


def test_delete_policy_retains_nothing(build: Build) -> None:
    run = storage_run(build, make_spec([efs()]))
    assert run.of_type(FS) and not any(r.retain_on_delete for r in run.created())


def test_iam_authorization_lets_the_given_roles_mount_only_those_file_systems(build: Build) -> None:
    spec = make_spec(
        [
            efs(EncryptionInTransit=True, IamAuthorization=True),
            {
                "MountDir": "/old",
                "Name": "old",
                "StorageType": "Efs",
                "EfsSettings": {
                    "FileSystemId": "fs-0123456789abcdef0",
                    "EncryptionInTransit": True,
                    "IamAuthorization": True,
                },
            },
            {
                "MountDir": "/plain",
                "Name": "plain",
                "StorageType": "Efs",
                "EfsSettings": {"FileSystemId": "fs-0123456789abcdef1"},
            },
        ]
    )

    def program() -> Any:
        storage = SharedStorage("st", spec, network=network())
        storage.efs_client_policies(
            {"head": "head-role", "compute": "compute-role"},
            partition="aws",
            region="us-east-1",
            account_id="123456789012",
        )
        return storage.resolved

    run = build(program)
    policies = {r.name: r.inputs for r in run.of_type("aws:iam/rolePolicy:RolePolicy")}
    assert {n: p["role"] for n, p in policies.items()} == {
        "st-efs-iam-head": "head-role",
        "st-efs-iam-compute": "compute-role",
    }
    (statement,) = json.loads(policies["st-efs-iam-head"]["policy"])["Statement"]
    assert statement["Action"] == [
        "elasticfilesystem:ClientMount",
        "elasticfilesystem:ClientRootAccess",
        "elasticfilesystem:ClientWrite",
    ]
    prefix = "arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/"
    assert statement["Resource"] == [prefix + "st-shared-efs-fs-id", prefix + "fs-0123456789abcdef0"]


def test_no_efs_policy_without_iam_authorization(build: Build) -> None:
    def program() -> Any:
        storage = SharedStorage("st", make_spec([efs()]), network=network())
        assert storage.efs_client_policies({"head": "r"}, partition="aws", region="r", account_id="1") == []
        return storage.resolved

    assert build(program).of_type("aws:iam/rolePolicy:RolePolicy") == []
