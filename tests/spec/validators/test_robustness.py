"""Validators run on configs the schema refused, so no input may make one raise.

Two property tests: arbitrary JSON-like documents built from real config keys, and real
configs (one touching every validator) with random subtrees swapped for garbage.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pcluster_pulumi.spec.problems import KeyPath, Level
from pcluster_pulumi.spec.validators import REGISTRY
from pcluster_pulumi.spec.validators.base import ConfigView, Finding

from .conftest import MINIMAL_AWSBATCH, MINIMAL_SLURM

# Configs that between them make every validator report, so mutating them exercises every
# code path. The first is a Slurm cluster, the second makes the opposite choices (AWS Batch).
KITCHEN_SINK: dict[str, Any] = {
    "Region": "mars-north-1",
    "Image": {"Os": "rocky9"},
    "Tags": [{"Key": "team", "Value": "hpc"}],
    "Iam": {"ResourcePrefix": "/path/prefix-"},
    "Monitoring": {"DetailedMonitoring": True, "Logs": {"CloudWatch": {"Enabled": False}}},
    "AdditionalPackages": {"IntelSoftware": {"IntelHpcPlatform": True}},
    "DeploymentSettings": {"DisableSudoAccessForDefaultUser": True},
    "HeadNode": {
        "InstanceType": "t3.micro",
        "Networking": {"SubnetId": "subnet-12345678", "SecurityGroups": ["sg-12345678"]},
        "Ssh": {"KeyName": "key"},
        "Dcv": {"Enabled": True},
        "Imds": {"Secured": True},
        "SharedStorageEfsSettings": {"Encrypted": True},
        "LocalStorage": {"RootVolume": {"VolumeType": "gp3", "Size": 40, "Iops": 3000, "Throughput": 125}},
    },
    "LoginNodes": {
        "Pools": [{"Name": "login", "InstanceType": "t3.micro", "Image": {"CustomAmi": "ami-12345678"}}]
    },
    "DirectoryService": {
        "DomainName": "corp.example.com",
        "DomainAddr": "ldap://corp.example.com",
        "LdapTlsReqCert": "never",
        "LdapAccessFilter": "x",
        "AdditionalSssdConfigs": {"id_provider": "ad", "access_provider": "simple"},
    },
    "Scheduling": {
        "Scheduler": "slurm",
        "SlurmSettings": {
            "Database": {"Uri": "db:3306"},
            "ExternalSlurmdbd": {"Host": "dbd"},
            "MungeKeySecretArn": "arn:aws:ssm:r:1:parameter:m",
            "CustomSlurmSettings": [{"SuspendTime": 1}, {"NodeName": "a-st-b", "CPUs": 1}],
            "CustomSlurmSettingsIncludeFile": "s3://b/k",
        },
        "SlurmQueues": [
            {
                "Name": "q",
                "CapacityType": "CAPACITY_BLOCK",
                "AllocationStrategy": "lowest-price",
                "Tags": [{"Key": "team", "Value": "q"}],
                "CustomSlurmSettings": {"State": "UP"},
                "CapacityReservationTarget": {"CapacityReservationId": "cr-1"},
                "ComputeSettings": {
                    "LocalStorage": {"RootVolume": {"Encrypted": False, "VolumeType": "io1"}}
                },
                "Networking": {
                    "SubnetIds": ["subnet-1", "subnet-2", "subnet-1"],
                    "SecurityGroups": ["sg-1"],
                    "PlacementGroup": {"Enabled": False, "Name": "pg", "Id": "pg"},
                },
                "ComputeResources": [
                    {
                        "Name": "cr",
                        "InstanceType": "p6e-gb200.36xlarge",
                        "MinCount": 3,
                        "MaxCount": 2,
                        "SchedulableMemory": 0,
                        "StaticNodePriority": 9,
                        "DynamicNodePriority": 1,
                        "Efa": {"Enabled": True, "GdrSupport": True},
                        "Tags": [{"Key": "team", "Value": "c"}],
                        "CustomSlurmSettings": {"Weight": 1},
                        "Networking": {"PlacementGroup": {"Enabled": True}},
                    },
                    {"Name": "flex", "Instances": [{"InstanceType": "c5.large"}], "MaxCount": 200},
                ],
            },
            {"Name": "q2", "Networking": {"SubnetIds": ["subnet-3"]}, "ComputeResources": [{"Name": "c"}]},
        ],
    },
    "SharedStorage": [
        {
            "Name": "ebs",
            "MountDir": "/tmp",
            "StorageType": "Ebs",
            "EbsSettings": {"VolumeType": "sc1", "Iops": 5},
        },
        {"Name": "raid", "MountDir": "/tmp/r", "StorageType": "Ebs", "EbsSettings": {"Raid": {"Type": 0}}},
        {
            "Name": "efs",
            "MountDir": "/efs",
            "StorageType": "Efs",
            "EfsSettings": {"KmsKeyId": "k", "IamAuthorization": True, "AccessPointId": "fsap-1"},
        },
        {
            "Name": "fsx",
            "MountDir": "/fsx",
            "StorageType": "FsxLustre",
            "FsxLustreSettings": {
                "StorageCapacity": 1000,
                "DeploymentType": "PERSISTENT_1",
                "StorageType": "HDD",
                "PerUnitStorageThroughput": 12,
                "ExportPath": "s3://b",
                "AutomaticBackupRetentionDays": 3,
                "DriveCacheType": "READ",
                "DataRepositoryAssociations": [{"Name": "d"}],
            },
        },
        {
            "Name": "cache",
            "MountDir": "/home",
            "StorageType": "FileCache",
            "FileCacheSettings": {"FileCacheId": "fc-1"},
        },
        {
            "Name": "ontap",
            "MountDir": "/efs",
            "StorageType": "FsxOntap",
            "FsxOntapSettings": {"VolumeId": "fsvol-1"},
        },
    ],
}

BATCH_SINK: dict[str, Any] = {
    "Region": "us-iso-east-1",
    "Image": {"Os": "ubuntu2204"},
    "Tags": [{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}],
    "Iam": {"ResourcePrefix": "bad prefix"},
    "DeploymentSettings": {"DisableSudoAccessForDefaultUser": True},
    "HeadNode": {"InstanceType": "c5.xlarge", "Networking": {"SubnetId": "subnet-12345678"}},
    "LoginNodes": {"Pools": [{"Name": f"Pool_{i}"} for i in range(11)]},
    "DirectoryService": {"DomainName": "bad name", "DomainAddr": "ldaps://x"},
    "Scheduling": {
        "Scheduler": "awsbatch",
        "SlurmSettings": {
            "Database": {"Uri": "mysql://db"},
            "ExternalSlurmdbd": {"Host": "dbd"},
        },
        "AwsBatchQueues": [
            {
                "Name": "b",
                "ComputeResources": [
                    {"Name": "c", "InstanceTypes": ["c5.large"], "MinvCpus": 8, "MaxvCpus": 4}
                ],
            }
        ],
        "SlurmQueues": [
            {
                "Name": "q",
                "CapacityType": "CAPACITY_BLOCK",
                "Networking": {"SubnetIds": ["subnet-1"]},
                "ComputeResources": [{"Name": "c", "MinCount": 1, "MaxCount": 1}],
            },
            {
                "Name": "q",
                "Networking": {"SubnetIds": ["subnet-1"]},
                "ComputeResources": [
                    {"Name": "efa", "Efa": {"Enabled": True}, "MinCount": 1, "StaticNodePriority": 5000},
                    {"Name": "gdr", "Efa": {"GdrSupport": True}, "MaxCount": 3},
                ],
            },
        ],
    },
    "SharedStorage": [
        {"Name": "default", "MountDir": "/a", "StorageType": "Efs"},
        {"Name": "b", "MountDir": "/b", "StorageType": "Efs"},
        {
            "Name": "c",
            "MountDir": "/c",
            "StorageType": "Ebs",
            "EbsSettings": {"Throughput": 1001, "Iops": 16000},
        },
        {"Name": "d", "MountDir": "/d", "StorageType": "Ebs", "EbsSettings": {"Throughput": 800}},
        {
            "Name": "e",
            "MountDir": "/e",
            "StorageType": "FsxLustre",
            "FsxLustreSettings": {
                "StorageCapacity": 1200,
                "DeploymentType": "PERSISTENT_2",
                "DriveCacheType": "READ",
            },
        },
    ],
}
UNKNOWN_SCHEDULER: dict[str, Any] = {"Scheduling": {"Scheduler": "pbs"}}

MANAGED_DATABASE: dict[str, Any] = {
    **MINIMAL_SLURM,
    "HeadNode": {
        **MINIMAL_SLURM["HeadNode"],
        "CustomActions": {"OnNodeStart": {"Script": "ftp://example.com/x.sh"}},
        "Networking": {
            **MINIMAL_SLURM["HeadNode"]["Networking"],
            "Proxy": {"HttpProxyAddress": "proxy:3128"},
        },
    },
    "Scheduling": {
        **MINIMAL_SLURM["Scheduling"],
        "SlurmSettings": {"Database": {"PasswordSecretArn": "arn:aws:secretsmanager:r:1:secret:p"}},
    },
}

SEEDS = [MINIMAL_SLURM, MINIMAL_AWSBATCH, KITCHEN_SINK, BATCH_SINK, MANAGED_DATABASE]


def _keys(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, child in value.items():
            yield key
            yield from _keys(child)
    elif isinstance(value, list):
        for child in value:
            yield from _keys(child)


KEYS = sorted({key for seed in SEEDS for key in _keys(seed)})
TOP_KEYS = sorted(KITCHEN_SINK)
INTERESTING = [
    "slurm", "awsbatch", "CAPACITY_BLOCK", "SPOT", "gp3", "io1", "sc1", "HDD", "SSD", "PERSISTENT_1",
    "SCRATCH_1", "Ebs", "Efs", "FsxLustre", "FileCache", "/home", "/", "", "//", "[", "a:b", "::::::",
    "ldap://", "parallelcluster:x", "rocky8", "us-iso-east-1", "prioritized", "{}", "-st-", "db:99999",
    "\n", "\x00", "é", "ĳ",
]  # fmt: skip

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.just(10**400)
    | st.floats()
    | st.text(max_size=8)
    | st.sampled_from(INTERESTING)
)
json_like = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=4), children, max_size=5)
    ),
    max_leaves=25,
)


def _paths(value: Any, prefix: KeyPath = ()) -> Iterator[KeyPath]:
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        yield (*prefix, key)
        yield from _paths(child, (*prefix, key))


def _replace(config: dict[str, Any], path: KeyPath, new: Any) -> None:
    parent: Any = config
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = new


@st.composite
def mutated_configs(draw: st.DrawFn) -> dict[str, Any]:
    config = copy.deepcopy(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        paths = list(_paths(config))
        if paths:
            _replace(config, draw(st.sampled_from(paths)), draw(json_like))
    return config


def _every_validator_survives(config: dict[str, Any], cluster_name: str | None) -> None:
    view = ConfigView(config, cluster_name=cluster_name)
    for name, entry in REGISTRY.items():
        try:
            found = list(entry.check(view))
        except Exception as exc:
            raise AssertionError(f"{name} raised {exc!r}") from exc
        for finding in found:
            assert isinstance(finding, Finding) and isinstance(finding.level, Level), name
            assert isinstance(finding.message, str) and finding.message, name
            assert all(isinstance(part, (str, int)) for part in finding.path), name


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.dictionaries(st.sampled_from(TOP_KEYS), json_like, max_size=8), st.none() | st.text(max_size=70))
def test_every_validator_survives_random_json_like_documents(
    config: dict[str, Any], name: str | None
) -> None:
    _every_validator_survives(config, name)


@FUZZ
@given(mutated_configs(), st.none() | st.text(max_size=70))
def test_every_validator_survives_real_configs_with_garbage_swapped_in(
    config: dict[str, Any], name: str | None
) -> None:
    _every_validator_survives(config, name)


def test_the_seed_configs_make_every_validator_report() -> None:
    """Guards the fuzz tests: a validator no seed triggers would only ever be fuzzed on its early exits."""
    silent = set(REGISTRY)
    for config in (KITCHEN_SINK, BATCH_SINK, UNKNOWN_SCHEDULER, MANAGED_DATABASE):
        view = ConfigView(config, cluster_name="1-bad-name")
        silent -= {name for name, entry in REGISTRY.items() if list(entry.check(view))}
    assert silent == set()
