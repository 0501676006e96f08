"""The head node instance: IMDS, encrypted root volume, Elastic IP, key, and how it boots."""

from __future__ import annotations

import json

from pcluster_pulumi.cluster.head_node import instance_args

from .conftest import EXAMPLES, MINIMAL, context, named, of_type


def test_head_node_uses_imdsv2_an_encrypted_root_volume_and_the_key_pair(minimal) -> None:  # type: ignore[no-untyped-def]
    inputs = named(minimal, "demo-head-node-instance").inputs
    assert inputs["metadataOptions"] == {"httpEndpoint": "enabled", "httpTokens": "required"}
    assert inputs["rootBlockDevice"]["encrypted"] is True
    assert inputs["rootBlockDevice"]["volumeType"] == "gp3"
    assert inputs["keyName"] == "my-key"
    assert inputs["instanceType"] == "t3.medium"
    assert inputs["iamInstanceProfile"] == "demo-iam-head-profile-id"
    assert inputs["tags"]["parallelcluster:node-type"] == "HeadNode"


def test_root_volume_settings_follow_local_storage() -> None:
    text = MINIMAL.replace(
        "  Ssh:\n",
        "  LocalStorage:\n    RootVolume:\n      Size: 80\n      VolumeType: io2\n      Iops: 4000\n"
        "      DeleteOnTermination: false\n  Ssh:\n",
    )
    root = instance_args(context(text))["root_block_device"]
    assert (root["volume_size"], root["volume_type"], root["iops"]) == (80, "io2", 4000)
    assert root["delete_on_termination"] is False and root["encrypted"] is True


def test_head_node_user_data_points_at_the_runtime_config_object(minimal) -> None:  # type: ignore[no-untyped-def]
    user_data = named(minimal, "demo-head-node-instance").inputs["userData"]
    assert user_data.startswith("#cloud-config\n")
    document = json.loads(user_data.split("\n", 1)[1])
    env = next(f["content"] for f in document["write_files"] if f["path"].endswith("bootstrap.env"))
    assert "ROLE=head" in env and "CONFIG_KEY=pcluster-pulumi/demo/config/node-config.json" in env


def test_runtime_config_object_names_the_launch_templates_by_id(minimal) -> None:  # type: ignore[no-untyped-def]
    config = named(minimal, "demo-runtime-config-object").inputs
    assert config["key"] == "pcluster-pulumi/demo/config/node-config.json"
    document = json.loads(config["content"])
    cr = document["queues"][0]["compute_resources"][0]
    assert cr["launch_template_id"] == "demo-queues-q1-c5-id"
    assert document["head_node"]["private_ip"] == minimal.outputs["headNodePrivateIp"]
    instance = named(minimal, "demo-head-node-instance")
    assert named(minimal, "demo-runtime-config-object").urn in instance.dependencies


def test_elastic_ip_true_allocates_an_address_for_the_head_interface(plan_of) -> None:  # type: ignore[no-untyped-def]
    result = plan_of(EXAMPLES / "slurm-custom-dns-iam.yaml", "team")
    assert named(result, "team-head-node-eip").inputs["domain"] == "vpc"
    association = named(result, "team-head-node-eip-association").inputs
    assert association == {
        "allocationId": "eipalloc-" + association["allocationId"].split("-", 1)[1],
        "networkInterfaceId": "team-network-head-eni-id",
    }
    assert result.outputs["headNodePublicIp"].startswith("203.0.113.")


def test_existing_elastic_ip_is_associated_not_allocated(plan_of) -> None:  # type: ignore[no-untyped-def]
    text = MINIMAL.replace(
        "    SubnetId: subnet-0aaaaaaaaaaaaaaa0",
        "    SubnetId: subnet-0aaaaaaaaaaaaaaa0\n    ElasticIp: 198.51.100.7",
    )
    result = plan_of(text)
    assert not of_type(result, "aws:ec2/eip:Eip")
    assert named(result, "demo-head-node-eip-association").inputs["allocationId"].startswith("eipalloc-")
    assert result.outputs["headNodePublicIp"] == "198.51.100.7"


def test_head_node_additional_security_groups_join_the_managed_one(plan_of) -> None:  # type: ignore[no-untyped-def]
    result = plan_of(EXAMPLES / "slurm-custom-dns-iam.yaml", "team")
    assert named(result, "team-network-head-eni").inputs["securityGroups"] == [
        "team-network-head-id",
        "sg-0123456789abcdef0",
    ]
