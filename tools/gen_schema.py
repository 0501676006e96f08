"""Generate pcluster_pulumi/spec/cluster.schema.json from ParallelCluster's key table.

The schema is committed and is the single source of truth at run time; this script is how
it was made, so that a newer ParallelCluster key table can be folded in on purpose:

    python tools/gen_schema.py                # uses tools/schema/keys.tsv
    python tools/gen_schema.py NEWER_KEYS.tsv # fold in another key table

Every input lives in tools/schema/ (see tools/schema/patch.py): the key table (path, type,
required, validation, update policy), the data that patches it (3.16.1 differences,
extensions, defaults, titles, extra schema keywords) and descriptions.tsv.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "schema"))

import patch  # noqa: E402

OUT = HERE.parent / "pcluster_pulumi" / "spec" / "cluster.schema.json"
# Validation rules of the key table that name a ParallelCluster function, as a regex.
RULE_PATTERNS: dict[str, str] = patch.load("rows.json")["rule_patterns"]


def scalar_schema(typ: str, allowed: str) -> dict[str, Any]:
    """JSON Schema for a scalar ParallelCluster field with its validation column."""
    kind = {"String": "string", "Integer": "integer", "Boolean": "boolean", "Float": "number"}[typ]
    out: dict[str, Any] = {"type": kind}
    for rule in [r.strip() for r in allowed.split("; ") if r.strip()]:
        apply_rule(out, rule, kind)
    return out


def apply_rule(out: dict[str, Any], rule: str, kind: str) -> None:
    if rule.startswith("regex "):
        out["pattern"] = rule[len("regex ") :]
    elif rule.startswith("one of "):
        values: list[Any] = rule[len("one of ") :].split(",")
        if kind == "integer":
            values = [int(v) for v in values]
        out["enum"] = values
    elif rule in RULE_PATTERNS:
        out["pattern"] = RULE_PATTERNS[rule]
    elif m := re.fullmatch(r"range\[(-?\d+|None),(-?\d+|None)\]( \(min exclusive\))?", rule):
        lo, hi, excl = m.groups()
        if lo != "None":
            out["exclusiveMinimum" if excl else "minimum"] = int(lo)
        if hi != "None":
            out["maximum"] = int(hi)
    elif m := re.fullmatch(r"len\[(\d+|None),(\d+|None)\]", rule):
        lo, hi = m.groups()
        key = ("minItems", "maxItems") if kind == "array" else ("minLength", "maxLength")
        if lo != "None":
            out[key[0]] = int(lo)
        if hi != "None":
            out[key[1]] = int(hi)
    elif m := re.fullmatch(r"len==(\d+)", rule):
        key = ("minItems", "maxItems") if kind == "array" else ("minLength", "maxLength")
        out[key[0]] = out[key[1]] = int(m.group(1))
    else:
        raise SystemExit(f"unknown validation rule {rule!r}")


def node_schema(row: dict[str, str]) -> dict[str, Any]:
    typ = row["type"]
    if typ in ("String", "Integer", "Boolean", "Float"):
        return scalar_schema(typ, row["allowed"])
    if typ == "Dict":
        return {"type": "object", "additionalProperties": True}
    if typ == "list[Dict]":
        return {"type": "array", "items": {"type": "object", "additionalProperties": True}}
    if typ == "Raw":
        return {}
    if m := re.fullmatch(r"list\[String(?: \((.*)\))?\]", typ):
        item: dict[str, Any] = {"type": "string"}
        if m.group(1):
            apply_rule(item, m.group(1), "string")
        out: dict[str, Any] = {"type": "array", "items": item}
        for rule in [r for r in row["allowed"].split("; ") if r]:
            apply_rule(out, rule, "array")
        return out
    if m := re.fullmatch(r"list\[(\w+)\]", typ):
        out = {"type": "array", "items": {"type": "object", "title": m.group(1)}}
        for rule in [r for r in row["allowed"].split("; ") if r]:
            apply_rule(out, rule, "array")
        return out
    title = "CustomAction" if typ.startswith("CustomAction") else typ
    return {"type": "object", "title": title}


def object_of(node: dict[str, Any]) -> dict[str, Any]:
    """The object schema that holds children: the node itself or its array items."""
    return node["items"] if node.get("type") == "array" else node


def build(rows: list[dict[str, str]], descriptions: dict[str, str]) -> dict[str, Any]:
    """The JSON Schema of the patched key table."""
    structure = patch.load("structure.json")
    titles, suffixes = structure["titles"], structure["description_suffixes"]
    defaults = patch.load("defaults.json")
    root: dict[str, Any] = {"type": "object", "title": "ClusterConfig", "properties": {}, "required": []}
    nodes: dict[str, dict[str, Any]] = {"": root}
    for row in patch.patch_rows(rows):
        path = row["path"]
        parent_path, _, key = path.rpartition(".")
        parent = object_of(nodes[parent_path])
        node = node_schema(row)
        if path in titles:
            object_of(node)["title"] = titles[path]
        if row.get("ext"):
            node["x-pcluster-pulumi"] = True
        suffix = next((s for s in suffixes if path.endswith(s)), None)
        if path in descriptions:
            node["description"] = descriptions[path]
        elif suffix:
            node["description"] = suffixes[suffix]
        if path in defaults:
            node["default"] = defaults[path]
        if row["policy"]:
            policy = row["policy"]
            node["x-update-policy"] = policy.split(" ")[0]
            if "(key=" in policy:
                node["x-update-key"] = policy.split("(key=")[1].rstrip(")")
        parent.setdefault("properties", {})[key] = node
        parent.setdefault("additionalProperties", False)
        if row["req"] == "REQ":
            parent.setdefault("required", []).append(key)
        nodes[path] = node
    for path, extra in patch.load("extra.json").items():
        target = object_of(nodes[path]) if path else root
        for k, v in extra.items():
            if k == "required":
                target["required"] = [r for r in target.get("required", []) if r not in v["drop"]]
            else:
                target[k] = v
    for path in structure["materialized"]:
        nodes[path]["default"] = {}
    for node in nodes.values():
        obj = object_of(node)
        if obj.get("type") == "object" and "properties" in obj:
            obj["additionalProperties"] = obj.get("additionalProperties", False)
            if not obj.get("required"):
                obj.pop("required", None)
    root["additionalProperties"] = False
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://github.com/pcluster-pulumi/pcluster-pulumi/cluster.schema.json",
        "description": (
            "AWS ParallelCluster v3 cluster configuration (3.16.1; AWS Batch as in 3.15) as accepted "
            "by pcluster-pulumi. Keys marked x-pcluster-pulumi are pcluster-pulumi extensions."
        ),
        **root,
    }


def main(argv: list[str]) -> None:
    """Write the schema from tools/schema/keys.tsv (or the key table given as argument)."""
    tsv = Path(argv[1]) if len(argv) > 1 else patch.KEYS
    schema = build(patch.read_keys(tsv), patch.read_descriptions())
    OUT.write_text(json.dumps(schema, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main(sys.argv)
