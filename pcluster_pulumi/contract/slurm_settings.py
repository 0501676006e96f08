"""User ``CustomSlurmSettings``: the deny-lists, and merging them over generated parameters.

ParallelCluster lets users add or override slurm.conf parameters at cluster, queue and
compute-resource level, but refuses those the node programs depend on (a user-set
``ResumeProgram`` would silently stop the fleet from scaling). The same lists are enforced
here, case-insensitively, so a runtime configuration that slipped past the spec validator
still cannot break the cluster.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

CLUSTER_DENY = frozenset(
    {
        "epilog",
        "grestypes",
        "launchparameters",
        "prolog",
        "reconfigflags",
        "resumefailprogram",
        "resumeprogram",
        "resumetimeout",
        "slurmctldhost",
        "slurmctldlogfile",
        "slurmctldparameters",
        "slurmdlogfile",
        "slurmuser",
        "suspendexcnodes",
        "suspendprogram",
        "suspendtime",
        "taskplugin",
        "treewidth",
    }
)
ACCOUNTING_DENY = frozenset(
    {
        "accountingstoragetype",
        "accountingstoragehost",
        "accountingstorageport",
        "accountingstorageuser",
        "jobacctgathertype",
    }
)
QUEUE_DENY = frozenset({"nodes", "partitionname", "resumetimeout", "state", "suspendtime", "oversubscribe"})
# Exactly ParallelCluster 3.16.1's list: Features is allowed (slurm.conf merges the user's
# features with the ones the runtime sets, see node/slurm_conf.py).
COMPUTE_RESOURCE_DENY = frozenset({"cpus", "gres", "nodeaddr", "nodehostname", "nodename", "state", "weight"})
# A NodeName line takes Feature or Features (Slurm accepts both spellings).
FEATURE_KEYS = frozenset({"feature", "features"})


class SlurmSettingsError(ValueError):
    """A CustomSlurmSettings entry overrides a parameter the cluster depends on."""


def check_denied(settings: Mapping[str, Any], denied: Iterable[str], where: str) -> None:
    """Raise for every denied key in settings (all reported together)."""
    deny = {key.lower() for key in denied}
    bad = sorted(key for key in settings if key.lower() in deny)
    if bad:
        raise SlurmSettingsError(f"{where}: CustomSlurmSettings may not set {', '.join(bad)}")


def slurm_value(value: Any) -> str:
    """Render a JSON value as Slurm writes it (booleans as YES/NO, lists comma-joined)."""
    if isinstance(value, bool):
        return "YES" if value else "NO"
    if isinstance(value, (list, tuple)):
        return ",".join(slurm_value(item) for item in value)
    return str(value)


def merge_parameters(generated: list[tuple[str, str]], overrides: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Generated (key, value) pairs with user overrides replacing same-named keys in place.

    Keys compare case-insensitively (Slurm's parser does); new keys are appended in the
    user's order so the rendered text is stable.
    """
    by_lower = {key.lower(): key for key in overrides}
    merged: list[tuple[str, str]] = []
    used: set[str] = set()
    for key, value in generated:
        user_key = by_lower.get(key.lower())
        if user_key is None:
            merged.append((key, value))
        else:
            merged.append((user_key, slurm_value(overrides[user_key])))
            used.add(user_key)
    merged.extend((key, slurm_value(value)) for key, value in overrides.items() if key not in used)
    return merged


def render_line(pairs: Iterable[tuple[str, str]]) -> str:
    """``Key=Value Key2=Value2`` as one slurm.conf line."""
    return " ".join(f"{key}={value}" for key, value in pairs)
