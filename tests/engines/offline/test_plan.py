"""Offline plan: deterministic, secrets redacted, facts overridable, URNs unique, names derived."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pytest

from pcluster_pulumi.engines.offline.facts import (
    FactsFileError,
    OfflineFacts,
    instance_type_facts,
    load_facts_file,
)
from pcluster_pulumi.engines.offline.plan import PlanError, default_cluster_name, plan, render_plan

from ...plans import EXAMPLES, MINIMAL, named


def test_two_plans_of_one_spec_are_identical(minimal) -> None:  # type: ignore[no-untyped-def]
    assert plan(MINIMAL, "demo").to_json() == minimal.to_json()


def test_plan_document_has_exactly_cluster_resources_and_outputs(minimal) -> None:  # type: ignore[no-untyped-def]
    document = minimal.to_dict()
    assert set(document) == {"cluster", "resources", "outputs"}
    assert {frozenset(r) for r in document["resources"]} == {
        frozenset({"urn", "type", "name", "parent", "inputs"})
    }
    cluster = next(r for r in document["resources"] if r["type"] == "pcluster:cluster:Cluster")
    assert cluster["parent"] is None
    assert cluster["urn"] == "urn:pulumi:demo::pcluster-pulumi::pcluster:cluster:Cluster::demo"
    children = [r for r in document["resources"] if r["type"].startswith("aws:")]
    assert all(r["parent"] for r in children), "every AWS resource belongs to a component"


def test_aws_resources_go_through_the_explicit_regional_provider(minimal) -> None:  # type: ignore[no-untyped-def]
    provider = named(minimal, "aws")
    assert provider.type == "pulumi:providers:aws"
    assert provider.inputs["region"] == "us-east-1"
    assert '"parallelcluster:cluster-name": "demo"' in provider.inputs["defaultTags"]


def test_secret_inputs_are_redacted(tmp_path: Path) -> None:
    def program(spec, name, region):  # type: ignore[no-untyped-def]
        import pulumi_aws as aws

        aws.ssm.Parameter("p", type="SecureString", value=pulumi.Output.secret("hunter2"))

    result = plan(MINIMAL, "demo", program=program)
    assert named(result, "p").inputs["value"] == "[secret]"
    assert "hunter2" not in result.to_json()


def test_duplicate_urns_are_refused_as_the_engine_would() -> None:
    def program(spec, name, region):  # type: ignore[no-untyped-def]
        import pulumi_aws as aws

        aws.ec2.PlacementGroup("same", strategy="cluster")
        aws.ec2.PlacementGroup("same", strategy="spread")

    with pytest.raises(PlanError, match="share a URN"):
        plan(MINIMAL, "demo", program=program)


def test_facts_override_instance_types_subnets_and_account(tmp_path: Path) -> None:
    facts_file = tmp_path / "facts.yaml"
    facts_file.write_text(
        "account_id: 210987654321\n"
        "subnets:\n"
        "  subnet-0aaaaaaaaaaaaaaa0: {vpc_id: vpc-0fedcba9876543210, availability_zone: us-east-1f}\n"
        "instance_types:\n  c5.xlarge: {vcpus: 6}\n"
    )
    result = plan(MINIMAL, "demo", load_facts_file(facts_file))
    assert named(result, "demo-dns-zone").inputs["vpcs"][0]["vpcId"] == "vpc-0fedcba9876543210"
    assert result.outputs["headNodeAvailabilityZone"] == "us-east-1f"
    config = named(result, "demo-runtime-config-object").inputs["content"]
    assert '"vcpus": 6' in config and '"memory_mib": 8192' in config
    assert (
        "arn:aws:dynamodb:us-east-1:210987654321:table/"
        in named(result, "demo-iam-head-policy").inputs["policy"]
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("regoin: us-east-1\n", "unknown key 'regoin'"),
        ("subnets:\n  subnet-1: {vpc: x}\n", "subnets.subnet-1: unknown key 'vpc'"),
        ("instance_types: [c5.xlarge]\n", "instance_types: expected a mapping"),
        ("region: [\n", "invalid YAML"),
    ],
)
def test_bad_facts_files_name_the_file_and_key(tmp_path: Path, content: str, message: str) -> None:
    facts_file = tmp_path / "facts.yaml"
    facts_file.write_text(content)
    with pytest.raises(FactsFileError, match=message) as error:
        load_facts_file(facts_file)
    assert str(facts_file) in str(error.value)


@pytest.mark.parametrize(
    ("instance_type", "expected"),
    [
        ("c5.xlarge", {"vcpus": 4, "memory_mib": 8192}),
        ("m7i.4xlarge", {"vcpus": 16, "memory_mib": 65536, "architectures": ["x86_64"]}),
        (
            "c7gn.16xlarge",
            {"vcpus": 64, "architectures": ["arm64"], "efa_supported": True, "threads_per_core": 1},
        ),
        ("r6id.2xlarge", {"vcpus": 8, "memory_mib": 65536, "instance_store_disks": 1}),
    ],
)
def test_unknown_instance_types_get_facts_derived_from_their_name(instance_type: str, expected: dict) -> None:  # type: ignore[type-arg]
    facts = instance_type_facts(instance_type)
    assert {k: facts[k] for k in expected} == expected


def test_subnets_get_distinct_azs_in_lookup_order() -> None:
    facts = OfflineFacts(region="eu-west-1")
    assert [facts.subnet(s)["availability_zone"] for s in ("a", "b", "a", "c")] == [
        "eu-west-1a",
        "eu-west-1b",
        "eu-west-1a",
        "eu-west-1c",
    ]


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("examples/slurm-minimal.yaml", "slurm-minimal"),
        ("it_update_multi_az-pcluster_create.config.yaml", "it-update-multi-az-pcluster-create"),
        ("2024_cluster.yaml", "cluster"),
        ("a" * 70 + ".yaml", "a" * 40),
        ("___.yaml", "cluster"),
    ],
)
def test_default_cluster_name_is_valid_and_derived_from_the_file_name(path: str, name: str) -> None:
    assert default_cluster_name(path) == name


def test_tree_shows_components_counts_and_outputs(minimal) -> None:  # type: ignore[no-untyped-def]
    from rich.console import Console

    console = Console(record=True, width=120)
    render_plan(minimal, console)
    text = console.export_text()
    assert "cluster demo (" in text
    assert "-queues pcluster:slurm_queues:SlurmQueues" in text
    assert "-c5 aws:ec2:LaunchTemplate" in text
    assert "aws:ec2/launchTemplate:LaunchTemplate" in text and "headNodePrivateIp" in text


def test_plan_of_an_example_path_uses_the_spec_region(plan_of) -> None:  # type: ignore[no-untyped-def]
    result = plan_of(EXAMPLES / "slurm-custom-dns-iam.yaml", "team")
    assert result.outputs["region"] == "eu-west-1"
    assert named(result, "aws").inputs["region"] == "eu-west-1"
