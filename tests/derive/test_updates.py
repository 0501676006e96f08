"""Update classification: every change of a config diff is costed as ParallelCluster would.

Each case edits a realistic deployed config and names the parameter that changes and the
impact the reference (``../shared/reference/pcluster-cli-and-updates.md``, update policy
table) gives it: SUPPORTED keys are live; QUEUE_UPDATE_STRATEGY keys need the fleet stopped
unless QueueUpdateStrategy is DRAIN/TERMINATE; resizing grows live and shrinks only with
TERMINATE; external storage mounts live; login pools must be at Count 0; UNSUPPORTED keys
would replace resources.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from pcluster_pulumi.derive.updates import Impact, UpdatePlan, config_data, plan_update
from pcluster_pulumi.spec.loader import validate_text

DEPLOYED = """\
Region: us-east-1
Image:
  Os: alinux2023
HeadNode:
  InstanceType: c5.xlarge
  Networking:
    SubnetId: subnet-0a1b2c3d4e5f60001
  Ssh:
    KeyName: my-key
    AllowedIps: 10.0.0.0/16
LoginNodes:
  Pools:
    - Name: login
      InstanceType: c5.large
      Count: 1
      Networking:
        SubnetIds:
          - subnet-0a1b2c3d4e5f60001
Scheduling:
  Scheduler: slurm
  SlurmQueues:
    - Name: q1
      ComputeResources:
        - Name: cr1
          InstanceType: c5.xlarge
          MinCount: 1
          MaxCount: 4
        - Name: cr2
          Instances:
            - InstanceType: c5.2xlarge
            - InstanceType: c5a.2xlarge
          MaxCount: 8
      Networking:
        SubnetIds:
          - subnet-0a1b2c3d4e5f60001
    - Name: q2
      ComputeResources:
        - Name: hpc
          InstanceType: c5n.18xlarge
          MaxCount: 16
          Efa:
            Enabled: true
      Networking:
        SubnetIds:
          - subnet-0a1b2c3d4e5f60001
        PlacementGroup:
          Enabled: true
SharedStorage:
  - Name: scratch
    StorageType: FsxLustre
    MountDir: /scratch
    FsxLustreSettings:
      StorageCapacity: 1200
      DeploymentType: SCRATCH_2
  - Name: data
    StorageType: Ebs
    MountDir: /data
    EbsSettings:
      Size: 100
  - Name: apps
    StorageType: Efs
    MountDir: /apps
    EfsSettings:
      FileSystemId: fs-0123456789abcdef0
"""

Edit = Callable[[dict[str, Any]], None]


def deployed() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(DEPLOYED)
    return data


def queue(c: dict[str, Any], name: str) -> dict[str, Any]:
    return next(q for q in c["Scheduling"]["SlurmQueues"] if q["Name"] == name)


def cr(c: dict[str, Any], q: str, name: str) -> dict[str, Any]:
    return next(r for r in queue(c, q)["ComputeResources"] if r["Name"] == name)


def strategy(value: str) -> Edit:
    def edit(c: dict[str, Any]) -> None:
        c["Scheduling"].setdefault("SlurmSettings", {})["QueueUpdateStrategy"] = value

    return edit


def no_login_nodes(c: dict[str, Any]) -> None:
    c["LoginNodes"]["Pools"][0]["Count"] = 0


def no_managed_fsx(c: dict[str, Any]) -> None:
    c["SharedStorage"] = [s for s in c["SharedStorage"] if s["Name"] != "scratch"]


def storage(name: str, kind: str, mount: str, settings: dict[str, Any]) -> Edit:
    def edit(c: dict[str, Any]) -> None:
        c["SharedStorage"].append(
            {"Name": name, "StorageType": kind, "MountDir": mount, f"{kind}Settings": settings}
        )

    return edit


def setting(path: str, value: Any) -> Edit:
    """Set a dotted path; ``q:NAME`` / ``cr:Q/NAME`` / ``pool:0`` / ``storage:NAME`` pick list items."""

    def edit(c: dict[str, Any]) -> None:
        node: Any = c
        parts = path.split(".")
        for part in parts[:-1]:
            if part.startswith("q:"):
                node = queue(c, part[2:])
            elif part.startswith("cr:"):
                q, name = part[3:].split("/")
                node = cr(c, q, name)
            elif part.startswith("pool:"):
                node = c["LoginNodes"]["Pools"][int(part[5:])]
            elif part.startswith("storage:"):
                node = next(s for s in c["SharedStorage"] if s["Name"] == part[8:])
            else:
                node = node.setdefault(part, {})
        node[parts[-1]] = value

    return edit


def edits(*steps: Edit) -> Edit:
    def edit(c: dict[str, Any]) -> None:
        for step in steps:
            step(c)

    return edit


Q1, Q2 = "Scheduling.SlurmQueues[q1]", "Scheduling.SlurmQueues[q2]"
CR1 = f"{Q1}.ComputeResources[cr1]"

# (id, edit applied to the new config only, changed parameter, expected impact)
CASES: list[tuple[str, Edit, str, Impact]] = [
    # SUPPORTED: applied in place
    (
        "ssh-allowed-ips",
        setting("HeadNode.Ssh.AllowedIps", "10.1.0.0/16"),
        "HeadNode.Ssh.AllowedIps",
        Impact.LIVE,
    ),
    (
        "scaling-strategy",
        setting("Scheduling.ScalingStrategy", "best-effort"),
        "Scheduling.ScalingStrategy",
        Impact.LIVE,
    ),
    (
        "ebs-iops",
        setting("storage:data.EbsSettings.Iops", 4000),
        "SharedStorage[data].EbsSettings.Iops",
        Impact.LIVE,
    ),
    (
        "ebs-deletion-policy",
        setting("storage:data.EbsSettings.DeletionPolicy", "Retain"),
        "SharedStorage[data].EbsSettings.DeletionPolicy",
        Impact.LIVE,
    ),
    (
        "log-retention",
        setting("Monitoring.Logs.CloudWatch.RetentionInDays", 30),
        "Monitoring.Logs.CloudWatch.RetentionInDays",
        Impact.LIVE,
    ),
    ("login-count", setting("pool:0.Count", 2), "LoginNodes.Pools[login].Count", Impact.LIVE),
    # UNSUPPORTED: replaces the head node, a file system or the cluster
    (
        "head-instance-type",
        setting("HeadNode.InstanceType", "c5.2xlarge"),
        "HeadNode.InstanceType",
        Impact.UNSUPPORTED,
    ),
    (
        "head-subnet",
        setting("HeadNode.Networking.SubnetId", "subnet-0a1b2c3d4e5f60002"),
        "HeadNode.Networking.SubnetId",
        Impact.UNSUPPORTED,
    ),
    ("os", setting("Image.Os", "ubuntu2404"), "Image.Os", Impact.UNSUPPORTED),
    ("region", setting("Region", "eu-west-1"), "Region", Impact.UNSUPPORTED),
    (
        "ebs-size",
        setting("storage:data.EbsSettings.Size", 200),
        "SharedStorage[data].EbsSettings.Size",
        Impact.UNSUPPORTED,
    ),
    ("cluster-tags", setting("Tags", [{"Key": "team", "Value": "hpc"}]), "Tags[team]", Impact.UNSUPPORTED),
    ("custom-bucket", setting("CustomS3Bucket", "my-bucket"), "CustomS3Bucket", Impact.UNSUPPORTED),
    (
        "logs-enabled",
        setting("Monitoring.Logs.CloudWatch.Enabled", False),
        "Monitoring.Logs.CloudWatch.Enabled",
        Impact.UNSUPPORTED,
    ),
    ("dcv-section", setting("HeadNode.Dcv", {"Enabled": True}), "HeadNode.Dcv", Impact.UNSUPPORTED),
    (
        "on-node-start-inside-ignored-section",
        setting("HeadNode.CustomActions", {"OnNodeStart": {"Script": "s3://b/start.sh"}}),
        "HeadNode.CustomActions.OnNodeStart",
        Impact.UNSUPPORTED,
    ),
    (
        "on-node-updated-inside-ignored-section",
        setting("HeadNode.CustomActions", {"OnNodeUpdated": {"Script": "s3://b/update.sh"}}),
        "HeadNode.CustomActions.OnNodeUpdated",
        Impact.LIVE,
    ),
    # COMPUTE_FLEET_STOP
    (
        "scaledown-idletime",
        setting("Scheduling.SlurmSettings.ScaledownIdletime", 20),
        "Scheduling.SlurmSettings.ScaledownIdletime",
        Impact.FLEET_STOP,
    ),
    (
        "cr-instance-type",
        setting("cr:q1/cr1.InstanceType", "c6i.xlarge"),
        f"{CR1}.InstanceType",
        Impact.FLEET_STOP,
    ),
    (
        "cr-instance-type-even-with-drain",
        edits(strategy("DRAIN"), setting("cr:q1/cr1.InstanceType", "c6i.xlarge")),
        f"{CR1}.InstanceType",
        Impact.FLEET_STOP,
    ),
    (
        "detailed-monitoring",
        setting("Monitoring.DetailedMonitoring", True),
        "Monitoring.DetailedMonitoring",
        Impact.FLEET_STOP,
    ),
    (
        "database-section",
        setting(
            "Scheduling.SlurmSettings.Database",
            {
                "Uri": "db.example.com:3306",
                "UserName": "slurm",
                "PasswordSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf",
            },
        ),
        "Scheduling.SlurmSettings.Database",
        Impact.FLEET_STOP,
    ),
    # RESIZE_UPDATE_STRATEGY_ON_REMOVE: grow live, shrink with TERMINATE or a stopped fleet
    ("max-count-grows", setting("cr:q1/cr1.MaxCount", 10), f"{CR1}.MaxCount", Impact.LIVE),
    ("max-count-shrinks", setting("cr:q1/cr1.MaxCount", 2), f"{CR1}.MaxCount", Impact.FLEET_STOP),
    (
        "max-count-shrinks-terminate",
        edits(strategy("TERMINATE"), setting("cr:q1/cr1.MaxCount", 2)),
        f"{CR1}.MaxCount",
        Impact.QUEUE_STRATEGY,
    ),
    (
        "max-count-shrinks-drain-is-not-enough",
        edits(strategy("DRAIN"), setting("cr:q1/cr1.MaxCount", 2)),
        f"{CR1}.MaxCount",
        Impact.FLEET_STOP,
    ),
    (
        "min-count-grows-with-max",
        edits(setting("cr:q1/cr1.MinCount", 2), setting("cr:q1/cr1.MaxCount", 5)),
        f"{CR1}.MinCount",
        Impact.LIVE,
    ),
    ("min-count-grows-alone", setting("cr:q1/cr1.MinCount", 2), f"{CR1}.MinCount", Impact.FLEET_STOP),
    ("min-count-shrinks", setting("cr:q1/cr1.MinCount", 0), f"{CR1}.MinCount", Impact.FLEET_STOP),
    (
        "add-queue",
        lambda c: c["Scheduling"]["SlurmQueues"].append(
            {
                "Name": "q3",
                "ComputeResources": [{"Name": "small", "InstanceType": "t3.micro"}],
                "Networking": {"SubnetIds": ["subnet-0a1b2c3d4e5f60001"]},
            }
        ),
        "Scheduling.SlurmQueues[q3]",
        Impact.LIVE,
    ),
    (
        "remove-queue",
        lambda c: c["Scheduling"]["SlurmQueues"].pop(),
        "Scheduling.SlurmQueues[q2]",
        Impact.FLEET_STOP,
    ),
    (
        "remove-queue-terminate",
        edits(strategy("TERMINATE"), lambda c: c["Scheduling"]["SlurmQueues"].pop()),
        "Scheduling.SlurmQueues[q2]",
        Impact.QUEUE_STRATEGY,
    ),
    (
        "add-compute-resource",
        lambda c: queue(c, "q1")["ComputeResources"].append({"Name": "cr3", "InstanceType": "m5.large"}),
        f"{Q1}.ComputeResources[cr3]",
        Impact.LIVE,
    ),
    # COMPUTE_FLEET_STOP_ON_REMOVE: Instances of a flexible compute resource
    (
        "add-instance-type",
        lambda c: cr(c, "q1", "cr2")["Instances"].append({"InstanceType": "m5.2xlarge"}),
        f"{Q1}.ComputeResources[cr2].Instances[m5.2xlarge]",
        Impact.LIVE,
    ),
    (
        "remove-instance-type",
        lambda c: cr(c, "q1", "cr2")["Instances"].pop(),
        f"{Q1}.ComputeResources[cr2].Instances[c5a.2xlarge]",
        Impact.FLEET_STOP,
    ),
    # QUEUE_UPDATE_STRATEGY
    ("capacity-type", setting("q:q1.CapacityType", "SPOT"), f"{Q1}.CapacityType", Impact.FLEET_STOP),
    (
        "capacity-type-drain",
        edits(strategy("DRAIN"), setting("q:q1.CapacityType", "SPOT")),
        f"{Q1}.CapacityType",
        Impact.QUEUE_STRATEGY,
    ),
    (
        "root-volume-drain",
        edits(
            strategy("DRAIN"),
            setting("q:q1.ComputeSettings", {"LocalStorage": {"RootVolume": {"Size": 100}}}),
        ),
        f"{Q1}.ComputeSettings.LocalStorage.RootVolume.Size",
        Impact.QUEUE_STRATEGY,
    ),
    (
        "queue-tags",
        setting("q:q1.Tags", [{"Key": "project", "Value": "x"}]),
        f"{Q1}.Tags[project]",
        Impact.FLEET_STOP,
    ),
    # MANAGED_FSX: queue subnets
    (
        "subnets-with-managed-fsx",
        setting("q:q1.Networking.SubnetIds", ["subnet-0a1b2c3d4e5f60002"]),
        f"{Q1}.Networking.SubnetIds",
        Impact.UNSUPPORTED,
    ),
    (
        "subnets-added-without-fsx",
        edits(
            no_managed_fsx,
            setting("q:q1.Networking.SubnetIds", ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"]),
        ),
        f"{Q1}.Networking.SubnetIds",
        Impact.LIVE,
    ),
    (
        "subnets-replaced-without-fsx-drain",
        edits(
            no_managed_fsx,
            strategy("DRAIN"),
            setting("q:q1.Networking.SubnetIds", ["subnet-0a1b2c3d4e5f60002"]),
        ),
        f"{Q1}.Networking.SubnetIds",
        Impact.QUEUE_STRATEGY,
    ),
    # MANAGED_PLACEMENT_GROUP
    (
        "delete-managed-placement-group",
        edits(strategy("DRAIN"), setting("q:q2.Networking.PlacementGroup", {"Enabled": False})),
        f"{Q2}.Networking.PlacementGroup.Enabled",
        Impact.FLEET_STOP,
    ),
    (
        "add-managed-placement-group-drain",
        edits(strategy("DRAIN"), setting("q:q1.Networking.PlacementGroup", {"Enabled": True})),
        f"{Q1}.Networking.PlacementGroup",
        Impact.QUEUE_STRATEGY,
    ),
    # SHARED_STORAGE_UPDATE_POLICY
    (
        "mount-external-efs",
        storage("more", "Efs", "/more", {"FileSystemId": "fs-0123456789abcdef1"}),
        "SharedStorage[more]",
        Impact.LIVE,
    ),
    (
        "unmount-external-efs",
        lambda c: c["SharedStorage"].pop(),
        "SharedStorage[apps]",
        Impact.LIVE,
    ),
    (
        "add-managed-ebs-with-login-nodes",
        storage("vol2", "Ebs", "/vol2", {"Size": 50}),
        "SharedStorage[vol2]",
        Impact.FLEET_AND_LOGIN_STOP,
    ),
    (
        "add-managed-ebs-drain-no-login-nodes",
        edits(strategy("DRAIN"), storage("vol2", "Ebs", "/vol2", {"Size": 50})),
        "SharedStorage[vol2]",
        Impact.QUEUE_STRATEGY,
    ),
    (
        "remove-managed-ebs",
        lambda c: c["SharedStorage"].pop(1),
        "SharedStorage[data]",
        Impact.FLEET_AND_LOGIN_STOP,
    ),
    (
        "remove-managed-ebs-drain-still-needs-stop",
        edits(strategy("DRAIN"), lambda c: c["SharedStorage"].pop(1)),
        "SharedStorage[data]",
        Impact.FLEET_STOP,
    ),
    (
        "move-mount-dir",
        setting("storage:data.MountDir", "/data2"),
        "SharedStorage[data].MountDir",
        Impact.FLEET_AND_LOGIN_STOP,
    ),
    (
        "home-storage",
        storage("home", "Efs", "/home", {"FileSystemId": "fs-0123456789abcdef1"}),
        "SharedStorage[home]",
        Impact.UNSUPPORTED,
    ),
    # Login nodes
    (
        "login-instance-type",
        setting("pool:0.InstanceType", "c5.xlarge"),
        "LoginNodes.Pools[login].InstanceType",
        Impact.LOGIN_NODES_STOP,
    ),
    (
        "add-login-pool",
        lambda c: c["LoginNodes"]["Pools"].append(
            {
                "Name": "login2",
                "InstanceType": "c5.large",
                "Count": 1,
                "Networking": {"SubnetIds": ["subnet-0a1b2c3d4e5f60001"]},
            }
        ),
        "LoginNodes.Pools[login2]",
        Impact.LIVE,
    ),
    ("remove-login-pool", lambda c: c.pop("LoginNodes"), "LoginNodes", Impact.LOGIN_NODES_STOP),
    (
        "directory-service-with-login-nodes",
        setting(
            "DirectoryService",
            {
                "DomainName": "corp.example.com",
                "DomainAddr": "ldaps://corp.example.com",
                "PasswordSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:ad-AbCdEf",
                "DomainReadOnlyUser": "cn=ReadOnly,ou=Users,dc=corp,dc=example,dc=com",
            },
        ),
        "DirectoryService",
        Impact.FLEET_AND_LOGIN_STOP,
    ),
]

# Cases whose deployed config differs from DEPLOYED (the change is made on top of it).
DEPLOYED_EDITS: dict[str, Edit] = {
    "add-managed-ebs-drain-no-login-nodes": no_login_nodes,
    "remove-managed-ebs-drain-still-needs-stop": no_login_nodes,
    "subnets-added-without-fsx": no_managed_fsx,
    "subnets-replaced-without-fsx-drain": no_managed_fsx,
}


def test_the_deployed_config_is_valid() -> None:
    assert not validate_text(DEPLOYED).failed()


def test_there_are_at_least_thirty_cases() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize(("edit", "parameter", "impact"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_change_is_classified_as_the_reference_says(
    edit: Edit, parameter: str, impact: Impact, request: pytest.FixtureRequest
) -> None:
    old = deployed()
    case = request.node.callspec.id
    if case in DEPLOYED_EDITS:
        DEPLOYED_EDITS[case](old)
    new = copy.deepcopy(old)
    edit(new)
    plan = plan_update(old, new)
    found = {c.parameter: c for c in plan.changes}
    assert parameter in found, f"{parameter} not among {sorted(found)}"
    assert found[parameter].impact is impact, found[parameter].reason


def plan_of(edit: Edit) -> UpdatePlan:
    new = deployed()
    edit(new)
    return plan_update(deployed(), new)


def test_identical_configs_have_no_changes() -> None:
    assert plan_update(DEPLOYED, DEPLOYED).changes == ()
    assert plan_update(DEPLOYED, DEPLOYED).impact is Impact.LIVE


def test_spelling_out_a_default_is_not_a_change() -> None:
    plan = plan_of(setting("Scheduling.SlurmSettings.ScaledownIdletime", 10))
    assert plan.changes == ()


def test_reordering_queues_is_not_a_change() -> None:
    plan = plan_of(lambda c: c["Scheduling"]["SlurmQueues"].reverse())
    assert plan.changes == ()


def test_queue_update_strategy_itself_is_not_shown() -> None:
    plan = plan_of(strategy("DRAIN"))
    assert plan.changes == ()
    assert plan.queue_update_strategy == "DRAIN"


def test_a_list_item_added_is_one_change_not_one_per_key() -> None:
    plan = plan_of(storage("more", "Efs", "/more", {"FileSystemId": "fs-0123456789abcdef1"}))
    assert [c.parameter for c in plan.changes] == ["SharedStorage[more]"]
    assert plan.changes[0].kind == "added"
    assert plan.changes[0].policy == "SHARED_STORAGE_UPDATE_POLICY"


def test_removed_item_keeps_its_old_value() -> None:
    plan = plan_of(lambda c: c["SharedStorage"].pop())
    (change,) = plan.changes
    assert change.kind == "removed"
    assert change.old["Name"] == "apps"
    assert change.new is None


def test_whole_plan_impact_combines_fleet_and_login_demands() -> None:
    plan = plan_of(
        edits(setting("pool:0.InstanceType", "c5.xlarge"), setting("cr:q1/cr1.InstanceType", "c6i.large"))
    )
    assert plan.impact is Impact.FLEET_AND_LOGIN_STOP
    assert plan.counts() == {Impact.LOGIN_NODES_STOP: 1, Impact.FLEET_STOP: 1}


def test_fleet_stop_changes_block_only_while_the_fleet_runs() -> None:
    plan = plan_of(setting("Scheduling.SlurmSettings.ScaledownIdletime", 20))
    assert [c.parameter for c in plan.blocking(fleet_stopped=False)] == [
        "Scheduling.SlurmSettings.ScaledownIdletime"
    ]
    assert plan.blocking(fleet_stopped=True) == []


def test_unsupported_and_login_changes_block_even_with_a_stopped_fleet() -> None:
    plan = plan_of(
        edits(setting("HeadNode.InstanceType", "c5.2xlarge"), setting("pool:0.InstanceType", "c5.xlarge"))
    )
    assert len(plan.blocking(fleet_stopped=True)) == 2


def test_live_and_strategy_changes_never_block() -> None:
    plan = plan_of(
        edits(strategy("DRAIN"), setting("q:q1.CapacityType", "SPOT"), setting("cr:q1/cr1.MaxCount", 9))
    )
    assert plan.blocking(fleet_stopped=False) == []


def test_awsbatch_max_vcpus_is_live_and_storage_is_unsupported() -> None:
    batch = {
        "Image": {"Os": "alinux2"},
        "HeadNode": {"InstanceType": "t3.large", "Networking": {"SubnetId": "subnet-0a1b2c3d4e5f60001"}},
        "Scheduling": {
            "Scheduler": "awsbatch",
            "AwsBatchQueues": [
                {
                    "Name": "q",
                    "ComputeResources": [{"Name": "ce", "InstanceTypes": ["optimal"], "MaxvCpus": 10}],
                    "Networking": {"SubnetIds": ["subnet-0a1b2c3d4e5f60001"]},
                }
            ],
        },
    }
    new = copy.deepcopy(batch)
    new["Scheduling"]["AwsBatchQueues"][0]["ComputeResources"][0]["MaxvCpus"] = 20
    new["SharedStorage"] = [
        {
            "Name": "e",
            "StorageType": "Efs",
            "MountDir": "/e",
            "EfsSettings": {"FileSystemId": "fs-0123456789abcdef1"},
        }
    ]
    found = {c.parameter: c.impact for c in plan_update(batch, new).changes}
    assert found["Scheduling.AwsBatchQueues[q].ComputeResources[ce].MaxvCpus"] is Impact.LIVE
    assert found["SharedStorage[e]"] is Impact.UNSUPPORTED


def test_stored_yaml_text_and_spec_objects_diff_alike() -> None:
    from pcluster_pulumi.spec.loader import load_spec

    spec = load_spec(DEPLOYED)
    assert config_data(spec) == config_data(DEPLOYED)


def test_changes_serialize_for_json_output() -> None:
    (change,) = plan_of(setting("cr:q1/cr1.MaxCount", 2)).changes
    assert change.as_dict() == {
        "parameter": f"{CR1}.MaxCount",
        "kind": "changed",
        "old": 4,
        "new": 2,
        "updatePolicy": "RESIZE_UPDATE_STRATEGY_ON_REMOVE",
        "impact": "FLEET_STOP",
        "reason": change.reason,
    }


def test_update_table_shows_list_keys_and_values_literally() -> None:
    import io

    from rich.console import Console

    from pcluster_pulumi.cli.reports import plan_summary, update_table

    plan = plan_of(
        edits(
            setting("cr:q1/cr1.MaxCount", 2),
            setting("q:q1.Networking.SubnetIds", ["subnet-0a1b2c3d4e5f60009"]),
        )
    )
    out = io.StringIO()
    Console(file=out, width=250, color_system=None).print(update_table(plan))  # markup on, as by default
    text = out.getvalue()
    assert f"{CR1}.MaxCount" in text  # [q1] and [cr1] are not eaten as markup
    assert '["subnet-0a1b2c3d4e5f60001"] → ["subnet-0a1b2c3d4e5f60009"]' in text
    rows = [line for line in text.splitlines() if "│" in line]
    assert "replaces (unsupported)" in rows[0]  # the most disruptive change comes first
    assert plan_summary(plan) == "2 changes to the config: 1 compute fleet stopped, 1 replaces (unsupported)."
