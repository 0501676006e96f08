"""``DeploymentSettings``: the default OS user's sudo rights and home, on every node.

``DisableSudoAccessForDefaultUser``: cloud-init gives the AMI's default user (``ec2-user``,
``ubuntu``…) passwordless sudo in ``/etc/sudoers.d/90-cloud-init-users``. ParallelCluster
revokes it with a later rule; sudo applies the last matching rule, so a ``99-`` file with
``USER ALL=(ALL) !ALL`` wins without editing cloud-init's file (which it may rewrite).

``DefaultUserHome: Local``: each node gets its own ``/local/home/<user>`` instead of the shared
``/home/<user>``; the shared home's content (SSH keys first of all) is copied in once, then the
user's home is changed with ``usermod -d``. Both steps converge when run again.
"""

from __future__ import annotations

import os

from pcluster_pulumi.node.host import Host, StorageError

__all__ = ["LOCAL_HOME_ROOT", "SUDOERS_FILE", "configure_default_user", "revoke_rule"]

SUDOERS_FILE = "/etc/sudoers.d/99-pcluster-pulumi-default-user"
LOCAL_HOME_ROOT = "/local/home"


def revoke_rule(user: str) -> str:
    """The sudoers line that takes every sudo right from user (after cloud-init's grant)."""
    return f"# DeploymentSettings.DisableSudoAccessForDefaultUser (pcluster-pulumi)\n{user} ALL=(ALL) !ALL\n"


def _home_of(host: Host, user: str) -> str:
    """The user's home directory from the passwd database (``getent``)."""
    fields = host.run(["getent", "passwd", user]).strip().split(":")
    if len(fields) < 7:
        raise StorageError(f"default user {user!r} does not exist on this node")
    return fields[5]


def configure_default_user(host: Host, user: str, *, disable_sudo: bool, local_home: bool) -> list[str]:
    """Apply both settings; returns what changed (empty when nothing had to)."""
    changes = []
    if disable_sudo:
        rule = revoke_rule(user)
        if host.read_text(SUDOERS_FILE) != rule:
            host.write_text(SUDOERS_FILE, rule, 0o440)
            changes.append(f"sudo revoked for {user}")
    elif host.read_text(SUDOERS_FILE) is not None:
        host.run(["rm", "-f", SUDOERS_FILE])
        changes.append(f"sudo restored for {user}")
    if local_home:
        target = f"{LOCAL_HOME_ROOT}/{user}"
        current = _home_of(host, user)
        if os.path.normpath(current) != target:
            host.makedirs(LOCAL_HOME_ROOT)
            if not host.exists(target):
                host.makedirs(target)
                if host.exists(current):
                    host.run(["cp", "-a", current.rstrip("/") + "/.", target + "/"])
            host.run(["chown", "-R", f"{user}:", target])
            host.run(["usermod", "-d", target, user])
            changes.append(f"home of {user} is now {target}")
    return changes
