"""The bundled JSON Schema covers ParallelCluster 3.16.1's keys, with policies and descriptions."""

from __future__ import annotations

import csv
from typing import Any

import jsonschema
import pytest

from pcluster_pulumi.spec.schema import load_schema, schema_at

from .conftest import REFERENCE, REPO

REMOVED_IN_3_16_1 = {"LoginNodes.Pools.Ssh.KeyName"}
ADDED_IN_3_16_1 = {
    "DevSettings.AmiSearchFilters.NamePrefix",
    "DevSettings.EfaInterfaceType",
    "DevSettings.Timeouts.ComputeInstanceInfoTimeout",
    "HeadNode.SharedStorageEfsSettings.Encrypted",
    "Scheduling.SlurmQueues.ComputeResources.LaunchTemplateOverrides.LaunchTemplateId",
    "Scheduling.SlurmQueues.ComputeResources.LaunchTemplateOverrides.Version",
}


KEY_TABLE = REPO / "tools" / "schema" / "keys.tsv"


def reference_keys() -> list[str]:
    """Every key path of ParallelCluster's key table (October 2024 source, kept in tools/schema)."""
    with KEY_TABLE.open() as fh:
        return [row[0] for row in csv.reader(fh, delimiter="\t") if row and row[0]]


def node_for(dotted: str) -> dict[str, Any] | None:
    """Schema node of a dotted reference path (lists are stepped through implicitly)."""
    node: dict[str, Any] | None = load_schema()
    for part in dotted.split("."):
        if node is None:
            return None
        if node.get("type") == "array":
            node = node["items"]
        node = node.get("properties", {}).get(part)
    return node


def test_schema_is_valid_json_schema_2020_12() -> None:
    schema = load_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("key", sorted(set(reference_keys()) - REMOVED_IN_3_16_1))
def test_every_reference_key_is_in_the_schema_with_policy_and_description(key: str) -> None:
    node = node_for(key)
    assert node is not None, key
    assert node.get("x-update-policy"), key
    assert node.get("description"), key


def test_keys_added_in_3_16_1_are_accepted_and_removed_ones_are_not() -> None:
    for key in ADDED_IN_3_16_1:
        assert node_for(key) is not None, key
    assert node_for("LoginNodes.Pools.Ssh.KeyName") is None


def test_structure_is_closed_everywhere() -> None:
    def walk(node: dict[str, Any], path: str) -> None:
        if "properties" in node:
            assert node.get("additionalProperties") is False, path
            for key, child in node["properties"].items():
                walk(child, f"{path}.{key}")
        if isinstance(node.get("items"), dict):
            walk(node["items"], path + "[]")

    walk(load_schema(), "")


def test_limits_enums_patterns_and_defaults_are_carried() -> None:
    cr = schema_at(("Scheduling", "SlurmQueues", 0, "ComputeResources", 0))
    assert cr is not None
    assert cr["properties"]["MaxCount"] == {**cr["properties"]["MaxCount"], "minimum": 1, "default": 10}
    assert cr["properties"]["StaticNodePriority"]["maximum"] == 4294967295
    os_node = schema_at(("Image", "Os"))
    assert os_node is not None and "alinux2023" in os_node["enum"]
    subnet = schema_at(("HeadNode", "Networking", "SubnetId"))
    assert subnet is not None and subnet["pattern"].startswith("^subnet-")
    retention = schema_at(("Monitoring", "Logs", "CloudWatch", "RetentionInDays"))
    assert retention is not None and retention["default"] == 180 and 3653 in retention["enum"]


def test_extensions_are_marked() -> None:
    node = schema_at(("Scheduling", "SlurmSettings", "Database", "DeletionPolicy"))
    assert node is not None and node["x-pcluster-pulumi"] is True


def test_committed_schema_is_what_the_generator_writes(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util
    import json

    spec = importlib.util.spec_from_file_location("gen_schema", REPO / "tools" / "gen_schema.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "schema.json"
    monkeypatch.setattr(module, "OUT", out)
    module.main(["gen"])
    assert json.loads(out.read_text()) == load_schema()


def test_the_generator_inputs_are_all_in_the_repository() -> None:
    sources = (REPO / "tools" / "gen_schema.py").read_text() + (
        REPO / "tools" / "schema" / "patch.py"
    ).read_text()
    assert "shared" not in sources
    assert KEY_TABLE.is_file()


@pytest.mark.skipif(
    not (REFERENCE / "pcluster-schema-keys.tsv").is_file(), reason="no ../shared beside the clone"
)
def test_the_key_table_copy_is_the_reference_one() -> None:
    assert KEY_TABLE.read_text() == (REFERENCE / "pcluster-schema-keys.tsv").read_text()
