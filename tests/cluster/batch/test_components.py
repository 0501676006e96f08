"""``BatchScheduler`` under Pulumi mocks: the recorded inputs of every Batch resource.

The scheduler is planned on its own (the program below builds only it, with fixed ids for what
the cluster would pass in), so each assertion reads exactly what ``pulumi up`` would send.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pulumi
import pytest

from pcluster_pulumi.cluster.batch import BatchScheduler
from pcluster_pulumi.derive.context import ClusterContext
from pcluster_pulumi.engines.offline.facts import cluster_facts
from pcluster_pulumi.engines.offline.plan import Plan, Recorded, plan
from pcluster_pulumi.spec.model import ClusterSpec

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "awsbatch.yaml"
HEAD_IP = "10.0.0.5"
EFS_ID = "fs-0123456789abcdef0"

ON_DEMAND = """\
Image:
  Os: alinux2
HeadNode:
  InstanceType: m6g.large
  Networking:
    SubnetId: subnet-0aaaaaaaaaaaaaaa0
  Ssh:
    KeyName: my-key
  Imds:
    Secured: false
Scheduling:
  Scheduler: awsbatch
  AwsBatchQueues:
    - Name: q
      Networking:
        SubnetIds: [subnet-0bbbbbbbbbbbbbbb1]
        SecurityGroups: [sg-0123456789abcdef0]
      ComputeResources:
        - Name: cr
          InstanceTypes: [c5.xlarge, m5]
          MinvCpus: 4
          MaxvCpus: 16
"""


def scheduler_only(spec: ClusterSpec, name: str, _region: str) -> None:
    """A program with just the Batch side, given the ids the cluster would pass in."""
    ctx = ClusterContext(name, spec, cluster_facts(spec))
    batch = BatchScheduler(
        f"{name}-batch",
        ctx,
        bucket_name="cluster-bucket",
        artifact_prefix=f"pcluster-pulumi/{name}/",
        security_group_ids=["sg-compute"],
        head_node_ip=HEAD_IP,
        head_role_name="head-role",
        storage_facts={"data": {"file_system_id": EFS_ID}},
    )
    for key, value in batch.outputs().items():
        pulumi.export(key, value)


_PLANS: dict[str, Plan] = {}


def planned(spec: str | Path = EXAMPLE, name: str = "demo") -> Plan:
    key = f"{spec}|{name}"
    if key not in _PLANS:
        _PLANS[key] = plan(str(spec), name, program=scheduler_only)
    return _PLANS[key]


def one(result: Plan, type_: str) -> Recorded:
    found = [r for r in result.resources if r.type == type_]
    assert len(found) == 1, [r.name for r in found]
    return found[0]


def by_name(result: Plan, suffix: str) -> Recorded:
    (found,) = [r for r in result.resources if r.name.endswith(suffix)]
    return found


CE = "aws:batch/computeEnvironment:ComputeEnvironment"
JD = "aws:batch/jobDefinition:JobDefinition"


def test_the_compute_environment_is_managed_spot_with_the_resource_limits_types_subnet_and_groups() -> None:
    ce = one(planned(), CE)
    assert (ce.inputs["type"], ce.inputs["state"], ce.inputs["namePrefix"]) == (
        "MANAGED",
        "ENABLED",
        "demo-optimal-",
    )
    resources = ce.inputs["computeResources"]
    assert resources["type"] == "SPOT"
    assert (resources["minVcpus"], resources["desiredVcpus"], resources["maxVcpus"]) == (0, 0, 64)
    assert resources["instanceTypes"] == ["optimal"]
    assert resources["subnets"] == ["subnet-0123456789abcdef1"]
    assert resources["securityGroupIds"] == ["sg-compute"]
    assert resources["bidPercentage"] == 80
    spot_role = by_name(planned(), "-spot-fleet-role")
    assert (
        resources["spotIamFleetRole"]
        == f"arn:aws:iam::123456789012:role/parallelcluster/demo/{spot_role.name}-id"
    )
    assert json.loads(spot_role.inputs["assumeRolePolicy"])["Statement"][0]["Principal"] == {
        "Service": "spotfleet.amazonaws.com"
    }
    assert "serviceRole" not in ce.inputs  # Batch's service-linked role, as ParallelCluster 3


def test_an_on_demand_environment_has_no_spot_role_or_bid_and_desired_defaults_to_min() -> None:
    result = planned(ON_DEMAND, "od")
    resources = one(result, CE).inputs["computeResources"]
    assert resources["type"] == "EC2"
    assert (resources["minVcpus"], resources["desiredVcpus"], resources["maxVcpus"]) == (4, 4, 16)
    assert resources["instanceTypes"] == ["c5.xlarge", "m5"]
    assert "spotIamFleetRole" not in resources and "bidPercentage" not in resources
    assert not [r for r in result.resources if "spot" in r.name]


def test_instances_launch_from_a_template_requiring_imdsv2_with_an_encrypted_root_and_the_ecs_profile() -> (
    None
):
    result = planned()
    lt = one(result, "aws:ec2/launchTemplate:LaunchTemplate")
    assert lt.inputs["metadataOptions"] == {"httpEndpoint": "enabled", "httpTokens": "required"}
    assert lt.inputs["blockDeviceMappings"][0]["ebs"]["encrypted"] == "true"
    resources = one(result, CE).inputs["computeResources"]
    assert resources["launchTemplate"] == {"launchTemplateId": f"{lt.name}-id", "version": "1"}
    profile = one(result, "aws:iam/instanceProfile:InstanceProfile")
    assert resources["instanceRole"].endswith(f"/{profile.name}-id")
    assert resources["tags"]["parallelcluster:node-type"] == "Compute"


def test_the_job_queue_sends_everything_to_the_environment() -> None:
    result = planned()
    queue = one(result, "aws:batch/jobQueue:JobQueue")
    ce = one(result, CE)
    assert (queue.inputs["name"], queue.inputs["priority"], queue.inputs["state"]) == (
        "demo-jobs",
        1,
        "ENABLED",
    )
    assert queue.inputs["computeEnvironmentOrders"] == [
        {"computeEnvironment": f"arn:aws:batch:us-east-1:123456789012:{ce.name}", "order": 1}
    ]


def environment(properties: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e["value"] for e in properties["environment"]}


def test_the_container_definition_runs_the_built_image_privileged_with_the_pcluster_environment() -> None:
    result = planned()
    container = by_name(result, "-jobs-container")
    assert (container.inputs["name"], container.inputs["type"]) == ("demo-job", "container")
    properties = json.loads(container.inputs["containerProperties"])
    tag = by_name(result, "-image-build").inputs["imageTag"]
    assert properties["image"] == f"123456789012.dkr.ecr.us-east-1.amazonaws.com/pcluster-demo:{tag}"
    assert tag.startswith("alinux2023-")
    assert (properties["privileged"], properties["vcpus"], properties["memory"]) == (True, 1, 512)
    assert properties["jobRoleArn"].endswith(f"/{by_name(result, '-iam-job-role').name}-id")
    assert environment(properties) == {
        "PCLUSTER_AWS_REGION": "us-east-1",
        "PCLUSTER_STACK_NAME": "demo",
        "PCLUSTER_SHARED_DIRS": "/shared",
        "PCLUSTER_EFS_SHARED_DIRS": "/data",
        "PCLUSTER_EFS_FS_IDS": EFS_ID,
        "PCLUSTER_RAID_SHARED_DIR": "",
        "PCLUSTER_HEAD_NODE_IP": HEAD_IP,
    }


def test_the_mnp_definition_runs_the_same_container_on_every_node_with_node_zero_main() -> None:
    result = planned()
    mnp = by_name(result, "-jobs-mnp")
    assert (mnp.inputs["name"], mnp.inputs["type"]) == ("demo-job-mnp", "multinode")
    nodes = json.loads(mnp.inputs["nodeProperties"])
    assert (nodes["mainNode"], nodes["numNodes"]) == (0, 1)
    (node_range,) = nodes["nodeRangeProperties"]
    assert node_range["targetNodes"] == "0:"
    assert node_range["container"] == json.loads(
        by_name(result, "-jobs-container").inputs["containerProperties"]
    )


def test_job_definitions_wait_for_the_image_build() -> None:
    result = planned()
    build = by_name(result, "-image-build")
    for definition in (by_name(result, "-jobs-container"), by_name(result, "-jobs-mnp")):
        assert build.urn in definition.dependencies


def test_the_image_is_built_by_codebuild_from_the_uploaded_sources_on_the_head_node_architecture() -> None:
    x86, arm = planned(), planned(ON_DEMAND, "od")
    project = one(x86, "aws:codebuild/project:Project")
    assert project.inputs["name"] == "pcluster-demo-build-docker-images-project"
    assert project.inputs["source"] == {
        "type": "S3",
        "location": "cluster-bucket/pcluster-pulumi/demo/batch-image/job-image.zip",
    }
    assert project.inputs["environment"]["privilegedMode"] is True
    assert project.inputs["environment"]["image"].startswith("aws/codebuild/amazonlinux2-x86_64-standard")
    arm_env = one(arm, "aws:codebuild/project:Project").inputs["environment"]
    assert (arm_env["type"], arm_env["image"]) == (
        "ARM_CONTAINER",
        "aws/codebuild/amazonlinux2-aarch64-standard:3.0",
    )
    build = by_name(x86, "-image-build")
    assert build.type == "pulumi-python:dynamic/batch:ImageBuild"
    assert (build.inputs["projectName"], build.inputs["repositoryName"]) == (
        "pcluster-demo-build-docker-images-project",
        "pcluster-demo",
    )
    assert build.inputs["imageTag"] == f"alinux2023-{build.inputs['sourceHash'][:12]}"
    source = by_name(x86, "-image-source")
    assert source.inputs["key"] == "pcluster-pulumi/demo/batch-image/job-image.zip"
    assert source.urn in build.dependencies


def test_the_repository_is_encrypted_and_scanned() -> None:
    repository = one(planned(), "aws:ecr/repository:Repository")
    assert repository.inputs["name"] == "pcluster-demo"
    assert repository.inputs["encryptionConfigurations"] == [{"encryptionType": "AES256"}]
    assert repository.inputs["imageScanningConfiguration"] == {"scanOnPush": True}


def test_the_stack_outputs_are_parallelclusters_batch_outputs() -> None:
    outputs = planned().outputs
    assert set(outputs) == {
        "batchCliRequirements",
        "batchComputeEnvironmentArn",
        "batchJobQueueArn",
        "batchJobDefinitionArn",
        "batchJobDefinitionMnpArn",
        "ecrRepoName",
        "codeBuildDockerImageBuilderProject",
        "batchUserRole",
    }
    assert outputs["batchCliRequirements"] == "aws-parallelcluster-awsbatch-cli<2.0.0"
    assert outputs["ecrRepoName"] == "pcluster-demo"


def test_the_cli_config_object_names_the_deployed_resources() -> None:
    result = planned()
    config = by_name(result, "-cli-config")
    assert config.inputs["key"] == "pcluster-pulumi/demo/config/awsbatch-cli.cfg"
    text = config.inputs["content"]
    assert "[cluster demo]" in text
    assert f"compute_environment = {result.outputs['batchComputeEnvironmentArn']}" in text
    assert "job_queue = demo-jobs\n" in text and "job_definition_mnp = demo-job-mnp\n" in text
    assert f"head_node_ip = {HEAD_IP}" in text
    assert "artifact_directory = pcluster-pulumi/demo\n" in text
    # It does not wait for the image build: the head node, which waits for it, boots meanwhile.
    build = by_name(result, "-image-build")
    assert build.urn not in config.dependencies


@pytest.mark.parametrize("spec", [EXAMPLE, ON_DEMAND], ids=["spot", "ondemand"])
def test_every_batch_role_is_trusted_by_its_service_only(spec: str | Path) -> None:
    result = planned(spec, "demo" if spec == EXAMPLE else "od")
    principals = {
        r.name.rsplit("-iam-", 1)[-1].rsplit("-image-", 1)[-1]: json.loads(r.inputs["assumeRolePolicy"])[
            "Statement"
        ][0]["Principal"]
        for r in result.resources
        if r.type == "aws:iam/role:Role"
    }
    assert principals["ecs-instance-role"] == {"Service": "ec2.amazonaws.com"}
    assert principals["job-role"] == {"Service": "ecs-tasks.amazonaws.com"}
    assert principals["codebuild-role"] == {"Service": "codebuild.amazonaws.com"}
    assert principals["batch-user-role"] == {"AWS": "arn:aws:iam::123456789012:root"}
