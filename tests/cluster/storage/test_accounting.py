"""Slurm accounting under mocks: an existing database, the managed Aurora extension, external slurmdbd."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from pcluster_pulumi.cluster.accounting import (
    ENGINE_VERSION,
    ManagedDatabase,
    SlurmAccounting,
    accounting_config,
    database_subnets,
)
from pcluster_pulumi.contract.config import Accounting
from pcluster_pulumi.contract.config_reader import Reader
from pcluster_pulumi.engines.offline.storage_facts import computed_outputs
from pcluster_pulumi.spec.model import ClusterSpec

from .conftest import HEAD_SUBNET, OTHER_SUBNET, QUEUE_SUBNET, SUBNET_AZS, VPC, Run, make_spec

CLUSTER = "aws:rds/cluster:Cluster"
INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
POLICY = "aws:iam/rolePolicy:RolePolicy"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:dbpass-AbCdEf"
EXISTING = {"Uri": "mydb.example.internal", "UserName": "admin", "PasswordSecretArn": SECRET}
Build = Callable[[Callable[[], Any]], Run]


def accounting_run(build: Build, spec: ClusterSpec, **kwargs: Any) -> Run:
    def program() -> Any:
        options: dict[str, Any] = {"head_role_name": "head-role", **kwargs}
        accounting = SlurmAccounting(
            "acct",
            spec,
            cluster_name="my-cluster",
            vpc_id=VPC,
            subnet_azs=SUBNET_AZS,
            head_security_groups={"head": "sg-head", "sg-0123456789abcdef7": "sg-0123456789abcdef7"},
            tags={"team": "hpc"},
            **options,
        )
        return accounting.config

    return build(program)


def managed(**database: Any) -> ClusterSpec:
    return make_spec(slurm_settings={"Database": database}, name="my-cluster")


def test_existing_database_lets_the_head_node_read_only_its_password(build: Build) -> None:
    run = accounting_run(build, make_spec(slurm_settings={"Database": EXISTING}, name="my-cluster"))
    assert run.of_type(CLUSTER) == [] and run.of_type(INGRESS) == []
    (policy,) = run.of_type(POLICY)
    assert policy.inputs["role"] == "head-role"
    assert json.loads(policy.inputs["policy"])["Statement"] == [
        {
            "Sid": "SlurmDbPassword",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": SECRET,
        }
    ]
    assert run.value == {
        "kind": "database",
        "host": "mydb.example.internal",
        "port": 3306,
        "user_name": "admin",
        "password_secret_arn": SECRET,
        "database_name": "my_cluster",
    }


def test_existing_database_group_admits_the_head_node_on_the_uri_port(build: Build) -> None:
    spec = make_spec(
        slurm_settings={"Database": {**EXISTING, "Uri": "db.internal:3307", "DatabaseName": "acct"}}
    )
    run = accounting_run(build, spec, database_security_group_id="sg-db")
    rules = {r.name: r.inputs for r in run.of_type(INGRESS)}
    assert set(rules) == {"acct-from-head", "acct-from-sg-0123456789abcdef7"}
    assert rules["acct-from-head"] == {
        "securityGroupId": "sg-db",
        "ipProtocol": "tcp",
        "fromPort": 3307,
        "toPort": 3307,
        "referencedSecurityGroupId": "sg-head",
        "description": "MySQL from the head node (slurmdbd)",
    }
    assert run.value["port"] == 3307 and run.value["database_name"] == "acct"


def test_without_a_cluster_made_role_no_policy_is_attached(build: Build) -> None:
    run = accounting_run(build, make_spec(slurm_settings={"Database": EXISTING}), head_role_name=None)
    assert run.of_type(POLICY) == []


def test_managed_database_is_encrypted_private_serverless_aurora(build: Build) -> None:
    run = accounting_run(build, managed(MinCapacity=1, MaxCapacity=8))
    (cluster,) = run.of_type(CLUSTER)
    expected = {
        "clusterIdentifier": "my-cluster-slurmdbd",
        "engine": "aurora-mysql",
        "engineMode": "provisioned",
        "engineVersion": ENGINE_VERSION,
        "databaseName": "my_cluster",
        "masterUsername": "clusteradmin",
        "manageMasterUserPassword": True,
        "storageEncrypted": True,
        "port": 3306,
        "serverlessv2ScalingConfiguration": {"minCapacity": 1, "maxCapacity": 8},
        "vpcSecurityGroupIds": ["acct-sg-id"],
        "dbSubnetGroupName": "acct-subnets-id",
        "dbClusterParameterGroupName": "acct-parameters-id",
    }
    assert {k: cluster.inputs[k] for k in expected} == expected
    (instance,) = run.of_type(INSTANCE)
    assert (
        instance.inputs["instanceClass"] == "db.serverless" and instance.inputs["publiclyAccessible"] is False
    )
    assert instance.inputs["clusterIdentifier"] == "acct-cluster-id"
    assert run.named("acct-subnets").inputs["subnetIds"] == [HEAD_SUBNET, QUEUE_SUBNET]
    assert run.named("acct-parameters").inputs["parameters"] == [
        {"name": "innodb_lock_wait_timeout", "value": "900"}
    ]
    (rule,) = [r for r in run.of_type(INGRESS) if r.name == "acct-from-head"]
    assert rule.inputs["securityGroupId"] == "acct-sg-id" and rule.inputs["fromPort"] == 3306
    assert run.named("acct-sg").inputs["vpcId"] == VPC


def test_managed_database_secret_is_readable_by_the_head_node_and_configures_slurmdbd(build: Build) -> None:
    run = accounting_run(build, managed(UserName="slurm", DatabaseName="acct"))
    computed = computed_outputs(CLUSTER, "acct-cluster-id")
    secret = computed["masterUserSecrets"][0]["secretArn"]
    (policy,) = run.of_type(POLICY)
    assert json.loads(policy.inputs["policy"])["Statement"][0]["Resource"] == secret
    assert run.value == {
        "kind": "database",
        "host": computed["endpoint"],
        "port": 3306,
        "user_name": "slurm",
        "password_secret_arn": secret,
        "database_name": "acct",
    }
    assert run.of_type(CLUSTER)[0].inputs["masterUsername"] == "slurm"


def test_scale_to_zero_pauses_after_an_hour(build: Build) -> None:
    (cluster,) = accounting_run(build, managed(MinCapacity=0)).of_type(CLUSTER)
    assert cluster.inputs["serverlessv2ScalingConfiguration"] == {
        "minCapacity": 0,
        "maxCapacity": 4,
        "secondsUntilAutoPause": 3600,
    }


@pytest.mark.parametrize(
    ("policy", "protected", "skip", "snapshot", "retained"),
    [
        ("Delete", False, True, None, False),
        ("Snapshot", False, False, "my-cluster-slurmdbd-final-snapshot", False),
        ("Retain", True, False, "my-cluster-slurmdbd-final-snapshot", True),
    ],
)
def test_deletion_policy_sets_protection_final_snapshot_and_retention(
    build: Build, policy: str, protected: bool, skip: bool, snapshot: str | None, retained: bool
) -> None:
    run = accounting_run(build, managed(DeletionPolicy=policy))
    (cluster,) = run.of_type(CLUSTER)
    assert cluster.inputs["deletionProtection"] is protected
    assert cluster.inputs["skipFinalSnapshot"] is skip
    assert cluster.inputs.get("finalSnapshotIdentifier") == snapshot
    data = [
        run.named(n) for n in ("acct-cluster", "acct-instance", "acct-subnets", "acct-parameters", "acct-sg")
    ]
    assert all(r.retain_on_delete is retained for r in data)
    assert not run.named("acct-secret-read").retain_on_delete


def test_managed_database_needs_two_availability_zones() -> None:
    single_az = make_spec(
        slurm_settings={"Database": {}}, head_node={"Networking": {"SubnetId": QUEUE_SUBNET}}
    )
    with pytest.raises(ValueError, match=r"two availability zones.*Database\.SubnetIds"):
        database_subnets(single_az, SUBNET_AZS)
    given = make_spec(slurm_settings={"Database": {"SubnetIds": [OTHER_SUBNET, QUEUE_SUBNET]}})
    assert database_subnets(given, SUBNET_AZS) == [OTHER_SUBNET, QUEUE_SUBNET]


def test_managed_database_refuses_a_password_secret_of_its_own(build: Build) -> None:
    # validate refuses it (ManagedDatabaseValidator); the component guards it again
    spec = make_spec(
        slurm_settings={"Database": {"PasswordSecretArn": SECRET}}, suppress=("ManagedDatabaseValidator",)
    )
    with pytest.raises(ValueError, match="PasswordSecretArn needs a Uri"):
        accounting_run(build, spec)


def test_external_slurmdbd_creates_nothing(build: Build) -> None:
    spec = make_spec(
        slurm_settings={
            "ExternalSlurmdbd": {"Host": "dbd.example.internal", "Port": 6820},
            "MungeKeySecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:munge-AbCdEf",
        }
    )
    run = accounting_run(build, spec)
    assert run.created() == []
    assert run.value == {"kind": "external", "host": "dbd.example.internal", "port": 6820}


def test_no_accounting_means_no_resources_and_no_config(build: Build) -> None:
    run = accounting_run(build, make_spec())
    assert run.created() == [] and run.value is None


@pytest.mark.parametrize(
    "settings",
    [
        {"Database": EXISTING},
        {"Database": {}},
        {
            "ExternalSlurmdbd": {"Host": "h"},
            "MungeKeySecretArn": "arn:aws:secretsmanager:us-east-1:1:secret:m",
        },
    ],
)
def test_accounting_config_is_what_the_node_runtime_reads(settings: dict[str, Any]) -> None:
    spec = make_spec(slurm_settings=settings)
    config = accounting_config(spec, "demo", ManagedDatabase("db.internal", 3306, SECRET))
    assert config is not None
    reader = Reader(config, "$.scheduler.accounting")
    parsed = Accounting.read(reader)
    reader.finish()
    assert (parsed.kind, parsed.host, parsed.port) == (config["kind"], config["host"], config["port"])


def test_a_managed_config_needs_the_database_endpoint() -> None:
    with pytest.raises(ValueError, match="endpoint"):
        accounting_config(make_spec(slurm_settings={"Database": {}}), "demo")
