"""Fill in ParallelCluster's defaults from the schema, so the model never guesses.

Plain ``default`` values come from the schema; a section whose default is ``{}`` is created
when absent so that, for instance, ``spec.monitoring.logs.cloud_watch.retention_in_days``
is always there. Two defaults depend on other keys and are applied here by rule: the
``<StorageType>Settings`` block of a shared storage entry, and Slurm's ``SlurmSettings``.
"""

from __future__ import annotations

import copy
from typing import Any

from pcluster_pulumi.spec.schema import load_schema


def apply_defaults(data: dict[str, Any]) -> dict[str, Any]:
    """A copy of schema-valid ``data`` with every default filled in."""
    out = copy.deepcopy(data)
    scheduling = out.get("Scheduling")
    if isinstance(scheduling, dict) and scheduling.get("Scheduler") == "slurm":
        settings = scheduling.setdefault("SlurmSettings", {})
        if isinstance(settings, dict):
            settings.setdefault("Dns", {})
    for storage in out.get("SharedStorage") or []:
        if isinstance(storage, dict) and isinstance(storage.get("StorageType"), str):
            storage.setdefault(f"{storage['StorageType']}Settings", {})
    _fill(out, load_schema())
    return out


def _fill(value: Any, schema: dict[str, Any]) -> None:
    if isinstance(value, dict) and schema.get("type") == "object":
        for key, prop in schema.get("properties", {}).items():
            if key not in value and "default" in prop:
                value[key] = copy.deepcopy(prop["default"])
            if key in value:
                _fill(value[key], prop)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            _fill(item, schema["items"])
