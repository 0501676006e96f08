"""Launch templates and placement groups: one template per compute resource, named for resume."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from pcluster_pulumi.cluster.slurm_queues import launch_template_args, placement_for
from pcluster_pulumi.spec.loader import load_spec

from .conftest import EXAMPLES, MINIMAL, context, kit, named, of_type

LT = "aws:ec2/launchTemplate:LaunchTemplate"


def args_of(text: str, queue: int = 0, cr: int = 0, **overrides: Any) -> dict[str, Any]:
    ctx = context(text, **overrides)
    q = ctx.spec.queues[queue]
    return launch_template_args(
        ctx,
        q,
        (q.compute_resources or ())[cr],
        security_group_ids=["sg-compute"],
        instance_profile={"arn": "arn:profile"},
        placement_group=None,
        user_data="dXNlcg==",
    )


def test_compute_resource_gets_one_launch_template_named_cluster_queue_cr(plan_of) -> None:  # type: ignore[no-untyped-def]
    result = plan_of(EXAMPLES / "slurm-spot-flex.yaml", "burst")
    names = sorted(r.inputs["name"] for r in of_type(result, LT))
    assert names == ["burst-ondemand-m5", "burst-spot-flex4", "burst-spot-flex8", "burst-spotcap-r5"]
    assert result.outputs["launchTemplates"]["spot/flex4"] == "burst-spot-flex4"
    flex4 = kit(result).launch_template("spot", "flex4")
    assert flex4.inputs["name"] == "burst-spot-flex4" and flex4.name.startswith("burst-")


def test_single_instance_type_templates_carry_type_subnet_and_imdsv2() -> None:
    args = args_of(MINIMAL)
    assert args["instance_type"] == "c5.xlarge"
    assert args["network_interfaces"] == [
        {
            "device_index": 0,
            "network_card_index": 0,
            "security_groups": ["sg-compute"],
            "delete_on_termination": "true",
            "subnet_id": "subnet-0bbbbbbbbbbbbbbb1",
        }
    ]
    assert args["metadata_options"] == {"http_endpoint": "enabled", "http_tokens": "required"}
    assert args["instance_initiated_shutdown_behavior"] == "terminate"
    assert args["block_device_mappings"] == [
        {
            "device_name": "/dev/xvda",
            "ebs": {"volume_type": "gp3", "encrypted": "true", "delete_on_termination": "true"},
        }
    ]


def test_imds_v1_makes_tokens_optional() -> None:
    assert args_of(MINIMAL + "Imds:\n  ImdsSupport: v1.0\n")["metadata_options"]["http_tokens"] == "optional"


def test_flexible_instances_leave_type_subnet_and_market_to_create_fleet() -> None:
    text = MINIMAL.replace(
        "          InstanceType: c5.xlarge", "          Instances:\n            - InstanceType: c5.xlarge"
    )
    text = text.replace("    - Name: q1\n", "    - Name: q1\n      CapacityType: SPOT\n")
    args = args_of(text)
    assert "instance_type" not in args and "instance_market_options" not in args
    assert "subnet_id" not in args["network_interfaces"][0]


def test_spot_single_type_uses_one_time_terminate_market_options_with_max_price() -> None:
    text = MINIMAL.replace("    - Name: q1\n", "    - Name: q1\n      CapacityType: SPOT\n")
    text = text.replace("          MinCount: 1\n", "          MinCount: 1\n          SpotPrice: 0.5\n")
    assert args_of(text)["instance_market_options"] == {
        "market_type": "spot",
        "spot_options": {
            "spot_instance_type": "one-time",
            "instance_interruption_behavior": "terminate",
            "max_price": "0.5",
        },
    }


def test_capacity_reservation_of_the_compute_resource_wins_over_the_queue() -> None:
    text = MINIMAL.replace(
        "    - Name: q1\n",
        "    - Name: q1\n      CapacityReservationTarget:\n"
        "        CapacityReservationId: cr-0aaaaaaaaaaaaaaaa\n",
    ).replace(
        "          MinCount: 1\n",
        "          MinCount: 1\n          CapacityReservationTarget:\n"
        "            CapacityReservationId: cr-0bbbbbbbbbbbbbbbb\n",
    )
    assert args_of(text)["capacity_reservation_specification"] == {
        "capacity_reservation_target": {"capacity_reservation_id": "cr-0bbbbbbbbbbbbbbbb"}
    }


def test_tags_merge_cluster_then_queue_then_compute_resource_with_ours_last() -> None:
    text = (
        MINIMAL.replace(
            "      Networking:\n        SubnetIds:\n",
            "      Tags:\n        - Key: team\n          Value: queue\n"
            "        - Key: tier\n          Value: q\n"
            "      Networking:\n        SubnetIds:\n",
        ).replace(
            "          MinCount: 1\n",
            "          MinCount: 1\n          Tags:\n            - Key: tier\n              Value: cr\n",
        )
        + "Tags:\n  - Key: team\n    Value: cluster\n  - Key: owner\n    Value: me\n"
    )
    tags = args_of(text)["tag_specifications"][0]["tags"]
    assert (tags["owner"], tags["team"], tags["tier"]) == ("me", "queue", "cr")
    assert tags["parallelcluster:queue-name"] == "q1"
    assert tags["parallelcluster:compute-resource-name"] == "c5"
    assert tags["parallelcluster:node-type"] == "Compute"


def test_efa_on_a_multi_card_instance_gets_one_efa_interface_per_network_card(plan_of) -> None:  # type: ignore[no-untyped-def]
    result = plan_of(EXAMPLES / "slurm-efa.yaml", "efa")
    nics = named(result, "efa-queues-gpu-p4d").inputs["networkInterfaces"]
    assert [(n["networkCardIndex"], n["deviceIndex"], n["interfaceType"]) for n in nics] == [
        (0, 0, "efa"),
        (1, 1, "efa"),
        (2, 1, "efa"),
        (3, 1, "efa"),
    ]
    mappings = named(result, "efa-queues-gpu-p4d").inputs["blockDeviceMappings"]
    assert [m.get("virtualName") for m in mappings[:2]] == ["ephemeral0", "ephemeral1"]
    assert mappings[-1]["deviceName"] == "/dev/sda1"  # Ubuntu's root device


def test_disabled_multithreading_sets_one_thread_per_physical_core(plan_of) -> None:  # type: ignore[no-untyped-def]
    result = plan_of(EXAMPLES / "slurm-efa.yaml", "efa")
    assert named(result, "efa-queues-mpi-c5n").inputs["cpuOptions"] == {"coreCount": 36, "threadsPerCore": 1}


def test_managed_placement_group_per_compute_resource_and_existing_ones_by_name(plan_of) -> None:  # type: ignore[no-untyped-def]
    result = plan_of(EXAMPLES / "slurm-efa.yaml", "efa")
    groups = {r.name: r.inputs for r in of_type(result, "aws:ec2/placementGroup:PlacementGroup")}
    assert set(groups) == {"efa-queues-mpi-c5n-pg", "efa-queues-gpu-p4d-pg"}
    assert {g["strategy"] for g in groups.values()} == {"cluster"}
    assert named(result, "efa-queues-mpi-hpc6a").inputs["placement"] == {
        "groupName": "my-existing-cluster-pg"
    }
    assert (
        named(result, "efa-queues-mpi-c5n")
        .inputs["placement"]["groupName"]
        .startswith("efa-queues-mpi-c5n-pg-")
    )


@pytest.mark.parametrize(
    ("queue_pg", "cr_pg", "expected"),
    [
        (None, None, (False, None)),
        ("Enabled: true", None, (True, None)),
        ("Enabled: true", "Enabled: false", (False, None)),
        (None, "Name: mine", (False, "mine")),
        ("Enabled: false", "Enabled: true", (True, None)),
    ],
)
def test_compute_resource_placement_group_overrides_the_queue(
    queue_pg: str | None, cr_pg: str | None, expected: tuple[bool, str | None]
) -> None:
    text = MINIMAL
    if queue_pg:
        text = text.replace(
            "        SubnetIds:\n", f"        PlacementGroup:\n          {queue_pg}\n        SubnetIds:\n"
        )
    if cr_pg:
        text = text.replace(
            "          MinCount: 1\n",
            "          MinCount: 1\n          Networking:\n"
            f"            PlacementGroup:\n              {cr_pg}\n",
        )
    spec = load_spec(text)
    queue = spec.queues[0]
    plan = placement_for(queue, (queue.compute_resources or ())[0])
    assert (plan.managed, plan.existing_name) == expected


def test_user_data_is_base64_cloud_init_pointing_at_the_bucket_and_head_node(minimal) -> None:  # type: ignore[no-untyped-def]
    text = base64.b64decode(named(minimal, "demo-queues-q1-c5").inputs["userData"]).decode()
    assert text.startswith("#cloud-config\n")
    head_ip = named(minimal, "demo-network-head-eni")  # the mocked interface's address flows in
    assert f"HEAD_IP={minimal.outputs['headNodePrivateIp']}" in text and head_ip
    assert "ROLE=compute" in text
    assert f"BUCKET={minimal.outputs['clusterBucket']}" in text
    assert "CONFIG_KEY=pcluster-pulumi/demo/config/node-config.json" in text


def test_colliding_launch_template_names_are_refused_with_both_names() -> None:
    from pcluster_pulumi.engines.offline.plan import plan

    text = MINIMAL.replace("    - Name: q1\n", "    - Name: q1-c5\n") + ""
    text = text.replace(
        "Scheduling:\n  Scheduler: slurm\n  SlurmQueues:\n",
        "Scheduling:\n  Scheduler: slurm\n  SlurmQueues:\n"
        "    - Name: q1\n      ComputeResources:\n        - Name: c5-c5\n          InstanceType: c5.xlarge\n"
        "      Networking:\n        SubnetIds:\n          - subnet-0bbbbbbbbbbbbbbb1\n",
    )
    with pytest.raises(Exception, match="would share the launch template name 'demo-q1-c5-c5'"):
        plan(text, "demo")
