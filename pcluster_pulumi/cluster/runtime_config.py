"""The runtime configuration object in the cluster bucket: what every node reads, and what updates change.

Its type token stays ``pcluster:bucket:RuntimeConfig`` (where it was first declared), so stacks
deployed before it had its own module keep the same URNs and see no replacement.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws

from pcluster_pulumi.cluster.bucket import Bucket
from pcluster_pulumi.derive.context import ClusterContext
from pcluster_pulumi.derive.runtime_config import RuntimeResources, render_runtime_config

__all__ = ["RuntimeConfig"]


class RuntimeConfig(pulumi.ComponentResource):
    """The runtime configuration object every node reads at boot (``contract/config.py`` format).

    Rendered inside ``Output.apply`` because it names resources that exist only after
    deployment (launch template ids, the hosted zone, the head node's address).
    """

    key: str
    document: pulumi.Output[dict[str, Any]]

    def __init__(
        self,
        name: str,
        ctx: ClusterContext,
        *,
        bucket: Bucket,
        resources: pulumi.Output[RuntimeResources],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("pcluster:bucket:RuntimeConfig", name, None, opts)
        self.key = bucket.config_key
        self.document = resources.apply(lambda r: render_runtime_config(ctx, r))
        self.object = aws.s3.BucketObjectv2(
            f"{name}-object",
            bucket=bucket.bucket_name,
            key=self.key,
            content=self.document.apply(lambda d: json.dumps(d, indent=2, sort_keys=True) + "\n"),
            content_type="application/json",
            tags=ctx.tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[bucket.node_package]),
        )
        self.register_outputs({"key": self.key})
