"""The DynamoDB tables the node programs keep their state in.

``parallelcluster-slurm-<cluster>`` maps a Slurm node name (``Id``) to the instance running it,
with an index on ``InstanceId`` so a booting compute node can find its own name;
``parallelcluster-<cluster>`` holds the compute-fleet status item that ``update-compute-fleet``
flips. The names are fixed (``node/naming.py``) because the node programs address the tables
by name. Both are on-demand, encrypted with KMS, and have point-in-time recovery on: losing
the node map mid-scale-up would orphan instances.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from pcluster_pulumi.cluster.context import ClusterContext
from pcluster_pulumi.node import naming

__all__ = ["INSTANCE_ID_INDEX", "InstanceTable"]

#: Global secondary index on ``InstanceId``; compute nodes query it at boot.
INSTANCE_ID_INDEX = "InstanceId"


class InstanceTable(pulumi.ComponentResource):
    """The node ↔ instance table and the compute-fleet status table."""

    nodes_table_name: pulumi.Output[str]
    status_table_name: pulumi.Output[str]

    def __init__(self, name: str, ctx: ClusterContext, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("pcluster:instance_table:InstanceTable", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        common = {
            "billing_mode": "PAY_PER_REQUEST",
            "hash_key": "Id",
            "point_in_time_recovery": {"enabled": True},
            "server_side_encryption": {"enabled": True},
            "tags": ctx.tags,
        }
        self.nodes = aws.dynamodb.Table(
            f"{name}-nodes",
            name=naming.nodes_table_name(ctx.name),
            attributes=[{"name": "Id", "type": "S"}, {"name": INSTANCE_ID_INDEX, "type": "S"}],
            global_secondary_indexes=[
                {"name": INSTANCE_ID_INDEX, "hash_key": INSTANCE_ID_INDEX, "projection_type": "ALL"}
            ],
            opts=child,
            **common,  # type: ignore[arg-type]
        )
        self.status = aws.dynamodb.Table(
            f"{name}-status",
            name=naming.status_table_name(ctx.name),
            attributes=[{"name": "Id", "type": "S"}],
            opts=child,
            **common,  # type: ignore[arg-type]
        )
        self.nodes_table_name = self.nodes.name
        self.status_table_name = self.status.name
        self.register_outputs({"nodesTable": self.nodes.name, "statusTable": self.status.name})
