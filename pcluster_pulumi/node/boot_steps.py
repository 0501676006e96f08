"""Boot-time steps the bootstrap script runs on a node: ``python3 -m pcluster_pulumi.node.boot_steps STEP``.

Kept in Python (not shell) so each step is unit-tested: finding the node's name, the munge
key, the Slurm files, the mount table and the storage behind it. The shell script only
orders the steps.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import socket
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from pcluster_pulumi.contract.config import ConfigError, NodeConfig
from pcluster_pulumi.contract.custom_actions import EVENTS, Action
from pcluster_pulumi.contract.slurm_layout import SlurmLayout
from pcluster_pulumi.node import imds, imds_access
from pcluster_pulumi.node.aws import Clients
from pcluster_pulumi.node.custom_actions import CustomActionError, run_actions
from pcluster_pulumi.node.default_user import configure_default_user
from pcluster_pulumi.node.ephemeral import setup_ephemeral
from pcluster_pulumi.node.slurm_files import write_all
from pcluster_pulumi.node.storage_plan import fstab_line, parse_mounts, shared_dir
from pcluster_pulumi.node.storage_setup import LocalHost, StorageError, StorageSetup


def node_name_of(clients: Clients, config: NodeConfig, instance_id: str) -> str | None:
    """The Slurm node name recorded for this instance (GSI ``InstanceId``), None if none yet."""
    response = clients.dynamodb.query(
        TableName=config.tables.nodes_table,
        IndexName="InstanceId",
        KeyConditionExpression="InstanceId = :id",
        ExpressionAttributeValues={":id": {"S": instance_id}},
    )
    items = response.get("Items", [])
    return str(items[0]["Id"]["S"]) if items else None


def fstab_lines(mounts: Iterable[dict[str, Any]], role: str) -> list[str]:
    """The fstab lines of the mounts a role uses, as ``storage`` writes them (``fstab_line``).

    Block devices appear with the mount table's source; the storage step writes them by
    ``UUID=`` once it has seen the device. ``local`` entries are directories, not mounts.
    """
    return [
        fstab_line(mount)
        for mount in parse_mounts(mounts)
        if role in mount.roles and mount.kind != "local" and mount.fstype != "none"
    ]


def munge_key(clients: Clients, config: NodeConfig) -> bytes | None:
    """The cluster's munge key from Secrets Manager (base64 secret), None when not configured."""
    if not config.munge_key_secret_arn:
        return None
    secret = clients.secretsmanager.get_secret_value(SecretId=config.munge_key_secret_arn)
    key = base64.b64decode(secret["SecretString"], validate=True)
    if not 32 <= len(key) <= 1024:
        raise ValueError(f"munge key must decode to 256-8192 bits, got {len(key) * 8}")
    return key


def database_password(secret_string: str) -> str:
    """The accounting database password a secret holds.

    RDS-managed master secrets are JSON (``{"username": …, "password": …}``); a user's
    ``PasswordSecretArn`` holds the bare password, as ParallelCluster expects. A bare password
    that merely looks like JSON but is not an object stays what it is.
    """
    text = secret_string.strip()
    if text.startswith("{"):
        try:
            document = json.loads(text)
        except ValueError:
            document = None
        if isinstance(document, dict):
            password = document.get("password")
            if not isinstance(password, str) or not password:
                raise ValueError(
                    "the accounting database secret is a JSON object without a 'password' string"
                )
            return password
    return secret_string.rstrip("\r\n")


def accounting_password(clients: Clients, config: NodeConfig) -> str | None:
    """The slurmdbd database password from Secrets Manager; None without a database."""
    accounting = config.scheduler.accounting
    if accounting is None or accounting.kind != "database" or not accounting.password_secret_arn:
        return None
    secret = clients.secretsmanager.get_secret_value(SecretId=accounting.password_secret_arn)
    return database_password(secret["SecretString"])


def custom_actions_of(config: NodeConfig, event: str, role: str, node_name: str | None) -> tuple[Action, ...]:
    """The scripts a node of this role runs for event: the head node's, or its queue's.

    A compute node knows its queue from its node name (``<queue>-st|dy-<cr>-<n>``), which is
    why the bootstrap looks the name up before ``OnNodeStart``. Login pools are not deployed
    yet, so a login node has none.
    """
    if role == "head":
        return config.head_node.custom_actions.of(event)
    if role == "compute":
        if not node_name:
            raise ConfigError("a compute node needs its node name to find its queue's custom actions")
        queue, _ = config.compute_resource_of(node_name)
        return queue.custom_actions.of(event)
    return ()


def ephemeral_mount_dir(config: NodeConfig, role: str, node_name: str | None) -> str | None:
    """Where this node mounts its instance store: the head node's or its queue's dir (login: none yet)."""
    if role == "head":
        return config.head_node.ephemeral_mount_dir
    if role == "compute" and node_name:
        queue, _ = config.compute_resource_of(node_name)
        return queue.ephemeral_mount_dir
    return None


def head_layout(hostname: str | None = None) -> SlurmLayout:
    """The production layout with this machine's short hostname as the controller."""
    return SlurmLayout(controller_hostname=(hostname or socket.gethostname()).split(".")[0])


def main(argv: Sequence[str] | None = None) -> int:
    """Run one boot step; see --help."""
    parser = argparse.ArgumentParser(prog="python3 -m pcluster_pulumi.node.boot_steps", description=__doc__)
    steps = parser.add_subparsers(dest="step", required=True)
    steps.add_parser("slurm-config", help="write slurm.conf, gres.conf, cgroup.conf (+ slurmdbd.conf)")
    mkey = steps.add_parser("munge-key", help="write the munge key from Secrets Manager (exit 3 if none)")
    mkey.add_argument("path")
    whoami = steps.add_parser("node-name", help="print this instance's Slurm node name (exit 3 if unknown)")
    whoami.add_argument("instance_id")
    fstab = steps.add_parser("fstab", help="print fstab lines for a role")
    fstab.add_argument("role", choices=("head", "compute", "login"))
    storage = steps.add_parser(
        "storage", help="attach, format, mount and (head) export the mount table entries of a role"
    )
    storage.add_argument("role", choices=("head", "compute", "login"))
    shared = steps.add_parser(
        "shared-dir", help="print the directory the head node shares with compute or login nodes"
    )
    shared.add_argument("role", choices=("compute", "login"))
    scratch = steps.add_parser("ephemeral", help="RAID 0, format and mount the instance-store disks, if any")
    scratch.add_argument("role", choices=("head", "compute", "login"))
    scratch.add_argument("--node", help="this compute node's Slurm node name (selects its queue)")
    steps.add_parser("default-user", help="DeploymentSettings: default user's sudo rights and home")
    steps.add_parser("imds-access", help="head node: restrict IMDS to root and the Slurm user, or open it")
    action = steps.add_parser("custom-action", help="fetch and run a role's scripts for one event")
    action.add_argument("event", choices=[e.replace("_", "-") for e in EVENTS])
    action.add_argument("role", choices=("head", "compute", "login"))
    action.add_argument("--node", help="this compute node's Slurm node name (selects its queue)")
    args = parser.parse_args(argv)
    config = NodeConfig.load()
    clients = Clients(config.region)
    if args.step == "slurm-config":
        for path in write_all(config, head_layout(), accounting_password(clients, config)):
            print(path)
    elif args.step == "storage":
        try:
            StorageSetup(LocalHost()).run(
                config.mounts, args.role, client_networks=imds.vpc_cidr_blocks, cpus=os.cpu_count() or 1
            )
        except (StorageError, ConfigError, imds.MetadataError) as error:
            print(f"storage setup failed: {error}", file=sys.stderr)
            return 1
    elif args.step == "ephemeral":
        try:
            mount_dir = ephemeral_mount_dir(config, args.role, args.node)
            if mount_dir:
                setup_ephemeral(LocalHost(), mount_dir)
        except (StorageError, KeyError) as error:
            print(f"instance store setup failed: {error}", file=sys.stderr)
            return 1
    elif args.step == "default-user":
        try:
            for change in configure_default_user(
                LocalHost(),
                config.cluster_user,
                disable_sudo=config.disable_sudo_for_default_user,
                local_home=config.default_user_home == "local",
            ):
                print(change)
        except StorageError as error:
            print(f"default user setup failed: {error}", file=sys.stderr)
            return 1
    elif args.step == "imds-access":
        try:
            users = imds_access.apply(config.head_node.imds_secured, head_layout().slurm_user)
        except RuntimeError as error:
            print(f"imds lockdown failed: {error}", file=sys.stderr)
            return 1
        print(f"IMDS restricted to: {', '.join(users)}" if users else "IMDS open to every user")
    elif args.step == "custom-action":
        event = args.event.replace("-", "_")
        try:
            run_actions(custom_actions_of(config, event, args.role, args.node), event, clients.s3)
        except (CustomActionError, ConfigError, KeyError) as error:
            print(f"custom action failed: {error}", file=sys.stderr)
            return 1
    elif args.step == "shared-dir":
        try:
            print(shared_dir(parse_mounts(config.mounts), args.role))
        except ConfigError as error:
            print(error, file=sys.stderr)
            return 1
    elif args.step == "munge-key":
        key = munge_key(clients, config)
        if key is None:
            return 3
        fd = os.open(args.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o400)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
    elif args.step == "node-name":
        name = node_name_of(clients, config, args.instance_id)
        if name is None:
            return 3
        print(name)
    else:
        print("\n".join(fstab_lines(config.mounts, args.role)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
