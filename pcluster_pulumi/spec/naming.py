"""How YAML keys become Python attribute names (shared by the model generator and the loader)."""

from __future__ import annotations

import re

_SPECIAL = {"MaxvCpus": "max_vcpus", "MinvCpus": "min_vcpus", "DesiredvCpus": "desired_vcpus"}
_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def snake_case(key: str) -> str:
    """``SlurmQueues`` → ``slurm_queues``; ``UseEc2Hostnames`` → ``use_ec2_hostnames``."""
    return _SPECIAL.get(key) or _BOUNDARY.sub("_", key).lower()
