"""pcluster-pulumi: AWS ParallelCluster-compatible HPC clusters as native Pulumi components.

``load_spec`` and ``SpecError`` import no Pulumi; ``Cluster`` (the component) and
``ClusterStack`` (the Automation API) are loaded on first use, so validating a config stays
fast and works without the Pulumi SDK's start-up cost.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pcluster_pulumi.spec.problems import Level, Problem, SpecError

if TYPE_CHECKING:
    from pcluster_pulumi.cluster.cluster import Cluster
    from pcluster_pulumi.engines.automation.stack import ClusterStack, DeployError
    from pcluster_pulumi.spec.loader import load_spec
    from pcluster_pulumi.spec.model import ClusterSpec

__all__ = [
    "Cluster",
    "ClusterSpec",
    "ClusterStack",
    "DeployError",
    "Level",
    "Problem",
    "SpecError",
    "load_spec",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name in ("load_spec", "ClusterSpec"):
        # start-up: the CLI imports this package; its --help must not load the schema machinery.
        from pcluster_pulumi.spec import loader, model

        return loader.load_spec if name == "load_spec" else model.ClusterSpec
    if name == "Cluster":
        # start-up: `import pcluster_pulumi` must not load Pulumi until Cluster is used.
        from pcluster_pulumi.cluster.cluster import Cluster

        return Cluster
    if name in ("ClusterStack", "DeployError"):
        # start-up: the Automation API loads only for programs that deploy.
        from pcluster_pulumi.engines.automation import stack

        return getattr(stack, name)
    raise AttributeError(f"module 'pcluster_pulumi' has no attribute {name!r}")
