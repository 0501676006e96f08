"""The DynamoDB tables the node programs keep their state in.

``parallelcluster-slurm-<cluster>`` maps a Slurm node name (``Id``) to the instance running it,
with an index on ``InstanceId`` so a booting compute node can find its own name;
``parallelcluster-<cluster>`` holds the compute-fleet status item that ``update-compute-fleet``
flips. The names are fixed (``node/names.py``) because the node programs address the tables
by name. Both are on-demand, encrypted with KMS, and have point-in-time recovery on: losing
the node map mid-scale-up would orphan instances.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from pcluster_pulumi.contract import names
from pcluster_pulumi.derive.context import ClusterContext

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
        self.tables: dict[str, aws.dynamodb.Table] = {}
        for key, table, attributes, indexes in (
            ("nodes", names.nodes_table_name(ctx.name), ["Id", INSTANCE_ID_INDEX], [INSTANCE_ID_INDEX]),
            ("status", names.status_table_name(ctx.name), ["Id"], []),
        ):
            self.tables[key] = aws.dynamodb.Table(
                f"{name}-{key}",
                name=table,
                billing_mode="PAY_PER_REQUEST",
                hash_key="Id",
                attributes=[{"name": a, "type": "S"} for a in attributes],
                global_secondary_indexes=[
                    {"name": i, "hash_key": i, "projection_type": "ALL"} for i in indexes
                ]
                or None,
                point_in_time_recovery={"enabled": True},
                server_side_encryption={"enabled": True},
                tags=ctx.tags,
                opts=child,
            )
        self.nodes, self.status = self.tables["nodes"], self.tables["status"]
        self.nodes_table_name = self.nodes.name
        self.status_table_name = self.status.name
        self.register_outputs({"nodesTable": self.nodes.name, "statusTable": self.status.name})
