"""``Networking.Proxy.HttpProxyAddress``: the environment that sends a node's HTTP(S) through a proxy.

Nodes in a subnet without a NAT reach AWS APIs (S3, DynamoDB, EC2…) only through the proxy,
so the bootstrap (which fetches from S3 first), the keeper and the resume/suspend programs
(boto3), and package managers all need ``https_proxy``. Addresses that must never go through
it are listed in ``no_proxy``, as ParallelCluster does: the loopback, instance metadata (IMDS
credentials would otherwise be fetched through the proxy), the VPC DNS resolver and the
cluster's private domain. Both lower- and upper-case names are set: curl reads the former,
some tools only the latter.
"""

from __future__ import annotations

import shlex

__all__ = [
    "ENV_FILE",
    "METADATA_ADDRESS",
    "VPC_DNS_ADDRESS",
    "no_proxy",
    "proxy_environment",
    "render_env_file",
]

#: Read by the bootstrap (``set -a; .``) and by the daemons' systemd drop-ins (``EnvironmentFile=``).
ENV_FILE = "/etc/pcluster-pulumi/proxy.env"
METADATA_ADDRESS = "169.254.169.254"
#: The Amazon-provided DNS resolver, reachable at this link-local address from every VPC.
VPC_DNS_ADDRESS = "169.254.169.253"


def no_proxy(domain: str | None) -> str:
    """What bypasses the proxy: loopback, IMDS, the VPC resolver and the private zone's domain."""
    entries = ["localhost", "127.0.0.1", METADATA_ADDRESS, VPC_DNS_ADDRESS]
    if domain and domain.strip("."):
        entries.append(domain.strip("."))
    return ",".join(entries)


def proxy_environment(proxy: str, domain: str | None) -> dict[str, str]:
    """The variables to export: both spellings of http_proxy, https_proxy and no_proxy."""
    values = {"http_proxy": proxy, "https_proxy": proxy, "no_proxy": no_proxy(domain)}
    return {**values, **{key.upper(): value for key, value in values.items()}}


def render_env_file(environment: dict[str, str]) -> str:
    """``KEY=value`` lines (shell-quoted, which systemd's EnvironmentFile also reads)."""
    return "".join(f"{key}={shlex.quote(value)}\n" for key, value in environment.items())
