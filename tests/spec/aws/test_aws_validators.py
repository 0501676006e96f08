# ruff: noqa: E501  (resource tables read best one entry per line)
"""The AWS-backed validators against moto: the world's config passes every one, and each
validator refuses a config that names something AWS does not have, at the key naming it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from typing import Any

import boto3
import pytest
import yaml
from botocore.exceptions import ClientError

from pcluster_pulumi.spec.aws_checks import AWS_REGISTRY, AwsChecks, inventory
from pcluster_pulumi.spec.aws_names import AWS_VALIDATOR_NAMES
from pcluster_pulumi.spec.loader import Validation, validate_text
from pcluster_pulumi.spec.problems import Level
from pcluster_pulumi.spec.validators.base import ConfigView

from .world import REGION, World, secret_with

Config = dict[str, Any]
MISSING_ARN = "arn:aws:iam::123456789012:{}/missing"


def run(config: Config, suppressed: tuple[str, ...] = ()) -> tuple[Validation, AwsChecks]:
    checks = AwsChecks(suppressed=suppressed)
    result = validate_text(yaml.safe_dump(config, sort_keys=False), "cluster.yaml", extra=checks)
    return result, checks


def found(result: Validation, validator: str) -> list[tuple[str, Level]]:
    return [
        (p.path, p.level) for p in result.problems if p.validator == validator and p.level >= Level.WARNING
    ]


@pytest.fixture(scope="module")
def clean(world: World) -> tuple[Validation, AwsChecks]:
    return run(world.config())


def test_the_names_list_matches_the_registry() -> None:
    assert set(AWS_REGISTRY) == AWS_VALIDATOR_NAMES


def test_the_world_config_is_valid_statically(clean: tuple[Validation, AwsChecks]) -> None:
    result, _ = clean
    assert [p.located("c") for p in result.problems if p.level is Level.ERROR] == []


@pytest.mark.parametrize("validator", sorted(AWS_REGISTRY))
def test_passing_case_every_validator_accepts_what_exists(
    clean: tuple[Validation, AwsChecks], validator: str
) -> None:
    assert found(clean[0], validator) == []


def test_the_checks_cost_one_call_per_kind_of_resource(clean: tuple[Validation, AwsChecks]) -> None:
    _, checks = clean
    assert checks.session is not None
    calls = checks.session.calls
    assert calls["ec2:DescribeSubnets"] == 1 and calls["ec2:DescribeInstanceTypes"] == 1
    assert (
        max(calls.values()) <= 2
    )  # DescribeVpcAttribute (DNS support, hostnames); DescribeSecret (2 secrets)
    assert checks.total_calls == sum(calls.values()) < 25  # the world has 19 kinds of resource


Mutation = Callable[[World, Config], object]


def q(config: Config, index: int) -> Config:
    return config["Scheduling"]["SlurmQueues"][index]


def _other_zone(world: World, config: Config) -> None:
    volume = boto3.client("ec2", region_name=REGION).create_volume(AvailabilityZone=f"{REGION}b", Size=10)
    config["SharedStorage"][0]["EbsSettings"]["VolumeId"] = volume["VolumeId"]


def _efs_without_target(world: World, config: Config) -> None:
    fs_id = boto3.client("efs", region_name=REGION).create_file_system(CreationToken="lonely")["FileSystemId"]
    config["SharedStorage"][2]["EfsSettings"]["FileSystemId"] = fs_id


def _efs_closed_to_nfs(world: World, config: Config) -> None:
    ec2 = boto3.client("ec2", region_name=REGION)
    closed = ec2.create_security_group(GroupName="closed", Description="no NFS", VpcId=world.vpc)["GroupId"]
    efs = boto3.client("efs", region_name=REGION)
    fs_id = efs.create_file_system(CreationToken="closed")["FileSystemId"]
    efs.create_mount_target(FileSystemId=fs_id, SubnetId=world.subnet_a, SecurityGroups=[closed])
    config["SharedStorage"][2]["EfsSettings"]["FileSystemId"] = fs_id


def _zone_of_other_vpc(world: World, config: Config) -> None:
    zone = boto3.client("route53", region_name=REGION).create_hosted_zone(
        Name="elsewhere.internal",
        CallerReference="elsewhere",
        HostedZoneConfig={"Comment": "x", "PrivateZone": True},
        VPC={"VPCRegion": REGION, "VPCId": world.other_vpc},
    )["HostedZone"]["Id"]
    config["Scheduling"]["SlurmSettings"]["Dns"]["HostedZoneId"] = zone.rsplit("/", 1)[-1]


HEAD_NET = "HeadNode.Networking"
CR = "Scheduling.SlurmQueues[1].ComputeResources[0]"

# (validator, mutation, key paths it must report)
FAILING: list[tuple[str, Mutation, list[str]]] = [
    ("KeyPairValidator", lambda w, c: c["HeadNode"]["Ssh"].update(KeyName="nobody"), ["HeadNode.Ssh.KeyName"]),
    ("InstanceTypeValidator", lambda w, c: c["HeadNode"].update(InstanceType="c5.hyper"), ["HeadNode.InstanceType"]),
    ("InstanceTypeValidator", lambda w, c: q(c, 1)["Networking"].update(SubnetIds=[w.subnet_e]), [f"{CR}.InstanceType"]),
    ("InstanceTypeBaseAMICompatibleValidator", lambda w, c: c["Image"].update(CustomAmi="ami-0123456789abcdef0"), ["Image.CustomAmi"] * 3),
    ("InstanceTypeBaseAMICompatibleValidator", lambda w, c: q(c, 1).update(Image={"CustomAmi": w.ami_arm}), ["Scheduling.SlurmQueues[1].Image.CustomAmi"]),
    ("EfaValidator", lambda w, c: q(c, 1)["ComputeResources"][0].update(InstanceType="c5.xlarge"), [f"{CR}.Efa.Enabled"]),
    ("SubnetsValidator", lambda w, c: c["HeadNode"]["Networking"].update(SubnetId="subnet-0123456789abcdef9"), [f"{HEAD_NET}.SubnetId"]),
    ("SubnetsValidator", lambda w, c: q(c, 1)["Networking"].update(SubnetIds=[w.foreign_subnet]), ["Scheduling.SlurmQueues[1].Networking.SubnetIds[0]"]),
    ("QueueSubnetsValidator", lambda w, c: q(c, 0)["Networking"].update(SubnetIds=[w.subnet_a, w.subnet_a2]), ["Scheduling.SlurmQueues[0].Networking.SubnetIds[1]"]),
    ("SecurityGroupsValidator", lambda w, c: c["HeadNode"]["Networking"].update(AdditionalSecurityGroups=["sg-0123456789abcdef0"]), [f"{HEAD_NET}.AdditionalSecurityGroups[0]"]),
    ("HostedZoneValidator", lambda w, c: c["Scheduling"]["SlurmSettings"]["Dns"].update(HostedZoneId="Z0123456789ABCDEFGHIJ"), ["Scheduling.SlurmSettings.Dns.HostedZoneId"]),
    ("HostedZoneValidator", _zone_of_other_vpc, ["Scheduling.SlurmSettings.Dns.HostedZoneId"]),
    ("RoleValidator", lambda w, c: c["HeadNode"]["Iam"].update(InstanceRole=MISSING_ARN.format("role")), ["HeadNode.Iam.InstanceRole"]),
    ("InstanceProfileValidator", lambda w, c: q(c, 1)["Iam"].update(InstanceProfile=MISSING_ARN.format("instance-profile")), ["Scheduling.SlurmQueues[1].Iam.InstanceProfile"]),
    ("AdditionalIamPolicyValidator", lambda w, c: q(c, 0)["Iam"].update(AdditionalIamPolicies=[{"Policy": MISSING_ARN.format("policy")}]), ["Scheduling.SlurmQueues[0].Iam.AdditionalIamPolicies[0].Policy"]),
    ("UrlValidator", lambda w, c: c["HeadNode"]["CustomActions"]["OnNodeConfigured"].update(Script=f"s3://{w.bucket}/missing.sh"), ["HeadNode.CustomActions.OnNodeConfigured.Script"]),
    ("PasswordSecretArnValidator", lambda w, c: c["Scheduling"]["SlurmSettings"]["Database"].update(PasswordSecretArn=w.secret_arn[:-6] + "ZZZZZZ"), ["Scheduling.SlurmSettings.Database.PasswordSecretArn"]),
    ("SharedEbsVolumeIdValidator", lambda w, c: c["SharedStorage"][0]["EbsSettings"].update(VolumeId="vol-0123456789abcdef0"), ["SharedStorage[0].EbsSettings.VolumeId"]),
    ("SharedEbsVolumeIdValidator", _other_zone, ["SharedStorage[0].EbsSettings.VolumeId"]),
    ("EbsVolumeSizeSnapshotValidator", lambda w, c: c["SharedStorage"][1]["EbsSettings"].update(SnapshotId="snap-0123456789abcdef0"), ["SharedStorage[1].EbsSettings.SnapshotId"]),
    ("EfsIdValidator", lambda w, c: c["SharedStorage"][2]["EfsSettings"].update(FileSystemId="fs-0123456789abcdef0"), ["SharedStorage[2].EfsSettings.FileSystemId"]),
    ("EfsIdValidator", _efs_without_target, ["SharedStorage[2].EfsSettings.FileSystemId"]),
    ("EfsIdValidator", _efs_closed_to_nfs, ["SharedStorage[2].EfsSettings.FileSystemId"]),
    ("ElasticIpValidator", lambda w, c: c["HeadNode"]["Networking"].update(ElasticIp="203.0.113.10"), [f"{HEAD_NET}.ElasticIp"]),
    ("MungeKeySecretSizeAndBase64Validator", lambda w, c: c["Scheduling"]["SlurmSettings"].update(MungeKeySecretArn=secret_with("bad-munge", "not base64!")), ["Scheduling.SlurmSettings.MungeKeySecretArn"]),
    ("MungeKeySecretSizeAndBase64Validator", lambda w, c: c["Scheduling"]["SlurmSettings"].update(MungeKeySecretArn=secret_with("short-munge", "c2hvcnQ=")), ["Scheduling.SlurmSettings.MungeKeySecretArn"]),
    ("KmsKeyValidator", lambda w, c: c["SharedStorage"][1]["EbsSettings"].update(KmsKeyId=w.kms_key[:-4] + "0000"), ["SharedStorage[1].EbsSettings.KmsKeyId"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("validator", "mutate", "paths"), FAILING, ids=[f"{v}-{i}" for i, (v, _, _) in enumerate(FAILING)]
)
def test_failing_case_is_refused_at_the_key(
    world: World, validator: str, mutate: Mutation, paths: list[str]
) -> None:
    config = world.config()
    mutate(world, config)
    others = tuple(name for name in AWS_REGISTRY if name != validator)  # only this one asks AWS
    result, _ = run(config, suppressed=others)
    assert found(result, validator) == [(path, Level.ERROR) for path in paths]
    assert result.failed()


def test_a_vpc_without_dns_hostnames_is_refused(world: World) -> None:
    ec2 = boto3.client("ec2", region_name=REGION)
    ec2.modify_vpc_attribute(VpcId=world.vpc, EnableDnsHostnames={"Value": False})
    try:
        result, _ = run(world.config())
    finally:
        ec2.modify_vpc_attribute(VpcId=world.vpc, EnableDnsHostnames={"Value": True})
    [problem] = [p for p in result.problems if p.validator == "SubnetsValidator"]
    assert problem.path == f"{HEAD_NET}.SubnetId" and "DNS hostnames disabled" in problem.message


def _fsx_view(fs_id: str, world: World) -> list[Any]:
    """FSx ids of moto are shorter than AWS's (the schema refuses them), so this check runs on
    the config view directly, as validate runs it on a structurally valid config."""
    config = world.config()
    config["SharedStorage"] = [
        {"Name": "lustre", "MountDir": "/lustre", "StorageType": "FsxLustre", "FsxLustreSettings": {"FileSystemId": fs_id}}
    ]  # fmt: skip
    return [f for name, f in AwsChecks()(ConfigView(config)) if name == "ExistingFsxNetworkingValidator"]


def test_fsx_passing_and_failing(world: World) -> None:
    fs_id = boto3.client("fsx", region_name=REGION).create_file_system(
        FileSystemType="LUSTRE", StorageCapacity=1200, SubnetIds=[world.subnet_a]
    )["FileSystem"]["FileSystemId"]
    assert _fsx_view(fs_id, world) == []
    [finding] = _fsx_view("fs-0123456789abcdef0", world)
    assert finding.path == ("SharedStorage", 0, "FsxLustreSettings", "FileSystemId")
    assert "does not exist" in finding.message


def test_lustre_bucket_uris_passing_and_failing(world: World) -> None:
    """Run on the config view directly: a new Lustre file system next to a two-subnet queue is
    refused by a static validator first (ManagedFsxMultiAzValidator)."""
    config = world.config()
    lustre = {
        "StorageCapacity": 1200,
        "ImportPath": f"s3://{world.bucket}/data",
        "ExportPath": "s3://no-such-bucket-here/out",
    }
    config["SharedStorage"] = [
        {"Name": "lustre", "MountDir": "/lustre", "StorageType": "FsxLustre", "FsxLustreSettings": lustre}
    ]
    found = [f for name, f in AwsChecks()(ConfigView(config)) if name == "S3BucketUriValidator"]
    assert [(f.path, f.message) for f in found] == [
        (
            ("SharedStorage", 0, "FsxLustreSettings", "ExportPath"),
            "The S3 bucket 'no-such-bucket-here' does not exist or cannot be reached.",
        )
    ]


def test_fsx_backup_passing_and_failing(world: World) -> None:
    fsx = boto3.client("fsx", region_name=REGION)
    fs_id = fsx.create_file_system(FileSystemType="LUSTRE", StorageCapacity=1200, SubnetIds=[world.subnet_a])
    backup = fsx.create_backup(FileSystemId=fs_id["FileSystem"]["FileSystemId"])["Backup"]["BackupId"]

    def findings(backup_id: str) -> list[Any]:
        config = world.config()
        lustre = {"BackupId": backup_id, "DeploymentType": "PERSISTENT_2"}
        config["SharedStorage"] = [
            {
                "Name": "restored",
                "MountDir": "/restored",
                "StorageType": "FsxLustre",
                "FsxLustreSettings": lustre,
            }
        ]
        return [f for name, f in AwsChecks()(ConfigView(config)) if name == "FsxBackupIdValidator"]

    assert findings(backup) == []
    [missing] = findings("backup-0123456789abcdef0")
    assert missing.path == ("SharedStorage", 0, "FsxLustreSettings", "BackupId")


def test_aws_batch_queue_subnets_and_groups_are_checked(world: World) -> None:
    config = world.config()
    del config["Scheduling"]["SlurmSettings"], config["SharedStorage"]
    config["HeadNode"]["Imds"] = {"Secured": False}
    networking = {"SubnetIds": ["subnet-0123456789abcdef9"], "SecurityGroups": [world.security_group]}
    compute = {"Name": "cpu", "InstanceTypes": ["c5.xlarge"], "MaxvCpus": 16}
    config["Scheduling"] = {
        "Scheduler": "awsbatch",
        "AwsBatchQueues": [{"Name": "batch", "Networking": networking, "ComputeResources": [compute]}],
    }
    result, _ = run(
        config,
        suppressed=tuple(n for n in AWS_REGISTRY if n not in ("SubnetsValidator", "SecurityGroupsValidator")),
    )
    assert [p.located("c") for p in result.problems if p.level is Level.ERROR and p.validator is None] == []
    assert found(result, "SubnetsValidator") == [
        ("Scheduling.AwsBatchQueues[0].Networking.SubnetIds[0]", Level.ERROR)
    ]
    assert found(result, "SecurityGroupsValidator") == []


def test_suppressed_aws_validators_do_not_run(world: World) -> None:
    config = world.config()
    config["HeadNode"]["Ssh"]["KeyName"] = "nobody"
    result, checks = run(config, suppressed=("KeyPairValidator",))
    assert found(result, "KeyPairValidator") == []
    assert checks.session is not None and "ec2:DescribeKeyPairs" not in checks.session.calls
    everything, checks = run(config, suppressed=("ALL",))
    assert checks.total_calls == 0 and found(everything, "KeyPairValidator") == []


def test_a_refused_call_is_a_warning_naming_the_operation(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def denied(self: Any) -> set[str]:
        raise ClientError({"Error": {"Code": "UnauthorizedOperation", "Message": "no"}}, "DescribeKeyPairs")

    monkeypatch.setattr(inventory.Inventory, "key_pairs", property(denied))
    result, _ = run(world.config())
    [problem] = [p for p in result.problems if p.validator == "KeyPairValidator"]
    assert problem.level is Level.WARNING
    assert problem.message == (
        "KeyPairValidator could not check the config: DescribeKeyPairs was refused (UnauthorizedOperation)"
    )


def test_the_offline_loader_does_not_import_boto3() -> None:
    """`validate` without --aws stays fast: boto3 loads only when AWS is asked."""
    code = "import sys, pcluster_pulumi.spec.loader; print('botocore' in sys.modules)"
    answer = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert answer.stdout.strip() == "False"
