"""The public testing kit (``pcluster_pulumi.testing``) works for a user's own program as documented."""

from __future__ import annotations

import re
from pathlib import Path

import pulumi
import pytest

from pcluster_pulumi import Cluster
from pcluster_pulumi.spec.problems import SpecError
from pcluster_pulumi.testing import ClusterMocks, OfflineFacts, run_program

from .conftest import EXAMPLES, MINIMAL

REPO = Path(__file__).resolve().parents[2]


def test_a_program_embedding_cluster_runs_under_the_kit_mocks_alone() -> None:
    resources = run_program(lambda: Cluster("hpc", MINIMAL))
    template = resources.launch_template("q1", "c5")
    assert template.inputs["name"] == "hpc-q1-c5"
    assert template.inputs["metadataOptions"]["httpTokens"] == "required"
    assert resources.head_node().inputs["instanceType"] == "t3.medium"
    assert resources.named("hpc-head-node-instance").type == "aws:ec2/instance:Instance"


def test_facts_override_the_region_and_the_mocks_record_every_resource() -> None:
    mocks = ClusterMocks(OfflineFacts(region="ap-south-1"))
    text = "Region: ap-south-1\n" + MINIMAL

    def program() -> None:
        cluster = Cluster("hpc", text)
        pulumi.export("ip", cluster.head_node_private_ip)

    resources = run_program(program, mocks)
    policies = " ".join(r.inputs["policy"] for r in resources.of_type("aws:iam/rolePolicy:RolePolicy"))
    assert resources.outputs["ip"].startswith("10.0.")
    assert len(mocks.created) == len(resources)
    assert "arn:aws:dynamodb:ap-south-1:" in policies and "us-east-1" not in policies


def test_official_ami_os_is_read_from_the_lookup_so_any_os_plans() -> None:
    text = MINIMAL.replace("Os: alinux2023", "Os: ubuntu2204")
    resources = run_program(lambda: Cluster("hpc", text))
    assert resources.launch_template("q1", "c5").inputs["imageId"].startswith("ami-")


def test_finders_say_what_they_found_when_the_match_is_not_unique() -> None:
    resources = run_program(lambda: Cluster("hpc", EXAMPLES / "slurm-spot-flex.yaml"))
    with pytest.raises(
        AssertionError, match=r"expected one aws:ec2/launchTemplate:LaunchTemplate .* found 0"
    ):
        resources.launch_template("nope", "c5")


def test_a_bad_spec_surfaces_as_the_spec_error() -> None:
    with pytest.raises(SpecError):
        run_program(lambda: Cluster("hpc", MINIMAL.replace("MaxCount: 4", "MaxCount: -1")))


def test_the_documented_pytest_file_is_the_one_ci_runs() -> None:
    doc = (REPO / "docs" / "components.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", doc, flags=re.S)
    example = (REPO / "docs" / "examples" / "test_my_cluster.py").read_text()
    assert example in blocks
