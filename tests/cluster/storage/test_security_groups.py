"""A file system's own security group, laid out as ParallelCluster lays it out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pcluster_pulumi.cluster.storage.network import StorageRule, plan_storage_rules
from pcluster_pulumi.cluster.storage.shared import SharedStorage

from .conftest import Run, make_spec, network

INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
Build = Callable[[Callable[[], Any]], Run]


def test_head_and_compute_groups_get_all_traffic_both_ways_and_the_group_itself_too() -> None:
    rules = plan_storage_rules("lustre", ["head", "compute", "head"])
    assert rules == [
        StorageRule("in-self", "ingress", "self", "-1"),
        StorageRule("out-self", "egress", "self", "-1"),
        StorageRule("in-head", "ingress", "head", "-1"),
        StorageRule("out-head", "egress", "head", "-1"),
        StorageRule("in-compute", "ingress", "compute", "-1"),
        StorageRule("out-compute", "egress", "compute", "-1"),
    ]


def test_login_groups_may_only_open_the_file_system_ports() -> None:
    login = [r for r in plan_storage_rules("efs", ["head"], ["login-a"]) if r.peer == "login-a"]
    assert login == [
        StorageRule("in-login-a-tcp-2049", "ingress", "login-a", "tcp", 2049, 2049),
        StorageRule("out-login-a", "egress", "login-a", "-1"),
    ]
    lustre = [
        (r.protocol, r.from_port, r.to_port)
        for r in plan_storage_rules("lustre", [], ["l"])
        if r.direction == "ingress" and r.peer == "l"
    ]
    assert lustre == [("tcp", 988, 988)]
    zfs = {
        (r.protocol, r.from_port, r.to_port)
        for r in plan_storage_rules("openzfs", [], ["l"])
        if r.direction == "ingress" and r.peer == "l"
    }
    assert zfs == {(p, a, b) for p in ("tcp", "udp") for a, b in ((111, 111), (2049, 2049), (20001, 20003))}
    ontap = {
        r.from_port
        for r in plan_storage_rules("ontap", [], ["l"])
        if r.direction == "ingress" and r.peer == "l"
    }
    assert ontap == {111, 635, 2049, 4046}


def test_a_login_group_that_also_has_full_access_keeps_full_access() -> None:
    rules = plan_storage_rules("efs", ["shared"], ["shared"])
    assert [r.key for r in rules if r.peer == "shared"] == ["in-shared", "out-shared"]


def test_rules_reference_the_node_group_ids(build: Build) -> None:
    spec = make_spec([{"MountDir": "/efs", "Name": "e", "StorageType": "Efs", "EfsSettings": {}}])
    run = build(lambda: SharedStorage("st", spec, network=network(login=True)).resolved)
    ingress = {r.name: r.inputs for r in run.of_type(INGRESS)}
    egress = {r.name: r.inputs for r in run.of_type(EGRESS)}
    assert ingress["st-e-sg-in-head"] == {
        "securityGroupId": "st-e-sg-group-id",
        "ipProtocol": "-1",
        "referencedSecurityGroupId": "sg-head",
        "description": "-1 ingress head",
    }
    assert ingress["st-e-sg-in-self"]["referencedSecurityGroupId"] == "st-e-sg-group-id"
    assert ingress["st-e-sg-in-sg-0123456789abcdef1"]["referencedSecurityGroupId"] == "sg-0123456789abcdef1"
    login = ingress["st-e-sg-in-login-pool1-tcp-2049"]
    assert (login["ipProtocol"], login["fromPort"], login["toPort"], login["referencedSecurityGroupId"]) == (
        "tcp",
        2049,
        2049,
        "sg-login",
    )
    assert egress["st-e-sg-out-login-pool1"]["ipProtocol"] == "-1"
    assert set(egress) == {
        "st-e-sg-out-self",
        "st-e-sg-out-head",
        "st-e-sg-out-compute",
        "st-e-sg-out-sg-0123456789abcdef1",
        "st-e-sg-out-login-pool1",
    }


def test_existing_file_systems_get_no_group(build: Build) -> None:
    spec = make_spec(
        [
            {
                "MountDir": "/efs",
                "Name": "e",
                "StorageType": "Efs",
                "EfsSettings": {"FileSystemId": "fs-0123456789abcdef0"},
            },
            {
                "MountDir": "/l",
                "Name": "l",
                "StorageType": "FsxLustre",
                "FsxLustreSettings": {"FileSystemId": "fs-0123456789abcdef1"},
            },
        ]
    )
    run = build(lambda: SharedStorage("st", spec, network=network()).resolved)
    assert run.of_type("aws:ec2/securityGroup:SecurityGroup") == []
