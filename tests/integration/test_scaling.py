"""The issue's five scenarios on a real slurmctld with moto's server (see conftest)."""

from __future__ import annotations

import boto3
import pytest

from .conftest import SlurmCluster
from .processes import wait_for

pytestmark = pytest.mark.integration


def test_smoke(slurm_cluster: SlurmCluster) -> None:
    print(slurm_cluster.run("sinfo", "-a"))
