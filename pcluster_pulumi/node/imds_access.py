"""Head node IMDS lockdown (``HeadNode.Imds.Secured``), as ParallelCluster's ``imds-access.sh``.

The instance metadata service hands out the head node role's credentials, which may launch and
terminate instances. ParallelCluster therefore lets only a few users reach 169.254.169.254 on
the head node: an iptables chain on OUTPUT that accepts those users' packets and rejects the
rest. Here the users are root (bootstrap, keeper, slurmctld's parent) and the Slurm user (the
resume and suspend programs run as it); users that do not exist are skipped, as iptables would
refuse them. ``Secured: false`` removes the chain, leaving IMDS open to every user.

The rules are recomputed and applied at every boot (iptables rules do not survive a reboot), so
the step is idempotent: the chain is flushed and refilled, and the jump is inserted only once.
"""

from __future__ import annotations

import pwd
import subprocess
from collections.abc import Callable, Sequence

__all__ = ["CHAIN", "IMDS_ADDRESS", "allowed_users", "apply", "lockdown_commands", "open_commands"]

CHAIN = "PCLUSTER_PULUMI_IMDS"
IMDS_ADDRESS = "169.254.169.254/32"
_JUMP = ["OUTPUT", "-d", IMDS_ADDRESS, "-j", CHAIN]

#: Runs one command; returns its exit status (a check such as ``iptables -C`` may fail on purpose).
Runner = Callable[[list[str]], int]


def _run(command: list[str]) -> int:
    try:
        done = subprocess.run(command, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except FileNotFoundError:
        return 127  # no iptables: fine when opening IMDS, a clear failure when securing it
    return done.returncode


def _exists(user: str) -> bool:
    try:
        pwd.getpwnam(user)
    except KeyError:
        return False
    return True


def allowed_users(slurm_user: str, exists: Callable[[str], bool] = _exists) -> list[str]:
    """root, then the Slurm user when it exists on this machine (no duplicates)."""
    users = ["root"]
    if slurm_user not in users and exists(slurm_user):
        users.append(slurm_user)
    return users


def lockdown_commands(users: Sequence[str]) -> list[list[str]]:
    """The iptables commands (after the chain exists) that let only users reach IMDS."""
    commands = [["iptables", "-w", "-F", CHAIN]]
    commands += [
        ["iptables", "-w", "-A", CHAIN, "-m", "owner", "--uid-owner", user, "-j", "ACCEPT"] for user in users
    ]
    commands.append(["iptables", "-w", "-A", CHAIN, "-j", "REJECT", "--reject-with", "icmp-port-unreachable"])
    return commands


def open_commands() -> list[list[str]]:
    """Undo the lockdown once no jump leads to the chain: empty and delete it (it may be gone)."""
    return [["iptables", "-w", "-F", CHAIN], ["iptables", "-w", "-X", CHAIN]]


def apply(
    secured: bool, slurm_user: str, run: Runner = _run, exists: Callable[[str], bool] = _exists
) -> list[str]:
    """Lock IMDS down to root and the Slurm user (secured) or open it; returns the users allowed.

    An empty list means IMDS is open to everyone. A failing iptables command other than the
    checks raises ``RuntimeError`` naming it, which fails the boot step: a head node that was
    asked to be secured must not come up open.
    """
    if not secured:
        while run(["iptables", "-w", "-C", *_JUMP]) == 0:
            run(["iptables", "-w", "-D", *_JUMP])
        for command in open_commands():
            run(command)
        return []
    if run(["iptables", "-w", "-n", "-L", CHAIN]) != 0:
        _must(run, ["iptables", "-w", "-N", CHAIN])
    users = allowed_users(slurm_user, exists)
    for command in lockdown_commands(users):
        _must(run, command)
    if run(["iptables", "-w", "-C", *_JUMP]) != 0:
        _must(run, ["iptables", "-w", "-I", "OUTPUT", "1", "-d", IMDS_ADDRESS, "-j", CHAIN])
    return users


def _must(run: Runner, command: list[str]) -> None:
    status = run(command)
    if status != 0:
        raise RuntimeError(f"{' '.join(command)} exited with status {status}")
