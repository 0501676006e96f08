"""Generate pcluster_pulumi/spec/cluster.schema.json from the ParallelCluster key table.

The schema is committed and is the single source of truth at run time; this script is how
it was made, so that a newer ParallelCluster key table can be folded in on purpose:

    python tools/gen_schema.py ../shared/reference/pcluster-schema-keys.tsv

Inputs: the reference key table (path, type, required, validation, update policy), the
overlay in tools/schema/overlay.py (defaults, 3.16.1 differences, extensions, titles) and
tools/schema/descriptions.tsv (one sentence per key).
"""

from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "schema"))

import overlay  # noqa: E402

OUT = HERE.parent / "pcluster_pulumi" / "spec" / "cluster.schema.json"
CIDR_OR_PREFIX_LIST = (
    r"^(pl-[0-9a-z]{8}|pl-[0-9a-z]{17}|"
    r"((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)/(3[0-2]|[12]?\d))$"
)


def read_rows(tsv: Path) -> list[dict[str, str]]:
    rows = []
    with tsv.open() as fh:
        for line in fh:
            if not line.strip():
                continue
            path, typ, req, allowed, policy = (line.rstrip("\n").split("\t") + [""] * 5)[:5]
            rows.append({"path": path, "type": typ, "req": req, "allowed": allowed, "policy": policy})
    return rows


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
    elif rule == "is_cidr_or_prefix_list":
        out["pattern"] = CIDR_OR_PREFIX_LIST
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
    root: dict[str, Any] = {"type": "object", "title": "ClusterConfig", "properties": {}, "required": []}
    nodes: dict[str, dict[str, Any]] = {"": root}
    for row in overlay.patch_rows(rows):
        path = row["path"]
        parent_path, _, key = path.rpartition(".")
        parent = object_of(nodes[parent_path])
        node = node_schema(row)
        if path in overlay.TITLES:
            object_of(node)["title"] = overlay.TITLES[path]
        if row.get("ext"):
            node["x-pcluster-pulumi"] = True
        suffix = next((s for s in overlay.DESCRIPTION_SUFFIXES if path.endswith(s)), None)
        if path in descriptions or path in overlay.DESCRIPTIONS:
            node["description"] = descriptions.get(path) or overlay.DESCRIPTIONS[path]
        elif suffix:
            node["description"] = overlay.DESCRIPTION_SUFFIXES[suffix]
        if path in overlay.DEFAULTS:
            node["default"] = overlay.DEFAULTS[path]
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
    for path, extra in overlay.EXTRA.items():
        target = object_of(nodes[path]) if path else root
        for k, v in extra.items():
            if k == "required":
                target["required"] = [r for r in target.get("required", []) if r not in v["drop"]]
            else:
                target[k] = v
    for path in overlay.MATERIALIZED:
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
    tsv = Path(argv[1] if len(argv) > 1 else HERE.parent.parent / "shared/reference/pcluster-schema-keys.tsv")
    desc_file = HERE / "schema" / "descriptions.tsv"
    descriptions: dict[str, str] = {}
    if desc_file.exists():
        with desc_file.open() as fh:
            descriptions = {r["path"]: r["description"] for r in csv.DictReader(fh, delimiter="\t")}
    schema = build(read_rows(tsv), descriptions)
    OUT.write_text(json.dumps(schema, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main(sys.argv)
