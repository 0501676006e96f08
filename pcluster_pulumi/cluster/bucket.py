"""The S3 bucket for the cluster's artifacts (node package, configuration), or ``CustomS3Bucket``.

A created bucket is private by construction: versioned (ParallelCluster requires it, so nodes
can read a config by version), encrypted at rest with SSE-S3, every public-access block on,
ACLs disabled (bucket owner enforced), and a policy refusing requests not made over TLS. All
of this cluster's objects live under one prefix, ``artifact_prefix(cluster)``, which is also
the only place the node roles may read; a shared ``CustomS3Bucket`` therefore stays safe.

The bucket holds only regenerable artifacts, so ``pulumi destroy`` empties it
(``force_destroy``), as ParallelCluster's cleanup function deletes its artifact directory.
"""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from pcluster_pulumi.cluster.context import ClusterContext

__all__ = ["Bucket", "artifact_prefix", "bucket_prefix"]

#: S3 bucket names are at most 63 characters; the provider appends 26 to a prefix.
BUCKET_PREFIX_MAX = 37


def artifact_prefix(cluster: str) -> str:
    """Key prefix of everything this cluster stores (trailing slash included)."""
    return f"pcluster-pulumi/{cluster}/"


def bucket_prefix(cluster: str) -> str:
    """Physical-name prefix of a created bucket (lower case: S3 refuses capitals)."""
    return f"pcluster-{cluster.lower()}-"[:BUCKET_PREFIX_MAX]


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
        custom = ctx.spec.custom_s3_bucket
        if custom:
            self.bucket: aws.s3.Bucket | None = None
            self.bucket_name = pulumi.Output.from_input(custom)
        else:
            self.bucket = self._create(name, ctx)
            self.bucket_name = self.bucket.bucket
        self.node_package_key: str | None = None
        self.objects: list[pulumi.Resource] = []
        self.register_outputs({"bucketName": self.bucket_name, "prefix": self.prefix})

    def _create(self, name: str, ctx: ClusterContext) -> aws.s3.Bucket:
        child = pulumi.ResourceOptions(parent=self)
        bucket = aws.s3.Bucket(
            f"{name}",
            bucket_prefix=bucket_prefix(ctx.name),
            force_destroy=True,
            tags=ctx.tags,
            opts=child,
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership", bucket=bucket.id, rule={"object_ownership": "BucketOwnerEnforced"}, opts=child
        )
        aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access-block",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket.id,
            rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}, "bucket_key_enabled": True}],
            opts=child,
        )
        aws.s3.BucketVersioning(
            f"{name}-versioning", bucket=bucket.id, versioning_configuration={"status": "Enabled"}, opts=child
        )
        aws.s3.BucketPolicy(
            f"{name}-policy", bucket=bucket.id, policy=bucket.arn.apply(deny_insecure_transport), opts=child
        )
        return bucket
