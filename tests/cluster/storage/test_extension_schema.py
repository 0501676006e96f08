"""The storage and accounting extensions in the schema: marked, accepted when right, refused when not."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from pcluster_pulumi.spec.loader import validate_text
from pcluster_pulumi.spec.schema import schema_at

from .conftest import BASE, OTHER_SUBNET, QUEUE_SUBNET


def problems(
    storage: list[dict[str, Any]] | None = None, database: dict[str, Any] | None = None
) -> list[str]:
    data: dict[str, Any] = yaml.safe_load(yaml.safe_dump(BASE))
    if storage is not None:
        data["SharedStorage"] = storage
    if database is not None:
        data["Scheduling"]["SlurmSettings"] = {"Database": database}
    result = validate_text(yaml.safe_dump(data), cluster_name="demo")
    return [f"{p.path}: {p.message}" for p in result.problems if p.level >= 40]


def fsx(kind: str, **settings: Any) -> list[dict[str, Any]]:
    return [{"MountDir": "/fsx", "Name": "fsx", "StorageType": kind, f"{kind}Settings": settings}]


@pytest.mark.parametrize(
    "path",
    [
        ("SharedStorage", 0, "FsxOntapSettings", "StorageCapacity"),
        ("SharedStorage", 0, "FsxOntapSettings", "DeletionPolicy"),
        ("SharedStorage", 0, "FsxOpenZfsSettings", "ThroughputCapacity"),
        ("SharedStorage", 0, "FsxOpenZfsSettings", "DataCompressionType"),
        ("Scheduling", "SlurmSettings", "Database", "SubnetIds"),
    ],
)
def test_extension_keys_are_marked_and_described(path: tuple[Any, ...]) -> None:
    node = schema_at(path)
    assert node is not None and node["x-pcluster-pulumi"] is True
    assert "pcluster-pulumi extension" in node["description"]


def test_volume_id_alone_still_mounts_an_existing_volume() -> None:
    assert problems(fsx("FsxOntap", VolumeId="fsvol-0123456789abcdef0")) == []
    assert problems(fsx("FsxOpenZfs", VolumeId="fsvol-0123456789abcdef0")) == []


@pytest.mark.parametrize(
    ("kind", "settings"),
    [
        ("FsxOntap", {"StorageCapacity": 1024}),
        (
            "FsxOntap",
            {
                "StorageCapacity": 2048,
                "DeploymentType": "SINGLE_AZ_2",
                "ThroughputCapacity": 768,
                "DeletionPolicy": "Snapshot",
            },
        ),
        ("FsxOpenZfs", {"StorageCapacity": 64}),
        (
            "FsxOpenZfs",
            {
                "StorageCapacity": 64,
                "DeploymentType": "SINGLE_AZ_HA_1",
                "ThroughputCapacity": 128,
                "DeletionPolicy": "Retain",
            },
        ),
    ],
)
def test_creation_settings_are_accepted(kind: str, settings: dict[str, Any]) -> None:
    assert problems(fsx(kind, **settings)) == []


@pytest.mark.parametrize(
    ("kind", "settings", "expected"),
    [
        ("FsxOntap", {}, "FsxOntapSettings.StorageCapacity: required key 'StorageCapacity' is missing"),
        ("FsxOpenZfs", {"DeploymentType": "SINGLE_AZ_2"}, "required key 'StorageCapacity' is missing"),
        (
            "FsxOntap",
            {"VolumeId": "fsvol-0123456789abcdef0", "StorageCapacity": 1024},
            "FsxOntapSettings.StorageCapacity: 'StorageCapacity' does not go with",
        ),
        (
            "FsxOntap",
            {"StorageCapacity": 1024, "ThroughputCapacity": 384},
            "ThroughputCapacity: an integer 384 is not allowed",
        ),
        (
            "FsxOpenZfs",
            {"StorageCapacity": 64, "DeploymentType": "SINGLE_AZ_2", "ThroughputCapacity": 64},
            "ThroughputCapacity: an integer 64 is not allowed",
        ),
        (
            "FsxOntap",
            {"StorageCapacity": 1024, "DeploymentType": "MULTI_AZ_1"},
            'DeploymentType: a string "MULTI_AZ_1" is not allowed',
        ),
        ("FsxOpenZfs", {"StorageCapacity": 32}, "StorageCapacity: an integer 32 is out of range"),
    ],
)
def test_wrong_creation_settings_are_refused(kind: str, settings: dict[str, Any], expected: str) -> None:
    found = problems(fsx(kind, **settings))
    assert any(expected in p for p in found), found


def test_managed_database_subnets_need_two_entries() -> None:
    assert problems(database={"SubnetIds": [QUEUE_SUBNET, OTHER_SUBNET]}) == []
    assert any("SubnetIds: has 1 item" in p for p in problems(database={"SubnetIds": [QUEUE_SUBNET]}))
