"""The runtime configuration: spec + facts + resource ids → the document the node code reads."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pcluster_pulumi.contract.config import NodeConfig
from pcluster_pulumi.derive.runtime_config import RuntimeResources, parse_database_uri, render_runtime_config

from ..plans import EXAMPLES, MINIMAL, context

RESOURCES = RuntimeResources(
    head_node_private_ip="10.0.0.10",
    bucket="bkt",
    node_package_key="p/node.tar.gz",
    hosted_zone_id="Z1",
    dns_domain="demo.pcluster.",
    launch_template_ids={("q1", "c5"): "lt-0123"},
)


def render(text: str = MINIMAL, resources: RuntimeResources = RESOURCES) -> dict:  # type: ignore[type-arg]
    return render_runtime_config(context(text), resources)


def subset(small: object, big: object) -> bool:
    """Every key of small is in big with the same value (lists compared item by item)."""
    if isinstance(small, dict) and isinstance(big, dict):
        return all(k in big and subset(v, big[k]) for k, v in small.items())
    if isinstance(small, list) and isinstance(big, list):
        return len(small) == len(big) and all(subset(a, b) for a, b in zip(small, big, strict=True))
    return small == big


def test_document_is_read_by_the_node_codes_own_reader_without_losing_a_key() -> None:
    document = json.loads(json.dumps(render()))
    parsed = NodeConfig.from_dict(document)
    assert subset(document, parsed.to_dict())
    assert NodeConfig.from_dict(parsed.to_dict()) == parsed


def test_compute_resources_carry_instance_facts_and_launch_template_by_name_and_id() -> None:
    queue = render()["queues"][0]
    assert queue["name"] == "q1" and queue["subnet_ids"] == ["subnet-0bbbbbbbbbbbbbbb1"]
    cr = queue["compute_resources"][0]
    assert cr["launch_template_name"] == "demo-q1-c5"
    assert cr["launch_template_id"] == "lt-0123"
    assert cr["instances"] == [
        {
            "instance_type": "c5.xlarge",
            "vcpus": 4,
            "memory_mib": 8192,
            "threads_per_core": 2,
            "gpu_count": 0,
            "efa": False,
        }
    ]
    assert (cr["min_count"], cr["max_count"], cr["api"]) == (1, 4, "run-instances")


def test_flexible_instances_launch_with_create_fleet_and_lowest_price_by_default() -> None:
    text = MINIMAL.replace(
        "          InstanceType: c5.xlarge",
        "          Instances:\n            - InstanceType: c5.xlarge\n            - InstanceType: m5.xlarge",
    )
    queue = render(text)["queues"][0]
    assert queue["compute_resources"][0]["api"] == "create-fleet"
    assert [i["instance_type"] for i in queue["compute_resources"][0]["instances"]] == [
        "c5.xlarge",
        "m5.xlarge",
    ]
    assert queue["allocation_strategy"] == "lowest-price"


def test_scheduler_settings_convert_minutes_and_carry_custom_settings() -> None:
    text = MINIMAL.replace(
        "  SlurmQueues:\n",
        "  ScalingStrategy: best-effort\n  SlurmSettings:\n    ScaledownIdletime: 7\n"
        "    CustomSlurmSettings:\n      - SchedulerParameters: bf_continue\n  SlurmQueues:\n",
    )
    scheduler = render(text)["scheduler"]
    assert scheduler["scaledown_idletime_seconds"] == 420
    assert scheduler["scaling_strategy"] == "best-effort"
    assert scheduler["custom_slurm_settings"] == [{"SchedulerParameters": "bf_continue"}]
    assert scheduler["resume_timeout_seconds"] == 1800


def test_dns_is_present_only_with_a_zone_and_ec2_hostnames_follow_the_spec() -> None:
    assert render()["dns"] == {"hosted_zone_id": "Z1", "domain": "demo.pcluster."}
    without = RuntimeResources(head_node_private_ip="10.0.0.10", bucket="b", node_package_key="k")
    text = MINIMAL.replace(
        "  SlurmQueues:\n", "  SlurmSettings:\n    Dns:\n      DisableManagedDns: true\n  SlurmQueues:\n"
    )
    document = render(text, without)
    assert "dns" not in document and document["use_ec2_hostnames"] is True
    named_by_ec2 = MINIMAL.replace(
        "  SlurmQueues:\n", "  SlurmSettings:\n    Dns:\n      UseEc2Hostnames: true\n  SlurmQueues:\n"
    )
    assert render(named_by_ec2)["use_ec2_hostnames"] is True
    assert render()["use_ec2_hostnames"] is False


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("db.example.com", ("db.example.com", 3306)),
        ("db.example.com:3307", ("db.example.com", 3307)),
        ("mysql://db.example.com:3308/", ("db.example.com", 3308)),
    ],
)
def test_database_uri_gives_host_and_port(uri: str, expected: tuple[str, int]) -> None:
    assert parse_database_uri(uri) == expected


def test_accounting_database_names_its_secret_by_arn_only() -> None:
    secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"
    text = MINIMAL.replace(
        "  SlurmQueues:\n",
        "  SlurmSettings:\n    Database:\n      Uri: db.example.com:3306\n      UserName: admin\n"
        f"      PasswordSecretArn: {secret}\n  SlurmQueues:\n",
    )
    accounting = render(text)["scheduler"]["accounting"]
    assert accounting == {
        "kind": "database",
        "host": "db.example.com",
        "port": 3306,
        "user_name": "admin",
        "password_secret_arn": secret,
        "database_name": "demo",
    }


def test_external_slurmdbd_is_passed_as_host_and_port() -> None:
    text = MINIMAL.replace(
        "  SlurmQueues:\n",
        "  SlurmSettings:\n    ExternalSlurmdbd:\n      Host: dbd.example.com\n      Port: 6820\n"
        "    MungeKeySecretArn: arn:aws:secretsmanager:us-east-1:123456789012:secret:m-AbCdEf\n"
        "  SlurmQueues:\n",
    )
    document = render(text)
    assert document["scheduler"]["accounting"] == {
        "kind": "external",
        "host": "dbd.example.com",
        "port": 6820,
    }
    assert document["munge_key_secret_arn"].endswith(":secret:m-AbCdEf")


def test_cluster_user_follows_the_os() -> None:
    assert render()["cluster_user"] == "ec2-user"
    assert render((EXAMPLES / "slurm-efa.yaml").read_text())["cluster_user"] == "ubuntu"


@settings(max_examples=25, deadline=None)
@given(
    queues=st.lists(
        st.tuples(st.integers(min_value=0, max_value=5), st.integers(min_value=1, max_value=50)),
        min_size=1,
        max_size=4,
    )
)
def test_every_compute_resource_is_in_the_document_with_its_counts(queues: list[tuple[int, int]]) -> None:
    lines = [
        "Image:\n  Os: alinux2023\nHeadNode:\n  InstanceType: t3.medium\n  Networking:\n",
        "    SubnetId: subnet-0aaaaaaaaaaaaaaa0\nScheduling:\n  Scheduler: slurm\n  SlurmQueues:\n",
    ]
    for i, (low, extra) in enumerate(queues):
        lines.append(
            f"    - Name: q{i}\n      ComputeResources:\n        - Name: cr\n"
            "          InstanceType: c5.xlarge\n"
            f"          MinCount: {low}\n          MaxCount: {low + extra}\n"
            "      Networking:\n        SubnetIds:\n          - subnet-0bbbbbbbbbbbbbbb1\n"
        )
    document = render_runtime_config(context("".join(lines)), RESOURCES)
    parsed = NodeConfig.from_dict(document)
    assert [
        (q.name, q.compute_resources[0].min_count, q.compute_resources[0].max_count) for q in parsed.queues
    ] == [(f"q{i}", low, low + extra) for i, (low, extra) in enumerate(queues)]
    assert {cr.launch_template_name for q in parsed.queues for cr in q.compute_resources} == {
        f"demo-q{i}-cr" for i in range(len(queues))
    }


ACTIONS = MINIMAL.replace(
    "HeadNode:\n",
    "HeadNode:\n  CustomActions:\n"
    "    OnNodeStart:\n      Script: s3://b/pre.sh\n      Args: ['R curl wget', arg2]\n"
    "    OnNodeUpdated:\n      Sequence:\n        - Script: https://example.com/u1.sh\n"
    "        - Script: s3://b/u2.sh\n          Args: [x]\n",
    1,
).replace(
    "      Networking:\n        SubnetIds:\n",
    "      CustomActions:\n        OnNodeConfigured:\n          Script: s3://b/post.sh\n"
    "      Networking:\n        SubnetIds:\n",
)


def test_custom_actions_are_carried_per_event_as_ordered_script_lists() -> None:
    document = render(ACTIONS)
    assert document["head_node"]["custom_actions"] == {
        "on_node_start": [{"script": "s3://b/pre.sh", "args": ["R curl wget", "arg2"]}],
        "on_node_updated": [
            {"script": "https://example.com/u1.sh", "args": []},
            {"script": "s3://b/u2.sh", "args": ["x"]},
        ],
    }
    assert document["queues"][0]["custom_actions"] == {
        "on_node_configured": [{"script": "s3://b/post.sh", "args": []}]
    }
    parsed = NodeConfig.from_dict(document)
    assert parsed.queue("q1").custom_actions.urls() == ["s3://b/post.sh"]


def test_without_custom_actions_the_document_has_no_such_key() -> None:
    document = render()
    assert "custom_actions" not in document["head_node"]
    assert "custom_actions" not in document["queues"][0]


def test_head_node_imds_is_secured_unless_the_spec_opens_it() -> None:
    assert render()["head_node"]["imds_secured"] is True
    opened = MINIMAL.replace("HeadNode:\n", "HeadNode:\n  Imds:\n    Secured: false\n", 1)
    assert render(opened)["head_node"]["imds_secured"] is False


def test_ephemeral_mount_dirs_default_to_scratch_and_follow_the_spec() -> None:
    document = render()
    assert document["head_node"]["ephemeral_mount_dir"] == "/scratch"
    assert document["queues"][0]["ephemeral_mount_dir"] == "/scratch"
    custom = MINIMAL.replace(
        "HeadNode:\n", "HeadNode:\n  LocalStorage:\n    EphemeralVolume:\n      MountDir: /local/tmp\n", 1
    ).replace(
        "      Networking:\n        SubnetIds:\n",
        "      ComputeSettings:\n        LocalStorage:\n"
        "          EphemeralVolume:\n            MountDir: nvme\n"
        "      Networking:\n        SubnetIds:\n",
    )
    document = render(custom)
    assert document["head_node"]["ephemeral_mount_dir"] == "/local/tmp"
    assert document["queues"][0]["ephemeral_mount_dir"] == "/nvme"


def test_deployment_settings_reach_the_nodes() -> None:
    document = render()
    assert document["disable_sudo_for_default_user"] is False and document["default_user_home"] == "shared"
    text = (
        MINIMAL + "DeploymentSettings:\n  DisableSudoAccessForDefaultUser: true\n  DefaultUserHome: Local\n"
    )
    document = render(text)
    assert document["disable_sudo_for_default_user"] is True and document["default_user_home"] == "local"
