"""The repository's Pulumi program: Pulumi.yaml and the demo stack run the same code as ``plan``."""

from __future__ import annotations

from typing import Any

import pulumi
import yaml

from pcluster_pulumi.contract.names import PROJECT
from pcluster_pulumi.engines.offline.plan import plan
from pcluster_pulumi.program import main

from .plans import EXAMPLES, REPO, cached_plan


def test_pulumi_project_runs_the_program_with_stacks_in_stacks_dir() -> None:
    project = yaml.safe_load((REPO / "Pulumi.yaml").read_text())
    assert project["name"] == PROJECT
    assert project["runtime"]["name"] == "python"
    assert project["stackConfigDir"] == "stacks"
    assert (REPO / project["main"]).is_file()


def test_demo_stack_points_at_an_example() -> None:
    config = yaml.safe_load((REPO / "stacks" / "Pulumi.demo.yaml").read_text())["config"]
    assert (REPO / config[f"{PROJECT}:spec"]).is_file()
    assert config["aws:region"]


def test_main_reads_the_stack_config_and_exports_the_cluster_outputs() -> None:
    stack = yaml.safe_load((REPO / "stacks" / "Pulumi.demo.yaml").read_text())["config"]
    spec_path = str(REPO / stack[f"{PROJECT}:spec"])

    def program(spec: Any, name: str, region: str | None) -> None:
        pulumi.runtime.set_all_config({f"{PROJECT}:spec": spec_path, f"{PROJECT}:clusterName": "demo",
                                       "aws:region": stack["aws:region"]})  # fmt: skip
        main()

    via_stack = plan(EXAMPLES / "slurm-minimal.yaml", "demo", program=program)
    via_plan = cached_plan(EXAMPLES / "slurm-minimal.yaml", "demo")
    assert via_stack.to_json() == via_plan.to_json()
    assert via_stack.outputs["clusterName"] == "demo"


def test_cluster_works_in_any_program_with_the_default_provider_and_a_path() -> None:
    def program(spec: Any, name: str, region: str | None) -> None:
        from pcluster_pulumi import Cluster

        cluster = Cluster("mine", str(EXAMPLES / "slurm-minimal.yaml"))
        pulumi.export("ip", cluster.head_node_private_ip)

    result = plan(EXAMPLES / "slurm-minimal.yaml", "demo", program=program)
    cluster = next(r for r in result.resources if r.type == "pcluster:cluster:Cluster")
    assert cluster.name == "mine" and cluster.parent is None
    assert not [r for r in result.resources if r.type.startswith("pulumi:providers:")]
    assert result.outputs["ip"].startswith("10.0.")


def test_a_bad_spec_raises_before_anything_is_registered() -> None:
    from pcluster_pulumi import SpecError

    registered: list[str] = []

    def program(spec: Any, name: str, region: str | None) -> None:
        from pcluster_pulumi import Cluster

        try:
            Cluster("mine", "Image:\n  Os: alinux2023\n")
        except SpecError as error:
            registered.append(str(error))

    result = plan(EXAMPLES / "slurm-minimal.yaml", "demo", program=program)
    assert result.resources == []
    assert registered and "HeadNode" in registered[0]
