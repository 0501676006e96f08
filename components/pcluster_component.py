"""The ``pcluster:index:Cluster`` component: the Python ``Cluster`` behind a typed, language-neutral face.

Programs in other languages cannot pass a ``ClusterSpec`` object, so this component takes the
cluster config as YAML text plus a few overrides that usually come from another stack (the
subnets a network stack created). The package schema is inferred from ``ClusterArgs`` and the
annotated outputs below; that is why this module keeps real (not postponed) annotations.

When an override is not yet known (an Output of a resource still being created), the cluster
is declared once it resolves: a preview of such a program shows the cluster only after the
network exists. Overrides known at preview time (stack references, literals) behave normally.
"""

from collections.abc import Callable, Mapping
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws
import yaml

from pcluster_pulumi.cluster.cluster import Cluster as ClusterCore
from pcluster_pulumi.contract import names
from pcluster_pulumi.derive.context import merge_tags
from pcluster_pulumi.spec.loader import validate_text
from pcluster_pulumi.spec.model import ClusterSpec
from pcluster_pulumi.spec.problems import SpecError
from pcluster_pulumi.spec.source import config_text
from pcluster_pulumi.spec.yaml_limits import check_limits

__all__ = ["PACKAGE", "Cluster", "ClusterArgs", "apply_overrides", "load_cluster_spec"]

#: Package (provider) name: the type token is ``pcluster:index:Cluster``.
PACKAGE = "pcluster"
#: ParallelCluster's AWS Batch stack outputs: the inner cluster's key → this component's attribute.
BATCH_OUTPUTS = (
    ("batchComputeEnvironmentArn", "batch_compute_environment_arn"),
    ("batchJobQueueArn", "batch_job_queue_arn"),
    ("batchJobDefinitionArn", "batch_job_definition_arn"),
    ("batchJobDefinitionMnpArn", "batch_job_definition_mnp_arn"),
    ("ecrRepoName", "ecr_repo_name"),
    ("codeBuildDockerImageBuilderProject", "code_build_docker_image_builder_project"),
    ("batchUserRole", "batch_user_role"),
    ("batchCliRequirements", "batch_cli_requirements"),
)
#: Args that rewrite the spec, and the keys they replace.
OVERRIDES = ("head_node_subnet_id", "compute_subnet_ids", "login_node_subnet_ids")


class ClusterArgs(TypedDict):
    """Inputs of the Cluster component."""

    spec: str
    """The cluster config as ParallelCluster v3 YAML (fn::readFile in YAML), or a YAML file's path."""
    cluster_name: NotRequired[str]
    """Cluster name; defaults to the resource name. Node names, tables and the DNS zone derive from it."""
    head_node_subnet_id: NotRequired[pulumi.Input[str]]
    """Replaces HeadNode.Networking.SubnetId (e.g. a subnet id exported by a network stack)."""
    compute_subnet_ids: NotRequired[pulumi.Input[list[pulumi.Input[str]]]]
    """Replaces Networking.SubnetIds of every queue."""
    login_node_subnet_ids: NotRequired[pulumi.Input[list[pulumi.Input[str]]]]
    """Replaces Networking.SubnetIds of every login node pool."""


def apply_overrides(data: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The config data with the given subnet overrides written in (a new dict; ``data`` is untouched)."""
    out: dict[str, Any] = yaml.safe_load(yaml.safe_dump(data))
    if overrides.get("head_node_subnet_id") is not None:
        head = out.setdefault("HeadNode", {})
        head.setdefault("Networking", {})["SubnetId"] = str(overrides["head_node_subnet_id"])
    compute = overrides.get("compute_subnet_ids")
    if compute is not None:
        scheduling = out.setdefault("Scheduling", {})
        for key in ("SlurmQueues", "AwsBatchQueues"):
            for queue in scheduling.get(key) or []:
                queue.setdefault("Networking", {})["SubnetIds"] = [str(s) for s in compute]
    login = overrides.get("login_node_subnet_ids")
    if login is not None:
        for pool in (out.get("LoginNodes") or {}).get("Pools") or []:
            pool.setdefault("Networking", {})["SubnetIds"] = [str(s) for s in login]
    return out


def load_cluster_spec(spec: str, name: str, overrides: Mapping[str, Any]) -> ClusterSpec:
    """Validate the config (with overrides applied); ValueError listing every located problem."""
    try:
        config = config_text(spec)  # the one path-or-YAML rule (pcluster_pulumi.spec.source)
    except SpecError as error:
        raise ValueError(str(error)) from None
    text, source = config.text, config.name
    if any(v is not None for v in overrides.values()):
        limit = check_limits(text)  # bounded alias expansion and size before PyYAML builds anything
        if limit is not None:
            raise ValueError(f"invalid cluster config:\n{limit.located(source)}")
        data = yaml.safe_load(text)
        if not isinstance(data, dict):
            raise ValueError(f"{source}: the cluster config is not a YAML mapping")
        text = yaml.safe_dump(apply_overrides(data, overrides), sort_keys=False)
        source = f"{source} (with overrides)"
    result = validate_text(text, source, cluster_name=name)
    if result.failed() or result.spec is None:
        raise ValueError("invalid cluster config:\n" + "\n".join(p.located(source) for p in result.problems))
    return result.spec


def _pick(key: str) -> Callable[[dict[str, Any]], Any]:
    """Reads one output of the inner cluster (an Output itself, flattened by ``apply``)."""
    return lambda outputs: outputs.get(key) or ""


def _pick_list(key: str) -> Callable[[dict[str, Any]], Any]:
    """Reads one list output of the inner cluster (empty when the cluster has none of that kind)."""
    return lambda outputs: outputs.get(key) or []


class Cluster(pulumi.ComponentResource):
    """A ParallelCluster-compatible HPC cluster (Slurm or AWS Batch) from a ParallelCluster v3 config."""

    cluster_name: pulumi.Output[str]
    """The cluster's name."""
    region: pulumi.Output[str]
    """AWS region of the cluster."""
    head_node_instance_id: pulumi.Output[str]
    """EC2 instance id of the head node."""
    head_node_private_ip: pulumi.Output[str]
    """Private IP address of the head node (the Slurm controller)."""
    head_node_public_ip: pulumi.Output[str]
    """Public IP address of the head node, empty when it has none."""
    cluster_bucket: pulumi.Output[str]
    """S3 bucket holding the cluster's configuration and node package."""
    cluster_dns_domain: pulumi.Output[str]
    """Private DNS domain of the nodes (e.g. demo.pcluster.)."""
    log_group_name: pulumi.Output[str]
    """CloudWatch log group of the cluster."""
    nodes_table: pulumi.Output[str]
    """DynamoDB table mapping Slurm nodes to EC2 instances."""
    status_table: pulumi.Output[str]
    """DynamoDB table holding the compute fleet status (update-compute-fleet)."""
    ebs_ids: pulumi.Output[list[str]]
    """Ids of the shared EBS volumes (new and existing), in SharedStorage order."""
    raid_ids: pulumi.Output[list[str]]
    """Ids of the EBS volumes of the RAID array."""
    efs_ids: pulumi.Output[list[str]]
    """Ids of the shared EFS file systems (new and existing)."""
    fsx_ids: pulumi.Output[list[str]]
    """Ids of the shared FSx file systems, volumes and file caches."""
    batch_compute_environment_arn: pulumi.Output[str]
    """AWS Batch: ARN of the compute environment (empty for Slurm)."""
    batch_job_queue_arn: pulumi.Output[str]
    """AWS Batch: ARN of the job queue awsbsub submits to (empty for Slurm)."""
    batch_job_definition_arn: pulumi.Output[str]
    """AWS Batch: ARN of the container job definition (empty for Slurm)."""
    batch_job_definition_mnp_arn: pulumi.Output[str]
    """AWS Batch: ARN of the multi-node parallel job definition (empty for Slurm)."""
    ecr_repo_name: pulumi.Output[str]
    """AWS Batch: ECR repository holding the job image (empty for Slurm)."""
    code_build_docker_image_builder_project: pulumi.Output[str]
    """AWS Batch: CodeBuild project that builds the job image (empty for Slurm)."""
    batch_user_role: pulumi.Output[str]
    """AWS Batch: ARN of the role other principals assume to run the awsb* commands (empty for Slurm)."""
    batch_cli_requirements: pulumi.Output[str]
    """AWS Batch: the awsb* commands' package requirement (empty for Slurm)."""

    def __init__(self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{PACKAGE}:index:Cluster", name, {}, opts)
        cluster_name = args.get("cluster_name") or name
        overrides = {key: args.get(key) for key in OVERRIDES}
        if any(isinstance(v, pulumi.Output) for v in overrides.values()):
            resolved = pulumi.Output.all(**{k: v for k, v in overrides.items() if v is not None})
            built = resolved.apply(lambda known: self._build(args["spec"], cluster_name, known))
        else:
            built = pulumi.Output.from_input(self._build(args["spec"], cluster_name, overrides))
        for key, attribute in (
            ("clusterName", "cluster_name"),
            ("region", "region"),
            ("headNodeInstanceId", "head_node_instance_id"),
            ("headNodePrivateIp", "head_node_private_ip"),
            ("headNodePublicIp", "head_node_public_ip"),
            ("clusterBucket", "cluster_bucket"),
            ("clusterDnsDomain", "cluster_dns_domain"),
            ("logGroupName", "log_group_name"),
            ("nodesTable", "nodes_table"),
            ("statusTable", "status_table"),
            *BATCH_OUTPUTS,
        ):
            setattr(self, attribute, built.apply(_pick(key)))
        for key, attribute in (
            ("ebsIds", "ebs_ids"),
            ("raidIds", "raid_ids"),
            ("efsIds", "efs_ids"),
            ("fsxIds", "fsx_ids"),
        ):
            setattr(self, attribute, built.apply(_pick_list(key)))
        self.register_outputs({})

    def _build(self, spec: str, name: str, overrides: Mapping[str, Any]) -> dict[str, Any]:
        """Declare the cluster (and its AWS provider) under this component; its outputs by camelCase key."""
        cluster_spec = load_cluster_spec(spec, name, overrides)
        provider = aws.Provider(
            f"{name}-aws",
            region=cluster_spec.region or pulumi.Config("aws").get("region"),
            default_tags={"tags": merge_tags(cluster_spec.tags, {names.TAG_CLUSTER_NAME: name})},
            opts=pulumi.ResourceOptions(parent=self),
        )
        core = ClusterCore(name, cluster_spec, opts=pulumi.ResourceOptions(parent=self, provider=provider))
        return core.outputs()
