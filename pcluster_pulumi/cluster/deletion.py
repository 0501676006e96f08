"""Resource options that carry ``DeletionPolicy`` (the policy's meaning is in ``derive/deletion.py``)."""

from __future__ import annotations

from typing import Any

import pulumi

from pcluster_pulumi.derive.deletion import RETAIN

__all__ = ["policy_options"]


def policy_options(policy: str, parent: pulumi.Resource, **extra: Any) -> pulumi.ResourceOptions:
    """Options of a data resource (or of what must outlive it) under ``policy``, as a child of ``parent``."""
    return pulumi.ResourceOptions(parent=parent, retain_on_delete=policy == RETAIN, **extra)
