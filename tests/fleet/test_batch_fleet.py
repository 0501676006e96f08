"""``update-compute-fleet`` on an AWS Batch cluster disables and enables its compute environment (moto)."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from pcluster_pulumi.contract import names
from pcluster_pulumi.fleet import control
from pcluster_pulumi.node import fleet_status
from pcluster_pulumi.node.aws import Clients

REGION = "us-east-1"


@pytest.fixture
def batch(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield boto3.client("batch", region_name=REGION)


def environment(batch: object, cluster: str, name: str) -> str:
    """An environment tagged as our components tag it (moto needs the EC2 and IAM pieces to exist)."""
    ec2, iam = boto3.client("ec2", region_name=REGION), boto3.client("iam", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
    trust = '{"Version":"2012-10-17","Statement":[]}'
    role = iam.create_role(RoleName=f"{name}-service", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    profile = iam.create_instance_profile(InstanceProfileName=name)["InstanceProfile"]["Arn"]
    return str(
        batch.create_compute_environment(  # type: ignore[attr-defined]
            computeEnvironmentName=name,
            type="MANAGED",
            state="ENABLED",
            serviceRole=role,
            tags={names.TAG_CLUSTER_NAME: cluster},
            computeResources={
                "type": "EC2",
                "minvCpus": 0,
                "maxvCpus": 16,
                "instanceTypes": ["optimal"],
                "subnets": [subnet],
                "securityGroupIds": [group],
                "instanceRole": profile,
            },
        )["computeEnvironmentArn"]
    )


def state(batch: object, arn: str) -> str:
    described = batch.describe_compute_environments(computeEnvironments=[arn])  # type: ignore[attr-defined]
    return str(described["computeEnvironments"][0]["state"])


def test_stop_disables_and_start_enables_the_cluster_compute_environment_only(batch: object) -> None:
    mine = environment(batch, "demo", "demo-optimal")
    other = environment(batch, "other", "other-optimal")
    clients, config = Clients(REGION), control.fleet_config("demo", REGION)

    stopped = control.request(clients, config, control.STOP)
    assert (stopped.before, stopped.after) == (fleet_status.RUNNING, fleet_status.STOPPED)
    assert (state(batch, mine), state(batch, other)) == ("DISABLED", "ENABLED")
    assert control.status(clients, config) == fleet_status.STOPPED

    again = control.request(clients, config, control.STOP)
    assert not again.changed

    started = control.request(clients, config, control.START)
    assert (started.before, started.after) == (fleet_status.STOPPED, fleet_status.RUNNING)
    assert state(batch, mine) == "ENABLED"
    assert (
        control.wait_for(clients, config, {fleet_status.RUNNING}, sleep=lambda _: None)
        == fleet_status.RUNNING
    )


def test_a_cluster_with_neither_table_nor_environment_is_reported_as_not_deployed(batch: object) -> None:
    with pytest.raises(control.FleetError, match="has no fleet status table"):
        control.status(Clients(REGION), control.fleet_config("ghost", REGION))
