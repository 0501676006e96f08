"""The multi-language ``Cluster`` component: schema inferred from type hints, overrides applied.

No Pulumi CLI is needed: the schema comes from the same analyzer ``component_provider_host``
runs in the plugin process, and the component itself is exercised under the offline plan's
mocks, the way a TypeScript or YAML program would construct it through the provider.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml
from pulumi.provider.experimental.analyzer import Analyzer
from pulumi.provider.experimental.component import ComponentProvider
from pulumi.provider.experimental.schema import generate_schema

ROOT = Path(__file__).resolve().parents[2]
COMPONENTS = ROOT / "components"
EXAMPLE = ROOT / "examples" / "slurm-minimal.yaml"
sys.path.insert(0, str(COMPONENTS))

from pcluster_component import PACKAGE, Cluster, apply_overrides, load_cluster_spec  # noqa: E402

TOKEN = f"{PACKAGE}:index:Cluster"


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    result = Analyzer(PACKAGE).analyze([Cluster])
    spec = generate_schema(
        PACKAGE,
        "0.1.0",
        None,
        result["component_definitions"],
        result["type_definitions"],
        sorted(result["dependencies"], key=lambda d: d.name),
    )
    document: dict[str, Any] = spec.to_json()
    return document


def test_the_component_token_is_pcluster_index_cluster(schema: dict[str, Any]) -> None:
    assert list(schema["resources"]) == [TOKEN]
    assert schema["resources"][TOKEN]["isComponent"] is True


def test_only_the_spec_is_required(schema: dict[str, Any]) -> None:
    resource = schema["resources"][TOKEN]
    assert resource["requiredInputs"] == ["spec"]
    assert set(resource["inputProperties"]) == {
        "spec",
        "clusterName",
        "headNodeSubnetId",
        "computeSubnetIds",
        "loginNodeSubnetIds",
    }


def test_the_spec_is_plain_because_it_shapes_the_resource_graph(schema: dict[str, Any]) -> None:
    inputs = schema["resources"][TOKEN]["inputProperties"]
    assert inputs["spec"] == {**inputs["spec"], "type": "string", "plain": True}
    assert "plain" not in inputs["headNodeSubnetId"]  # an Input: may come from another stack


def test_subnet_overrides_are_string_lists(schema: dict[str, Any]) -> None:
    inputs = schema["resources"][TOKEN]["inputProperties"]
    assert inputs["computeSubnetIds"]["type"] == "array"
    assert inputs["computeSubnetIds"]["items"]["type"] == "string"
    assert inputs["headNodeSubnetId"]["type"] == "string"


def test_docstrings_become_descriptions(schema: dict[str, Any]) -> None:
    resource = schema["resources"][TOKEN]
    assert "ParallelCluster v3" in resource["description"]
    assert "HeadNode.Networking.SubnetId" in resource["inputProperties"]["headNodeSubnetId"]["description"]
    assert "Slurm controller" in resource["properties"]["headNodePrivateIp"]["description"]


def test_annotated_attributes_become_outputs(schema: dict[str, Any]) -> None:
    outputs = schema["resources"][TOKEN]["properties"]
    assert {"headNodePrivateIp", "headNodeInstanceId", "statusTable", "region", "clusterName"} <= set(outputs)
    storage_ids = {"ebsIds", "raidIds", "efsIds", "fsxIds"}
    assert storage_ids <= set(outputs)
    assert all(outputs[k]["type"] == "array" and outputs[k]["items"]["type"] == "string" for k in storage_ids)
    assert all(p["type"] == "string" for k, p in outputs.items() if k not in storage_ids)


def test_the_provider_the_host_starts_serves_that_schema() -> None:
    provider = ComponentProvider([Cluster], PACKAGE, None, "0.1.0")
    served = json.loads(provider.schema or "{}")
    assert served["name"] == PACKAGE
    assert TOKEN in served["resources"]


def test_plugin_manifest_runs_the_host_with_python() -> None:
    manifest = yaml.safe_load((COMPONENTS / "PulumiPlugin.yaml").read_text())
    assert manifest["runtime"]["name"] == "python"
    host = (COMPONENTS / "__main__.py").read_text()
    assert "component_provider_host(components=[Cluster], name=PACKAGE" in host


def test_overrides_replace_every_subnet_of_their_kind() -> None:
    data = yaml.safe_load(EXAMPLE.read_text())
    data["Scheduling"]["SlurmQueues"].append({**data["Scheduling"]["SlurmQueues"][0], "Name": "other"})
    out = apply_overrides(
        data,
        {
            "head_node_subnet_id": "subnet-0aaaaaaaaaaaaaaa1",
            "compute_subnet_ids": ["subnet-0bbbbbbbbbbbbbbb2"],
        },
    )
    assert out["HeadNode"]["Networking"]["SubnetId"] == "subnet-0aaaaaaaaaaaaaaa1"
    assert [q["Networking"]["SubnetIds"] for q in out["Scheduling"]["SlurmQueues"]] == [
        ["subnet-0bbbbbbbbbbbbbbb2"]
    ] * 2
    assert data["HeadNode"]["Networking"]["SubnetId"] == "subnet-0123456789abcdef0"  # input untouched


def test_a_spec_without_subnets_is_valid_once_overrides_supply_them() -> None:
    data = yaml.safe_load(EXAMPLE.read_text())
    del data["HeadNode"]["Networking"]["SubnetId"]
    text = yaml.safe_dump(data)
    with pytest.raises(ValueError, match="SubnetId"):
        load_cluster_spec(text, "demo", {})
    spec = load_cluster_spec(text, "demo", {"head_node_subnet_id": "subnet-0aaaaaaaaaaaaaaa1"})
    assert spec.head_node.networking.subnet_id == "subnet-0aaaaaaaaaaaaaaa1"


def test_invalid_config_lists_every_located_problem() -> None:
    with pytest.raises(ValueError) as raised:
        load_cluster_spec("Image:\n  Os: alinux2023\nHeadNode: {}\n", "demo", {})
    message = str(raised.value)
    assert "<string>:3:" in message and "Scheduling" in message


def _plan_component(args: dict[str, Any], example: Path = EXAMPLE) -> Any:
    from pcluster_pulumi.engines.offline.plan import plan

    exported: dict[str, Any] = {}

    def program(spec: object, name: str, region: str) -> None:
        cluster = Cluster(name, args)
        exported["cluster"] = cluster
        pulumi.export("headNodePrivateIp", cluster.head_node_private_ip)
        pulumi.export("statusTable", cluster.status_table)
        pulumi.export("ebsIds", cluster.ebs_ids)
        pulumi.export("efsIds", cluster.efs_ids)
        pulumi.export("fsxIds", cluster.fsx_ids)

    return plan(example, "demo", program=program)


def test_overrides_given_as_outputs_reach_the_resources() -> None:
    planned = _plan_component(
        {
            "spec": EXAMPLE.read_text(),
            "head_node_subnet_id": pulumi.Output.from_input("subnet-0fedcba9876543210"),
            "compute_subnet_ids": ["subnet-0fedcba9876543211"],
        }
    )
    by_name = {r.name: r for r in planned.resources}
    assert by_name["demo-network-head-eni"].inputs["subnetId"] == "subnet-0fedcba9876543210"
    node_config = json.loads(by_name["demo-runtime-config-object"].inputs["content"])
    assert "subnet-0fedcba9876543211" in json.dumps(node_config)
    assert "subnet-0123456789abcdef1" not in json.dumps(node_config)


def test_component_outputs_come_from_the_cluster_inside() -> None:
    planned = _plan_component({"spec": EXAMPLE.read_text()})
    assert planned.outputs["statusTable"] == "parallelcluster-demo"
    assert planned.outputs["headNodePrivateIp"].startswith("10.")
    types = {r.type for r in planned.resources}
    assert {"pcluster:index:Cluster", "pcluster:cluster:Cluster", "pulumi:providers:aws"} <= types


def test_storage_ids_come_through_the_component() -> None:
    storage = ROOT / "examples" / "slurm-storage.yaml"
    planned = _plan_component({"spec": storage.read_text()}, storage)
    assert len(planned.outputs["ebsIds"]) == 1
    assert len(planned.outputs["efsIds"]) == 1
    assert len(planned.outputs["fsxIds"]) == 2  # a new Lustre file system and an existing ONTAP volume
    assert _plan_component({"spec": EXAMPLE.read_text()}).outputs["ebsIds"] == []


BATCH_OUTPUTS = {
    "batchComputeEnvironmentArn": "batch_compute_environment_arn",
    "batchJobQueueArn": "batch_job_queue_arn",
    "batchJobDefinitionArn": "batch_job_definition_arn",
    "batchJobDefinitionMnpArn": "batch_job_definition_mnp_arn",
    "ecrRepoName": "ecr_repo_name",
    "codeBuildDockerImageBuilderProject": "code_build_docker_image_builder_project",
    "batchUserRole": "batch_user_role",
    "batchCliRequirements": "batch_cli_requirements",
}


def test_parallelclusters_batch_outputs_are_in_the_schema(schema: dict[str, Any]) -> None:
    outputs = schema["resources"][TOKEN]["properties"]
    assert {key: outputs[key]["type"] for key in BATCH_OUTPUTS} == dict.fromkeys(BATCH_OUTPUTS, "string")


def _plan_batch_outputs(example: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The component's Batch outputs, and the outputs of the plain program (``Cluster`` inside), offline."""
    from pcluster_pulumi.engines.offline.plan import plan

    def program(spec: object, name: str, region: str) -> None:
        cluster = Cluster(name, {"spec": example.read_text()})
        for key, attribute in BATCH_OUTPUTS.items():
            pulumi.export(key, getattr(cluster, attribute))

    return plan(example, "demo", program=program).outputs, plan(example, "demo").outputs


def test_batch_outputs_come_through_the_component() -> None:
    outputs, inner = _plan_batch_outputs(ROOT / "examples" / "awsbatch.yaml")
    assert outputs == {key: inner[key] for key in BATCH_OUTPUTS}
    assert outputs["ecrRepoName"] == "pcluster-demo"
    assert outputs["batchJobQueueArn"].startswith("arn:aws:batch:")
    assert outputs["batchCliRequirements"] == "aws-parallelcluster-awsbatch-cli<2.0.0"


def test_a_slurm_cluster_has_empty_batch_outputs() -> None:
    outputs, _ = _plan_batch_outputs(EXAMPLE)
    assert outputs == dict.fromkeys(BATCH_OUTPUTS, "")


def test_the_plugin_host_starts_and_serves_the_schema_over_grpc() -> None:
    """Run ``__main__.py`` as Pulumi would (plugin dir as first argument) and ask it for its schema."""
    import subprocess
    import threading

    import grpc
    from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

    host = subprocess.Popen(
        [sys.executable, str(COMPONENTS / "__main__.py"), str(COMPONENTS)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first: list[str] = []
        reader = threading.Thread(target=lambda: first.append(host.stdout.readline() if host.stdout else ""))
        reader.start()
        reader.join(60)
        port = int(first[0].strip())  # the plugin handshake: its gRPC port on the first line
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = provider_pb2_grpc.ResourceProviderStub(channel)
            reply = stub.GetSchema(provider_pb2.GetSchemaRequest(version=0), timeout=30)
        served = json.loads(reply.schema)
        assert served["name"] == PACKAGE
        assert list(served["resources"]) == [TOKEN]
        assert served["resources"][TOKEN]["requiredInputs"] == ["spec"]
    finally:
        host.terminate()
        host.wait(10)
