"""Unit tests for an infra repo's own Pulumi program that embeds pcluster-pulumi's Cluster.

Run with `pytest`: no AWS account, no Pulumi CLI. ClusterMocks answers every lookup the
cluster makes (region, subnets, instance types, AMIs…) from offline facts you may override.
"""

from pathlib import Path

import pulumi
import pytest

from pcluster_pulumi import Cluster
from pcluster_pulumi.testing import ClusterMocks, OfflineFacts, run_program

CONFIG = """\
Region: eu-west-1
Image:
  Os: ubuntu2404
HeadNode:
  InstanceType: c7i.large
  Networking:
    SubnetId: subnet-0123456789abcdef0
  Ssh:
    KeyName: ops
Scheduling:
  Scheduler: slurm
  SlurmQueues:
    - Name: cpu
      ComputeResources:
        - Name: c7i
          InstanceType: c7i.4xlarge
          MaxCount: 64
      Networking:
        SubnetIds: [subnet-0123456789abcdef1]
"""


def my_program(config: Path) -> None:
    """The program under test: what an infra repo's __main__.py would hold."""
    cluster = Cluster("research", config)
    pulumi.export("headNodeIp", cluster.head_node_private_ip)


@pytest.fixture
def resources(tmp_path: Path):
    config = tmp_path / "cluster.yaml"
    config.write_text(CONFIG)
    facts = OfflineFacts(region="eu-west-1")
    return run_program(lambda: my_program(config), ClusterMocks(facts))


def test_compute_nodes_require_imdsv2(resources) -> None:
    template = resources.launch_template("cpu", "c7i")
    assert template.inputs["metadataOptions"]["httpTokens"] == "required"


def test_head_node_uses_the_configured_type_and_subnet(resources) -> None:
    head = resources.head_node()
    assert head.inputs["instanceType"] == "c7i.large"


def test_no_security_group_opens_ssh_to_the_world_unless_asked(resources) -> None:
    for group in resources.security_groups():
        for rule in group.inputs.get("ingress", []):
            assert "0.0.0.0/0" not in rule.get("cidrBlocks", []) or rule["fromPort"] == 22


def test_the_program_exports_the_head_node_address(resources) -> None:
    assert resources.outputs["headNodeIp"]
