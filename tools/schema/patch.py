"""Apply the data in tools/schema/*.json to ParallelCluster's key table.

The key table (``keys.tsv``, copied from ParallelCluster's schema) is the starting point;
everything pcluster-pulumi knows beyond it is data, so a review shows what changed in
ParallelCluster terms rather than in code:

- ``rows.json``: rows removed, fields replaced or extended where the table is stale
  (3.16.1 differences), custom-action ``Sequence`` keys, and added keys (3.16.1 keys the
  table lacks, pcluster-pulumi extensions marked ``ext``);
- ``defaults.json``: concrete defaults; ``structure.json``: titles, sections that always
  exist, descriptions by key suffix; ``extra.json``: schema keywords merged into a node
  ("" is the root); ``descriptions.tsv``: one sentence per key.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent
KEYS = DATA / "keys.tsv"


def load(name: str) -> Any:
    """One data file of this directory."""
    return json.loads((DATA / name).read_text())


def read_keys(tsv: Path = KEYS) -> list[dict[str, str]]:
    """Rows of the key table: path, type, required (REQ), validation rules, update policy."""
    rows = []
    with tsv.open() as fh:
        for line in fh:
            if not line.strip():
                continue
            path, typ, req, allowed, policy = (line.rstrip("\n").split("\t") + [""] * 5)[:5]
            rows.append({"path": path, "type": typ, "req": req, "allowed": allowed, "policy": policy})
    return rows


def read_descriptions() -> dict[str, str]:
    """Key path -> description sentence."""
    with (DATA / "descriptions.tsv").open() as fh:
        return {
            r["path"]: r["description"] for r in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        }


def _sequence_rows(action: dict[str, str]) -> list[dict[str, str]]:
    """A custom action may give ``Sequence`` (a list of Script+Args steps) instead of Script/Args;
    ParallelCluster's marshmallow schema has it, its key table does not."""
    seq = action["path"] + ".Sequence"
    policy = action["policy"]
    return [
        {"path": seq, "type": "list[CustomActionStep]", "req": "", "allowed": "", "policy": policy},
        {"path": seq + ".Script", "type": "String", "req": "REQ", "allowed": "", "policy": policy},
        {"path": seq + ".Args", "type": "list[String]", "req": "", "allowed": "", "policy": policy},
    ]


def _insert(out: list[dict[str, str]], row: dict[str, str]) -> None:
    """Put ``row`` after its parent and the parent's existing children (parents before children)."""
    parent = row["path"].rsplit(".", 1)[0]
    index = max(
        i for i, r in enumerate(out) if row["path"].startswith(r["path"] + ".") or r["path"] == parent
    )
    index += 1 + sum(1 for r in out[index + 1 :] if r["path"].startswith(parent + "."))
    out.insert(index, row)


def patch_rows(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The key table as pcluster-pulumi accepts it, parents before children."""
    spec = load("rows.json")
    removed = set(spec["removed"])
    sequence_after = set(spec["sequence_after"])
    out: list[dict[str, str]] = []
    for row in rows:
        if row["path"] in removed:
            continue
        row = {**row, **spec["set"].get(row["path"], {})}
        for field, suffix in spec["extend"].get(row["path"], {}).items():
            row[field] += suffix
        out.append(row)
        if row["path"] in sequence_after:
            out.extend(_sequence_rows(row))
    for extra in spec["added"]:
        _insert(out, {"req": "", "allowed": "", **extra})
    return out
