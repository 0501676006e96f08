"""Shared storage and Slurm accounting wired into ``Cluster``: what the plan of a whole cluster holds.

The components themselves are specified in ``tests/cluster/storage/``; these tests check the
wiring: who owns them, which node groups and roles they are given, what the head node waits for,
what reaches the nodes through the runtime configuration, the stack outputs, and that what the
cluster cannot build is refused before anything is registered.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from pcluster_pulumi.cluster.cluster import UnsupportedSpecError
from pcluster_pulumi.engines.offline.plan import Plan, plan
from pcluster_pulumi.engines.offline.storage_facts import computed_outputs
from pcluster_pulumi.program import build
from pcluster_pulumi.spec.loader import load_spec

from .conftest import CORPUS, EXAMPLES, MINIMAL, cached_plan, named, of_type, policy

STORAGE = EXAMPLES / "slurm-storage.yaml"
ACCOUNTING = EXAMPLES / "slurm-accounting.yaml"
EXISTING_DATABASE = CORPUS / "valid" / "it_slurm_accounting-pcluster.config.update2_with_database.yaml"
RDS_CLUSTER = "aws:rds/cluster:Cluster"


@pytest.fixture(scope="module")
def storage() -> Plan:
    return cached_plan(STORAGE, "slurm-storage")


@pytest.fixture(scope="module")
def accounting() -> Plan:
    return cached_plan(ACCOUNTING, "slurm-accounting")


def runtime_config(result: Plan) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        named(result, f"{result.cluster}-runtime-config-object").inputs["content"]
    )
    return document


def mounts(result: Plan, role: str) -> dict[str, dict[str, Any]]:
    """mount dir → the runtime configuration's mount entry for a node role."""
    return {m["mount_dir"]: m for m in runtime_config(result)["mounts"] if m["roles"] == [role]}


def test_storage_and_accounting_are_components_of_the_cluster(
    storage: Plan, accounting: Plan, minimal: Plan
) -> None:
    for result in (storage, accounting):
        cluster = named(result, result.cluster).urn
        assert named(result, f"{result.cluster}-storage").parent == cluster
    assert named(accounting, "slurm-accounting-accounting").type == "pcluster:accounting:SlurmAccounting"
    assert named(accounting, "slurm-accounting-accounting-cluster").parent.endswith(
        "pcluster:accounting:SlurmAccounting::slurm-accounting-accounting"
    )
    assert not of_type(minimal, "pcluster:accounting:SlurmAccounting"), "no accounting, no component"
    assert named(minimal, "demo-storage").type == "pcluster:shared_storage:SharedStorage"


def test_shared_volumes_are_made_in_the_head_nodes_az_and_attached_to_it(storage: Plan) -> None:
    volumes = of_type(storage, "aws:ebs/volume:Volume")
    assert len(volumes) == 5  # /shared and four RAID members
    assert {v.inputs["availabilityZone"] for v in volumes} == {storage.outputs["headNodeAvailabilityZone"]}
    attachments = of_type(storage, "aws:ec2/volumeAttachment:VolumeAttachment")
    head = named(storage, "slurm-storage-head-node-instance")
    assert {a.inputs["instanceId"] for a in attachments} == {storage.outputs["headNodeInstanceId"]}
    assert all(head.urn in a.dependencies for a in attachments)
    attached = {a.inputs["volumeId"]: a.inputs["deviceName"] for a in attachments}
    assert set(attached) == {f"{v.name}-id" for v in volumes}
    head_mounts = mounts(storage, "head")
    in_config = {
        vol["volume_id"]: vol["device_name"]
        for d in ("/shared", "/scratch")
        for vol in head_mounts[d]["volumes"]
    }
    assert in_config == attached, "the head node looks for each volume where it is attached"
    assert head_mounts["/scratch"]["kind"] == "raid" and head_mounts["/scratch"]["raid_level"] == 0


def test_file_systems_admit_the_clusters_head_and_compute_groups(storage: Plan) -> None:
    head, compute = "slurm-storage-network-head-id", "slurm-storage-network-compute-id"
    for fs in ("home", "fsx"):
        group = f"slurm-storage-storage-{fs}-sg-group-id"
        peers = {
            r.inputs["referencedSecurityGroupId"]
            for r in of_type(storage, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
            if r.inputs["securityGroupId"] == group
        }
        assert peers == {head, compute, group}
        assert (
            named(storage, f"slurm-storage-storage-{fs}-sg-group").inputs["vpcId"] == "vpc-0123456789abcdef0"
        )
    targets = of_type(storage, "aws:efs/mountTarget:MountTarget")
    assert sorted(t.inputs["subnetId"] for t in targets) == [
        "subnet-0123456789abcdef0",
        "subnet-0123456789abcdef1",
    ]


def test_every_node_type_mounts_every_storage_from_where_it_lives(storage: Plan) -> None:
    address = runtime_config(storage)["head_node"]["private_ip"]
    assert storage.outputs["headNodePrivateIp"] == address
    lustre = computed_outputs("aws:fsx/lustreFileSystem:LustreFileSystem", "slurm-storage-storage-fsx-fs-id")
    for role in ("compute", "login"):
        seen = mounts(storage, role)
        assert seen["/shared"]["source"] == f"{address}:/shared"
        assert seen["/scratch"]["source"] == f"{address}:/scratch"
        assert seen["/home"]["source"] == "slurm-storage-storage-home-fs-id:/"
        assert seen["/home"]["options"].split(",")[-2:] == ["tls", "iam"]
        assert seen["/fsx"]["source"] == f"{lustre['dnsName']}@tcp:/{lustre['mountName']}"
        assert seen["/projects"]["kind"] == "ontap" and seen["/projects"]["source"].endswith(
            ":/fsvol_0123456789abcdef0"
        )
    assert "/home" not in {
        m["mount_dir"] for m in runtime_config(storage)["mounts"] if m["kind"] == "local"
    }, "an EFS /home replaces the head node's exported /home"


def test_efs_iam_authorization_is_granted_to_the_cluster_roles_on_that_file_system_only(
    storage: Plan,
) -> None:
    grants = {
        r.inputs["role"]: policy(r)["Statement"]
        for r in of_type(storage, "aws:iam/rolePolicy:RolePolicy")
        if r.name.startswith("slurm-storage-storage-efs-iam-")
    }
    assert set(grants) == {"slurm-storage-iam-head-role-id", "slurm-storage-iam-queue-compute-role-id"}
    for statements in grants.values():
        (statement,) = statements
        assert statement["Resource"] == [
            "arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/slurm-storage-storage-home-fs-id"
        ]


def test_head_node_boots_only_when_storage_can_be_mounted(storage: Plan) -> None:
    head = named(storage, "slurm-storage-head-node-instance")
    for grant in ("head", "queue-compute"):
        assert named(storage, f"slurm-storage-storage-efs-iam-{grant}").urn in head.dependencies
    config = named(storage, "slurm-storage-runtime-config-object")
    assert config.urn in head.dependencies
    for waited in ("home-mt-us-east-1a", "home-mt-us-east-1b", "fsx-fs", "shared-volume", "scratch-volume-4"):
        assert named(storage, f"slurm-storage-storage-{waited}").urn in config.dependencies, waited


def test_stack_outputs_list_storage_ids_as_parallelcluster_does(storage: Plan, minimal: Plan) -> None:
    prefix = "slurm-storage-storage"
    assert storage.outputs["ebsIds"] == [f"{prefix}-shared-volume-id"]
    assert storage.outputs["raidIds"] == [f"{prefix}-scratch-volume-{i}-id" for i in range(1, 5)]
    assert storage.outputs["efsIds"] == [f"{prefix}-home-fs-id"]
    (lustre, ontap) = storage.outputs["fsxIds"]
    assert lustre == f"{prefix}-fsx-fs-id" and ontap.startswith("fs-")
    assert [minimal.outputs[k] for k in ("ebsIds", "raidIds", "efsIds", "fsxIds")] == [[], [], [], []]


def test_managed_database_configures_slurmdbd_and_only_the_head_node_reaches_it(accounting: Plan) -> None:
    computed = computed_outputs(RDS_CLUSTER, "slurm-accounting-accounting-cluster-id")
    secret = computed["masterUserSecrets"][0]["secretArn"]
    assert runtime_config(accounting)["scheduler"]["accounting"] == {
        "kind": "database",
        "host": computed["endpoint"],
        "port": 3306,
        "user_name": "slurm",
        "password_secret_arn": secret,
        "database_name": "slurm_accounting",
    }
    read = named(accounting, "slurm-accounting-accounting-secret-read")
    assert read.inputs["role"] == "slurm-accounting-iam-head-role-id"
    assert policy(read)["Statement"][0]["Resource"] == secret
    assert read.urn in named(accounting, "slurm-accounting-head-node-instance").dependencies
    rule = named(accounting, "slurm-accounting-accounting-from-head")
    assert rule.inputs["referencedSecurityGroupId"] == "slurm-accounting-network-head-id"
    (subnets,) = of_type(accounting, "aws:rds/subnetGroup:SubnetGroup")
    assert subnets.inputs["subnetIds"] == ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]


def test_an_existing_databases_password_is_granted_to_the_head_node_exactly_once() -> None:
    result = cached_plan(EXISTING_DATABASE, "accounting")
    secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:dbpass-AbCdEf"
    grants = [
        (r.name, s)
        for r in of_type(result, "aws:iam/rolePolicy:RolePolicy")
        for s in policy(r)["Statement"]
        if secret in json.dumps(s["Resource"])
    ]
    assert [(name, s["Action"]) for name, s in grants] == [
        ("accounting-accounting-secret-read", "secretsmanager:GetSecretValue")
    ]
    assert runtime_config(result)["scheduler"]["accounting"]["password_secret_arn"] == secret
    assert not of_type(result, RDS_CLUSTER)


def _refuse(text: str) -> tuple[str, Plan]:
    """Plan a spec whose Cluster must refuse it; the refusal and what was registered before it."""
    seen: dict[str, str] = {}

    def program(spec, name, region):  # type: ignore[no-untyped-def]
        with pytest.raises(UnsupportedSpecError) as refused:
            build(spec, name, region)
        seen["message"] = str(refused.value)

    # validate refuses these too; the validators are skipped to prove Cluster's own guard
    spec = load_spec(text, suppress_validators=["ManagedDatabaseValidator", "SharedStorageNameValidator"])
    result = plan(spec, "demo", program=program)
    return seen["message"], result


ONE_AZ = MINIMAL.replace("subnet-0bbbbbbbbbbbbbbb1", "subnet-0aaaaaaaaaaaaaaa0")
WITH_DATABASE = "  SlurmSettings:\n    Database:\n{}  SlurmQueues:\n"
SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            ONE_AZ.replace("  SlurmQueues:\n", WITH_DATABASE.format("      MaxCapacity: 2\n")),
            "the managed accounting database needs subnets in two availability zones",
        ),
        (
            MINIMAL.replace(
                "  SlurmQueues:\n",
                WITH_DATABASE.format(f"      PasswordSecretArn: {SECRET}\n"),
            ),
            "Scheduling.SlurmSettings.Database.PasswordSecretArn needs a Uri",
        ),
        (
            MINIMAL.replace("  Ssh:\n", "  SharedStorageType: Efs\n  Ssh:\n")
            + "SharedStorage:\n  - Name: internal_pcluster_shared\n    MountDir: /data\n"
            + "    StorageType: Efs\n",
            "SharedStorage name 'internal_pcluster_shared' is reserved",
        ),
    ],
    ids=["one-az-database", "managed-database-with-password", "reserved-storage-name"],
)
def test_what_the_cluster_cannot_build_is_refused_before_anything_is_registered(
    text: str, message: str
) -> None:
    refusal, result = _refuse(text)
    assert refusal.startswith(message) and "\n" not in refusal
    assert {r.type for r in result.resources} == {"pulumi:providers:aws", "pcluster:cluster:Cluster"}
