"""Security groups: managed groups and rules as ParallelCluster lays them out, user groups untouched."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pcluster_pulumi.cluster.network import ALL_TRAFFIC, NFS_PORT, SLURM_PORTS, plan_security_groups
from pcluster_pulumi.spec.loader import load_spec

from .conftest import MINIMAL, named, of_type

LOGIN = (
    MINIMAL
    + """\
LoginNodes:
  Pools:
    - Name: users
      InstanceType: t3.medium
      Count: 1
      Networking:
        SubnetIds:
          - subnet-0ccccccccccccccc2
"""
)


def rules_of(text: str, group: str) -> dict[str, tuple[str, str, str, int | None, int | None]]:
    plan = plan_security_groups(load_spec(text))
    return {
        r.key: (r.protocol, r.source.kind, r.source.value, r.from_port, r.to_port)
        for r in plan.rules
        if r.group == group
    }


def test_head_group_admits_ssh_from_allowed_ips_and_everything_from_compute() -> None:
    text = MINIMAL.replace("    KeyName: my-key", "    KeyName: my-key\n    AllowedIps: 203.0.113.0/24")
    assert rules_of(text, "head") == {
        "ssh": ("tcp", "cidr", "203.0.113.0/24", 22, 22),
        "from-compute": (ALL_TRAFFIC, "group", "compute", None, None),
    }


def test_compute_group_admits_itself_and_the_head_node() -> None:
    assert rules_of(MINIMAL, "compute") == {
        "from-compute": (ALL_TRAFFIC, "group", "compute", None, None),
        "from-head": (ALL_TRAFFIC, "group", "head", None, None),
    }


def test_dcv_port_is_opened_only_from_dcv_allowed_ips() -> None:
    text = MINIMAL.replace(
        "  Ssh:\n", "  Dcv:\n    Enabled: true\n    Port: 8444\n    AllowedIps: 198.51.100.0/24\n  Ssh:\n"
    )
    assert rules_of(text, "head")["dcv"] == ("tcp", "cidr", "198.51.100.0/24", 8444, 8444)


def test_prefix_list_allowed_ips_become_prefix_list_sources() -> None:
    text = MINIMAL.replace("    KeyName: my-key", "    KeyName: my-key\n    AllowedIps: pl-0123456789abcdef0")
    assert rules_of(text, "head")["ssh"][1:3] == ("prefix_list", "pl-0123456789abcdef0")


def test_user_security_groups_replace_the_managed_ones_and_are_never_modified() -> None:
    text = MINIMAL.replace(
        "    SubnetId: subnet-0aaaaaaaaaaaaaaa0",
        "    SubnetId: subnet-0aaaaaaaaaaaaaaa0\n    SecurityGroups:\n      - sg-0123456789abcdef0",
    )
    plan = plan_security_groups(load_spec(text))
    assert plan.groups == ("compute",)
    assert plan.head_groups == ("sg-0123456789abcdef0",)
    assert {r.group for r in plan.rules} == {"compute"}
    assert ("from-sg-0123456789abcdef0", "sg-0123456789abcdef0") in {
        (r.key, r.source.value) for r in plan.rules
    }


def test_login_pools_get_a_group_with_ssh_and_reach_slurm_and_nfs_on_the_head_node() -> None:
    head = rules_of(LOGIN, "head")
    assert head["from-login-users-slurm"] == ("tcp", "group", "login-users", *SLURM_PORTS)
    assert head["from-login-users-nfs"] == ("tcp", "group", "login-users", NFS_PORT, NFS_PORT)
    login = rules_of(LOGIN, "login-users")
    assert login["ssh"] == ("tcp", "cidr", "0.0.0.0/0", 22, 22)
    assert set(login) == {"ssh", "from-head", "from-compute"}
    assert rules_of(LOGIN, "compute")["from-login-users"][0] == ALL_TRAFFIC


def test_every_managed_group_gets_an_explicit_allow_all_egress_rule(minimal) -> None:  # type: ignore[no-untyped-def]
    egress = of_type(minimal, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
    assert sorted(r.name for r in egress) == ["demo-network-compute-egress", "demo-network-head-egress"]
    assert {r.inputs["cidrIpv4"] for r in egress} == {"0.0.0.0/0"}


def test_rules_reference_group_ids_and_ports_are_only_set_for_tcp(minimal) -> None:  # type: ignore[no-untyped-def]
    from_head = named(minimal, "demo-network-compute-from-head").inputs
    assert from_head == {
        "description": "All traffic from the head node",
        "ipProtocol": "-1",
        "referencedSecurityGroupId": "demo-network-head-id",
        "securityGroupId": "demo-network-compute-id",
    }
    ssh = named(minimal, "demo-network-head-ssh").inputs
    assert (ssh["fromPort"], ssh["toPort"], ssh["cidrIpv4"]) == (22, 22, "0.0.0.0/0")


def test_head_interface_is_created_before_the_instance_in_the_head_subnet(minimal) -> None:  # type: ignore[no-untyped-def]
    eni = named(minimal, "demo-network-head-eni").inputs
    assert eni["subnetId"] == "subnet-0aaaaaaaaaaaaaaa0"
    assert eni["securityGroups"] == ["demo-network-head-id"]
    assert eni["sourceDestCheck"] is False
    instance = named(minimal, "demo-head-node-instance").inputs
    assert instance["primaryNetworkInterface"] == {"networkInterfaceId": "demo-network-head-eni-id"}


@settings(max_examples=40, deadline=None)
@given(
    ssh=st.sampled_from(["0.0.0.0/0", "10.0.0.0/8", "pl-0123456789abcdef0"]),
    dcv=st.booleans(),
    pools=st.integers(min_value=0, max_value=3),
)
def test_only_ssh_and_dcv_ever_admit_a_cidr_or_prefix_list(ssh: str, dcv: bool, pools: int) -> None:
    text = MINIMAL.replace("    KeyName: my-key", f"    KeyName: my-key\n    AllowedIps: {ssh}")
    if dcv:
        text = text.replace("  Ssh:\n", "  Dcv:\n    Enabled: true\n  Ssh:\n")
    if pools:
        text += "LoginNodes:\n  Pools:\n"
        for i in range(pools):
            text += (
                f"    - Name: p{i}\n      InstanceType: t3.medium\n      Count: 1\n"
                "      Networking:\n        SubnetIds:\n          - subnet-0ccccccccccccccc2\n"
            )
    plan = plan_security_groups(load_spec(text))
    for rule in plan.rules:
        if rule.source.kind != "group":
            assert rule.key in ("ssh", "dcv"), rule
            assert rule.protocol == "tcp" and rule.from_port == rule.to_port
        else:
            assert rule.source.value in plan.groups or rule.source.value.startswith("sg-")
