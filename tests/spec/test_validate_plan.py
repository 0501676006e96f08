"""The invariant between the two offline commands: a config that `validate` accepts, `plan`
builds. Checked on every valid corpus config and example, on configs ParallelCluster
accepts that once crashed `plan`, and on hypothesis-generated valid variations; every
plan runs in-process under the offline mocks (engines/offline)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pcluster_pulumi.engines.offline.facts import DEFAULT_RESERVATION_TYPE, OfflineFacts
from pcluster_pulumi.engines.offline.plan import Plan, default_cluster_name, plan
from pcluster_pulumi.spec.loader import validate_text
from pcluster_pulumi.spec.reservations import fill_reservation_types, reservation_ids_without_type

from ..plans import cached_plan
from .conftest import CORPUS, REPO, manifest
from .validators.conftest import MINIMAL_SLURM

Config = dict[str, Any]
VALID = [e["file"] for e in manifest() if e["verdict"] == "valid"]
EXAMPLES = sorted(p.name for p in (REPO / "examples").glob("*.yaml"))
CR_ID = "cr-0123456789abcdef0"


def plan_text(text: str, source: str, facts: OfflineFacts | None = None) -> Plan:
    """Validate like `pcluster-pulumi validate`; when it accepts, plan the spec it built."""
    result = validate_text(text, source, cluster_name="prop")
    errors = [p.located(source) for p in result.problems if p.level.name == "ERROR"]
    assert not errors and result.spec is not None, errors
    return plan(result.spec, "prop", facts)


def inputs_of(planned: Plan, type_token: str) -> list[dict[str, Any]]:
    return [r.inputs for r in planned.resources if r.type == type_token]


def runtime_document(planned: Plan) -> dict[str, Any]:
    """The runtime configuration the nodes read, as uploaded to the cluster bucket."""
    [content] = [
        i["content"]
        for i in inputs_of(planned, "aws:s3/bucketObjectv2:BucketObjectv2")
        if str(i.get("key", "")).endswith("/config/node-config.json")
    ]
    document: dict[str, Any] = json.loads(content)
    return document


@pytest.mark.parametrize("file", VALID)
def test_every_valid_corpus_config_is_accepted_by_validate_and_plans(file: str) -> None:
    result = validate_text((CORPUS / file).read_text(), file)
    assert not result.failed() and result.spec is not None
    # The session-wide plan cache of tests/cluster: the same plan tests/cluster/test_corpus.py
    # checks in detail is computed once per run.
    planned = cached_plan(CORPUS / file, default_cluster_name(file))
    assert planned.resources


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_plans(name: str) -> None:
    planned = plan_text((REPO / "examples" / name).read_text(), name)
    assert planned.resources


def _with(mutate: Any) -> str:
    data = copy.deepcopy(MINIMAL_SLURM)
    mutate(data)
    return yaml.safe_dump(data, sort_keys=False)


def _cr(data: Config) -> Config:
    return data["Scheduling"]["SlurmQueues"][0]["ComputeResources"][0]


def test_scaledown_disabled_plans_and_reaches_the_nodes_as_minus_one() -> None:
    text = _with(lambda d: d["Scheduling"].update(SlurmSettings={"ScaledownIdletime": -1}))
    document = runtime_document(plan_text(text, "scaledown.yaml"))
    assert document["scheduler"]["scaledown_idletime_seconds"] == -1


def test_scaledown_in_minutes_reaches_the_nodes_in_seconds() -> None:
    text = _with(lambda d: d["Scheduling"].update(SlurmSettings={"ScaledownIdletime": 7}))
    assert (
        runtime_document(plan_text(text, "scaledown.yaml"))["scheduler"]["scaledown_idletime_seconds"] == 420
    )


def _reservation_only(data: Config) -> None:
    cr = _cr(data)
    del cr["InstanceType"]
    cr["CapacityReservationTarget"] = {"CapacityReservationId": CR_ID}


def test_a_compute_resource_with_only_a_reservation_takes_the_reservations_type() -> None:
    facts = OfflineFacts(capacity_reservations={CR_ID: {"instance_type": "m6i.2xlarge"}})
    planned = plan_text(_with(_reservation_only), "odcr.yaml", facts)
    [template] = inputs_of(planned, "aws:ec2/launchTemplate:LaunchTemplate")
    assert template["instanceType"] == "m6i.2xlarge"
    assert template["capacityReservationSpecification"]["capacityReservationTarget"] == {
        "capacityReservationId": CR_ID
    }


def test_without_facts_the_reservation_gets_the_offline_default_type() -> None:
    planned = plan_text(_with(_reservation_only), "odcr.yaml")
    [template] = inputs_of(planned, "aws:ec2/launchTemplate:LaunchTemplate")
    assert template["instanceType"] == DEFAULT_RESERVATION_TYPE


def test_features_in_compute_resource_settings_plan_and_reach_the_nodes() -> None:
    text = _with(lambda d: _cr(d).update(CustomSlurmSettings={"Features": "fast"}))
    [queue] = runtime_document(plan_text(text, "features.yaml"))["queues"]
    assert queue["compute_resources"][0]["custom_slurm_settings"] == {"Features": "fast"}


# --- hypothesis: valid variations of a Slurm cluster -------------------------------------

TYPES = ["c5.xlarge", "c5.2xlarge", "m6i.large", "g5.xlarge", "hpc7a.96xlarge", "c6gn.16xlarge"]
SUBNETS = [f"subnet-0123456789abcdef{i}" for i in range(4)]
names = st.from_regex(r"[a-z][a-z0-9]{0,8}", fullmatch=True)


@st.composite
def compute_resource(draw: st.DrawFn, name: str) -> Config:
    low = draw(st.integers(0, 2))
    cr: Config = {"Name": name, "MinCount": low, "MaxCount": draw(st.integers(max(low, 1), 12))}
    shape = draw(st.sampled_from(["type", "instances", "reservation"]))
    if shape == "type":
        cr["InstanceType"] = draw(st.sampled_from(TYPES))
    elif shape == "instances":
        cr["Instances"] = [
            {"InstanceType": t} for t in draw(st.sampled_from([["c5.xlarge", "c5a.xlarge"], ["m6i.large"]]))
        ]
    else:
        cr["CapacityReservationTarget"] = {"CapacityReservationId": CR_ID}
    if draw(st.booleans()):
        cr["CustomSlurmSettings"] = {"Features": draw(names), "RealMemory": draw(st.integers(512, 2048))}
    if draw(st.booleans()):
        cr["Tags"] = [{"Key": key, "Value": "v"} for key in draw(st.lists(names, max_size=3, unique=True))]
    return cr


@st.composite
def cluster(draw: st.DrawFn) -> Config:
    data = copy.deepcopy(MINIMAL_SLURM)
    queues = []
    for q in range(draw(st.integers(1, 3))):
        crs = [draw(compute_resource(f"cr{q}{i}")) for i in range(draw(st.integers(1, 2)))]
        flexible = all("Instances" in cr for cr in crs)
        subnets = draw(
            st.lists(st.sampled_from(SUBNETS[1:]), min_size=1, max_size=3 if flexible else 1, unique=True)
        )
        queue: Config = {"Name": f"q{q}", "ComputeResources": crs, "Networking": {"SubnetIds": subnets}}
        if draw(st.booleans()):
            queue["CapacityType"] = "SPOT"
        queues.append(queue)
    data["Scheduling"]["SlurmQueues"] = queues
    data["Scheduling"]["SlurmSettings"] = {"ScaledownIdletime": draw(st.sampled_from([-1, 0, 1, 10, 120]))}
    storage = draw(st.sampled_from(["none", "ebs", "efs", "efs-provisioned"]))
    if storage == "ebs":
        data["SharedStorage"] = [
            {"Name": "data", "MountDir": "/data", "StorageType": "Ebs", "EbsSettings": {"Size": 50}}
        ]
    elif storage.startswith("efs"):
        efs: Config = (
            {"ThroughputMode": "provisioned", "ProvisionedThroughput": 128}
            if "provisioned" in storage
            else {}
        )
        data["SharedStorage"] = [
            {"Name": "efs", "MountDir": "/efs", "StorageType": "Efs", "EfsSettings": efs}
        ]
    if draw(st.booleans()):
        data["HeadNode"]["Dcv"] = {"Enabled": True}
    if draw(st.booleans()):
        pool = {"Name": "login", "InstanceType": "t3.medium", "Count": draw(st.integers(0, 3))}
        data["LoginNodes"] = {"Pools": [{**pool, "Networking": {"SubnetIds": [SUBNETS[0]]}}]}
    return data


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(cluster())
def test_validate_implies_plan_on_generated_variations(config: Config) -> None:
    text = yaml.safe_dump(config, sort_keys=False)
    result = validate_text(text, "generated.yaml", cluster_name="prop")
    if result.failed() or result.spec is None:
        return  # only configs validate accepts are part of the invariant
    planned = plan(result.spec, "prop")
    templates = inputs_of(planned, "aws:ec2/launchTemplate:LaunchTemplate")
    pools = len(config.get("LoginNodes", {}).get("Pools", []))  # a login pool has a launch template too
    assert (
        len(templates) == sum(len(q["ComputeResources"]) for q in config["Scheduling"]["SlurmQueues"]) + pools
    )


def test_the_generated_variations_are_mostly_valid() -> None:
    """Guards the property test against testing nothing: its strategy yields valid configs."""
    accepted = 0

    @settings(max_examples=30, deadline=None, derandomize=True)
    @given(cluster())
    def count(config: Config) -> None:
        nonlocal accepted
        result = validate_text(yaml.safe_dump(config, sort_keys=False), "generated.yaml")
        accepted += not result.failed()

    count()
    assert accepted >= 20


def test_examples_directory_is_not_empty() -> None:
    assert EXAMPLES and Path(REPO / "examples").is_dir()


def test_filling_an_unknown_reservation_type_is_one_sentence() -> None:
    spec = validate_text(_with(_reservation_only), "odcr.yaml").spec
    assert spec is not None and reservation_ids_without_type(spec) == (CR_ID,)
    with pytest.raises(ValueError, match=f"capacity reservation {CR_ID} is unknown"):
        fill_reservation_types(spec, {})
    filled = fill_reservation_types(spec, {CR_ID: "p5.48xlarge"})
    assert filled.queues[0].compute_resources[0].instance_types == ("p5.48xlarge",)
    assert reservation_ids_without_type(filled) == ()
