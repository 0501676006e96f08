"""CloudWatch for the cluster: the log group, the dashboard and the head-node alarms.

Two components because they sit at two ends of the graph: the log group must exist before
the node roles (their policies name it) and the alarms need the head node's instance id.

The log group name is ``/aws/parallelcluster/<cluster>-<unique suffix>`` (a name prefix, not
ParallelCluster's timestamp): ``DeletionPolicy: Retain`` (the default) keeps it after
``pulumi destroy``, and a cluster re-created under the same name must not collide with it.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws

from pcluster_pulumi.derive.context import ClusterContext

__all__ = ["ALARM_METRICS", "ClusterLogs", "Monitoring", "dashboard_body"]

#: Head-node alarms as ParallelCluster defines them: (suffix, namespace, metric, extra dimensions).
ALARM_METRICS: tuple[tuple[str, str, str, dict[str, str]], ...] = (
    ("Health", "AWS/EC2", "StatusCheckFailed", {}),
    ("Cpu", "AWS/EC2", "CPUUtilization", {}),
    ("Mem", "CWAgent", "mem_used_percent", {}),
    ("Disk", "CWAgent", "disk_used_percent", {"path": "/"}),
)
_THRESHOLDS = {"Health": 0, "Cpu": 90, "Mem": 90, "Disk": 90}


class ClusterLogs(pulumi.ComponentResource):
    """The cluster's CloudWatch log group, when ``Monitoring.Logs.CloudWatch.Enabled``."""

    log_group_name: pulumi.Output[str | None]

    def __init__(self, name: str, ctx: ClusterContext, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("pcluster:monitoring:ClusterLogs", name, None, opts)
        settings = ctx.spec.monitoring.logs.cloud_watch
        self.log_group: aws.cloudwatch.LogGroup | None = None
        if settings.enabled:
            retain = settings.deletion_policy == "Retain"
            self.log_group = aws.cloudwatch.LogGroup(
                f"{name}-group",
                name_prefix=f"/aws/parallelcluster/{ctx.name}-",
                retention_in_days=settings.retention_in_days or None,
                tags=ctx.tags,
                opts=pulumi.ResourceOptions(parent=self, retain_on_delete=retain),
            )
            self.log_group_name = self.log_group.name.apply(lambda n: n)
        else:
            self.log_group_name = pulumi.Output.from_input(None)
        self.register_outputs({"logGroupName": self.log_group_name})


def dashboard_body(ctx: ClusterContext, instance_id: str, log_group_name: str | None) -> str:
    """The dashboard JSON: head-node EC2 and agent metrics, the alarms, and recent cluster errors."""
    region = ctx.facts.region

    def metric_widget(title: str, metrics: list[list[Any]], y: int, x: int) -> dict[str, Any]:
        return {
            "type": "metric",
            "x": x,
            "y": y,
            "width": 12,
            "height": 6,
            "properties": {
                "title": title,
                "region": region,
                "metrics": metrics,
                "stat": "Average",
                "period": 300,
            },
        }

    widgets: list[dict[str, Any]] = [
        {
            "type": "text",
            "x": 0,
            "y": 0,
            "width": 24,
            "height": 1,
            "properties": {"markdown": f"# Cluster {ctx.name}: head node {instance_id}"},
        },
        metric_widget("Head node CPU", [["AWS/EC2", "CPUUtilization", "InstanceId", instance_id]], 1, 0),
        metric_widget(
            "Head node network",
            [
                ["AWS/EC2", "NetworkIn", "InstanceId", instance_id],
                ["AWS/EC2", "NetworkOut", "InstanceId", instance_id],
            ],
            1,
            12,
        ),
        metric_widget("Head node memory", [["CWAgent", "mem_used_percent", "InstanceId", instance_id]], 7, 0),
        metric_widget(
            "Head node root disk",
            [["CWAgent", "disk_used_percent", "InstanceId", instance_id, "path", "/"]],
            7,
            12,
        ),
    ]
    if ctx.spec.monitoring.alarms.enabled:
        alarms = [ctx.facts.arn("cloudwatch", f"alarm:{ctx.name}-HeadNode-{s}") for s, *_ in ALARM_METRICS]
        widgets.append(
            {
                "type": "alarm",
                "x": 0,
                "y": 13,
                "width": 24,
                "height": 3,
                "properties": {"title": "Head node alarms", "alarms": alarms},
            }
        )
    if log_group_name:
        widgets.append(
            {
                "type": "log",
                "x": 0,
                "y": 16,
                "width": 24,
                "height": 6,
                "properties": {
                    "title": "Recent errors",
                    "region": region,
                    "query": f"SOURCE '{log_group_name}' | fields @timestamp, @message "
                    "| filter @message like /(?i)(error|exception|failed)/ "
                    "| sort @timestamp desc | limit 100",
                    "view": "table",
                },
            }
        )
    return json.dumps({"widgets": widgets})


class Monitoring(pulumi.ComponentResource):
    """Dashboard (``Dashboards.CloudWatch``) and head-node alarms (``Alarms``)."""

    def __init__(
        self,
        name: str,
        ctx: ClusterContext,
        *,
        head_instance_id: pulumi.Input[str],
        log_group_name: pulumi.Input[str | None],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("pcluster:monitoring:Monitoring", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        monitoring = ctx.spec.monitoring
        self.dashboard: aws.cloudwatch.Dashboard | None = None
        if monitoring.dashboards.cloud_watch.enabled:
            self.dashboard = aws.cloudwatch.Dashboard(
                f"{name}-dashboard",
                dashboard_name=f"{ctx.name}-{ctx.facts.region}",
                dashboard_body=pulumi.Output.all(head_instance_id, log_group_name).apply(
                    lambda v: dashboard_body(ctx, v[0], v[1])
                ),
                opts=child,
            )
        self.alarms: list[aws.cloudwatch.MetricAlarm] = []
        if monitoring.alarms.enabled:
            for suffix, namespace, metric, extra in ALARM_METRICS:
                self.alarms.append(
                    aws.cloudwatch.MetricAlarm(
                        f"{name}-head-{suffix.lower()}",
                        name=f"{ctx.name}-HeadNode-{suffix}",
                        alarm_description=f"Head node {metric} of cluster {ctx.name}",
                        namespace=namespace,
                        metric_name=metric,
                        dimensions={"InstanceId": head_instance_id, **extra},
                        statistic="Maximum",
                        period=60,
                        evaluation_periods=1,
                        datapoints_to_alarm=1,
                        comparison_operator="GreaterThanThreshold",
                        threshold=_THRESHOLDS[suffix],
                        tags=ctx.tags,
                        opts=child,
                    )
                )
            rule = pulumi.Output.all(*[a.arn for a in self.alarms]).apply(
                lambda arns: " OR ".join(f'ALARM("{arn}")' for arn in arns)
            )
            aws.cloudwatch.CompositeAlarm(
                f"{name}-head",
                alarm_name=f"{ctx.name}-HeadNode",
                alarm_description=f"Any head node alarm of cluster {ctx.name}",
                alarm_rule=rule,
                tags=ctx.tags,
                opts=child,
            )
        self.register_outputs({"dashboardName": self.dashboard.dashboard_name if self.dashboard else None})
