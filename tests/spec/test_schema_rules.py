# ruff: noqa: E501  (the case tables read best one case per line)
"""ParallelCluster 3.16.1's load-time rules (pcluster-schema-rules.md §1-§3, awsbatch §5):
each refused at the key ParallelCluster names (or one level deeper), at the right line,
with ParallelCluster's meaning, and never suppressible."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from pcluster_pulumi.spec.loader import validate_text
from pcluster_pulumi.spec.problems import Level

from .validators.conftest import MINIMAL_AWSBATCH, MINIMAL_SLURM

Config = dict[str, Any]
Mutation = Callable[[Config], object]
ARN_ROLE = "arn:aws:iam::123456789012:role/r"
ARN_PROFILE = "arn:aws:iam::123456789012:instance-profile/p"
ARN_POLICY = "arn:aws:iam::123456789012:policy/p"
SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:s"
RG_ARN = "arn:aws:resource-groups:us-east-1:123456789012:group/g"
CR_ID = "cr-0123456789abcdef0"
FS_ID = "fs-0123456789abcdef0"


def queue(d: Config) -> Config:
    return d["Scheduling"]["SlurmQueues"][0]


def cr(d: Config) -> Config:
    return queue(d)["ComputeResources"][0]


def batch_queue(d: Config) -> Config:
    return d["Scheduling"]["AwsBatchQueues"][0]


def storage(kind: str, settings: Config | None = None, **item: Any) -> Callable[[Config], None]:
    def mutate(d: Config) -> None:
        entry = {"Name": "data", "MountDir": "/data", "StorageType": kind, **item}
        if settings is not None:
            entry[f"{kind}Settings"] = settings
        d["SharedStorage"] = [entry]

    return mutate


def pool(**keys: Any) -> Callable[[Config], None]:
    def mutate(d: Config) -> None:
        d["LoginNodes"] = {
            "Pools": [
                {
                    "Name": "login",
                    "InstanceType": "t3.medium",
                    "Count": 1,
                    "Networking": {"SubnetIds": ["subnet-0123456789abcdef0"]},
                    **keys,
                }
            ]
        }

    return mutate


def located_errors(base: Config, mutate: Mutation) -> tuple[list[tuple[str, str, str]], bool]:
    """(path, text of the file from the reported line:column on, message) of each ERROR that
    is not a named validator's, and whether a spec was built."""
    data = copy.deepcopy(base)
    mutate(data)
    text = yaml.safe_dump(data, sort_keys=False)
    lines = text.splitlines()
    result = validate_text(text, "cluster.yaml")
    found = [
        (p.path, lines[(p.line or 1) - 1][(p.column or 1) - 1 :], p.message)
        for p in result.problems
        if p.level is Level.ERROR and p.validator is None
    ]
    return found, result.spec is not None


S, B = MINIMAL_SLURM, MINIMAL_AWSBATCH
HN_SG = {"SecurityGroups": ["sg-0123456789abcdef0"], "AdditionalSecurityGroups": ["sg-0123456789abcdef1"]}
QCR = "Scheduling.SlurmQueues[0].ComputeResources[0]"

# (rule, base config, mutation, path, text found at the reported line:column, part of the message)
CASES: list[tuple[str, Config, Mutation, str, str, str]] = [
    ("R01-head", S, lambda d: d["HeadNode"]["Networking"].update(HN_SG), "HeadNode.Networking.AdditionalSecurityGroups", "AdditionalSecurityGroups:", "SecurityGroups and AdditionalSecurityGroups can not be configured together"),
    ("R01-queue", S, lambda d: queue(d)["Networking"].update(HN_SG), "Scheduling.SlurmQueues[0].Networking.AdditionalSecurityGroups", "AdditionalSecurityGroups:", "can not be configured together"),
    ("R01-pool", S, pool(Networking={"SubnetIds": ["subnet-0123456789abcdef0"], **HN_SG}), "LoginNodes.Pools[0].Networking.AdditionalSecurityGroups", "AdditionalSecurityGroups:", "can not be configured together"),
    ("R02", S, lambda d: d["HeadNode"].update(Iam={"InstanceRole": ARN_ROLE, "AdditionalIamPolicies": [{"Policy": ARN_POLICY}]}), "HeadNode.Iam", "Iam:", "InstanceProfile, InstanceRole or AdditionalIamPolicies can not be configured together"),
    ("R02-queue", S, lambda d: queue(d).update(Iam={"InstanceProfile": ARN_PROFILE, "InstanceRole": ARN_ROLE}), "Scheduling.SlurmQueues[0].Iam", "Iam:", "InstanceRole and InstanceProfile can not be configured together"),
    ("R03-role", S, lambda d: d["HeadNode"].update(Iam={"InstanceRole": ARN_ROLE, "S3Access": [{"BucketName": "b"}]}), "HeadNode.Iam.S3Access", "S3Access:", "S3Access can not be configured when InstanceRole is set"),
    ("R03-profile", S, lambda d: queue(d).update(Iam={"InstanceProfile": ARN_PROFILE, "S3Access": [{"BucketName": "b"}]}), "Scheduling.SlurmQueues[0].Iam.S3Access", "S3Access:", "S3Access can not be configured when InstanceProfile is set"),
    ("R04-empty", S, lambda d: cr(d).update(CapacityReservationTarget={}), f"{QCR}.CapacityReservationTarget", "CapacityReservationTarget:", "either Capacity Reservation ID or Capacity Reservation Resource Group ARN"),
    ("R04-both", S, lambda d: queue(d).update(CapacityReservationTarget={"CapacityReservationId": CR_ID, "CapacityReservationResourceGroupArn": RG_ARN}), "Scheduling.SlurmQueues[0].CapacityReservationTarget", "CapacityReservationTarget:", "(not both)"),
    ("R05", S, lambda d: cr(d).update(Instances=[{"InstanceType": "c5.large"}]), f"{QCR}.Instances", "Instances:", "A Compute Resource needs to specify either InstanceType or Instances"),
    ("R06", S, lambda d: cr(d).pop("InstanceType"), QCR, "Name:", "A Compute Resource needs to specify Instances, InstanceType or CapacityReservationId"),
    ("R06-queue-target-does-not-count", S, lambda d: (cr(d).pop("InstanceType"), queue(d).update(CapacityReservationTarget={"CapacityReservationId": CR_ID})), QCR, "Name:", "InstanceType or CapacityReservationId"),
    ("R07", S, lambda d: (cr(d).pop("InstanceType"), cr(d).update(Instances=[{"InstanceType": "c5.large"}, {"InstanceType": "c5.large"}])), f"{QCR}.Instances[1]", "InstanceType:", "Duplicate instance type (c5.large) detected"),
    ("R08", S, lambda d: d.update(Tags=[{"Key": "team", "Value": "v"}, {"Key": "parallelcluster:x", "Value": "v"}]), "Tags[1].Key", "parallelcluster:", "The tag key prefix 'parallelcluster:' is reserved"),
    ("R08-cr", S, lambda d: cr(d).update(Tags=[{"Key": "parallelcluster:version", "Value": "v"}]), f"{QCR}.Tags[0].Key", "parallelcluster:", "is reserved and cannot be used"),
    ("R09", S, lambda d: queue(d).update(Tags=[{"Key": "a", "Value": "v"}, {"Key": "b", "Value": "v"}, {"Key": "a", "Value": "w"}]), "Scheduling.SlurmQueues[0].Tags[2].Key", "a", "Duplicate tag key (a) detected"),
    ("R10", S, storage("Ebs", {"Size": 50}, EfsSettings={"Encrypted": True}), "SharedStorage[0].EfsSettings", "EfsSettings:", "does not go with StorageType: Ebs"),
    ("R11", S, storage("Efs", None, FsxLustreSettings={"StorageCapacity": 1200}), "SharedStorage[0].FsxLustreSettings", "FsxLustreSettings:", "does not go with StorageType: Efs"),
    ("R12", S, storage("Efs", {"FileSystemId": FS_ID, "PerformanceMode": "maxIO"}), "SharedStorage[0].EfsSettings.PerformanceMode", "PerformanceMode:", "PerformanceMode cannot be specified when an existing EFS file system is used"),
    ("R13-mode", S, storage("Efs", {"ProvisionedThroughput": 100}), "SharedStorage[0].EfsSettings.ThroughputMode", "EfsSettings:", "the throughput mode must be set to provisioned"),
    ("R13-throughput", S, storage("Efs", {"ThroughputMode": "provisioned"}), "SharedStorage[0].EfsSettings.ProvisionedThroughput", "EfsSettings:", "the provisioned throughput option must be specified"),
    ("R14", S, storage("FsxLustre", {"FileSystemId": FS_ID, "DeletionPolicy": "Retain"}), "SharedStorage[0].FsxLustreSettings.DeletionPolicy", "DeletionPolicy:", "DeletionPolicy cannot be specified when an existing Lustre file system is used"),
    ("R15", S, storage("FsxLustre", {"BackupId": "backup-0123456789abcdef0", "ImportPath": "s3://b"}), "SharedStorage[0].FsxLustreSettings.ImportPath", "ImportPath:", "When restoring an FSx Lustre file system from backup, 'ImportPath' cannot be specified"),
    ("R16", S, storage("Ebs", None, MountDir="/NONE"), "SharedStorage[0].MountDir", "/NONE", "/NONE cannot be used as a shared directory"),
    ("R17-both", S, lambda d: d["HeadNode"].update(CustomActions={"OnNodeStart": {"Script": "s3://b/x", "Sequence": []}}), "HeadNode.CustomActions.OnNodeStart.Sequence", "Sequence:", "set either Script (with Args) or Sequence, not both"),
    ("R17-neither", S, lambda d: queue(d).update(CustomActions={"OnNodeConfigured": {"Args": ["a"]}}), "Scheduling.SlurmQueues[0].CustomActions.OnNodeConfigured.Script", "OnNodeConfigured:", "required key 'Script' is missing (or give a Sequence)"),
    ("R17-sequence-not-list", S, lambda d: d["HeadNode"].update(CustomActions={"OnNodeStart": {"Sequence": "s3://b/x"}}), "HeadNode.CustomActions.OnNodeStart.Sequence", "s3://b/x", "expected a list"),
    ("R18", S, pool(Ssh={"KeyName": "k"}), "LoginNodes.Pools[0].Ssh.KeyName", "KeyName:", "Starting with ParallelCluster 3.15, the KeyName parameter is no longer supported"),
    ("R19", S, lambda d: d.update(DevSettings={"Cookbook": {"ExtraChefAttributes": "{oops"}}), "DevSettings.Cookbook.ExtraChefAttributes", "'{oops'", "'{oops' is invalid"),
    ("R20", S, lambda d: d.update(DevSettings={"InstanceTypesData": "[1,"}), "DevSettings.InstanceTypesData", "'[1,'", "DevSettings/InstanceTypesData is not a valid JSON."),
    ("R21", S, lambda d: d["HeadNode"]["Ssh"].update(AllowedIps="10.0.0.0"), "HeadNode.Ssh.AllowedIps", "10.0.0.0", "is not a CIDR block"),
    ("R22", S, storage("Ebs", None, MountDir="/data/"), "SharedStorage[0].MountDir", "/data/", "is not a directory path"),
    ("R23", S, pool(Count=-1), "LoginNodes.Pools[0].Count", "-1", "must be at least 0"),
    ("R24", S, pool(GracetimePeriod=121), "LoginNodes.Pools[0].GracetimePeriod", "121", "must be at most 120"),
    ("R25", S, pool(Networking={"SubnetIds": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]}), "LoginNodes.Pools[0].Networking.SubnetIds", "- subnet-0123456789abcdef0", "it must have exactly 1 item"),
    ("R26", S, storage("FsxLustre", {"StorageCapacity": 1200, "ImportedFileChunkSize": 512001}), "SharedStorage[0].FsxLustreSettings.ImportedFileChunkSize", "512001", "must be at most 512000"),
    ("R27", S, storage("FsxLustre", {"StorageCapacity": 1200, "DeploymentType": "PERSISTENT_2", "PerUnitStorageThroughput": 125, "AutomaticBackupRetentionDays": 91}), "SharedStorage[0].FsxLustreSettings.AutomaticBackupRetentionDays", "91", "must be at most 90"),
    ("R28", S, lambda d: cr(d).update(LaunchTemplateOverrides={"Version": 1}), f"{QCR}.LaunchTemplateOverrides.LaunchTemplateId", "LaunchTemplateOverrides:", "required key 'LaunchTemplateId' is missing"),
    ("R29", S, lambda d: d.update(DevSettings={"Timeouts": {"ComputeInstanceInfoTimeout": 0}}), "DevSettings.Timeouts.ComputeInstanceInfoTimeout", "0", "must be at least 1"),
    ("R30", S, lambda d: d["HeadNode"].update(Dcv={"Port": 8443}), "HeadNode.Dcv", "Dcv:", "the Dcv section needs 'Enabled: true'"),
    ("R31", S, lambda d: queue(d).update(Image={}), "Scheduling.SlurmQueues[0].Image", "Image:", "this Image section has no CustomAmi"),
    ("R32", S, storage("FileCache"), "SharedStorage[0].FileCacheSettings", "Name:", "required key 'FileCacheSettings' is missing"),
    ("R33-missing", S, lambda d: queue(d).pop("ComputeResources"), "Scheduling.SlurmQueues[0].ComputeResources", "Name:", "a queue needs at least one compute resource"),
    ("R33-empty", S, lambda d: queue(d).update(ComputeResources=[]), "Scheduling.SlurmQueues[0].ComputeResources", "ComputeResources:", "ComputeResources is empty"),
    ("R34", S, lambda d: cr(d).update(Instances=[]), f"{QCR}.Instances", "Instances:", "Instances is an empty list next to InstanceType"),
    ("R36", S, lambda d: d["Scheduling"].update(SlurmSettings={"Database": {"Uri": "db:3306", "UserName": "u", "PasswordSecretArn": SECRET, "DatabaseName": "Acct"}}), "Scheduling.SlurmSettings.Database.DatabaseName", "Acct", "is not a value matching ^[0-9a-z_]+$"),
    ("R37", S, lambda d: d["Scheduling"].pop("SlurmQueues"), "Scheduling.SlurmQueues", "Scheduling:", "required key 'SlurmQueues' is missing"),
    ("B01", B, lambda d: d["Scheduling"].update(AwsBatchSettings={}, SlurmSettings={}), "Scheduling.SlurmSettings", "SlurmSettings:", "'SlurmSettings' does not go with Scheduler: awsbatch"),
    ("B02", B, lambda d: d["Scheduling"].pop("AwsBatchQueues"), "Scheduling.AwsBatchQueues", "Scheduling:", "required key 'AwsBatchQueues' is missing"),
    ("B03", S, lambda d: d["Scheduling"].update(AwsBatchSettings={}), "Scheduling.AwsBatchSettings", "AwsBatchSettings:", "'AwsBatchSettings' does not go with Scheduler: slurm"),
    ("B04-intel", B, lambda d: d.update(AdditionalPackages={"IntelSoftware": {"IntelHpcPlatform": True}}), "AdditionalPackages.IntelSoftware.IntelHpcPlatform", "IntelHpcPlatform:", "The use of the IntelSoftware configuration is not supported"),
    ("B04-updated", B, lambda d: d["HeadNode"].update(CustomActions={"OnNodeUpdated": {"Script": "s3://b/x"}}), "HeadNode.CustomActions.OnNodeUpdated", "OnNodeUpdated:", "The use of the OnNodeUpdated configuration is not supported"),
    ("B05", B, lambda d: d["Scheduling"]["AwsBatchQueues"].append({**copy.deepcopy(batch_queue(d)), "Name": "two"}), "Scheduling.AwsBatchQueues", "- Name:", "it must have exactly 1 item"),
    ("B06", B, lambda d: batch_queue(d)["ComputeResources"].append({"Name": "two", "InstanceTypes": ["c5.large"]}), "Scheduling.AwsBatchQueues[0].ComputeResources", "- Name:", "it must have exactly 1 item"),
    ("B07", B, lambda d: batch_queue(d)["Networking"]["SubnetIds"].append("subnet-0123456789abcdef2"), "Scheduling.AwsBatchQueues[0].Networking.SubnetIds", "- subnet-0123456789abcdef1", "it must have exactly 1 item"),
    ("B08", B, lambda d: batch_queue(d)["ComputeResources"][0].update(SpotBidPercentage=0), "Scheduling.AwsBatchQueues[0].ComputeResources[0].SpotBidPercentage", "0", "must be greater than 0"),
    ("B09", B, lambda d: batch_queue(d)["Networking"].update(HN_SG), "Scheduling.AwsBatchQueues[0].Networking.AdditionalSecurityGroups", "AdditionalSecurityGroups:", "can not be configured together"),
    ("B10", B, pool(), "LoginNodes", "LoginNodes:", "LoginNodes are only supported with the slurm scheduler"),
    ("B11", B, lambda d: batch_queue(d).pop("ComputeResources"), "Scheduling.AwsBatchQueues[0].ComputeResources", "Name:", "an AWS Batch queue needs exactly one compute resource"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("rule", "base", "mutate", "path", "anchor", "text"), CASES, ids=[c[0] for c in CASES]
)
def test_rule_is_refused_at_the_key_and_line(
    rule: str, base: Config, mutate: Mutation, path: str, anchor: str, text: str
) -> None:
    found, built = located_errors(base, mutate)
    assert [p for p, _, _ in found] == [path], found
    assert found[0][1].startswith(anchor), f"reported at {found[0][1]!r}, not at {anchor!r}"
    assert text in found[0][2]
    assert not built


@pytest.mark.parametrize(
    ("case", "base", "mutate"),
    [
        ("R04 one reservation id", S, lambda d: cr(d).update(CapacityReservationTarget={"CapacityReservationId": CR_ID})),
        ("R05 Instances alone", S, lambda d: (cr(d).pop("InstanceType"), cr(d).update(Instances=[{"InstanceType": "c5.large"}]))),
        ("R06 reservation id on the compute resource", S, lambda d: (cr(d).pop("InstanceType"), cr(d).update(CapacityReservationTarget={"CapacityReservationId": CR_ID}))),
        ("R01 empty lists count as absent", S, lambda d: d["HeadNode"]["Networking"].update(SecurityGroups=["sg-0123456789abcdef0"], AdditionalSecurityGroups=[])),
        ("R02 empty policy list counts as absent", S, lambda d: d["HeadNode"].update(Iam={"InstanceRole": ARN_ROLE, "AdditionalIamPolicies": []})),
        ("R08 the custom_resource key is allowed", S, lambda d: d.update(Tags=[{"Key": "parallelcluster:custom_resource", "Value": "v"}])),
        ("R09 same key at two levels", S, lambda d: (d.update(Tags=[{"Key": "a", "Value": "v"}]), cr(d).update(Tags=[{"Key": "a", "Value": "v"}]))),
        ("R11 an empty settings section of another type is ignored", S, storage("Ebs", {"Size": 50}, EfsSettings={})),
        ("R12 mount options with an existing EFS", S, storage("Efs", {"FileSystemId": FS_ID, "EncryptionInTransit": True, "IamAuthorization": True})),
        ("R15 other keys with a backup", S, storage("FsxLustre", {"BackupId": "backup-0123456789abcdef0", "AutomaticBackupRetentionDays": 3})),
        ("R16 lower-case none", S, storage("Ebs", None, MountDir="/none")),
        ("R17 empty Sequence", S, lambda d: d["HeadNode"].update(CustomActions={"OnNodeStart": {"Sequence": []}})),
        ("R21 any prefix-list id", S, lambda d: d["HeadNode"]["Ssh"].update(AllowedIps="pl-x!")),
        ("R22 relative mount dir", S, storage("Ebs", None, MountDir="data")),
        ("R27 90 days", S, storage("FsxLustre", {"StorageCapacity": 1200, "DeploymentType": "PERSISTENT_2", "PerUnitStorageThroughput": 125, "AutomaticBackupRetentionDays": 90})),
        ("R30 Dcv with Enabled", S, lambda d: d["HeadNode"].update(Dcv={"Enabled": False})),
        ("R35 AllocationStrategy of an InstanceType-only queue is dropped", S, lambda d: queue(d).update(AllocationStrategy="capacity-optimized")),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)  # fmt: skip
def test_what_parallelcluster_accepts_is_accepted(case: str, base: Config, mutate: Mutation) -> None:
    found, built = located_errors(base, mutate)
    assert found == [] and built, case


def test_rules_are_not_suppressible() -> None:
    data = copy.deepcopy(S)
    cr(data).pop("InstanceType")
    result = validate_text(yaml.safe_dump(data), "cluster.yaml", suppress=["ALL"])
    assert [p.path for p in result.problems if p.level is Level.ERROR] == [QCR]


def test_a_rule_is_skipped_when_its_object_has_a_key_error() -> None:
    """As marshmallow's skip_on_field_errors: MaxCount 0 with InstanceType + Instances reports only MaxCount."""
    found, _ = located_errors(S, lambda d: cr(d).update(MaxCount=0, Instances=[{"InstanceType": "c5.large"}]))
    assert [p for p, *_ in found] == [f"{QCR}.MaxCount"]


def test_all_rules_of_one_object_accumulate() -> None:
    found, _ = located_errors(S, storage("Efs", {"FileSystemId": FS_ID, "ThroughputMode": "provisioned"}))
    assert sorted(p for p, *_ in found) == [
        "SharedStorage[0].EfsSettings.ProvisionedThroughput",  # R13: provisioned needs a throughput
        "SharedStorage[0].EfsSettings.ThroughputMode",  # R12: not with an existing file system
    ]


def test_a_huge_value_is_shortened_in_the_message() -> None:
    found, _ = located_errors(
        S, lambda d: d.update(DevSettings={"Cookbook": {"ExtraChefAttributes": "x" * 5000}})
    )
    assert len(found[0][2]) < 200
