"""Slurm settings: custom slurm.conf settings, accounting and the munge key."""

from __future__ import annotations

from typing import Any

import pytest

from pcluster_pulumi.spec.problems import Level

from .conftest import CR, QUEUE, at

ERROR, WARNING, INFO = Level.ERROR, Level.WARNING, Level.INFO
SETTINGS = ("Scheduling", "SlurmSettings")
MUNGE_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:munge-AbCdEf"


def _settings(config: dict[str, Any], **values: Any) -> dict[str, Any]:
    config["Scheduling"]["SlurmSettings"] = values
    return values


def test_denied_cluster_level_setting_is_an_error_in_any_case(slurm, where) -> None:
    _settings(slurm, CustomSlurmSettings=[{"DebugFlags": "Steps"}, {"suspendTime": 60}])
    path = (*SETTINGS, "CustomSlurmSettings", 1, "suspendTime")
    assert where(slurm, "CustomSlurmSettingsValidator") == [(path, ERROR)]


def test_multi_key_cluster_entries_are_custom_node_lines_and_not_deny_listed(slurm, where) -> None:
    _settings(slurm, CustomSlurmSettings=[{"NodeName": "burst[1-4]", "State": "CLOUD", "Prolog": "x"}])
    assert where(slurm, "CustomSlurmSettingsValidator") == []


def test_accounting_settings_are_denied_only_with_a_database(slurm, where) -> None:
    settings = _settings(slurm, CustomSlurmSettings=[{"AccountingStorageHost": "db"}])
    assert where(slurm, "CustomSlurmSettingsValidator") == []
    settings["Database"] = {"Uri": "db:3306"}
    path = (*SETTINGS, "CustomSlurmSettings", 0, "AccountingStorageHost")
    assert where(slurm, "CustomSlurmSettingsValidator") == [(path, ERROR)]


def test_denied_queue_and_compute_resource_settings_are_errors(slurm, where) -> None:
    at(slurm, QUEUE)["CustomSlurmSettings"] = {"PartitionName": "x", "MaxTime": 60}
    at(slurm, CR)["CustomSlurmSettings"] = {"Weight": 3, "RealMemory": 2000}
    assert where(slurm, "CustomSlurmSettingsValidator") == [
        ((*QUEUE, "CustomSlurmSettings", "PartitionName"), ERROR),
        ((*CR, "CustomSlurmSettings", "Weight"), ERROR),
    ]


def test_compute_resource_features_are_allowed_as_in_3_16_1(slurm, where) -> None:
    at(slurm, CR)["CustomSlurmSettings"] = {"Features": "gpu", "RealMemory": 1000}
    assert where(slurm, "CustomSlurmSettingsValidator") == []


@pytest.mark.parametrize("key", ["CPUs", "Gres", "NodeAddr", "NodeHostname", "NodeName", "State", "Weight"])
def test_compute_resource_deny_list_is_exactly_3_16_1s(slurm, where, key: str) -> None:
    at(slurm, CR)["CustomSlurmSettings"] = {key: "x"}
    assert where(slurm, "CustomSlurmSettingsValidator") == [((*CR, "CustomSlurmSettings", key), ERROR)]


@pytest.mark.parametrize("node_name", ["burst-st-1", "my-dy-node"])
def test_custom_node_name_with_reserved_st_or_dy_is_an_error(slurm, where, node_name: str) -> None:
    _settings(slurm, CustomSlurmSettings=[{"nodename": node_name, "CPUs": 4}])
    assert where(slurm, "CustomSlurmNodeNamesValidator") == [
        ((*SETTINGS, "CustomSlurmSettings", 0, "nodename"), ERROR)
    ]


def test_include_file_with_inline_custom_settings_is_an_error(slurm, where) -> None:
    settings = _settings(slurm, CustomSlurmSettingsIncludeFile="s3://bucket/slurm.conf")
    assert where(slurm, "CustomSlurmSettingsIncludeFileOnlyValidator") == []
    settings["CustomSlurmSettings"] = [{"MaxJobCount": 1000}]
    path = (*SETTINGS, "CustomSlurmSettingsIncludeFile")
    assert where(slurm, "CustomSlurmSettingsIncludeFileOnlyValidator") == [(path, ERROR)]


def test_database_with_external_slurmdbd_is_an_error(slurm, where) -> None:
    _settings(
        slurm, Database={"Uri": "db:3306"}, ExternalSlurmdbd={"Host": "dbd"}, MungeKeySecretArn=MUNGE_ARN
    )
    assert where(slurm, "ExternalSlurmdbdVsDatabaseIncompatibility") == [
        ((*SETTINGS, "ExternalSlurmdbd"), ERROR)
    ]


def test_external_slurmdbd_without_munge_key_is_an_error(slurm, where) -> None:
    settings = _settings(slurm, ExternalSlurmdbd={"Host": "dbd"})
    assert where(slurm, "ExternalSlurmdbdRequiresCustomMungeKey") == [
        ((*SETTINGS, "MungeKeySecretArn"), ERROR)
    ]
    settings["MungeKeySecretArn"] = MUNGE_ARN
    assert where(slurm, "ExternalSlurmdbdRequiresCustomMungeKey") == []


def test_external_slurmdbd_traffic_is_a_warning(slurm, where) -> None:
    _settings(slurm, ExternalSlurmdbd={"Host": "dbd"})
    assert where(slurm, "ExternalSlurmdbdTrafficNotEncrypted") == [((*SETTINGS, "ExternalSlurmdbd"), WARNING)]


@pytest.mark.parametrize(
    ("uri", "level"),
    [
        ("db.example.com:3306", None),
        ("10.0.0.5:6033", None),
        ("db.example.com", INFO),
        ("mysql://db.example.com:3306", ERROR),
        ("/db.example.com:3306", ERROR),
        ("db.example.com:port", ERROR),
        ("db.example.com:99999", ERROR),
    ],
)
def test_database_uri_is_host_and_optional_port(slurm, where, uri: str, level: Level | None) -> None:
    _settings(slurm, Database={"Uri": uri})
    expected = [] if level is None else [((*SETTINGS, "Database", "Uri"), level)]
    assert where(slurm, "DatabaseUriValidator") == expected


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:ssm:us-east-1:123456789012:parameter/munge",
        "arn:aws:secretsmanager:us-east-1:123456789012:key:munge",
        "not-an-arn",
    ],
)
def test_munge_key_that_is_not_a_secrets_manager_secret_arn_is_an_error(slurm, where, arn: str) -> None:
    _settings(slurm, MungeKeySecretArn=arn)
    assert where(slurm, "ArnServiceAndResourceValidator") == [((*SETTINGS, "MungeKeySecretArn"), ERROR)]


def test_munge_key_secret_arn_is_accepted(slurm, where) -> None:
    _settings(slurm, MungeKeySecretArn=MUNGE_ARN)
    assert where(slurm, "ArnServiceAndResourceValidator") == []


def test_managed_database_takes_no_password_secret(slurm, where) -> None:
    settings = _settings(slurm, Database={"PasswordSecretArn": MUNGE_ARN})
    assert where(slurm, "ManagedDatabaseValidator") == [((*SETTINGS, "Database", "PasswordSecretArn"), ERROR)]
    settings["Database"] = {"Uri": "db:3306", "UserName": "u", "PasswordSecretArn": MUNGE_ARN}
    assert where(slurm, "ManagedDatabaseValidator") == []
    settings["Database"] = {"UserName": "slurm", "DeletionPolicy": "Retain"}
    assert where(slurm, "ManagedDatabaseValidator") == []
