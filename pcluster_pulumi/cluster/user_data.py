"""User data of the cluster's nodes: ``node/bootstrap.py``'s cloud-init, fed from the spec.

The one place where ``cluster/`` meets the node bootstrap. User data carries only where the
runtime configuration and the node package are (bucket and keys) and the head node's
address, so it is the same for every compute resource and does not change when a queue
does; the nodes fetch the full configuration (``RuntimeConfig``) from the bucket at boot.

The head node's user data is smaller still: its settings and a fixed loader
(``head_loader_user_data``), so upgrading pcluster-pulumi never changes it — EC2 would stop
and start the instance running the Slurm controller for any change of user data.
"""

from __future__ import annotations

import json

from pcluster_pulumi.cluster.dns import plan_dns
from pcluster_pulumi.contract import bootstrap
from pcluster_pulumi.contract.config import NodeConfig
from pcluster_pulumi.contract.proxy import ENV_FILE as PROXY_ENV_FILE
from pcluster_pulumi.derive.context import ClusterContext
from pcluster_pulumi.derive.runtime_config import RuntimeResources, render_runtime_config
from pcluster_pulumi.spec.model import ClusterSpec, LoginNodesPool, SlurmQueue

__all__ = ["LOADER", "head_loader_user_data", "head_proxy", "login_proxy", "node_user_data", "queue_proxy"]


def head_proxy(spec: ClusterSpec) -> str | None:
    """``HeadNode.Networking.Proxy.HttpProxyAddress``, if any."""
    proxy = spec.head_node.networking.proxy
    return proxy.http_proxy_address if proxy else None


def login_proxy(pool: LoginNodesPool) -> str | None:
    """A login pool's ``Networking.Proxy.HttpProxyAddress``, if any."""
    proxy = pool.networking.proxy
    return proxy.http_proxy_address if proxy else None


def queue_proxy(queue: SlurmQueue) -> str | None:
    """A queue's ``Networking.Proxy.HttpProxyAddress``, if any."""
    proxy = queue.networking.proxy
    return proxy.http_proxy_address if proxy else None


def node_user_data(
    ctx: ClusterContext,
    role: str,
    *,
    head_ip: str,
    bucket: str,
    package_key: str,
    config_key: str,
    hosted_zone_id: str | None,
    proxy: str | None = None,
    pool: str | None = None,
) -> str:
    """Cloud-init text for a ``head``, ``compute`` or ``login`` node of this cluster.

    ``proxy`` is the node's ``Networking.Proxy.HttpProxyAddress``: compute user data differs
    per queue only when the queues' proxies differ; ``pool`` names a login node's pool.
    """
    domain = plan_dns(ctx.spec, ctx.name, dict(ctx.facts.hosted_zones)).domain if hosted_zone_id else None
    resources = RuntimeResources(
        head_node_private_ip=head_ip,
        bucket=bucket,
        node_package_key=package_key,
        hosted_zone_id=hosted_zone_id,
        dns_domain=domain,
    )
    config = NodeConfig.from_dict(render_runtime_config(ctx, resources))
    if role == "head":
        return head_loader_user_data(bootstrap.render_user_data(config, role, config_key, proxy=proxy))
    return bootstrap.render_user_data(config, role, config_key, proxy=proxy, pool=pool)


#: The head node's loader. Changing this text stops and starts every head node on its next
#: `up`: keep it minimal and stable (what it runs comes from the node package).
LOADER = r"""#!/bin/bash
# pcluster-pulumi head node loader: fetch the node package, let it write the bootstrap, run it.
set -Eeuo pipefail
set -a
. /etc/pcluster-pulumi/bootstrap.env
if [ -f /etc/pcluster-pulumi/proxy.env ]; then . /etc/pcluster-pulumi/proxy.env; fi
set +a
exec > >(tee -a /var/log/pcluster-pulumi-bootstrap.log) 2>&1
trap 'echo "bootstrap failed: loader line $LINENO"' ERR
if ! python3 -c 'import boto3' 2>/dev/null; then
    if command -v apt-get >/dev/null; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-boto3
    else
        dnf install -y -q python3-boto3 || yum install -y -q python3-boto3
    fi
fi
mkdir -p /opt/pcluster-pulumi/lib
python3 - <<'PY'
import io, os, tarfile, boto3
s3 = boto3.client("s3", region_name=os.environ["REGION"])
package = s3.get_object(Bucket=os.environ["BUCKET"], Key=os.environ["PACKAGE_KEY"])["Body"].read()
with tarfile.open(fileobj=io.BytesIO(package), mode="r:gz") as archive:
    archive.extractall("/opt/pcluster-pulumi/lib", filter="data")
s3.download_file(os.environ["BUCKET"], os.environ["CONFIG_KEY"], "/etc/pcluster-pulumi/node-config.json")
PY
PYTHONPATH=/opt/pcluster-pulumi/lib PCLUSTER_PULUMI_NODE_CONFIG=/etc/pcluster-pulumi/node-config.json \
    python3 -m pcluster_pulumi.node.update_bootstrap head
exec /opt/pcluster-pulumi/bin/bootstrap.sh
"""


LOADER_PATH = "/opt/pcluster-pulumi/bin/head-loader.sh"
#: What the head node's user data keeps of its full set: its settings, none of the code.
SETTINGS_FILES = ("/etc/pcluster-pulumi/bootstrap.env", PROXY_ENV_FILE)


def head_loader_user_data(full: str) -> str:
    """The head node's user data: the settings files of its full user data, and ``LOADER``.

    Everything that changes between releases (bootstrap script, wrappers, units) is written
    on the head node from the node package (``node/update_bootstrap.py``), so a new release
    never changes the head node's user data, and EC2 never stops and starts it for one.
    """
    document = json.loads(full.split("\n", 1)[1])
    files = [f for f in document["write_files"] if f["path"] in SETTINGS_FILES]
    files.append({"path": LOADER_PATH, "content": LOADER, "permissions": "0755", "owner": "root:root"})
    return "#cloud-config\n" + json.dumps({"write_files": files, "runcmd": [[LOADER_PATH]]}, indent=1) + "\n"
