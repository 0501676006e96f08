"""The static validators: ParallelCluster's checks that need no AWS call, by class name.

Importing this package registers every validator in ``REGISTRY``; ``run_validators``
runs them all (minus the suppressed ones) and never lets one validator's bug stop the
others or reach the user as a traceback.
"""

from __future__ import annotations

from collections.abc import Collection

from pcluster_pulumi.spec.problems import Level
from pcluster_pulumi.spec.validators import (  # noqa: F401  (imported to register their validators)
    batch,
    cluster,
    compute,
    directory,
    ebs,
    fsx,
    iam,
    monitoring,
    names,
    nodes,
    placement,
    slurm,
    storage,
    tags,
    urls,
)
from pcluster_pulumi.spec.validators.base import REGISTRY, ConfigView, Finding, Validator

__all__ = ["REGISTRY", "ConfigView", "Finding", "Validator", "run_validators"]

SUPPRESS_ALL = "ALL"


def _suppressed_names(suppressed: Collection[str]) -> set[str]:
    """Names to skip; ParallelCluster's ``type:<Name>`` spelling is accepted too."""
    return {name.removeprefix("type:") for name in suppressed}


def run_validators(view: ConfigView, suppressed: Collection[str] = ()) -> list[tuple[str, Finding]]:
    """Every finding of every validator not in ``suppressed`` (``"ALL"`` skips all), as
    (validator name, finding) pairs in registration order. A validator that raises yields a
    single ERROR finding naming it instead of its results."""
    skip = _suppressed_names(suppressed)
    if SUPPRESS_ALL in skip:
        return []
    results: list[tuple[str, Finding]] = []
    for name, entry in REGISTRY.items():
        if name in skip:
            continue
        try:
            found = list(entry.check(view))
        except Exception as exc:  # a validator bug must not hide the other findings
            found = [Finding((), f"internal error in {name}: {exc}", Level.ERROR)]
        results.extend((name, finding) for finding in found)
    return results
