"""IAM documents of the AWS Batch scheduler, pure and least privilege.

ParallelCluster's awsbatch roles, narrowed: names are deterministic (``derive/batch.py``), so the
job queue, job definitions, the compute environment's ECS cluster and the job folder in the
bucket are named by ARN. ``*`` resources remain only where AWS offers no resource-level
permission (Batch's Describe/List calls, ``ecr:GetAuthorizationToken``, ``ec2:DescribeInstances``).
Nothing needs CloudFormation, so no ``cloudformation:DescribeStacks`` is granted anywhere.

What each principal does:
- the job role (``ecs-tasks``): read the job's files that ``awsbsub`` put under ``<prefix>batch/``;
- the CLI (head node role and the user role): submit to the cluster's queue with its
  definitions, list/describe/terminate jobs, write job files, read job logs, list hosts;
- CodeBuild: read the image sources, push to the cluster's repository, write its log group.
"""

from __future__ import annotations

from typing import Any

from pcluster_pulumi.contract.custom_actions import split_s3_url
from pcluster_pulumi.derive.batch import BatchNames
from pcluster_pulumi.derive.context import ClusterContext
from pcluster_pulumi.derive.iam_policies import Statement, document, one

__all__ = [
    "BATCH_CLI_READ_ACTIONS",
    "JOB_LOG_GROUP",
    "cli_package_statements",
    "cli_statements",
    "codebuild_statements",
    "job_role_statements",
    "service_trust",
    "user_trust",
]

#: Describe/List calls of the awsb* commands; Batch and EC2 offer no resource-level permission for them.
BATCH_CLI_READ_ACTIONS = (
    "batch:DescribeComputeEnvironments",
    "batch:DescribeJobDefinitions",
    "batch:DescribeJobQueues",
    "batch:DescribeJobs",
    "batch:ListJobs",
    "ec2:DescribeInstances",
)
#: Where Batch sends job output (``awsbout`` reads it).
JOB_LOG_GROUP = "/aws/batch/job"


def service_trust(principal: str) -> dict[str, Any]:
    """Trust policy letting one AWS service assume a role."""
    return document([{"Effect": "Allow", "Principal": {"Service": principal}, "Action": "sts:AssumeRole"}])


def user_trust(ctx: ClusterContext) -> dict[str, Any]:
    """The user role: assumable by principals of this account that IAM allows to (as ParallelCluster)."""
    root = ctx.facts.arn("iam", "root", region=False)
    return document([{"Effect": "Allow", "Principal": {"AWS": root}, "Action": "sts:AssumeRole"}])


def _job_files(ctx: ClusterContext, bucket: str, prefix: str) -> str:
    """Objects ``awsbsub`` writes: ``<artifact directory>/batch/<job key>/…``."""
    return ctx.facts.arn("s3", f"{bucket}/{prefix.strip('/')}/batch/*", region=False, account=False)


def job_role_statements(ctx: ClusterContext, *, bucket: str, prefix: str) -> list[Statement]:
    """A job reads the script and input files ``awsbsub`` uploaded for it, nothing else."""
    bucket_arn = ctx.facts.arn("s3", bucket, region=False, account=False)
    folder = f"{prefix.strip('/')}/batch/"
    return [
        {
            "Sid": "JobFilesRead",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": _job_files(ctx, bucket, prefix),
        },
        {
            "Sid": "JobFilesList",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": bucket_arn,
            "Condition": {"StringLike": {"s3:prefix": [f"{folder}*"]}},
        },
    ]


def cli_package_statements(ctx: ClusterContext) -> list[Statement]:
    """The head node reads ``DevSettings.AwsBatchCliPackage`` when it is an ``s3://`` object (that one only).

    An ``https://`` URL or a PyPI requirement needs no IAM; without the setting there is nothing to read.
    """
    package = ctx.spec.dev_settings.aws_batch_cli_package
    if not package or not package.startswith("s3://"):
        return []
    bucket, key = split_s3_url(package)
    return [
        {
            "Sid": "BatchCliPackage",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": ctx.facts.arn("s3", f"{bucket}/{key}", region=False, account=False),
        }
    ]


def cli_statements(
    ctx: ClusterContext,
    *,
    bucket: str,
    prefix: str,
    job_definition_arns: list[str] | None = None,
) -> list[Statement]:
    """What ``awsbsub``/``awsbstat``/``awsbkill``/``awsbout``/``awsbqueues``/``awsbhosts`` call.

    ``job_definition_arns`` pins submission to the cluster's two definitions (any revision when
    omitted, by name).
    """
    names = BatchNames.of(ctx.name, ctx.spec)
    facts = ctx.facts
    definitions = job_definition_arns or [
        facts.arn("batch", f"job-definition/{n}:*") for n in (names.job_definition, names.job_definition_mnp)
    ]
    return [
        {"Sid": "BatchCliRead", "Effect": "Allow", "Action": list(BATCH_CLI_READ_ACTIONS), "Resource": "*"},
        {
            "Sid": "BatchCliSubmit",
            "Effect": "Allow",
            "Action": "batch:SubmitJob",
            "Resource": [facts.arn("batch", f"job-queue/{names.job_queue}"), *definitions],
        },
        {
            "Sid": "BatchCliTerminate",
            "Effect": "Allow",
            "Action": ["batch:CancelJob", "batch:TerminateJob"],
            "Resource": facts.arn("batch", "job/*"),
        },
        {
            "Sid": "BatchCliJobFiles",
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": _job_files(ctx, bucket, prefix),
        },
        {
            "Sid": "BatchCliJobLogs",
            "Effect": "Allow",
            "Action": "logs:GetLogEvents",
            "Resource": facts.arn("logs", f"log-group:{JOB_LOG_GROUP}:log-stream:*"),
        },
        {
            "Sid": "BatchCliHosts",
            "Effect": "Allow",
            "Action": "ecs:ListContainerInstances",
            "Resource": facts.arn("ecs", f"cluster/{names.ecs_cluster_pattern}"),
        },
        {
            "Sid": "BatchCliHostDetails",
            "Effect": "Allow",
            "Action": "ecs:DescribeContainerInstances",
            "Resource": facts.arn("ecs", f"container-instance/{names.ecs_cluster_pattern}"),
        },
    ]


def codebuild_statements(
    ctx: ClusterContext, *, repository_arn: str, bucket: str, source_key: str
) -> list[Statement]:
    """The image build: read its source archive, push to the cluster's repository, log."""
    names = BatchNames.of(ctx.name, ctx.spec)
    group = ctx.facts.arn("logs", f"log-group:{names.codebuild_log_group}")
    source = ctx.facts.arn("s3", f"{bucket}/{source_key}", region=False, account=False)
    return [
        {
            "Sid": "PushJobImage",
            "Effect": "Allow",
            "Action": [
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:CompleteLayerUpload",
                "ecr:GetDownloadUrlForLayer",
                "ecr:InitiateLayerUpload",
                "ecr:PutImage",
                "ecr:UploadLayerPart",
            ],
            "Resource": repository_arn,
        },
        {"Sid": "EcrLogin", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
        {
            "Sid": "BuildLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [group, f"{group}:*"],
        },
        {
            "Sid": "ImageSources",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:GetObjectVersion"],
            "Resource": one([source]),
        },
    ]
