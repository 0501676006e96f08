"""Monitoring rules."""

from __future__ import annotations

from pcluster_pulumi.spec.problems import Level

WARNING = Level.WARNING


def test_log_rotation_with_cloudwatch_logs_off_is_a_warning(slurm, where) -> None:
    slurm["Monitoring"] = {"Logs": {"CloudWatch": {"Enabled": False}}}
    path = ("Monitoring", "Logs", "Rotation", "Enabled")
    assert where(slurm, "LogRotationValidator") == [(path, WARNING)]
    slurm["Monitoring"]["Logs"]["Rotation"] = {"Enabled": False}
    assert where(slurm, "LogRotationValidator") == []


def test_detailed_monitoring_is_a_cost_warning(slurm, where) -> None:
    slurm["Monitoring"] = {"DetailedMonitoring": True}
    assert where(slurm, "DetailedMonitoringValidator") == [(("Monitoring", "DetailedMonitoring"), WARNING)]
    slurm["Monitoring"]["DetailedMonitoring"] = False
    assert where(slurm, "DetailedMonitoringValidator") == []
