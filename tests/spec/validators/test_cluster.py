"""Cluster-wide rules: cluster name, region, scheduler/OS, Intel HPC, security groups, root
volume encryption."""

from __future__ import annotations

from typing import Any

import pytest

from pcluster_pulumi.spec.problems import Level

from .conftest import QUEUE, at

ERROR, WARNING = Level.ERROR, Level.WARNING


@pytest.mark.parametrize("name", ["a", "Cluster-1", "x" * 60])
def test_cluster_name_of_letters_digits_hyphens_up_to_60_chars_is_accepted(slurm, where, name: str) -> None:
    assert where(slurm, "ClusterNameValidator", cluster_name=name) == []


@pytest.mark.parametrize("name", ["1cluster", "my_cluster", "x" * 61, "clu ster", "cluster\n"])
def test_cluster_name_with_bad_characters_or_too_long_is_an_error(slurm, where, name: str) -> None:
    assert where(slurm, "ClusterNameValidator", cluster_name=name) == [((), ERROR)]


def test_cluster_name_longer_than_40_chars_is_an_error_with_slurm_accounting(slurm, findings) -> None:
    slurm["Scheduling"]["SlurmSettings"] = {"Database": {"Uri": "db:3306"}}
    assert findings(slurm, "ClusterNameValidator", cluster_name="x" * 40) == []
    [finding] = findings(slurm, "ClusterNameValidator", cluster_name="x" * 41)
    assert finding.level is ERROR and "at most 40" in finding.message


def test_cluster_name_limit_is_40_with_an_external_slurmdbd_too(slurm, where) -> None:
    slurm["Scheduling"]["SlurmSettings"] = {"ExternalSlurmdbd": {"Host": "10.0.0.1"}}
    assert where(slurm, "ClusterNameValidator", cluster_name="x" * 41) == [((), ERROR)]


def test_cluster_name_is_not_checked_when_the_caller_gave_none(slurm, where) -> None:
    assert where(slurm, "ClusterNameValidator", cluster_name=None) == []


def test_region_outside_parallelcluster_list_is_an_error(slurm, where) -> None:
    slurm["Region"] = "mars-north-1"
    assert where(slurm, "RegionValidator") == [(("Region",), ERROR)]
    slurm["Region"] = "eu-west-1"
    assert where(slurm, "RegionValidator") == []


def test_unknown_scheduler_is_an_error(slurm, where) -> None:
    slurm["Scheduling"]["Scheduler"] = "plugin"
    assert where(slurm, "SchedulerValidator") == [(("Scheduling", "Scheduler"), ERROR)]


def test_awsbatch_on_an_os_other_than_amazon_linux_is_an_error(awsbatch, where) -> None:
    awsbatch["Image"]["Os"] = "ubuntu2204"
    assert where(awsbatch, "SchedulerOsValidator") == [(("Image", "Os"), ERROR)]
    awsbatch["Image"]["Os"] = "alinux2"
    assert where(awsbatch, "SchedulerOsValidator") == []


def test_rocky_without_custom_ami_is_an_error(slurm, where) -> None:
    slurm["Image"]["Os"] = "rocky9"
    assert where(slurm, "OsCustomAmiValidator") == [(("Image", "Os"), ERROR)]
    slurm["Image"]["CustomAmi"] = "ami-0123456789abcdef0"
    assert where(slurm, "OsCustomAmiValidator") == []


def test_rhel_has_official_amis_and_needs_no_custom_ami(slurm, where) -> None:
    slurm["Image"]["Os"] = "rhel9"
    assert where(slurm, "OsCustomAmiValidator") == []


def test_disable_sudo_for_default_user_with_awsbatch_is_an_error(awsbatch, slurm, where) -> None:
    path = ("DeploymentSettings", "DisableSudoAccessForDefaultUser")
    awsbatch["DeploymentSettings"] = {"DisableSudoAccessForDefaultUser": True}
    slurm["DeploymentSettings"] = {"DisableSudoAccessForDefaultUser": True}
    assert where(awsbatch, "SchedulerDisableSudoAccessForDefaultUserValidator") == [(path, ERROR)]
    assert where(slurm, "SchedulerDisableSudoAccessForDefaultUserValidator") == []


def test_feature_missing_in_the_region_is_an_error(slurm, awsbatch, where) -> None:
    slurm["Region"] = "us-iso-east-1"
    slurm["SharedStorage"] = [
        {"Name": "cache", "MountDir": "/cache", "StorageType": "FileCache", "FileCacheSettings": {}},
        {"Name": "zfs", "MountDir": "/zfs", "StorageType": "FsxOpenZfs", "FsxOpenZfsSettings": {}},
    ]
    assert where(slurm, "FeatureRegionValidator") == [
        (("SharedStorage", 0, "StorageType"), ERROR),
        (("SharedStorage", 1, "StorageType"), ERROR),
    ]
    awsbatch["Region"] = "ap-northeast-3"
    assert where(awsbatch, "FeatureRegionValidator") == [(("Scheduling", "Scheduler"), ERROR)]


def test_features_are_not_checked_without_a_region(awsbatch, where) -> None:
    assert where(awsbatch, "FeatureRegionValidator") == []


def test_intel_hpc_platform_can_never_be_enabled(slurm, where) -> None:
    slurm["AdditionalPackages"] = {"IntelSoftware": {"IntelHpcPlatform": True}}
    path = ("AdditionalPackages", "IntelSoftware", "IntelHpcPlatform")
    assert where(slurm, "IntelHpcOsValidator") == [(path, ERROR)]
    slurm["AdditionalPackages"]["IntelSoftware"]["IntelHpcPlatform"] = False
    assert where(slurm, "IntelHpcOsValidator") == []


def test_custom_head_node_security_groups_with_managed_queue_groups_is_a_warning(slurm, where) -> None:
    slurm["HeadNode"]["Networking"]["SecurityGroups"] = ["sg-12345678"]
    path = ("HeadNode", "Networking", "SecurityGroups")
    assert where(slurm, "MixedSecurityGroupOverwriteValidator") == [(path, WARNING)]


def test_custom_queue_security_groups_with_a_managed_head_node_is_a_warning(slurm, where) -> None:
    at(slurm, QUEUE)["Networking"]["SecurityGroups"] = ["sg-12345678"]
    path = (*QUEUE, "Networking", "SecurityGroups")
    assert where(slurm, "MixedSecurityGroupOverwriteValidator") == [(path, WARNING)]


def test_security_groups_replaced_everywhere_are_consistent(slurm, where) -> None:
    slurm["HeadNode"]["Networking"]["SecurityGroups"] = ["sg-12345678"]
    at(slurm, QUEUE)["Networking"]["SecurityGroups"] = ["sg-12345678"]
    assert where(slurm, "MixedSecurityGroupOverwriteValidator") == []


def _second_queue(slurm: dict[str, Any], encrypted: bool) -> None:
    slurm["Scheduling"]["SlurmQueues"].append(
        {
            "Name": "other",
            "Networking": {"SubnetIds": ["subnet-0123456789abcdef1"]},
            "ComputeSettings": {"LocalStorage": {"RootVolume": {"Encrypted": encrypted}}},
            "ComputeResources": [{"Name": "c5", "InstanceType": "c5.xlarge"}],
        }
    )


def test_queues_mixing_encrypted_and_unencrypted_root_volumes_is_a_warning(slurm, where) -> None:
    _second_queue(slurm, encrypted=False)
    path = ("Scheduling", "SlurmQueues", 1, "ComputeSettings", "LocalStorage", "RootVolume", "Encrypted")
    assert where(slurm, "RootVolumeEncryptionConsistencyValidator") == [(path, WARNING)]


def test_root_volume_encryption_defaults_to_true_when_comparing_queues(slurm, where) -> None:
    _second_queue(slurm, encrypted=True)
    assert where(slurm, "RootVolumeEncryptionConsistencyValidator") == []
