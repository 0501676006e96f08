"""Serve the ``Cluster`` component to TypeScript, Go, C#, Java and YAML programs.

Pulumi starts this file as a provider plugin (``PulumiPlugin.yaml``); the package schema is
inferred from the type hints of ``pcluster_component.Cluster``, so it cannot drift from it.
"""

from pcluster_component import PACKAGE, Cluster
from pulumi.provider.experimental import component_provider_host

from pcluster_pulumi import __version__

if __name__ == "__main__":
    component_provider_host(components=[Cluster], name=PACKAGE, version=__version__)
