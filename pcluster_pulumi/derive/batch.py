"""AWS Batch scheduler: names, job-definition documents and the ``awsb*`` CLI configuration, pure.

ParallelCluster 3.15 builds one compute environment, one job queue and two job definitions
(container and multi-node parallel) for the only ``AwsBatchQueues[0].ComputeResources[0]``; the
job image mounts the shared directories named by ``PCLUSTER_*`` variables. Everything here is
a function of the spec and plain values (ids that exist after deployment are parameters), so
the components, the head node's CLI configuration and the tests agree on every name.

Names are deterministic (``<cluster>-<queue>``…), unlike CloudFormation's generated ones, so IAM
documents can name the job queue, the job definitions and the compute environment's ECS
cluster by ARN before they exist.
"""

from __future__ import annotations

import configparser
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pcluster_pulumi.spec.model import AwsBatchComputeResource, AwsBatchQueue, ClusterSpec

__all__ = [
    "CLI_CONFIG_RELATIVE_PATH",
    "CLI_INSTALL_SECTION",
    "CLI_REQUIREMENT",
    "BatchNames",
    "CliConfig",
    "SharedDirs",
    "batch_queue",
    "codebuild_environment",
    "compute_resources_args",
    "container_properties",
    "job_environment",
    "node_properties",
    "render_cli_config",
    "shared_dirs",
]

#: What ParallelCluster's ``BatchCliRequirements`` output says; the CLI refuses other versions.
CLI_REQUIREMENT = "aws-parallelcluster-awsbatch-cli<2.0.0"
#: Where the CLI looks for its configuration (``~/.parallelcluster/awsbatch-cli.cfg``, read by
#: ``awsbatch.common.AWSBatchCliConfig``); without it the CLI asks CloudFormation, which we lack.
CLI_CONFIG_RELATIVE_PATH = ".parallelcluster/awsbatch-cli.cfg"
#: Section of ``awsbatch-cli.cfg`` the CLI ignores and the head node reads (which package to install).
CLI_INSTALL_SECTION = "pcluster-pulumi"
#: ParallelCluster's job-definition defaults; ``awsbsub --vcpus/--memory`` override them per job.
JOB_VCPUS = 1
JOB_MEMORY_MIB = 512
#: The root device of the ECS-optimised AMIs Batch launches (Amazon Linux 2 and 2023).
ECS_ROOT_DEVICE = "/dev/xvda"
ECS_ROOT_SIZE_GIB = 30
#: CodeBuild images ParallelCluster builds the job image with, per head node architecture.
_CODEBUILD = {
    "x86_64": ("aws/codebuild/amazonlinux2-x86_64-standard:5.0", "BUILD_GENERAL1_SMALL", "LINUX_CONTAINER"),
    "arm64": ("aws/codebuild/amazonlinux2-aarch64-standard:3.0", "BUILD_GENERAL1_LARGE", "ARM_CONTAINER"),
}


def batch_queue(spec: ClusterSpec) -> tuple[AwsBatchQueue, AwsBatchComputeResource]:
    """The one queue and its one compute resource (the schema allows exactly one of each)."""
    queues = spec.scheduling.aws_batch_queues or ()
    if len(queues) != 1 or len(queues[0].compute_resources or ()) != 1:
        raise ValueError("awsbatch needs exactly one AwsBatchQueues entry with one ComputeResources entry")
    queue = queues[0]
    return queue, (queue.compute_resources or ())[0]


@dataclass(frozen=True)
class BatchNames:
    """Physical names of one cluster's Batch resources (each ≤ 128 characters, Batch's limit)."""

    cluster: str
    queue: str
    compute_resource: str

    @classmethod
    def of(cls, cluster: str, spec: ClusterSpec) -> BatchNames:
        """The names for a cluster's spec."""
        queue, cr = batch_queue(spec)
        return cls(cluster, queue.name, cr.name)

    @property
    def compute_environment(self) -> str:
        """``<cluster>-<compute resource>``: the environment's name prefix (and its launch template's
        name); Batch names the environment's ECS cluster ``AWSBatch-<environment name>-<uuid>``."""
        return f"{self.cluster}-{self.compute_resource}"

    @property
    def job_queue(self) -> str:
        """``<cluster>-<queue>``."""
        return f"{self.cluster}-{self.queue}"

    @property
    def job_definition(self) -> str:
        """The container job definition."""
        return f"{self.cluster}-job"

    @property
    def job_definition_mnp(self) -> str:
        """The multi-node parallel job definition."""
        return f"{self.cluster}-job-mnp"

    @property
    def repository(self) -> str:
        """The ECR repository of the job image (lower case, as ECR requires)."""
        return f"pcluster-{self.cluster.lower()}"

    @property
    def codebuild_project(self) -> str:
        """ParallelCluster's project name: ``pcluster-<cluster>-build-docker-images-project``."""
        return f"pcluster-{self.cluster}-build-docker-images-project"

    @property
    def codebuild_log_group(self) -> str:
        """Where the image builds log (the CodeBuild role may write nowhere else)."""
        return f"/aws/parallelcluster/codebuild/{self.cluster}"

    @property
    def ecs_cluster_pattern(self) -> str:
        """The ECS cluster(s) Batch creates for the compute environment, as an ARN resource pattern."""
        return f"AWSBatch-{self.compute_environment}-*"


@dataclass(frozen=True)
class SharedDirs:
    """What the job image mounts, in ParallelCluster's ``PCLUSTER_*`` terms (absolute paths)."""

    #: Plain EBS volumes, NFS-exported by the head node.
    ebs: tuple[str, ...] = ()
    #: EFS mount directories, in the order of ``efs_names``.
    efs: tuple[str, ...] = ()
    #: Storage names of the EFS entries (to look their file system ids up once known).
    efs_names: tuple[str, ...] = ()
    #: The RAID array's directory, NFS-exported by the head node (at most one RAID).
    raid: str = ""


def _absolute(mount_dir: str) -> str:
    path = mount_dir if mount_dir.startswith("/") else f"/{mount_dir}"
    return path.rstrip("/") or "/"


def shared_dirs(spec: ClusterSpec) -> SharedDirs:
    """The shared directories jobs see, by kind (FSx is refused for awsbatch by a validator)."""
    ebs: list[str] = []
    efs: list[tuple[str, str]] = []
    raid = ""
    for storage in spec.shared_storage or ():
        if storage.storage_type == "Ebs":
            if storage.ebs_settings is not None and storage.ebs_settings.raid is not None:
                raid = _absolute(storage.mount_dir)
            else:
                ebs.append(_absolute(storage.mount_dir))
        elif storage.storage_type == "Efs":
            efs.append((storage.name, _absolute(storage.mount_dir)))
    return SharedDirs(
        ebs=tuple(ebs), efs=tuple(d for _, d in efs), efs_names=tuple(n for n, _ in efs), raid=raid
    )


def job_environment(
    *,
    cluster: str,
    region: str,
    dirs: SharedDirs,
    efs_ids: Mapping[str, str],
    head_node_ip: str,
) -> list[dict[str, str]]:
    """The ``PCLUSTER_*`` variables every job container gets (ParallelCluster's names and order)."""
    ids = [efs_ids[name] for name in dirs.efs_names]
    return [
        {"name": "PCLUSTER_AWS_REGION", "value": region},
        {"name": "PCLUSTER_STACK_NAME", "value": cluster},
        {"name": "PCLUSTER_SHARED_DIRS", "value": ",".join(dirs.ebs)},
        {"name": "PCLUSTER_EFS_SHARED_DIRS", "value": ",".join(dirs.efs)},
        {"name": "PCLUSTER_EFS_FS_IDS", "value": ",".join(ids)},
        {"name": "PCLUSTER_RAID_SHARED_DIR", "value": dirs.raid},
        {"name": "PCLUSTER_HEAD_NODE_IP", "value": head_node_ip},
    ]


def image_uri(account_id: str, region: str, dns_suffix: str, repository: str, tag: str) -> str:
    """``<account>.dkr.ecr.<region>.<suffix>/<repository>:<tag>``."""
    return f"{account_id}.dkr.ecr.{region}.{dns_suffix}/{repository}:{tag}"


def container_properties(
    *, image: str, job_role_arn: str, environment: Sequence[Mapping[str, str]]
) -> dict[str, Any]:
    """The container a job runs: the cluster image, privileged (it mounts NFS), the job role."""
    return {
        "image": image,
        "vcpus": JOB_VCPUS,
        "memory": JOB_MEMORY_MIB,
        "privileged": True,
        "jobRoleArn": job_role_arn,
        "environment": [dict(e) for e in environment],
    }


def node_properties(container: Mapping[str, Any]) -> dict[str, Any]:
    """Multi-node parallel: node 0 is the main node, every node (``0:``) runs the same container.

    ``awsbsub --nodes N`` overrides ``numNodes``; the image's entry point then writes the MPI host
    file from ``AWS_BATCH_JOB_NODE_INDEX`` / ``AWS_BATCH_JOB_NUM_NODES``.
    """
    return {
        "mainNode": 0,
        "numNodes": 1,
        "nodeRangeProperties": [{"targetNodes": "0:", "container": dict(container)}],
    }


def json_document(value: Mapping[str, Any]) -> str:
    """A job-definition document as the provider takes it (stable key order, so plans are stable)."""
    return json.dumps(value, sort_keys=True)


def compute_resources_args(spec: ClusterSpec) -> dict[str, Any]:
    """The spec part of the compute environment's ``compute_resources`` (ids are added by the component)."""
    queue, cr = batch_queue(spec)
    spot = queue.capacity_type == "SPOT"
    args: dict[str, Any] = {
        "type": "SPOT" if spot else "EC2",
        "min_vcpus": cr.min_vcpus,
        "desired_vcpus": cr.desired_vcpus if cr.desired_vcpus is not None else cr.min_vcpus,
        "max_vcpus": cr.max_vcpus,
        "instance_types": list(cr.instance_types),
        "subnets": list(queue.networking.subnet_ids),
    }
    if spot and cr.spot_bid_percentage is not None:
        args["bid_percentage"] = cr.spot_bid_percentage
    return args


def codebuild_environment(architecture: str) -> tuple[str, str, str]:
    """(image, compute type, environment type) of the image build for the head node's architecture."""
    return _CODEBUILD["arm64" if architecture == "arm64" else "x86_64"]


@dataclass(frozen=True)
class CliConfig:
    """Everything ``awsbatch-cli.cfg`` holds about one cluster (what the CLI would ask CloudFormation)."""

    cluster: str
    region: str
    bucket: str
    #: The cluster's key prefix in the bucket (jobs' files go under ``<prefix>/batch/``).
    artifact_directory: str
    compute_environment: str
    job_queue: str
    job_definition: str
    job_definition_mnp: str
    head_node_ip: str
    proxy: str | None = None
    #: ``DevSettings.AwsBatchCliPackage``: what the head node pip-installs instead of ``CLI_REQUIREMENT``.
    cli_package: str | None = None


def render_cli_config(config: CliConfig) -> str:
    """``~/.parallelcluster/awsbatch-cli.cfg``: exactly the options ``AWSBatchCliConfig`` reads.

    ``[main]`` names the default cluster so ``awsbsub`` works without ``--cluster``; the
    ``[cluster <name>]`` section answers every lookup the CLI would otherwise make with
    ``cloudformation:DescribeStacks``.
    """
    parser = configparser.ConfigParser(interpolation=None)
    parser["main"] = {"cluster_name": config.cluster, "region": config.region}
    parser[f"cluster {config.cluster}"] = {
        "region": config.region,
        "s3_bucket": config.bucket,
        "artifact_directory": config.artifact_directory.strip("/"),
        "batch_cli_requirements": CLI_REQUIREMENT,
        "compute_environment": config.compute_environment,
        "job_queue": config.job_queue,
        "job_definition": config.job_definition,
        "job_definition_mnp": config.job_definition_mnp,
        "head_node_ip": config.head_node_ip,
        "proxy": config.proxy or "NONE",
    }
    # Our own section (the CLI reads only the two above): what the head node installs.
    parser[CLI_INSTALL_SECTION] = {"package": config.cli_package or CLI_REQUIREMENT}
    out = io.StringIO()
    out.write("# Written by pcluster-pulumi: the awsb* commands read it instead of a CloudFormation stack.\n")
    parser.write(out)
    return out.getvalue()
