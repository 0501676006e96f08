"""pcluster-pulumi: AWS ParallelCluster-compatible HPC clusters as native Pulumi components.

``load_spec`` and ``SpecError`` import no Pulumi; ``Cluster`` is loaded on first use so
that validating a config stays fast and works without the Pulumi SDK's start-up cost.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pcluster_pulumi.spec.loader import load_spec
from pcluster_pulumi.spec.model import ClusterSpec
from pcluster_pulumi.spec.problems import Level, Problem, SpecError

if TYPE_CHECKING:
    from pcluster_pulumi.cluster.cluster import Cluster

__all__ = ["Cluster", "ClusterSpec", "Level", "Problem", "SpecError", "load_spec"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name == "Cluster":
        from pcluster_pulumi.cluster.cluster import Cluster

        return Cluster
    raise AttributeError(f"module 'pcluster_pulumi' has no attribute {name!r}")
