"""Boot steps for people's access: ``python3 -m pcluster_pulumi.node.access_steps STEP``.

The directory (sssd.conf), the login node's Slurm client, its pool's host keys and lifecycle
hooks, and DCV. Like ``boot_steps``, each step is Python so it is unit-tested; the bootstrap
script only orders them. Nothing here prints a secret: the directory password goes from
Secrets Manager (head node) or the root-only share (other nodes) straight into sssd.conf.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from pcluster_pulumi.contract.access import LAUNCH_HOOK, DirectoryService
from pcluster_pulumi.contract.config import ConfigError, NodeConfig
from pcluster_pulumi.contract.slurm_layout import SlurmLayout
from pcluster_pulumi.node import dcv, imds, login, sssd
from pcluster_pulumi.node.access_shell import SHELL_FUNCTIONS
from pcluster_pulumi.node.aws import Clients, error_code, error_message
from pcluster_pulumi.node.custom_actions import CustomActionError, run_actions
from pcluster_pulumi.node.storage_plan import parse_mounts, shared_dir

__all__ = ["configure_dcv", "install_keygen_hook", "main", "password_path", "write_sssd_conf"]

LIB = "/opt/pcluster-pulumi/lib"
CONNECT_PATH = Path("/opt/pcluster-pulumi/bin/dcv-connect")
CLIENT_SLURM_CONF = Path("/etc/slurm/slurm.conf")
SSH_KEYGEN_HOOK = Path("/opt/pcluster-pulumi/bin/generate-ssh-key")
PAM_SSHD = Path("/etc/pam.d/sshd")
#: pam_exec at the end of sshd's session stack: after pam_mkhomedir made the home directory.
PAM_LINE = f"session optional pam_exec.so log=/var/log/pcluster-pulumi-ssh-keygen.log {SSH_KEYGEN_HOOK}"
KEYGEN_SCRIPT = r"""#!/bin/bash
# GenerateSshKeysForUsers: a directory user's first SSH login creates their key pair, authorized
# for themselves, so they can reach compute nodes (which share /home) without a password.
set -eu
[ "${PAM_TYPE:-}" = open_session ] || exit 0
[ -n "${PAM_USER:-}" ] && [ "$PAM_USER" != root ] || exit 0
home=$(getent passwd "$PAM_USER" | cut -d: -f6)
[ -n "$home" ] && [ -d "$home" ] || exit 0
dir="$home/.ssh"
# A user who set up SSH (or planted anything at ~/.ssh) is left alone.
if [ -e "$dir" ] || [ -L "$dir" ]; then exit 0; fi
group=$(id -g "$PAM_USER")
install -d -m 700 -o "$PAM_USER" -g "$group" "$dir"
ssh-keygen -q -t ed25519 -N '' -C "$PAM_USER" -f "$dir/id_ed25519"
cp "$dir/id_ed25519.pub" "$dir/authorized_keys"
chmod 600 "$dir/authorized_keys"
chown "$PAM_USER:$group" "$dir/id_ed25519" "$dir/id_ed25519.pub" "$dir/authorized_keys"
"""


def password_path(share: str) -> Path:
    """Where the head node leaves the directory bind password for the nodes it shares ``share`` with."""
    return Path(share) / ".directory" / "bind-password"


def write_sssd_conf(
    directory: DirectoryService, role: str, clients: Clients, shares: Sequence[str], target: Path
) -> None:
    """Head node: read the password with its role, hand it to ``shares``; others: read the share."""
    if role == "head":
        password = sssd.read_password(
            directory.password_secret_arn, clients.secretsmanager, clients._client("ssm")
        )
        for share in shares:
            sssd.write_private(password_path(share), password + "\n")
    else:
        (share,) = shares
        password = password_path(share).read_text(encoding="utf-8").strip()
    sssd.write_private(target, sssd.render_sssd_conf(directory, password))


def _shares(config: NodeConfig, role: str) -> list[str]:
    mounts = parse_mounts(config.mounts)
    if role == "head":
        return [shared_dir(mounts, "compute"), shared_dir(mounts, "login")]
    return [shared_dir(mounts, role)]


def main(argv: Sequence[str] | None = None) -> int:
    """Run one access step; see --help."""
    parser = argparse.ArgumentParser(prog="python3 -m pcluster_pulumi.node.access_steps", description=__doc__)
    steps = parser.add_subparsers(dest="step", required=True)
    directory = steps.add_parser("sssd-config", help="write /etc/sssd/sssd.conf (exit 3 without a directory)")
    directory.add_argument("role", choices=("head", "compute", "login"))
    steps.add_parser("login-slurm-config", help="login node: write the client-only slurm.conf")
    steps.add_parser("host-keys-share", help="head node: one set of SSH host keys per login pool")
    install = steps.add_parser("host-keys-install", help="login node: install the pool's SSH host keys")
    install.add_argument("pool")
    wait = steps.add_parser("wait-for-head", help="login node: wait until the head node shared its keys")
    wait.add_argument("pool")
    complete = steps.add_parser("lifecycle-complete", help="login node: complete the launch hook")
    complete.add_argument("pool")
    complete.add_argument("--failed", action="store_true", help="the bootstrap failed: replace this node")
    watch = steps.add_parser("lifecycle-watch", help="login node: warn users while the pool removes it")
    watch.add_argument("pool")
    action = steps.add_parser("custom-action", help="login node: run its pool's scripts for one event")
    action.add_argument("event", choices=("on-node-start", "on-node-configured"))
    action.add_argument("pool")
    dcv_config = steps.add_parser(
        "dcv-config", help="DCV: dcv.conf, token verifier, connect script (exit 3 if off)"
    )
    dcv_config.add_argument("role", choices=("head", "login"))
    dcv_config.add_argument("--pool")
    steps.add_parser(
        "ssh-keygen-hook", help="GenerateSshKeysForUsers: key pair at first login (exit 3 if off)"
    )
    steps.add_parser("shell-functions", help="print the bootstrap's setup_directory and setup_dcv")
    verifier = steps.add_parser("dcv-verifier", help="serve DCV's token checks on localhost")
    verifier.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    if args.step == "shell-functions":
        print(SHELL_FUNCTIONS, end="")
        return 0
    if args.step == "dcv-verifier":
        dcv.serve(args.port, dcv.TokenVerifier())
        return 0
    config = NodeConfig.load()
    clients = Clients(config.region)
    access = config.access
    try:
        if args.step == "sssd-config":
            if access.directory_service is None:
                return 3
            write_sssd_conf(
                access.directory_service, args.role, clients, _shares(config, args.role), sssd.SSSD_CONF
            )
        elif args.step == "login-slurm-config":
            layout = SlurmLayout(
                controller_hostname=login.controller_hostname(config),
                controller_address=config.head_node.private_ip,
            )
            CLIENT_SLURM_CONF.parent.mkdir(parents=True, exist_ok=True)
            CLIENT_SLURM_CONF.write_text(login.render_client_slurm_conf(config, layout))
            print(CLIENT_SLURM_CONF)
        elif args.step == "host-keys-share":
            share = Path(shared_dir(parse_mounts(config.mounts), "login")) / ".ssh-host-keys"
            login.ensure_pool_host_keys(share, [p.name for p in access.login_pools])
        elif args.step == "host-keys-install":
            access.pool(args.pool)
            share = Path(shared_dir(parse_mounts(config.mounts), "login")) / ".ssh-host-keys"
            login.install_host_keys(share / args.pool)
        elif args.step == "wait-for-head":
            pool = access.pool(args.pool)
            share = Path(shared_dir(parse_mounts(config.mounts), "login")) / ".ssh-host-keys"
            instance_id = imds.get("instance-id").strip()
            autoscaling = clients._client("autoscaling")

            def heartbeat() -> None:
                autoscaling.record_lifecycle_action_heartbeat(
                    LifecycleHookName=LAUNCH_HOOK,
                    AutoScalingGroupName=pool.auto_scaling_group,
                    InstanceId=instance_id,
                )

            # The head node writes the pool's host keys last, after the munge key and Slurm files.
            if not login.wait_for_share(share / args.pool / "ssh_host_ed25519_key.pub", heartbeat):
                print("the head node did not share the login nodes' files in time", file=sys.stderr)
                return 1
        elif args.step == "lifecycle-complete":
            pool = access.pool(args.pool)
            instance_id = imds.get("instance-id").strip()
            login.complete_launch(
                clients._client("autoscaling"), pool.auto_scaling_group, instance_id, success=not args.failed
            )
        elif args.step == "lifecycle-watch":
            pool = access.pool(args.pool)
            login.watch_termination(
                lambda: imds.get("autoscaling/target-lifecycle-state", attempts=1),
                _wall,
                pool.gracetime_minutes,
            )
        elif args.step == "custom-action":
            event = args.event.replace("-", "_")
            run_actions(access.pool(args.pool).custom_actions.of(event), event, clients.s3)
        elif args.step == "ssh-keygen-hook":
            directory_service = access.directory_service
            if directory_service is None or not directory_service.generate_ssh_keys_for_users:
                return 3
            install_keygen_hook()
        elif args.step == "dcv-config":
            settings = access.dcv_for(args.role, args.pool)
            if settings is None:
                return 3
            configure_dcv(settings.port)
    except (ConfigError, KeyError, OSError, ValueError, CustomActionError, imds.MetadataError) as error:
        print(f"{args.step} failed: {error}", file=sys.stderr)
        return 1
    except (BotoCoreError, ClientError) as error:  # AWS refused or could not be reached
        print(f"{args.step} failed: {error_code(error)}: {error_message(error)}", file=sys.stderr)
        return 1
    return 0


def _wall(text: str) -> None:
    """Write to every logged-in user's terminal."""
    subprocess.run(["wall", text], check=False)


def install_keygen_hook(root: Path = Path("/")) -> bool:
    """Install the key-generating script and hook it into sshd's PAM session stack (once)."""
    script = root / SSH_KEYGEN_HOOK.relative_to("/")
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(KEYGEN_SCRIPT)
    script.chmod(0o755)
    pam = root / PAM_SSHD.relative_to("/")
    lines = pam.read_text().splitlines() if pam.exists() else []
    if PAM_LINE in lines:
        return False
    pam.parent.mkdir(parents=True, exist_ok=True)
    pam.write_text("\n".join([*lines, PAM_LINE]) + "\n")
    return True


def configure_dcv(port: int, root: Path = Path("/")) -> list[Path]:
    """dcv.conf, the verifier's unit, the token spool (sticky, unlistable) and the connect script."""
    written = []
    for path, text, mode in (
        (dcv.DCV_CONF, dcv.render_dcv_conf(port), 0o644),
        (dcv.VERIFIER_UNIT, dcv.render_verifier_unit(port, LIB), 0o644),
        (CONNECT_PATH, dcv.CONNECT_SCRIPT, 0o755),
    ):
        target = root / path.relative_to("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        target.chmod(mode)
        written.append(target)
    tokens = root / dcv.TOKEN_DIR.relative_to("/")
    tokens.mkdir(parents=True, exist_ok=True)
    tokens.chmod(0o1733)  # anyone may create a token file; nobody may list or remove others'
    return [*written, tokens]


if __name__ == "__main__":
    sys.exit(main())
