"""Monitoring rules: what happens to logs, and what detailed monitoring costs.

Both are WARNING, as ParallelCluster 3.16.1 reports them (older documentation says INFO).
"""

from __future__ import annotations

from collections.abc import Iterator

from pcluster_pulumi.spec.problems import Level
from pcluster_pulumi.spec.validators._read import get_bool
from pcluster_pulumi.spec.validators.base import ConfigView, Finding, validator


@validator("LogRotationValidator")
def log_rotation(view: ConfigView) -> Iterator[Finding]:
    """Warn when logs are rotated while CloudWatch logging is off: rotated logs are then lost."""
    logs = view.root.child("Monitoring", "Logs")
    cloudwatch = get_bool(logs, "CloudWatch", "Enabled", default=True)
    rotation = get_bool(logs, "Rotation", "Enabled", default=True)
    if cloudwatch is False and rotation is True:
        yield Finding(
            logs.at("Rotation", "Enabled"),
            "CloudWatch logging is disabled but log rotation is enabled: logs will be rotated and removed "
            "from the cluster once they reach a certain size. To keep them on the nodes, set "
            "Monitoring.Logs.Rotation.Enabled to false.",
            Level.WARNING,
        )


@validator("DetailedMonitoringValidator")
def detailed_monitoring(view: ConfigView) -> Iterator[Finding]:
    """Warn that detailed (1-minute) EC2 monitoring of the compute fleet costs extra."""
    path = ("Monitoring", "DetailedMonitoring")
    if get_bool(view.root, *path) is True:
        yield Finding(
            path,
            "Detailed monitoring is enabled for the compute fleet: EC2 graphs use a 1-minute period, which "
            "increases cost. Set Monitoring.DetailedMonitoring to false for basic monitoring.",
            Level.WARNING,
        )
