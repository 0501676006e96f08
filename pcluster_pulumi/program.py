"""The Pulumi program of this repository: stack config → ``load_spec`` → ``Cluster`` → outputs.

``pulumi up -s demo`` in the repository root runs it (``Pulumi.yaml`` points here and keeps
stack files in ``stacks/``). Stack configuration::

    config:
      aws:region: us-east-1                        # unless the spec sets Region
      pcluster-pulumi:spec: examples/slurm-minimal.yaml   # a path (relative to the project) or YAML
      pcluster-pulumi:clusterName: demo             # optional: defaults to the stack name

``build`` is the program body; offline ``plan`` calls the very same function under mocks, so
what ``plan`` shows is what ``up`` would register.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from pcluster_pulumi.cluster.cluster import Cluster
from pcluster_pulumi.contract import names
from pcluster_pulumi.contract.names import PROJECT
from pcluster_pulumi.derive.context import merge_tags
from pcluster_pulumi.spec.loader import load_spec
from pcluster_pulumi.spec.model import ClusterSpec

__all__ = ["PROJECT", "build", "main"]

#: The project name in ``Pulumi.yaml``, and so the namespace of this program's config keys.


def build(spec: ClusterSpec, name: str, region: str | None = None) -> Cluster:
    """Declare one cluster with an explicit AWS provider for its region, and export its outputs.

    The provider's default tags repeat the cluster tags so that anything AWS creates on our
    behalf and a provider can tag (a resource we forgot) still carries the cluster name.
    """
    provider = aws.Provider(
        "aws",
        region=spec.region or region,
        default_tags={"tags": merge_tags(spec.tags, {names.TAG_CLUSTER_NAME: name})},
    )
    cluster = Cluster(name, spec, opts=pulumi.ResourceOptions(provider=provider))
    for key, value in cluster.outputs().items():
        pulumi.export(key, value)
    return cluster


def main() -> Cluster:
    """Read the stack configuration and build the cluster it names."""
    config = pulumi.Config(PROJECT)
    name = config.get("clusterName") or pulumi.get_stack()
    spec = load_spec(config.require("spec"), cluster_name=name)
    return build(spec, name, pulumi.Config("aws").get("region"))


if __name__ == "__main__":
    main()
