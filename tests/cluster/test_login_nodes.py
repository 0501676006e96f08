"""Login node pools: one Auto Scaling group and one SSH load balancer per pool, as recorded inputs.

Every valid corpus config with ``LoginNodes`` is planned; the specs below add what the corpus
lacks (DCV on a pool, a public subnet, a grace period, scripts).
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import yaml

from pcluster_pulumi.cluster import facts
from pcluster_pulumi.cluster.cluster import UnsupportedSpecError
from pcluster_pulumi.contract.access import LAUNCH_HOOK, TERMINATE_HOOK
from pcluster_pulumi.derive.updates import Impact, plan_update
from pcluster_pulumi.engines.offline.facts import FactsFileError, OfflineFacts, load_facts_file
from pcluster_pulumi.engines.offline.plan import Plan, default_cluster_name, plan

from .conftest import CORPUS, EXAMPLES, cached_plan, named, of_type, policy
from .test_corpus import SLURM

WITH_LOGIN = [f for f in SLURM if "LoginNodes" in (CORPUS / f).read_text()]
HEAD_SUBNET = "subnet-0aaaaaaaaaaaaaaa0"
POOL_SUBNET = "subnet-0ccccccccccccccc2"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"


def spec(**pool: Any) -> str:
    """A cluster with one login pool ``users`` (keys of the pool overridden by ``pool``)."""
    entry = {
        "Name": "users",
        "InstanceType": "t3.medium",
        "Count": 2,
        "Networking": {"SubnetIds": [POOL_SUBNET]},
        **pool,
    }
    data = {
        "Image": {"Os": "alinux2023"},
        "HeadNode": {
            "InstanceType": "t3.medium",
            "Networking": {"SubnetId": HEAD_SUBNET},
            "Ssh": {"KeyName": "my-key", "AllowedIps": "192.0.2.0/24"},
        },
        "Scheduling": {
            "Scheduler": "slurm",
            "SlurmQueues": [
                {
                    "Name": "q1",
                    "ComputeResources": [{"Name": "c5", "InstanceType": "c5.xlarge", "MaxCount": 4}],
                    "Networking": {"SubnetIds": ["subnet-0bbbbbbbbbbbbbbb1"]},
                }
            ],
        },
        "LoginNodes": {"Pools": [entry]},
    }
    return yaml.safe_dump(data, sort_keys=False)


def pools_of(path_or_text: Any) -> list[dict[str, Any]]:
    text = path_or_text.read_text() if hasattr(path_or_text, "read_text") else path_or_text
    return list(yaml.safe_load(text)["LoginNodes"]["Pools"])


def corpus_plan(file: str) -> Plan:
    path = CORPUS / file
    return cached_plan(path, default_cluster_name(path))


def test_the_corpus_has_configs_with_login_pools() -> None:
    assert len(WITH_LOGIN) >= 3


@pytest.mark.parametrize("file", WITH_LOGIN)
def test_every_corpus_pool_gets_one_group_load_balancer_target_group_and_listener(file: str) -> None:
    result = corpus_plan(file)
    pools = pools_of(CORPUS / file)
    for kind in (
        "aws:autoscaling/group:Group",
        "aws:lb/loadBalancer:LoadBalancer",
        "aws:lb/targetGroup:TargetGroup",
        "aws:lb/listener:Listener",
        "aws:ec2/launchTemplate:LaunchTemplate",
    ):
        found = [r for r in of_type(result, kind) if "pcluster:login_nodes:LoginPool$" in r.urn]
        assert len(found) == len(pools), (kind, [r.name for r in found])
    groups = {r.inputs["name"]: r.inputs for r in of_type(result, "aws:autoscaling/group:Group")}
    for pool in pools:
        group = groups[f"{result.cluster}-{pool['Name']}"]
        count = pool.get("Count", 1)
        assert group["minSize"] == group["maxSize"] == group["desiredCapacity"] == count
        assert group["vpcZoneIdentifiers"] == pool["Networking"]["SubnetIds"]
    assert set(result.outputs["loginPools"]) == {p["Name"] for p in pools}
    assert not [w for w in result.warnings if "LoginNodes" in w or "DirectoryService" in w]


def test_hooks_hold_new_nodes_for_the_bootstrap_and_old_ones_for_the_grace_period() -> None:
    result = plan(spec(GracetimePeriod=7), "demo")
    group = named(result, "demo-login-users-asg").inputs
    hooks = {h["name"]: h for h in group["initialLifecycleHooks"]}
    assert hooks[LAUNCH_HOOK]["lifecycleTransition"] == "autoscaling:EC2_INSTANCE_LAUNCHING"
    assert hooks[LAUNCH_HOOK]["heartbeatTimeout"] == 600
    assert hooks[LAUNCH_HOOK]["defaultResult"] == "ABANDON"
    assert hooks[TERMINATE_HOOK]["lifecycleTransition"] == "autoscaling:EC2_INSTANCE_TERMINATING"
    assert hooks[TERMINATE_HOOK]["heartbeatTimeout"] == 7 * 60
    assert group["desiredCapacity"] == 2
    lt = named(result, "demo-login-users-lt")
    assert group["launchTemplate"]["id"] == f"{lt.name}-id"
    # The mocks give every created resource ``arn:aws:<service>:<region>:<account>:<logical name>``.
    assert group["targetGroupArns"] == ["arn:aws:lb:us-east-1:123456789012:demo-login-users-tg"]
    assert group["waitForCapacityTimeout"] == "0"


def test_the_listener_forwards_tcp_22_to_instances_checked_on_22() -> None:
    result = plan(spec(), "demo")
    listener = named(result, "demo-login-users-ssh").inputs
    assert (listener["port"], listener["protocol"]) == (22, "TCP")
    assert listener["defaultActions"][0]["type"] == "forward"
    target = named(result, "demo-login-users-tg").inputs
    assert (target["port"], target["protocol"], target["targetType"]) == (22, "TCP", "instance")
    assert target["healthCheck"]["protocol"] == "TCP" and target["healthCheck"]["port"] == "22"
    assert len(target["name"]) <= 32
    balancer = named(result, "demo-login-users-nlb").inputs
    assert balancer["loadBalancerType"] == "network"
    assert balancer["subnets"] == [POOL_SUBNET]


def test_the_load_balancer_is_internet_facing_only_when_the_pool_subnet_routes_to_an_igw() -> None:
    private = plan(spec(), "demo")
    assert named(private, "demo-login-users-nlb").inputs["internal"] is True
    assert private.outputs["loginPools"]["users"].startswith("internal-")
    # The head node's subnet being public changes nothing: only the pool's subnet counts.
    head_public = plan(spec(), "demo", OfflineFacts(subnets={HEAD_SUBNET: {"internet_gateway": True}}))
    assert named(head_public, "demo-login-users-nlb").inputs["internal"] is True
    public = plan(spec(), "demo", OfflineFacts(subnets={POOL_SUBNET: {"internet_gateway": True}}))
    assert named(public, "demo-login-users-nlb").inputs["internal"] is False
    assert not public.outputs["loginPools"]["users"].startswith("internal-")


def rules_on(result: Plan, group_name: str, kind: str = INGRESS) -> list[dict[str, Any]]:
    group_id = f"{group_name}-id"
    return [dict(r.inputs) for r in of_type(result, kind) if r.inputs["securityGroupId"] == group_id]


def test_ssh_reaches_the_load_balancer_from_allowed_ips_and_the_nodes_only_from_it() -> None:
    result = plan(spec(Ssh={"AllowedIps": "198.51.100.0/24"}), "demo")
    lb_rules = rules_on(result, "demo-login-users-lb-sg")
    assert [(r["fromPort"], r["toPort"], r.get("cidrIpv4")) for r in lb_rules] == [
        (22, 22, "198.51.100.0/24")
    ]
    egress = rules_on(result, "demo-login-users-lb-sg", EGRESS)
    assert [(r["fromPort"], r["referencedSecurityGroupId"]) for r in egress] == [
        (22, "demo-network-login-users-id")
    ]
    from_lb = [
        r
        for r in rules_on(result, "demo-network-login-users")
        if r.get("referencedSecurityGroupId") == "demo-login-users-lb-sg-id"
    ]
    assert [(r["ipProtocol"], r["fromPort"], r["toPort"]) for r in from_lb] == [("tcp", 22, 22)]
    # Without its own AllowedIps a pool takes the head node's.
    default = plan(spec(), "demo")
    assert [r.get("cidrIpv4") for r in rules_on(default, "demo-login-users-lb-sg")] == ["192.0.2.0/24"]


def dcv_rules(result: Plan) -> list[dict[str, Any]]:
    return [r for r in rules_on(result, "demo-network-login-users") if r.get("description") == "DCV"]


def test_dcv_is_open_only_when_enabled_and_only_from_its_allowed_ips() -> None:
    assert dcv_rules(plan(spec(), "demo")) == []
    assert dcv_rules(plan(spec(Dcv={"Enabled": False, "Port": 8555}), "demo")) == []
    enabled = plan(spec(Dcv={"Enabled": True, "Port": 8555, "AllowedIps": "203.0.113.0/28"}), "demo")
    rules = dcv_rules(enabled)
    assert [(r["fromPort"], r["toPort"], r["cidrIpv4"]) for r in rules] == [(8555, 8555, "203.0.113.0/28")]
    # DCV never goes through the SSH load balancer.
    assert [r["fromPort"] for r in rules_on(enabled, "demo-login-users-lb-sg")] == [22]
    config = json.loads(named(enabled, "demo-runtime-config-object").inputs["content"])
    assert config["access"]["login_pools"][0]["dcv"] == {"port": 8555}


def test_the_launch_template_is_named_for_the_pool_and_locked_down() -> None:
    result = plan(spec(), "demo")
    lt = named(result, "demo-login-users-lt").inputs
    assert lt["name"] == "demo-users"
    assert lt["instanceType"] == "t3.medium"
    assert lt["keyName"] == "my-key"
    assert lt["metadataOptions"]["httpTokens"] == "required"
    assert all(m["ebs"]["encrypted"] == "true" for m in lt["blockDeviceMappings"] if "ebs" in m)
    assert lt["networkInterfaces"][0]["subnetId"] == POOL_SUBNET
    assert lt["networkInterfaces"][0]["securityGroups"] == ["demo-network-login-users-id"]
    instance_tags = lt["tagSpecifications"][0]["tags"]
    assert instance_tags["parallelcluster:node-type"] == "LoginNode"
    assert instance_tags["parallelcluster:login-nodes-pool"] == "users"
    user_data = base64.b64decode(lt["userData"]).decode()
    assert "ROLE=login\\n" in user_data and "POOL=users\\n" in user_data


def test_the_pool_role_completes_only_its_own_hook_and_never_reads_the_directory_password() -> None:
    text = spec(Iam={"AdditionalIamPolicies": [{"Policy": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"}]})
    data = yaml.safe_load(text)
    data["DirectoryService"] = {
        "DomainName": "corp.example.com",
        "DomainAddr": "ldaps://corp.example.com",
        "PasswordSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:ad-AbCdEf",
        "DomainReadOnlyUser": "cn=ro,dc=corp,dc=example,dc=com",
    }
    result = plan(yaml.safe_dump(data), "demo")
    document = policy(named(result, "demo-iam-login-users-policy"))
    hooks = [s for s in document["Statement"] if s["Sid"] == "LifecycleHooks"]
    assert hooks[0]["Resource"] == (
        "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:*:autoScalingGroupName/demo-users"
    )
    assert "secret:ad-AbCdEf" not in json.dumps(document)
    attached = [
        r.inputs["policyArn"] for r in of_type(result, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    ]
    assert "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess" in attached
    assert not [w for w in result.warnings if "DirectoryService" in w]


def test_a_pool_named_like_a_compute_resources_template_is_refused() -> None:
    with pytest.raises(UnsupportedSpecError, match="launch template name 'demo-q1-c5'"):
        plan(spec(Name="q1-c5"), "demo")


def update(old: str, edit: Any) -> Any:
    """The update plan of applying ``edit`` (a function of the YAML data) to a deployed config."""
    new = yaml.safe_load(old)
    edit(new)
    return plan_update(old, yaml.safe_dump(new))


def pool_entry(data: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = data["LoginNodes"]["Pools"][0]
    return entry


DIRECTORY = {
    "DomainName": "corp.example.com",
    "DomainAddr": "ldaps://corp.example.com",
    "PasswordSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:ad-AbCdEf",
    "DomainReadOnlyUser": "cn=ro,dc=corp,dc=example,dc=com",
}


@pytest.mark.parametrize(
    ("what", "edit", "running", "stopped"),
    [
        ("grace period", lambda d: pool_entry(d).update(GracetimePeriod=30), Impact.LIVE, Impact.LIVE),
        ("count", lambda d: pool_entry(d).update(Count=0), Impact.LIVE, Impact.LIVE),
        (
            "ssh allowed ips",
            lambda d: pool_entry(d).update(Ssh={"AllowedIps": "10.9.0.0/16"}),
            Impact.LOGIN_NODES_STOP,
            Impact.LIVE,
        ),
        (
            "instance type",
            lambda d: pool_entry(d).update(InstanceType="t3.large"),
            Impact.LOGIN_NODES_STOP,
            Impact.LIVE,
        ),
        (
            "dcv allowed ips",
            lambda d: pool_entry(d)["Dcv"].update(AllowedIps="10.9.0.0/16"),
            Impact.LIVE,
            Impact.LIVE,
        ),
        (
            "dcv port",
            lambda d: pool_entry(d)["Dcv"].update(Port=8555),
            Impact.UNSUPPORTED,
            Impact.UNSUPPORTED,
        ),
        (
            "directory",
            lambda d: d["DirectoryService"].update(AdditionalSssdConfigs={"debug_level": "0x1ff"}),
            Impact.FLEET_AND_LOGIN_STOP,
            Impact.FLEET_STOP,
        ),
    ],
)
def test_login_and_directory_keys_follow_the_schemas_update_policies(
    what: str, edit: Any, running: Impact, stopped: Impact
) -> None:
    data = yaml.safe_load(spec(Dcv={"Enabled": True, "AllowedIps": "203.0.113.0/28"}))
    data["DirectoryService"] = DIRECTORY
    deployed = yaml.safe_dump(data)
    assert update(deployed, edit).impact == running, what
    pool_entry(data)["Count"] = 0
    assert update(yaml.safe_dump(data), edit).impact == stopped, what


def test_a_change_that_needs_the_pool_stopped_blocks_the_update_even_with_the_fleet_stopped() -> None:
    plan_ = update(spec(), lambda d: pool_entry(d).update(InstanceType="t3.large"))
    blocked = plan_.blocking(fleet_stopped=True)
    assert [c.parameter for c in blocked] == ["LoginNodes.Pools[users].InstanceType"]
    assert "Count: 0" in blocked[0].reason


class RouteTables:
    """``aws.ec2.get_route_tables`` of an account: which filters match which tables."""

    def __init__(self, explicit: dict[str, bool], main_public: bool) -> None:
        self.explicit, self.main_public = explicit, main_public
        self.calls: list[dict[str, Any]] = []

    def __call__(self, *, filters: list[Any], vpc_id: str | None = None, opts: Any = None) -> Any:
        wanted = {f.name: f.values for f in filters}
        self.calls.append({"vpc_id": vpc_id, **wanted})
        igw_only = "route.gateway-id" in wanted
        if "association.subnet-id" in wanted:
            subnet = wanted["association.subnet-id"][0]
            found = subnet in self.explicit and (self.explicit[subnet] or not igw_only)
        else:
            found = self.main_public
        return type("Result", (), {"ids": ["rtb-1"] if found else []})()


@pytest.mark.parametrize(
    ("explicit", "main_public", "expected"),
    [
        ({"subnet-a": True}, False, True),  # its own table routes to an IGW
        ({"subnet-a": False}, True, False),  # its own private table wins over a public main table
        ({}, True, True),  # no table of its own: the VPC's main table decides
        ({}, False, False),
    ],
)
def test_a_subnet_is_public_when_its_route_table_targets_an_internet_gateway(
    monkeypatch: pytest.MonkeyPatch, explicit: dict[str, bool], main_public: bool, expected: bool
) -> None:
    tables = RouteTables(explicit, main_public)
    monkeypatch.setattr(facts.aws.ec2, "get_route_tables", tables)
    assert facts._routes_to_internet_gateway("subnet-a", "vpc-1", None) is expected  # type: ignore[arg-type]
    assert all(c.get("route.gateway-id", ["igw-*"]) == ["igw-*"] for c in tables.calls)
    if not explicit:
        assert tables.calls[-1]["vpc_id"] == "vpc-1" and tables.calls[-1]["association.main"] == ["true"]


def test_the_facts_file_says_which_subnets_route_to_an_internet_gateway(tmp_path: Any) -> None:
    path = tmp_path / "facts.yaml"
    path.write_text(f"subnets:\n  {POOL_SUBNET}:\n    internet_gateway: true\n")
    public = plan(spec(), "demo", load_facts_file(path))
    assert named(public, "demo-login-users-nlb").inputs["internal"] is False
    path.write_text(f"subnets:\n  {POOL_SUBNET}:\n    igw: true\n")
    with pytest.raises(FactsFileError, match="internet_gateway"):
        load_facts_file(path)


def test_a_pool_boots_its_own_ami_or_the_official_one_for_its_architecture() -> None:
    custom = plan(spec(Image={"CustomAmi": "ami-0123456789abcdef0"}), "demo")
    assert named(custom, "demo-login-users-lt").inputs["imageId"] == "ami-0123456789abcdef0"
    arm = plan(spec(InstanceType="c7g.xlarge"), "demo")
    head_ami = named(arm, "demo-head-node-instance").inputs["ami"]
    pool_ami = named(arm, "demo-login-users-lt").inputs["imageId"]
    assert pool_ami != head_ami  # the arm64 build of the official AMI, not the head node's x86_64 one
    x86 = plan(spec(), "demo")
    assert (
        named(x86, "demo-login-users-lt").inputs["imageId"]
        == named(x86, "demo-head-node-instance").inputs["ami"]
    )


def test_the_runtime_configuration_tells_nodes_their_pools_directory_and_dcv() -> None:
    example = EXAMPLES / "slurm-login-nodes.yaml"
    result = cached_plan(example, "slurm-login-nodes")
    config = json.loads(named(result, "slurm-login-nodes-runtime-config-object").inputs["content"])
    access = config["access"]
    assert [(p["name"], p["auto_scaling_group"], p["gracetime_minutes"]) for p in access["login_pools"]] == [
        ("users", "slurm-login-nodes-users", 15),
        ("viz", "slurm-login-nodes-viz", 10),
    ]
    assert "dcv" not in access["login_pools"][0] and access["login_pools"][1]["dcv"] == {"port": 8443}
    directory = access["directory_service"]
    assert directory["password_secret_arn"].startswith("arn:aws:secretsmanager:")
    assert directory["additional_sssd_configs"] == {"ldap_auth_disable_tls_never_use_in_production": False}
    assert "head_dcv" not in access
