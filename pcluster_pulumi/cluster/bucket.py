"""The S3 bucket for the cluster's artifacts (node package, configuration), or ``CustomS3Bucket``.

Nodes boot from two objects in it: the node package (``pcluster_pulumi/node`` as a tar.gz,
built reproducibly by ``derive/node_package.py``) and the runtime configuration (``RuntimeConfig``,
rendered from the spec once the ids it names exist). User data only points at them, so it
stays far below EC2's 16 KB limit and does not change when a queue does.

A created bucket is private by construction: versioned (ParallelCluster requires it, so nodes
can read a config by version), encrypted at rest with SSE-S3, every public-access block on,
ACLs disabled (bucket owner enforced), and a policy refusing requests not made over TLS. All
of this cluster's objects live under one prefix, ``artifact_prefix(cluster)``, which is also
the only place the node roles may read; a shared ``CustomS3Bucket`` therefore stays safe.

The bucket holds only regenerable artifacts, so ``pulumi destroy`` empties it
(``force_destroy``), as ParallelCluster's cleanup function deletes its artifact directory.
"""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from functools import cache
from pathlib import Path

import pulumi
import pulumi_aws as aws

from pcluster_pulumi.contract.update_report import RUNTIME_CONFIG_KEY
from pcluster_pulumi.derive.context import ClusterContext
from pcluster_pulumi.derive.node_package import build_node_package

__all__ = ["Bucket", "artifact_prefix", "bucket_prefix", "node_package_path"]

#: Keys under the cluster's prefix (the runtime configuration's is shared with the update report).
NODE_PACKAGE_KEY = "node/pcluster-pulumi-node.tar.gz"

#: S3 bucket names are at most 63 characters; the provider appends 26 to a prefix.
BUCKET_PREFIX_MAX = 37


def artifact_prefix(cluster: str) -> str:
    """Key prefix of everything this cluster stores (trailing slash included)."""
    return f"pcluster-pulumi/{cluster}/"


def bucket_prefix(cluster: str) -> str:
    """Physical-name prefix of a created bucket (lower case: S3 refuses capitals)."""
    return f"pcluster-{cluster.lower()}-"[:BUCKET_PREFIX_MAX]


@cache
def node_package_path() -> Path:
    """The node package, built once per process into a private temporary directory.

    The bytes are reproducible, so the asset's hash (what Pulumi diffs) changes only when the
    node code does; the directory lives until the process (and so the deployment) ends.
    """
    directory = Path(tempfile.mkdtemp(prefix="pcluster-pulumi-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    return build_node_package(directory / "pcluster-pulumi-node.tar.gz")


def deny_insecure_transport(bucket_arn: str) -> str:
    """Bucket policy that refuses any request not made over TLS."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [bucket_arn, f"{bucket_arn}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        }
    )


class Bucket(pulumi.ComponentResource):
    """The cluster's artifact bucket and the prefix this cluster owns in it."""

    bucket_name: pulumi.Output[str]
    prefix: str

    def __init__(self, name: str, ctx: ClusterContext, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("pcluster:bucket:Bucket", name, None, opts)
        self.prefix = artifact_prefix(ctx.name)
        #: Where ``RuntimeConfig`` writes the node configuration (known before it exists).
        self.config_key = f"{self.prefix}{RUNTIME_CONFIG_KEY}"
        custom = ctx.spec.custom_s3_bucket
        self._settings: list[pulumi.Resource] = []
        if custom:
            self.bucket: aws.s3.Bucket | None = None
            self.bucket_name = pulumi.Output.from_input(custom)
        else:
            self.bucket = self._create(name, ctx)
            self.bucket_name = self.bucket.bucket
        self.node_package_key = f"{self.prefix}{NODE_PACKAGE_KEY}"
        self.node_package = aws.s3.BucketObjectv2(
            f"{name}-node-package",
            bucket=self.bucket_name,
            key=self.node_package_key,
            source=pulumi.FileAsset(str(node_package_path())),
            content_type="application/gzip",
            tags=ctx.tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=self._settings),
        )
        self.register_outputs(
            {"bucketName": self.bucket_name, "prefix": self.prefix, "nodePackageKey": self.node_package_key}
        )

    def _create(self, name: str, ctx: ClusterContext) -> aws.s3.Bucket:
        child = pulumi.ResourceOptions(parent=self)
        bucket = aws.s3.Bucket(
            f"{name}-artifacts",
            bucket_prefix=bucket_prefix(ctx.name),
            force_destroy=True,
            tags=ctx.tags,
            opts=child,
        )
        self._settings.append(
            aws.s3.BucketOwnershipControls(
                f"{name}-ownership",
                bucket=bucket.id,
                rule={"object_ownership": "BucketOwnerEnforced"},
                opts=child,
            )
        )
        self._settings.append(
            aws.s3.BucketPublicAccessBlock(
                f"{name}-public-access-block",
                bucket=bucket.id,
                block_public_acls=True,
                block_public_policy=True,
                ignore_public_acls=True,
                restrict_public_buckets=True,
                opts=child,
            )
        )
        self._settings.append(
            aws.s3.BucketServerSideEncryptionConfiguration(
                f"{name}-encryption",
                bucket=bucket.id,
                rules=[
                    {
                        "apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"},
                        "bucket_key_enabled": True,
                    }
                ],
                opts=child,
            )
        )
        self._settings.append(
            aws.s3.BucketVersioning(
                f"{name}-versioning",
                bucket=bucket.id,
                versioning_configuration={"status": "Enabled"},
                opts=child,
            )
        )
        self._settings.append(
            aws.s3.BucketPolicy(
                f"{name}-policy",
                bucket=bucket.id,
                policy=bucket.arn.apply(deny_insecure_transport),
                opts=child,
            )
        )
        return bucket
