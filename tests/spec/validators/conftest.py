"""Shared fixtures for the validator tests: minimal valid configs and helpers that run one
validator by name and report where (key path) and how loudly (level) it complained."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from pcluster_pulumi.spec.problems import KeyPath, Level
from pcluster_pulumi.spec.validators import REGISTRY
from pcluster_pulumi.spec.validators.base import ConfigView, Finding

Config = dict[str, Any]

MINIMAL_SLURM: Config = {
    "Image": {"Os": "alinux2023"},
    "HeadNode": {
        "InstanceType": "c5.xlarge",
        "Networking": {"SubnetId": "subnet-0123456789abcdef0"},
        "Ssh": {"KeyName": "my-key"},
    },
    "Scheduling": {
        "Scheduler": "slurm",
        "SlurmQueues": [
            {
                "Name": "compute",
                "Networking": {"SubnetIds": ["subnet-0123456789abcdef1"]},
                "ComputeResources": [
                    {"Name": "c5", "InstanceType": "c5.xlarge", "MinCount": 0, "MaxCount": 10}
                ],
            }
        ],
    },
}

MINIMAL_AWSBATCH: Config = {
    "Image": {"Os": "alinux2023"},
    "HeadNode": {
        "InstanceType": "c5.xlarge",
        "Networking": {"SubnetId": "subnet-0123456789abcdef0"},
        "Ssh": {"KeyName": "my-key"},
        "Imds": {"Secured": False},
    },
    "Scheduling": {
        "Scheduler": "awsbatch",
        "AwsBatchQueues": [
            {
                "Name": "batch",
                "Networking": {"SubnetIds": ["subnet-0123456789abcdef1"]},
                "ComputeResources": [
                    {"Name": "cpu", "InstanceTypes": ["c5.xlarge"], "MinvCpus": 0, "MaxvCpus": 16}
                ],
            }
        ],
    },
}

# Paths into MINIMAL_SLURM that most tests start from.
QUEUE: KeyPath = ("Scheduling", "SlurmQueues", 0)
CR: KeyPath = (*QUEUE, "ComputeResources", 0)
BATCH_QUEUE: KeyPath = ("Scheduling", "AwsBatchQueues", 0)
BATCH_CR: KeyPath = (*BATCH_QUEUE, "ComputeResources", 0)


def run(config: Config, name: str, cluster_name: str | None = None) -> list[Finding]:
    """Every finding of the validator registered as ``name`` on ``config``."""
    return list(REGISTRY[name].check(ConfigView(config, cluster_name=cluster_name)))


def at(config: Config, path: KeyPath) -> Any:
    """The value at ``path`` inside ``config`` (for building test configs)."""
    node: Any = config
    for key in path:
        node = node[key]
    return node


@pytest.fixture
def slurm() -> Config:
    """A fresh copy of a minimal valid Slurm config (one queue, one compute resource)."""
    return copy.deepcopy(MINIMAL_SLURM)


@pytest.fixture
def awsbatch() -> Config:
    """A fresh copy of a minimal valid AWS Batch config."""
    return copy.deepcopy(MINIMAL_AWSBATCH)


@pytest.fixture
def findings() -> Callable[..., list[Finding]]:
    """findings(config, name, cluster_name=None): what one validator reports."""
    return run


@pytest.fixture
def where() -> Callable[..., list[tuple[KeyPath, Level]]]:
    """where(config, name, cluster_name=None): (key path, level) of each finding of one validator."""

    def locate(config: Config, name: str, cluster_name: str | None = None) -> list[tuple[KeyPath, Level]]:
        return [(f.path, f.level) for f in run(config, name, cluster_name)]

    return locate


@pytest.fixture
def queue(slurm: Config) -> dict[str, Any]:
    """The first queue of the ``slurm`` fixture, for editing in place."""
    return at(slurm, QUEUE)


@pytest.fixture
def cr(slurm: Config) -> dict[str, Any]:
    """The first compute resource of the ``slurm`` fixture, for editing in place."""
    return at(slurm, CR)
