"""Login nodes: a client-only slurm.conf, the pool's shared SSH host keys, the lifecycle hooks.

A login node runs no Slurm daemon: users' ``sbatch``/``squeue`` talk to slurmctld on the head
node. Its slurm.conf therefore names only the controller, the port and munge, rendered from
the runtime configuration at boot; unlike ParallelCluster's copy of the head node's full
file, it does not go stale when queues change (the controller answers for those).

Every node of a pool presents the same SSH host keys: users reach the pool through one load
balancer address, and different keys behind it would trip their ``known_hosts``. The head
node generates one set per pool into the root-only directory it shares with login nodes.

The Auto Scaling group holds a new node in ``Pending:Wait`` until its bootstrap finishes
(``complete_launch``), and an old one in ``Terminating:Wait`` for ``GracetimePeriod``
minutes, during which ``watch_termination`` warns logged-in users every minute.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pcluster_pulumi.contract import names
from pcluster_pulumi.contract.access import LAUNCH_HOOK, TERMINATE_HOOK
from pcluster_pulumi.contract.config import NodeConfig
from pcluster_pulumi.contract.slurm_layout import SlurmLayout

__all__ = [
    "HOST_KEY_TYPES",
    "LAUNCH_HOOK",
    "TERMINATE_HOOK",
    "complete_launch",
    "controller_hostname",
    "ensure_pool_host_keys",
    "install_host_keys",
    "render_client_slurm_conf",
    "termination_message",
    "wait_for_share",
    "watch_termination",
]

HOST_KEY_TYPES = ("rsa", "ecdsa", "ed25519")
#: What IMDS's ``autoscaling/target-lifecycle-state`` answers once the group decided to remove us.
TERMINATING_STATE = "Terminated"


def controller_hostname(config: NodeConfig) -> str:
    """The head node's short hostname: recorded, or EC2's default name for its address."""
    if config.head_node.hostname:
        return config.head_node.hostname.split(".")[0]
    return "ip-" + config.head_node.private_ip.replace(".", "-")


def render_client_slurm_conf(config: NodeConfig, layout: SlurmLayout) -> str:
    """slurm.conf for Slurm's client commands: the controller, its port, munge, accounting."""
    host = layout.controller_hostname
    address = layout.controller_address or config.head_node.private_ip
    lines = [
        f"# slurm.conf of a login node of cluster {config.cluster_name}, rendered by pcluster-pulumi.",
        "# Client commands only: queues and nodes are asked of slurmctld on the head node.",
        f"ClusterName={names.slurm_cluster_name(config.cluster_name)}",
        f"SlurmctldHost={host}({address})",
        f"SlurmctldPort={layout.slurmctld_port}",
        f"SlurmUser={layout.slurm_user}",
        "AuthType=auth/munge",
        "CredType=cred/munge",
    ]
    if layout.munge_socket is not None:
        lines.append(f"AuthInfo=socket={layout.munge_socket}")
    accounting = config.scheduler.accounting
    if accounting is not None:
        # sacct and sreport go to slurmdbd directly.
        lines.append("AccountingStorageType=accounting_storage/slurmdbd")
        external = accounting.kind == "external"
        lines.append(f"AccountingStorageHost={accounting.host if external else address}")
        lines.append(f"AccountingStoragePort={accounting.port if external else layout.slurmdbd_port}")
    return "\n".join(lines) + "\n"


Runner = Callable[[Sequence[str]], Any]


def _run(argv: Sequence[str]) -> Any:
    return subprocess.run(list(argv), check=True, capture_output=True, text=True)


def ensure_pool_host_keys(directory: Path, pools: Sequence[str], run: Runner = _run) -> list[Path]:
    """Head node: one set of host keys per pool under ``directory/<pool>/`` (kept across reboots)."""
    created = []
    for pool in pools:
        pool_dir = directory / pool
        pool_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        pool_dir.chmod(0o700)
        for kind in HOST_KEY_TYPES:
            key = pool_dir / f"ssh_host_{kind}_key"
            if key.exists():
                continue
            run(["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", f"login pool {pool}", "-f", str(key)])
            created.append(key)
    return created


def install_host_keys(source: Path, target: Path = Path("/etc/ssh")) -> list[Path]:
    """Login node: the pool's keys replace the ones this instance generated (private 0600, public 0644)."""
    installed = []
    for kind in HOST_KEY_TYPES:
        for suffix, mode in (("", 0o600), (".pub", 0o644)):
            name = f"ssh_host_{kind}_key{suffix}"
            if not (source / name).exists():
                raise FileNotFoundError(f"the pool's host key {source / name} is missing")
            destination = target / name
            destination.write_bytes((source / name).read_bytes())
            destination.chmod(mode)
            installed.append(destination)
    return installed


def wait_for_share(
    ready: Path,
    heartbeat: Callable[[], None],
    *,
    timeout: float = 1800.0,
    heartbeat_every: float = 300.0,
    poll_seconds: float = 10.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> bool:
    """Wait until the head node has shared what a login node needs (``ready`` exists).

    The group creates login nodes as soon as the head node instance exists, often before its
    bootstrap has shared the munge key and host keys; the wait keeps the launch hook alive
    (``heartbeat``, under its 10-minute timeout) instead of failing and being replaced.
    """
    start = last_beat = clock()
    while not ready.exists():
        now = clock()
        if now - start >= timeout:
            return False
        if now - last_beat >= heartbeat_every:
            heartbeat()
            last_beat = now
        sleep(poll_seconds)
    return True


def complete_launch(
    autoscaling: Any, group: str, instance_id: str, *, success: bool, hook: str = LAUNCH_HOOK
) -> None:
    """Let the Auto Scaling group put this node in service (or replace it when the boot failed)."""
    autoscaling.complete_lifecycle_action(
        LifecycleHookName=hook,
        AutoScalingGroupName=group,
        InstanceId=instance_id,
        LifecycleActionResult="CONTINUE" if success else "ABANDON",
    )


def termination_message(minutes_left: int) -> str:
    """What logged-in users read while their login node is leaving the pool."""
    when = "in less than a minute" if minutes_left < 1 else f"in about {minutes_left} minute(s)"
    return (
        f"This login node is being removed from its pool and will shut down {when}. "
        "Save your work and log in again through the pool's address to reach another node."
    )


def watch_termination(
    lifecycle_state: Callable[[], str],
    broadcast: Callable[[str], None],
    gracetime_minutes: int,
    *,
    poll_seconds: float = 10.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    max_polls: int | None = None,
) -> bool:
    """Wait for the group to start removing this node, then warn users once a minute until the end.

    Returns True once the grace period is over (the group then terminates the instance), False
    when ``max_polls`` ran out first (tests bound the loop with it).
    """
    polls = 0
    while lifecycle_state().strip() != TERMINATING_STATE:
        polls += 1
        if max_polls is not None and polls >= max_polls:
            return False
        sleep(poll_seconds)
    started = clock()
    deadline = started + gracetime_minutes * 60
    while True:
        left = deadline - clock()
        if left <= 0:
            return True
        broadcast(termination_message(int(left // 60)))
        sleep(min(60.0, left))
