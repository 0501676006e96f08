"""Fixtures for node tests: moto in-process with a provisioned cluster, and a fake slurmctld."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from pcluster_pulumi.contract.config import NodeConfig
from pcluster_pulumi.contract.paths import STATE_DIR_ENV
from pcluster_pulumi.node.aws import Clients

from .factories import config_dict
from .fake_slurm import FakeSlurm
from .provision import provision


@pytest.fixture(autouse=True)
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets its own keeper state directory (the local fleet-status file)."""
    directory = tmp_path / "state"
    monkeypatch.setenv(STATE_DIR_ENV, str(directory))
    return directory


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials, and no endpoint override leaking in from the environment."""
    for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture
def moto(aws_env: None) -> Iterator[None]:
    """All AWS calls of the test served by moto in-process."""
    with mock_aws():
        yield


@pytest.fixture
def cluster(moto: None) -> Callable[..., NodeConfig]:
    """cluster(**config_dict kwargs) → a config whose AWS resources exist in moto."""

    def build(**kwargs: Any) -> NodeConfig:
        kwargs.setdefault("dns", {"hosted_zone_id": "placeholder", "domain": "demo.pcluster."})
        return provision(NodeConfig.from_dict(config_dict(**kwargs)))

    return build


@pytest.fixture
def clients(moto: None) -> Clients:
    return Clients("us-east-1")


@pytest.fixture
def slurm() -> FakeSlurm:
    return FakeSlurm()
