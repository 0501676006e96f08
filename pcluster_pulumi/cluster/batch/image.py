"""The job image: ECR repository, its sources in the cluster bucket, the CodeBuild project, the build.

The sources (``image/``: Dockerfile, buildspec, entry scripts) are zipped reproducibly and
uploaded under the cluster's prefix; CodeBuild builds them on an image of the head node's
architecture (as ParallelCluster) and pushes ``<repository>:<os>-<source hash>``. The tag names
the sources, so job definitions get a new revision exactly when the image changes, and jobs
already queued keep the image they were submitted with. ``ImageBuild`` runs the build during
``up`` and waits for it; job definitions depend on it, so no job can name a missing image.
"""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from pcluster_pulumi.cluster.batch.image_build import DEFAULT_TIMEOUT_SECONDS, ImageBuild
from pcluster_pulumi.cluster.batch.image_source import image_source, source_digest
from pcluster_pulumi.cluster.iam import iam_naming, name_prefix
from pcluster_pulumi.derive import batch_policies
from pcluster_pulumi.derive.batch import BatchNames, codebuild_environment, image_uri
from pcluster_pulumi.derive.context import ClusterContext
from pcluster_pulumi.derive.iam_policies import document

__all__ = ["SOURCE_KEY", "JobImage"]

#: Key of the source archive under the cluster's prefix (outside ``batch/``, the jobs' folder).
SOURCE_KEY = "batch-image/job-image.zip"
#: CodeBuild's own limit for one build, in minutes.
BUILD_TIMEOUT_MINUTES = 60


class JobImage(pulumi.ComponentResource):
    """Repository, build project and one build of the job image."""

    repository_name: pulumi.Output[str]
    project_name: pulumi.Output[str]
    image: str
    build: ImageBuild

    def __init__(
        self,
        name: str,
        ctx: ClusterContext,
        *,
        bucket_name: pulumi.Input[str],
        artifact_prefix: str,
        timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("pcluster:batch:JobImage", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        facts, spec = ctx.facts, ctx.spec
        batch_names = BatchNames.of(ctx.name, spec)
        archive = image_source()
        digest = source_digest(archive)
        self.tag = f"{spec.image.os}-{digest[:12]}"
        self.image = image_uri(
            facts.account_id, facts.region, facts.dns_suffix, batch_names.repository, self.tag
        )

        self.repository = aws.ecr.Repository(
            f"{name}-repository",
            name=batch_names.repository,
            image_tag_mutability="MUTABLE",
            image_scanning_configuration={"scan_on_push": True},
            encryption_configurations=[{"encryption_type": "AES256"}],
            tags=ctx.tags,
            opts=child,
        )
        source_key = f"{artifact_prefix}{SOURCE_KEY}"
        self.source = aws.s3.BucketObjectv2(
            f"{name}-source",
            bucket=bucket_name,
            key=source_key,
            source=pulumi.FileAsset(str(archive)),
            content_type="application/zip",
            opts=child,
        )
        logs = ctx.spec.monitoring.logs.cloud_watch
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-build-logs",
            name=batch_names.codebuild_log_group,
            retention_in_days=logs.retention_in_days or None,
            tags=ctx.tags,
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=logs.deletion_policy == "Retain"),
        )
        path, prefix = iam_naming(spec, ctx.name)
        role = aws.iam.Role(
            f"{name}-codebuild-role",
            assume_role_policy=json.dumps(batch_policies.service_trust("codebuild.amazonaws.com")),
            path=path,
            name_prefix=name_prefix(prefix, ctx.name, "codebuild"),
            permissions_boundary=spec.iam.permissions_boundary if spec.iam else None,
            description=f"Builds the AWS Batch job image of cluster {ctx.name}",
            tags=ctx.tags,
            opts=child,
        )
        policy = aws.iam.RolePolicy(
            f"{name}-codebuild-policy",
            role=role.id,
            name="pcluster-pulumi",
            policy=pulumi.Output.all(self.repository.arn, bucket_name).apply(
                lambda v: json.dumps(
                    document(
                        batch_policies.codebuild_statements(
                            ctx, repository_arn=v[0], bucket=v[1], source_key=source_key
                        )
                    )
                )
            ),
            opts=child,
        )
        build_image, compute_type, environment_type = codebuild_environment(
            facts.instance_type(spec.head_node.instance_type).architecture
        )
        self.project = aws.codebuild.Project(
            f"{name}-project",
            name=batch_names.codebuild_project,
            description=f"Builds the AWS Batch job image of cluster {ctx.name}",
            service_role=role.arn,
            build_timeout=BUILD_TIMEOUT_MINUTES,
            artifacts={"type": "NO_ARTIFACTS"},
            source={
                "type": "S3",
                "location": pulumi.Output.concat(bucket_name, "/", source_key),
            },
            environment={
                "compute_type": compute_type,
                "image": build_image,
                "type": environment_type,
                "privileged_mode": True,
                "environment_variables": [
                    {"name": "AWS_ACCOUNT_ID", "value": facts.account_id},
                    {"name": "ECR_DNS_SUFFIX", "value": facts.dns_suffix},
                    {"name": "IMAGE_REPO_NAME", "value": batch_names.repository},
                    {"name": "IMAGE_TAG", "value": self.tag},
                ],
            },
            logs_config={
                "cloudwatch_logs": {"group_name": self.log_group.name, "status": "ENABLED"},
                "s3_logs": {"status": "DISABLED"},
            },
            tags=ctx.tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
        self.build = ImageBuild(
            f"{name}-build",
            region=facts.region,
            project_name=self.project.name,
            repository_name=self.repository.name,
            image_tag=self.tag,
            source_version=self.source.version_id,
            source_hash=digest,
            timeout_seconds=timeout_seconds,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.project, self.source, policy]),
        )
        self.repository_name = self.repository.name
        self.project_name = self.project.name
        self.register_outputs(
            {
                "repositoryName": self.repository_name,
                "projectName": self.project_name,
                "image": self.image,
                "buildId": self.build.build_id,
            }
        )
