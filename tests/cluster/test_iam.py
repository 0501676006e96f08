"""Node roles and profiles: created least-privilege, or the user's own identities left alone."""

from __future__ import annotations

import json

from pcluster_pulumi.cluster.iam import NAME_PREFIX_MAX, iam_naming, name_prefix
from pcluster_pulumi.spec.loader import load_spec

from .conftest import MINIMAL, named, of_type, policy

QUEUE_IAM = "      Networking:\n        SubnetIds:\n"


def with_queue_iam(block: str) -> str:
    return MINIMAL.replace(QUEUE_IAM, f"      Iam:\n{block}" + QUEUE_IAM)


def test_each_node_type_gets_a_role_trusted_by_ec2_under_the_cluster_path(minimal) -> None:  # type: ignore[no-untyped-def]
    roles = {r.name: r.inputs for r in of_type(minimal, "aws:iam/role:Role")}
    assert set(roles) == {"demo-iam-head-role", "demo-iam-queue-q1-role"}
    for inputs in roles.values():
        assert inputs["path"] == "/parallelcluster/demo/"
        trust = json.loads(inputs["assumeRolePolicy"])["Statement"]
        assert trust == [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ]
    assert roles["demo-iam-head-role"]["namePrefix"] == "demo-head-"
    profile = named(minimal, "demo-iam-queue-q1-profile").inputs
    assert profile["role"] == "demo-iam-queue-q1-role-id"


def test_resource_prefix_sets_path_and_name_prefix_and_boundary_applies_to_every_role(plan_of) -> None:  # type: ignore[no-untyped-def]
    text = MINIMAL + (
        "Iam:\n  ResourcePrefix: /hpc/team-a-\n"
        "  PermissionsBoundary: arn:aws:iam::123456789012:policy/boundary\n"
    )
    result = plan_of(text)
    for role in of_type(result, "aws:iam/role:Role"):
        assert role.inputs["path"] == "/hpc/"
        assert role.inputs["namePrefix"].startswith("team-a-demo-")
        assert role.inputs["permissionsBoundary"] == "arn:aws:iam::123456789012:policy/boundary"
    for profile in of_type(result, "aws:iam/instanceProfile:InstanceProfile"):
        assert profile.inputs["path"] == "/hpc/"


def test_iam_naming_without_a_path_keeps_the_cluster_path() -> None:
    spec = load_spec(MINIMAL + "Iam:\n  ResourcePrefix: hpc-\n")
    assert iam_naming(spec, "demo") == ("/parallelcluster/demo/", "hpc-")
    assert len(name_prefix("hpc-", "c" * 60, "queue-long-name")) == NAME_PREFIX_MAX


def test_additional_policies_are_attached_and_s3_access_is_an_inline_policy(plan_of) -> None:  # type: ignore[no-untyped-def]
    text = with_queue_iam(
        "        AdditionalIamPolicies:\n"
        "          - Policy: arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore\n"
        "        S3Access:\n"
        "          - BucketName: data\n"
    )
    result = plan_of(text)
    attachment = named(result, "demo-iam-queue-q1-amazonssmmanagedinstancecore").inputs
    assert attachment == {
        "policyArn": "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
        "role": "demo-iam-queue-q1-role-id",
    }
    s3 = named(result, "demo-iam-queue-q1-s3-access")
    assert s3.inputs["name"] == "S3Access"
    assert {s["Sid"] for s in policy(s3)["Statement"]} == {"S3AccessList", "S3AccessRead"}


def test_existing_instance_role_gets_only_an_instance_profile_and_no_policies(plan_of) -> None:  # type: ignore[no-untyped-def]
    role_arn = "arn:aws:iam::123456789012:role/team/compute-role"
    result = plan_of(with_queue_iam(f"        InstanceRole: {role_arn}\n"))
    assert "demo-iam-queue-q1-role" not in {r.name for r in result.resources}
    assert named(result, "demo-iam-queue-q1-profile").inputs["role"] == "compute-role"
    assert not [r for r in result.resources if r.name.startswith("demo-iam-queue-q1-policy")]
    fleet = policy(named(result, "demo-fleet-policy-policy"))
    passed = next(s for s in fleet["Statement"] if s["Sid"] == "PassComputeRoles")
    assert passed["Resource"] == role_arn


def test_existing_instance_profile_creates_nothing_and_is_used_by_name_or_arn(plan_of) -> None:  # type: ignore[no-untyped-def]
    arn = "arn:aws:iam::123456789012:instance-profile/team/compute-profile"
    result = plan_of(with_queue_iam(f"        InstanceProfile: {arn}\n"))
    assert not [r for r in result.resources if r.name.startswith("demo-iam-queue-q1")]
    template = named(result, "demo-queues-q1-c5").inputs
    assert template["iamInstanceProfile"] == {"arn": arn}
    fleet = policy(named(result, "demo-fleet-policy-policy"))
    passed = next(s for s in fleet["Statement"] if s["Sid"] == "PassComputeRoles")
    assert passed["Resource"] == "arn:aws:iam::123456789012:role/compute-profile"


def test_head_node_with_its_own_profile_gets_no_fleet_policy(plan_of) -> None:  # type: ignore[no-untyped-def]
    arn = "arn:aws:iam::123456789012:instance-profile/my-head-profile"
    text = MINIMAL.replace("  Ssh:\n", f"  Iam:\n    InstanceProfile: {arn}\n  Ssh:\n")
    result = plan_of(text)
    assert not of_type(result, "pcluster:iam:FleetPolicy")
    assert named(result, "demo-head-node-instance").inputs["iamInstanceProfile"] == "my-head-profile"


def test_head_node_boots_only_after_its_policies_and_nodes_after_theirs(minimal) -> None:  # type: ignore[no-untyped-def]
    instance = named(minimal, "demo-head-node-instance")
    for policy_name in ("demo-iam-head-policy", "demo-fleet-policy-policy"):
        assert named(minimal, policy_name).urn in instance.dependencies
    template = named(minimal, "demo-queues-q1-c5")
    assert named(minimal, "demo-iam-queue-q1-policy").urn in template.dependencies


def test_each_queue_role_reads_only_its_own_custom_action_scripts(plan_of) -> None:  # type: ignore[no-untyped-def]
    queue = (
        "    - Name: {name}\n      CustomActions:\n        OnNodeConfigured:\n"
        "          Script: s3://scripts/{name}.sh\n      ComputeResources:\n        - Name: c5\n"
        "          InstanceType: c5.xlarge\n          MaxCount: 4\n"
        "      Networking:\n        SubnetIds:\n          - subnet-0bbbbbbbbbbbbbbb1\n"
    )
    text = MINIMAL[: MINIMAL.index("    - Name: q1")] + queue.format(name="q1") + queue.format(name="q2")
    result = plan_of(text)
    for name in ("q1", "q2"):
        grants = [
            s["Resource"]
            for s in policy(named(result, f"demo-iam-queue-{name}-policy"))["Statement"]
            if s.get("Sid") == "CustomActionScripts"
        ]
        assert grants == [f"arn:aws:s3:::scripts/{name}.sh"]
