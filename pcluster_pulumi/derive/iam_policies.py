"""IAM policy documents of the cluster's nodes, as pure functions over plain values.

Least privilege, scoped to this cluster: the head node may launch instances only from this
cluster's launch templates, into its subnets, with its security groups and AMIs; it may
terminate only instances tagged with this cluster's name; it reads and writes only this
cluster's DynamoDB tables, Route 53 zone, log group and bucket prefix. Compute nodes may only
read. Nothing here allows ``*`` actions, and ``*`` resources appear only for the EC2 Describe
calls and CloudWatch metrics, which AWS cannot scope (the latter is pinned by namespace). The
accounting database's password is granted by ``cluster/accounting.py``, not here.

Ids that exist only after deployment (launch template ids, the hosted zone) are parameters,
so the components call these functions inside ``Output.apply`` and tests call them directly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pcluster_pulumi.contract import names
from pcluster_pulumi.contract.custom_actions import split_s3_url
from pcluster_pulumi.derive.context import ClusterContext
from pcluster_pulumi.derive.runtime_config import custom_action_urls
from pcluster_pulumi.spec.model import S3Access

__all__ = [
    "assume_role_policy",
    "capacity_targets",
    "compute_node_statements",
    "custom_action_statements",
    "document",
    "head_node_statements",
    "s3_access_statements",
]

Statement = dict[str, Any]

#: What ``cloudwatch:PutMetricData`` may write: the CloudWatch agent's and the cluster's own metrics.
METRIC_NAMESPACES = ("CWAgent", "ParallelCluster")


def document(statements: Iterable[Statement]) -> dict[str, Any]:
    """A policy document around statements."""
    return {"Version": "2012-10-17", "Statement": list(statements)}


def assume_role_policy(ctx: ClusterContext) -> dict[str, Any]:
    """Trust policy of node roles: only EC2 may assume them."""
    return document(
        [
            {
                "Effect": "Allow",
                "Principal": {"Service": ctx.facts.ec2_principal},
                "Action": "sts:AssumeRole",
            }
        ]
    )


def one(values: Sequence[str]) -> str | list[str]:
    """A single value as itself, several as a list (how IAM documents are usually written)."""
    return values[0] if len(values) == 1 else list(values)


def _table_arns(ctx: ClusterContext) -> tuple[str, str]:
    nodes = ctx.facts.arn("dynamodb", f"table/{names.nodes_table_name(ctx.name)}")
    status = ctx.facts.arn("dynamodb", f"table/{names.status_table_name(ctx.name)}")
    return nodes, status


def _bucket_statements(ctx: ClusterContext, bucket: str, prefix: str) -> list[Statement]:
    bucket_arn = ctx.facts.arn("s3", bucket, region=False, account=False)
    return [
        {
            "Sid": "ClusterArtifactsRead",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:GetObjectVersion"],
            "Resource": f"{bucket_arn}/{prefix}*",
        },
        {
            "Sid": "ClusterArtifactsList",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": bucket_arn,
            "Condition": {"StringLike": {"s3:prefix": [f"{prefix}*"]}},
        },
    ]


def _secret_statements(sid: str, arns: Iterable[str | None]) -> list[Statement]:
    """Read secrets by ARN: Secrets Manager secrets, or SSM SecureString parameters."""
    secrets = sorted({a for a in arns if a and ":secretsmanager:" in a})
    params = sorted({a for a in arns if a and ":ssm:" in a})
    out: list[Statement] = []
    if secrets:
        out.append(
            {
                "Sid": sid,
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": one(secrets),
            }
        )
    if params:
        out.append(
            {
                "Sid": f"{sid}Parameter",
                "Effect": "Allow",
                "Action": "ssm:GetParameter",
                "Resource": one(params),
            }
        )
    return out


def custom_action_statements(ctx: ClusterContext, urls: Iterable[str]) -> list[Statement]:
    """Read exactly the ``s3://`` CustomActions scripts a node runs (``https://`` needs no IAM).

    ParallelCluster grants read on the scripts' whole buckets; the objects are known, so we
    grant those objects only.
    """
    objects = sorted(
        {
            ctx.facts.arn("s3", "/".join(split_s3_url(url)), region=False, account=False)
            for url in urls
            if url.startswith("s3://")
        }
    )
    if not objects:
        return []
    return [
        {"Sid": "CustomActionScripts", "Effect": "Allow", "Action": "s3:GetObject", "Resource": one(objects)}
    ]


def _observability_statements(ctx: ClusterContext, log_group_name: str | None) -> list[Statement]:
    out: list[Statement] = []
    if log_group_name:
        group = ctx.facts.arn("logs", f"log-group:{log_group_name}")
        out.append(
            {
                "Sid": "ClusterLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                "Resource": [group, f"{group}:*"],
            }
        )
    out.append(
        {
            "Sid": "ClusterMetrics",
            "Effect": "Allow",
            "Action": "cloudwatch:PutMetricData",
            "Resource": "*",
            "Condition": {"StringEquals": {"cloudwatch:namespace": list(METRIC_NAMESPACES)}},
        }
    )
    return out


def head_node_statements(
    ctx: ClusterContext,
    *,
    bucket: str,
    prefix: str,
    hosted_zone_id: str | None,
    log_group_name: str | None,
) -> list[Statement]:
    """What the head node's programs do: track the fleet, name nodes, read artifacts and secrets."""
    spec = ctx.spec
    nodes, status = _table_arns(ctx)
    instances = ctx.facts.arn("ec2", "instance/*")
    own_tag = {f"ec2:ResourceTag/{names.TAG_CLUSTER_NAME}": ctx.name}
    describe = [
        "ec2:DescribeInstances",
        "ec2:DescribeInstanceStatus",
        "ec2:DescribeTags",
        "ec2:DescribeVolumes",
    ]
    if any(capacity_targets(ctx)):
        describe.append("ec2:DescribeCapacityReservations")
    out: list[Statement] = [
        {"Sid": "Ec2Describe", "Effect": "Allow", "Action": describe, "Resource": "*"},
        {
            "Sid": "Ec2ManageClusterInstances",
            "Effect": "Allow",
            "Action": ["ec2:TerminateInstances", "ec2:GetConsoleOutput"],
            "Resource": instances,
            "Condition": {"StringEquals": own_tag},
        },
        {
            "Sid": "NodesTable",
            "Effect": "Allow",
            "Action": [
                "dynamodb:BatchGetItem",
                "dynamodb:BatchWriteItem",
                "dynamodb:DeleteItem",
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:Query",
                "dynamodb:Scan",
                "dynamodb:UpdateItem",
            ],
            "Resource": [nodes, f"{nodes}/index/*"],
        },
        {
            "Sid": "StatusTable",
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
            "Resource": status,
        },
    ]
    if not spec.is_slurm:  # AWS Batch: no node tables, and Batch launches and ends the instances
        out = [s for s in out if s["Sid"] not in ("Ec2ManageClusterInstances", "NodesTable", "StatusTable")]
    if hosted_zone_id:
        out.append(
            {
                "Sid": "NodeRecords",
                "Effect": "Allow",
                "Action": ["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets"],
                "Resource": ctx.facts.arn(
                    "route53", f"hostedzone/{hosted_zone_id}", region=False, account=False
                ),
            }
        )
    out += _bucket_statements(ctx, bucket, prefix)
    out += custom_action_statements(ctx, custom_action_urls(spec.head_node.custom_actions))
    settings = spec.scheduling.slurm_settings
    directory = spec.directory_service
    # The accounting database's password is granted by SlurmAccounting (cluster/accounting.py),
    # which also covers the managed database's secret that exists only after deployment.
    out += _secret_statements(
        "ClusterSecrets",
        [
            settings.munge_key_secret_arn if settings else None,
            directory.password_secret_arn if directory else None,
        ],
    )
    if spec.head_node.dcv and spec.head_node.dcv.enabled:
        out.append(dcv_license_statement(ctx))
    return out + _observability_statements(ctx, log_group_name)


def dcv_license_statement(ctx: ClusterContext) -> Statement:
    """Read of the region's DCV license bucket: what a DCV server on EC2 checks its license with."""
    return {
        "Sid": "DcvLicense",
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "Resource": ctx.facts.arn("s3", f"dcv-license.{ctx.facts.region}/*", region=False, account=False),
    }


def compute_node_statements(
    ctx: ClusterContext,
    *,
    bucket: str,
    prefix: str,
    log_group_name: str | None,
    queue_name: str | None = None,
) -> list[Statement]:
    """What a compute node does: find its node name, report its status, read artifacts and munge key.

    With ``queue_name`` it may also read that queue's ``s3://`` CustomActions scripts.
    """
    nodes, status = _table_arns(ctx)
    out: list[Statement] = [
        {
            "Sid": "Ec2Describe",
            "Effect": "Allow",
            "Action": ["ec2:DescribeInstanceAttribute", "ec2:DescribeTags", "ec2:DescribeVolumes"],
            "Resource": "*",
        },
        {
            "Sid": "NodesTableLookup",
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:Query"],
            "Resource": [nodes, f"{nodes}/index/*"],
        },
        {
            "Sid": "StatusTable",
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
            "Resource": status,
        },
    ]
    out += _bucket_statements(ctx, bucket, prefix)
    queue = next((q for q in ctx.spec.queues if q.name == queue_name), None)
    if queue is not None:
        out += custom_action_statements(ctx, custom_action_urls(queue.custom_actions))
    settings = ctx.spec.scheduling.slurm_settings
    out += _secret_statements("ClusterSecrets", [settings.munge_key_secret_arn if settings else None])
    return out + _observability_statements(ctx, log_group_name)


def s3_access_statements(ctx: ClusterContext, entries: Sequence[S3Access]) -> list[Statement]:
    """``Iam.S3Access``: read (and with ``EnableWriteAccess`` write) the named buckets and keys."""
    read_objects: list[str] = []
    write_objects: list[str] = []
    buckets: list[str] = []
    for entry in entries:
        bucket_arn = ctx.facts.arn("s3", entry.bucket_name, region=False, account=False)
        objects = f"{bucket_arn}/{entry.key_name or '*'}"
        (write_objects if entry.enable_write_access else read_objects).append(objects)
        buckets.append(bucket_arn)
    out: list[Statement] = [
        {
            "Sid": "S3AccessList",
            "Effect": "Allow",
            "Action": ["s3:GetBucketLocation", "s3:ListBucket"],
            "Resource": one(sorted(set(buckets))),
        }
    ]
    if read_objects or write_objects:
        out.append(
            {
                "Sid": "S3AccessRead",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:GetObjectVersion"],
                "Resource": one(sorted(set(read_objects + write_objects))),
            }
        )
    if write_objects:
        out.append(
            {
                "Sid": "S3AccessWrite",
                "Effect": "Allow",
                "Action": ["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:PutObject"],
                "Resource": one(sorted(set(write_objects))),
            }
        )
    return out


def capacity_targets(ctx: ClusterContext) -> list[tuple[str | None, str | None]]:
    """(reservation id, resource group ARN) of every compute resource that targets capacity."""
    out = []
    for queue in ctx.spec.queues:
        for cr in queue.compute_resources or ():
            target = cr.capacity_reservation_target or queue.capacity_reservation_target
            if target:
                out.append((target.capacity_reservation_id, target.capacity_reservation_resource_group_arn))
    return out
