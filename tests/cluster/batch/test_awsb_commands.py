"""The ``awsb*`` commands (ParallelCluster's ``aws-parallelcluster-awsbatch-cli`` from PyPI) work with
the configuration we render, against a moto server: the assertions read moto's Batch and S3 state.

The Batch resources are registered in moto with the very documents our components deploy
(``derive/batch.py``: names, compute resources, container and multi-node job definitions), and
the CLI finds them only through ``~/.parallelcluster/awsbatch-cli.cfg`` rendered by
``render_cli_config`` — there is no CloudFormation stack for it to fall back on.
"""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from pcluster_pulumi.derive.batch import (
    CLI_CONFIG_RELATIVE_PATH,
    BatchNames,
    CliConfig,
    compute_resources_args,
    container_properties,
    job_environment,
    node_properties,
    render_cli_config,
    shared_dirs,
)
from pcluster_pulumi.spec.loader import load_spec

from .conftest import REGION

pytest.importorskip("awsbatch", reason="install aws-parallelcluster-awsbatch-cli (see .ci/run)")
#: The CLI itself imports ``pipes`` (it supports Python 3.7 to 3.12).
pytestmark = pytest.mark.filterwarnings("ignore:'pipes' is deprecated:DeprecationWarning")

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "awsbatch.yaml"
CLUSTER = "batchdemo"
PREFIX = f"pcluster-pulumi/{CLUSTER}/"
BUCKET = "pcluster-batchdemo-artifacts"
HEAD_IP = "10.0.0.10"


@dataclass
class Deployed:
    """What the cluster's Batch side looks like in moto, and the home the CLI runs in."""

    home: Path
    names: BatchNames
    queue_arn: str
    job_definition_arn: str
    mnp_arn: str
    compute_environment_arn: str


def _camel(args: dict[str, Any]) -> dict[str, Any]:
    """Pulumi's snake_case compute-resource args as Batch's API spells them."""
    spelled = {"min_vcpus": "minvCpus", "max_vcpus": "maxvCpus", "desired_vcpus": "desiredvCpus"}
    out = {}
    for key, value in args.items():
        head, *rest = key.split("_")
        out[spelled.get(key, head + "".join(p.title() for p in rest))] = value
    return out


@pytest.fixture(scope="module")
def deployed(moto_batch: str, tmp_path_factory: pytest.TempPathFactory) -> Deployed:
    spec = load_spec(EXAMPLE, cluster_name=CLUSTER)
    names = BatchNames.of(CLUSTER, spec)
    ec2, iam = boto3.client("ec2", region_name=REGION), boto3.client("iam", region_name=REGION)
    batch = boto3.client("batch", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="compute", Description="compute", VpcId=vpc)["GroupId"]
    trust = '{"Version":"2012-10-17","Statement":[]}'
    iam.create_role(RoleName="ecs-instance", AssumeRolePolicyDocument=trust)
    profile = iam.create_instance_profile(InstanceProfileName="ecs-instance")["InstanceProfile"]["Arn"]
    job_role = iam.create_role(RoleName="job", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    # AWS uses Batch's service-linked role when none is given (as the component does); moto insists.
    service_role = iam.create_role(RoleName="batch-service", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)

    resources = _camel({**compute_resources_args(spec), "subnets": [subnet]})
    resources.pop("bidPercentage", None)  # moto has no spot fleet role to pair it with
    ce = batch.create_compute_environment(
        computeEnvironmentName=names.compute_environment,
        type="MANAGED",
        state="ENABLED",
        serviceRole=service_role,
        computeResources={**resources, "type": "EC2", "securityGroupIds": [group], "instanceRole": profile},
    )["computeEnvironmentArn"]
    queue = batch.create_job_queue(
        jobQueueName=names.job_queue,
        state="ENABLED",
        priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": ce}],
    )["jobQueueArn"]
    environment = job_environment(
        cluster=CLUSTER,
        region=REGION,
        dirs=shared_dirs(spec),
        efs_ids={"data": "fs-0123"},
        head_node_ip=HEAD_IP,
    )
    container = container_properties(
        image=f"123456789012.dkr.ecr.{REGION}.amazonaws.com/{names.repository}:alinux2023-test",
        job_role_arn=job_role,
        environment=environment,
    )
    job_def = batch.register_job_definition(
        jobDefinitionName=names.job_definition, type="container", containerProperties=container
    )["jobDefinitionArn"]
    mnp = batch.register_job_definition(
        jobDefinitionName=names.job_definition_mnp,
        type="multinode",
        nodeProperties=node_properties(container),
    )["jobDefinitionArn"]

    home = tmp_path_factory.mktemp("home")
    config = home / CLI_CONFIG_RELATIVE_PATH
    config.parent.mkdir(parents=True)
    config.write_text(
        render_cli_config(
            CliConfig(
                cluster=CLUSTER,
                region=REGION,
                bucket=BUCKET,
                artifact_directory=PREFIX,
                compute_environment=ce,
                # by name, as BatchScheduler renders them (Batch takes a definition's latest revision)
                job_queue=names.job_queue,
                job_definition=names.job_definition,
                job_definition_mnp=names.job_definition_mnp,
                head_node_ip=HEAD_IP,
            )
        )
    )
    return Deployed(home, names, queue, job_def, mnp, ce)


def awsb(deployed: Deployed, command: str, *args: str) -> str:
    """Run an awsb* command as a user on the head node would (a terminal on stdin, our config in ~)."""
    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [command, *args],
            stdin=follower,
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "HOME": str(deployed.home)},
            check=False,
        )
    finally:
        os.close(leader)
        os.close(follower)
    assert done.returncode == 0, done.stderr + done.stdout
    return done.stdout


def submitted_id(output: str) -> str:
    match = re.search(r"Job (\S+) \((\S+)\) has been submitted\.", output)
    assert match, output
    return match.group(1)


def moto_job(job_id: str) -> dict[str, Any]:
    jobs = boto3.client("batch", region_name=REGION).describe_jobs(jobs=[job_id])["jobs"]
    assert len(jobs) == 1
    return dict(jobs[0])


def test_awsbsub_submits_a_command_to_the_cluster_queue_with_the_container_definition(
    deployed: Deployed,
) -> None:
    job_id = submitted_id(
        awsb(deployed, "awsbsub", "-jn", "hello", "-p", "2", "-m", "1024", "echo", "hello", "world")
    )
    job = moto_job(job_id)
    assert job["jobName"] == "hello"
    assert job["jobQueue"] == deployed.queue_arn
    assert job["jobDefinition"] == deployed.job_definition_arn
    assert job["container"]["command"] == ["echo", "hello", "world"]
    # The job's files go under the cluster's prefix, where the job role may read them.
    keys = [
        o["Key"]
        for o in boto3.client("s3", region_name=REGION).list_objects_v2(Bucket=BUCKET).get("Contents", [])
    ]
    assert any(re.fullmatch(rf"{PREFIX}batch/job-hello-\d+/", k) for k in keys), keys


def test_awsbsub_array_job_keeps_its_size(deployed: Deployed) -> None:
    job_id = submitted_id(awsb(deployed, "awsbsub", "-jn", "sweep", "-a", "4", "hostname"))
    job = moto_job(job_id)
    assert job["arrayProperties"]["size"] == 4
    assert job["jobDefinition"] == deployed.job_definition_arn


def test_awsbsub_multi_node_job_uses_the_mnp_definition_and_asks_for_the_nodes(
    deployed: Deployed, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run in-process to also see the request: moto's Batch keeps no ``nodeOverrides``."""
    from awsbatch import awsbsub  # the CLI module itself, as its console script runs it

    sent: list[dict[str, Any]] = []
    original = boto3.client

    def recording_client(service: str, *args: Any, **kwargs: Any) -> Any:
        client = original(service, *args, **kwargs)
        client.meta.events.register(
            "provide-client-params.batch.SubmitJob", lambda params, **_: sent.append(params)
        )
        return client

    class Terminal:
        def isatty(self) -> bool:
            return True

    monkeypatch.setenv("HOME", str(deployed.home))
    monkeypatch.setattr(boto3, "client", recording_client)
    monkeypatch.setattr(sys, "stdin", Terminal())
    monkeypatch.setattr(
        sys, "argv", ["awsbsub", "-jn", "mpi", "-n", "3", "-p", "4", "/usr/bin/mpirun", "a.out"]
    )
    awsbsub.main()

    assert sent[0]["nodeOverrides"]["numNodes"] == 3
    assert sent[0]["nodeOverrides"]["nodePropertyOverrides"][0]["targetNodes"] == "0:"
    jobs = boto3.client("batch", region_name=REGION).list_jobs(
        jobQueue=deployed.queue_arn, jobStatus="FAILED"
    )
    job = next(moto_job(j["jobId"]) for j in jobs["jobSummaryList"] if j["jobName"] == "mpi")
    assert job["jobDefinition"] == deployed.mnp_arn


def test_awsbstat_lists_what_moto_holds_for_the_cluster_queue(deployed: Deployed) -> None:
    job_id = submitted_id(awsb(deployed, "awsbsub", "-jn", "listed", "true"))
    output = awsb(deployed, "awsbstat", "-s", "ALL")
    batch = boto3.client("batch", region_name=REGION)
    held = {
        j["jobId"]
        for status in ("SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED", "FAILED")
        for j in batch.list_jobs(jobQueue=deployed.queue_arn, jobStatus=status)["jobSummaryList"]
    }
    assert job_id in held
    assert held and all(j in output for j in held)


def test_awsbkill_terminates_a_waiting_job(deployed: Deployed) -> None:
    # A dependency that never completes keeps the job PENDING in moto until it is terminated.
    job_id = submitted_id(
        awsb(deployed, "awsbsub", "-jn", "waiting", "-d", "jobId=never-finishes", "sleep", "600")
    )
    deadline = time.monotonic() + 10
    while moto_job(job_id)["status"] == "SUBMITTED" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert moto_job(job_id)["status"] == "PENDING"
    output = awsb(deployed, "awsbkill", "-r", "no longer needed", job_id)
    assert job_id in output
    deadline = time.monotonic() + 10
    while moto_job(job_id)["status"] != "FAILED" and time.monotonic() < deadline:
        time.sleep(0.2)
    job = moto_job(job_id)
    assert job["status"] == "FAILED"
    assert job["statusReason"] == "no longer needed"


def test_the_rendered_config_answers_every_lookup_without_cloudformation(deployed: Deployed) -> None:
    """The CLI reads the file first and only falls back to CloudFormation for a missing section."""
    from awsbatch.common import AWSBatchCliConfig

    class Log:
        def info(self, *_: Any) -> None: ...

        debug = info

    os.environ["HOME"] = str(deployed.home)
    try:
        config = AWSBatchCliConfig(Log(), cluster=None)
    finally:
        os.environ.pop("HOME")
    assert (config.stack_name, config.region, config.s3_bucket) == (CLUSTER, REGION, BUCKET)
    assert config.artifact_directory == PREFIX.rstrip("/")
    assert (config.job_queue, config.job_definition, config.job_definition_mnp) == (
        deployed.names.job_queue,
        deployed.names.job_definition,
        deployed.names.job_definition_mnp,
    )
    assert (config.compute_environment, config.head_node_ip, config.proxy) == (
        deployed.compute_environment_arn,
        HEAD_IP,
        "NONE",
    )


def test_awsbhosts_reads_the_environment_the_config_names(deployed: Deployed) -> None:
    """(``awsbqueues`` cannot run on moto: its DescribeJobQueues answer has no ``statusReason``.)"""
    (environment,) = boto3.client("batch", region_name=REGION).describe_compute_environments(
        computeEnvironments=[deployed.compute_environment_arn]
    )["computeEnvironments"]
    assert environment["ecsClusterArn"]
    hosts = awsb(deployed, "awsbhosts").splitlines()
    # It reached the environment's ECS cluster through our config; moto registers no container
    # instances there (0 desired vCPUs), so the table has its header and no row.
    ecs = boto3.client("ecs", region_name=REGION)
    assert ecs.list_container_instances(cluster=environment["ecsClusterArn"])["containerInstanceArns"] == []
    assert hosts[0].split() == [
        "ec2InstanceId",
        "instanceType",
        "privateIpAddress",
        "publicIpAddress",
        "runningJobs",
    ]
    assert len(hosts) == 2
