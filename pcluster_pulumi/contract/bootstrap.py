"""cloud-init user data for head, compute and login nodes (a pure function of the config).

ParallelCluster boots nodes with cfn-init and Chef reading CloudFormation metadata; we have
no CloudFormation, so user data carries only where to fetch things (bucket, keys), the
bootstrap script and systemd units. The runtime configuration itself is fetched from S3 at
boot, which keeps user data far below EC2's 16 KB limit however many queues there are.

The document is written as JSON after the ``#cloud-config`` header: JSON is valid YAML, so
cloud-init reads it, and this module needs no YAML library (node code is stdlib + boto3).
"""

from __future__ import annotations

import json
import shlex
from typing import Any

from pcluster_pulumi.contract.batch_head import BATCH_HEAD_SCRIPT, BATCH_HEAD_UNITS
from pcluster_pulumi.contract.bootstrap_script import SCRIPT
from pcluster_pulumi.contract.config import AWSBATCH, ENV_VAR, NodeConfig
from pcluster_pulumi.contract.paths import DEFAULT_STATE_DIR, LOG_DIR_ENV, STATE_DIR_ENV
from pcluster_pulumi.contract.programs import render_wrapper
from pcluster_pulumi.contract.proxy import ENV_FILE as PROXY_ENV_FILE
from pcluster_pulumi.contract.proxy import proxy_environment, render_env_file

ROLES = ("head", "compute", "login")
BIN = "/opt/pcluster-pulumi/bin"
LIB = "/opt/pcluster-pulumi/lib"
CONFIG_PATH = "/etc/pcluster-pulumi/node-config.json"
#: EC2 refuses user data above 16 KB.
USER_DATA_LIMIT = 16 * 1024

_UNIT_COMMON = "[Install]\nWantedBy=multi-user.target\n"
UNITS = {
    "head": {
        # Only with an accounting database: slurm-config writes slurmdbd.conf then.
        "pcluster-pulumi-slurmdbd.service": (
            "[Unit]\nDescription=Slurm accounting daemon (pcluster-pulumi)\n"
            "After=network-online.target munge.service\nWants=network-online.target\n"
            "ConditionPathExists=/etc/slurm/slurmdbd.conf\n\n"
            "[Service]\nEnvironmentFile=/etc/pcluster-pulumi/slurm.env\n"
            # slurmdbd reads slurmdbd.conf from the directory of SLURM_CONF.
            "Environment=SLURM_CONF=/etc/slurm/slurm.conf\n"
            "ExecStart=/bin/sh -c 'exec \"$SLURM_PREFIX/sbin/slurmdbd\" -D'\n"
            "Restart=on-failure\nRestartSec=10\nLimitNOFILE=131072\n\n" + _UNIT_COMMON
        ),
        "pcluster-pulumi-slurmctld.service": (
            "[Unit]\nDescription=Slurm controller (pcluster-pulumi)\n"
            "After=network-online.target munge.service pcluster-pulumi-slurmdbd.service\n"
            "Wants=network-online.target\n\n"
            "[Service]\nEnvironmentFile=/etc/pcluster-pulumi/slurm.env\n"
            "ExecStart=/bin/sh -c 'exec \"$SLURM_PREFIX/sbin/slurmctld\" -D -f /etc/slurm/slurm.conf'\n"
            "Restart=on-failure\nLimitNOFILE=131072\n\n" + _UNIT_COMMON
        ),
        # HeadNode.Imds.Secured: iptables rules are lost at reboot, so they are re-applied at each boot.
        "pcluster-pulumi-imds.service": (
            "[Unit]\nDescription=pcluster-pulumi: IMDS for root and the Slurm user only (Imds.Secured)\n"
            "Before=pcluster-pulumi-slurmctld.service\n\n"
            "[Service]\nType=oneshot\nRemainAfterExit=yes\n"
            f"Environment=PYTHONPATH={LIB} {ENV_VAR}={CONFIG_PATH}\n"
            "ExecStart=/usr/bin/python3 -m pcluster_pulumi.node.boot_steps imds-access\n\n" + _UNIT_COMMON
        ),
        "pcluster-pulumi-keeper.service": (
            "[Unit]\nDescription=pcluster-pulumi keeper: static nodes, dead instances, fleet status\n"
            "After=pcluster-pulumi-slurmctld.service\nRequires=pcluster-pulumi-slurmctld.service\n\n"
            f"[Service]\nExecStart={BIN}/keeper\nRestart=always\nRestartSec=10\n\n" + _UNIT_COMMON
        ),
    },
    "compute": {
        "pcluster-pulumi-slurmd.service": (
            "[Unit]\nDescription=Slurm node daemon (pcluster-pulumi)\n"
            "After=network-online.target munge.service remote-fs.target\nWants=network-online.target\n\n"
            "[Service]\nEnvironmentFile=/etc/pcluster-pulumi/bootstrap.env\n"
            "EnvironmentFile=/etc/pcluster-pulumi/slurm.env\nEnvironmentFile=/etc/pcluster-pulumi/node.env\n"
            'ExecStart=/bin/sh -c \'exec "$SLURM_PREFIX/sbin/slurmd" -D -N "$NODE_NAME" '
            '--conf-server "$HEAD_IP"\'\n'
            "Restart=on-failure\nDelegate=yes\nLimitNOFILE=131072\nLimitMEMLOCK=infinity\nLimitSTACK=infinity\n\n"
            + _UNIT_COMMON
        ),
    },
    "login": {
        # Warns logged-in users during GracetimePeriod while the pool's group removes this node.
        "pcluster-pulumi-login-lifecycle.service": (
            "[Unit]\nDescription=pcluster-pulumi: warn users while the login pool removes this node\n"
            "After=network-online.target\nWants=network-online.target\n\n"
            "[Service]\nEnvironmentFile=/etc/pcluster-pulumi/bootstrap.env\n"
            f"Environment=PYTHONPATH={LIB} {ENV_VAR}={CONFIG_PATH}\n"
            "ExecStart=/usr/bin/python3 -m pcluster_pulumi.node.access_steps lifecycle-watch ${POOL}\n"
            "Restart=on-failure\nRestartSec=10\n\n" + _UNIT_COMMON
        ),
    },
}


#: Mounts the instance store (LocalStorage.EphemeralVolume) on every boot: it is not in fstab.
EPHEMERAL_SCRIPT = f"""#!/bin/bash
set -eu
. /etc/pcluster-pulumi/bootstrap.env
NODE_NAME=
if [ -f /etc/pcluster-pulumi/node.env ]; then . /etc/pcluster-pulumi/node.env; fi
export PYTHONPATH={LIB} {ENV_VAR}={CONFIG_PATH}
exec python3 -m pcluster_pulumi.node.boot_steps ephemeral "$ROLE" ${{NODE_NAME:+--node "$NODE_NAME"}}
"""
EPHEMERAL_UNIT = (
    "[Unit]\nDescription=pcluster-pulumi: instance-store disks at the ephemeral mount dir\n"
    "After=local-fs.target\nBefore=pcluster-pulumi-slurmctld.service pcluster-pulumi-slurmd.service\n\n"
    f"[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart={BIN}/ephemeral\n\n" + _UNIT_COMMON
)


def program_environment(config: NodeConfig, proxy: dict[str, str] | None = None) -> dict[str, str]:
    """What the resume/suspend/keeper wrappers export on the head node (slurmctld passes nothing)."""
    return {
        **(proxy or {}),
        ENV_VAR: CONFIG_PATH,
        LOG_DIR_ENV: "/var/log/pcluster-pulumi",
        STATE_DIR_ENV: DEFAULT_STATE_DIR,
        "PYTHONPATH": "/opt/pcluster-pulumi/lib",
        "AWS_DEFAULT_REGION": config.region,
        "PATH": "/opt/slurm/bin:/usr/local/bin:/usr/bin:/bin",
    }


def render_user_data(
    config: NodeConfig,
    role: str,
    config_key: str,
    *,
    proxy: str | None = None,
    pool: str | None = None,
) -> str:
    """User data for a node of role (head | compute | login); config_key is the config's S3 key.

    ``pool`` names a login node's pool (its host keys, scripts, DCV and lifecycle hooks).
    The head node's files are not limited to EC2's 16 KB: its instance gets only its settings
    and a loader (``cluster/user_data.py``), and writes these files itself from the node
    package (``node/update_bootstrap.py``).

    ``proxy`` (``Networking.Proxy.HttpProxyAddress`` of the head node or the node's queue) is
    here, not in the runtime configuration, because the bootstrap needs it to fetch that.
    """
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    if not config.bucket or not config.node_package_key:
        raise ValueError("the runtime configuration needs bucket and node_package_key to bootstrap nodes")
    settings = {
        "ROLE": role,
        "CLUSTER": config.cluster_name,
        "REGION": config.region,
        "BUCKET": config.bucket,
        "CONFIG_KEY": config_key,
        "PACKAGE_KEY": config.node_package_key,
        "HEAD_IP": config.head_node.private_ip,
    }
    if role == "login" and pool is not None:
        config.access.pool(pool)  # KeyError for a pool the runtime configuration does not know
        settings["POOL"] = pool
    env_text = "".join(f"{key}={shlex.quote(value)}\n" for key, value in settings.items())
    # An AWS Batch head node runs no Slurm: its own script, no Slurm wrappers or units (batch_head.py).
    batch_head = role == "head" and config.scheduler_type == AWSBATCH
    files: list[dict[str, Any]] = [
        _file("/etc/pcluster-pulumi/bootstrap.env", env_text, "0600"),
        _file(f"{BIN}/bootstrap.sh", BATCH_HEAD_SCRIPT if batch_head else SCRIPT, "0755"),
    ]
    proxy_env = proxy_environment(proxy, config.dns.domain if config.dns else None) if proxy else None
    if proxy_env:
        files.append(_file(PROXY_ENV_FILE, render_env_file(proxy_env), "0644"))
    if role == "head" and not batch_head:
        environment = program_environment(config, proxy_env)
        for program in ("slurm-resume", "slurm-suspend", "keeper"):
            files.append(_file(f"{BIN}/{program}", render_wrapper(program, environment), "0755"))
    files.append(_file(f"{BIN}/ephemeral", EPHEMERAL_SCRIPT, "0755"))
    files.append(_file("/etc/systemd/system/pcluster-pulumi-ephemeral.service", EPHEMERAL_UNIT, "0644"))
    units = {unit: text for unit, text in UNITS[role].items() if not batch_head or unit in BATCH_HEAD_UNITS}
    for unit, text in units.items():
        files.append(_file(f"/etc/systemd/system/{unit}", text, "0644"))
    if proxy_env:
        drop_in = f"[Service]\nEnvironmentFile={PROXY_ENV_FILE}\n"
        for unit in ("pcluster-pulumi-ephemeral.service", *units):
            files.append(_file(f"/etc/systemd/system/{unit}.d/pcluster-pulumi-proxy.conf", drop_in, "0644"))
    document = {"write_files": files, "runcmd": [[f"{BIN}/bootstrap.sh"]]}
    text = "#cloud-config\n" + json.dumps(document, indent=1) + "\n"
    if role != "head" and len(text.encode()) > USER_DATA_LIMIT:
        raise ValueError(f"{role} user data is {len(text.encode())} bytes, above EC2's {USER_DATA_LIMIT}")
    return text


def _file(path: str, content: str, permissions: str) -> dict[str, Any]:
    return {"path": path, "content": content, "permissions": permissions, "owner": "root:root"}
