"""The cluster's compute instances as EC2 sees them (what the keeper reconciles against).

Instances are found by the tags their launch template puts on them, never by the table, so
an instance whose record was lost is still found — and terminated as an orphan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pcluster_pulumi.contract import names
from pcluster_pulumi.contract.config import NodeConfig
from pcluster_pulumi.node.aws import Clients, chunks

LIVE_STATES = frozenset({"pending", "running"})
#: DescribeInstanceStatus accepts at most 100 instance ids per call.
STATUS_BATCH = 100


@dataclass(frozen=True)
class FleetInstance:
    """A compute instance of this cluster."""

    instance_id: str
    state: str
    launch_time: float

    @property
    def live(self) -> bool:
        """Pending or running: it costs money and may run a node."""
        return self.state in LIVE_STATES


def cluster_instances(clients: Clients, config: NodeConfig) -> dict[str, FleetInstance]:
    """Every compute instance tagged for this cluster, in any state EC2 still reports."""
    filters = [
        {"Name": f"tag:{names.TAG_CLUSTER_NAME}", "Values": [config.cluster_name]},
        {"Name": f"tag:{names.TAG_NODE_TYPE}", "Values": [names.NODE_TYPE_COMPUTE]},
    ]
    found: dict[str, FleetInstance] = {}
    for page in clients.ec2.get_paginator("describe_instances").paginate(Filters=filters):
        for reservation in page["Reservations"]:
            for item in reservation["Instances"]:
                found[item["InstanceId"]] = FleetInstance(
                    instance_id=item["InstanceId"],
                    state=item["State"]["Name"],
                    launch_time=_timestamp(item.get("LaunchTime")),
                )
    return found


def unhealthy_instances(clients: Clients, instance_ids: list[str]) -> set[str]:
    """Instances failing EC2 status checks or with a scheduled event (retirement, reboot)."""
    bad: set[str] = set()
    for batch in chunks(sorted(instance_ids), STATUS_BATCH):
        paginator = clients.ec2.get_paginator("describe_instance_status")
        for page in paginator.paginate(InstanceIds=list(batch)):
            for status in page.get("InstanceStatuses", []):
                impaired = any(
                    status.get(key, {}).get("Status") == "impaired"
                    for key in ("InstanceStatus", "SystemStatus")
                )
                if impaired or status.get("Events"):
                    bad.add(status["InstanceId"])
    return bad


def _timestamp(value: Any) -> float:
    if isinstance(value, datetime):
        return value.timestamp()
    return 0.0
