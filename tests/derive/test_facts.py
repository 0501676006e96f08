"""What AWS is asked, once: the subnets, instance types, AMIs, zone, profiles and EIP a spec names."""

from __future__ import annotations

from pcluster_pulumi.derive.facts import (
    InstanceTypeFacts,
    ami_key,
    ami_lookups,
    ami_name_pattern,
    facts_request,
)
from pcluster_pulumi.spec.loader import load_spec

from ..plans import MINIMAL, named


def test_every_distinct_subnet_and_instance_type_is_requested_once() -> None:
    text = MINIMAL.replace(
        "          - subnet-0bbbbbbbbbbbbbbb1\n", "          - subnet-0bbbbbbbbbbbbbbb1\n"
    ) + (
        "LoginNodes:\n  Pools:\n    - Name: l\n      InstanceType: c5.xlarge\n      Count: 1\n"
        "      Networking:\n        SubnetIds:\n          - subnet-0bbbbbbbbbbbbbbb1\n"
    )
    request = facts_request(load_spec(text))
    assert request.subnets == ("subnet-0aaaaaaaaaaaaaaa0", "subnet-0bbbbbbbbbbbbbbb1")
    assert request.instance_types == ("t3.medium", "c5.xlarge")
    assert (request.hosted_zone_id, request.elastic_ip, request.instance_profiles) == (None, None, ())


def test_official_ami_is_looked_up_per_architecture_and_custom_amis_by_id() -> None:
    text = MINIMAL.replace("          InstanceType: c5.xlarge", "          InstanceType: c7g.xlarge").replace(
        "      Networking:\n        SubnetIds:\n",
        "      Image:\n        CustomAmi: ami-0123456789abcdef0\n      Networking:\n        SubnetIds:\n",
    )
    spec = load_spec(text)
    types = {
        "t3.medium": InstanceTypeFacts("t3.medium", 2, 4096, 1),
        "c7g.xlarge": InstanceTypeFacts("c7g.xlarge", 4, 8192, 4, architectures=("arm64",)),
    }
    assert ami_lookups(spec, types) == {
        "official:alinux2023:x86_64": ("x86_64", ""),
        "ami-0123456789abcdef0": ("arm64", "ami-0123456789abcdef0"),
    }
    assert ami_key("alinux2023", "arm64", None) == "official:alinux2023:arm64"


def test_official_ami_name_pins_the_parallelcluster_release() -> None:
    assert ami_name_pattern("alinux2023", "x86_64") == "aws-parallelcluster-3.16.1-amzn2023-hvm-x86_64*"
    assert ami_name_pattern("ubuntu2204", "arm64") == "aws-parallelcluster-3.16.1-ubuntu-2204-lts-hvm-arm64*"


def test_node_facts_carry_efa_only_when_enabled_and_supported() -> None:
    facts = InstanceTypeFacts("c5n.18xlarge", 72, 196608, 36, threads_per_core=2, efa_supported=True)
    assert facts.for_node(efa_enabled=True).efa is True
    assert facts.for_node(efa_enabled=False).efa is False
    assert InstanceTypeFacts("x", 2, 1, 1, architectures=("i386", "x86_64")).architecture == "x86_64"


def test_invoked_facts_reach_the_resources(minimal) -> None:  # type: ignore[no-untyped-def]
    head = named(minimal, "demo-head-node-instance").inputs
    template = named(minimal, "demo-queues-q1-c5").inputs
    assert head["ami"] == template["imageId"] and head["ami"].startswith("ami-")
    assert minimal.outputs["headNodeAvailabilityZone"] == "us-east-1a"
