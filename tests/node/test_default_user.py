"""DeploymentSettings on a node: the default user's sudo rights revoked by a later sudoers
rule, and ``DefaultUserHome: Local`` moving its home to /local/home/<user>; both converge."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from pcluster_pulumi.contract.bootstrap_script import SCRIPT
from pcluster_pulumi.contract.config import ConfigError, NodeConfig
from pcluster_pulumi.node.default_user import SUDOERS_FILE, configure_default_user, revoke_rule
from pcluster_pulumi.node.storage_setup import StorageError

from .factories import config_dict
from .fake_host import FakeHost


class Users(FakeHost):
    """A FakeHost whose passwd database knows the users' homes (``usermod -d`` updates it)."""

    homes: dict[str, str]

    def run(self, argv: Sequence[str], *, answers: str | None = None) -> str:
        if argv[:2] == ["getent", "passwd"]:
            home = self.homes.get(argv[2])
            if home is None:
                raise StorageError(f"getent passwd {argv[2]}: exit 2")
            return f"{argv[2]}:x:1000:1000::{home}:/bin/bash\n"
        if argv[0] == "usermod":
            self.homes[argv[-1]] = argv[2]
        return super().run(argv, answers=answers)


def users(**homes: str) -> Users:
    host = Users()
    host.homes = dict(homes)
    host.dirs["/home/ec2-user"] = [".ssh", ".bashrc"]
    return host


def test_sudo_is_revoked_by_a_rule_read_after_cloud_inits_and_only_once() -> None:
    host = users(**{"ec2-user": "/home/ec2-user"})
    assert configure_default_user(host, "ec2-user", disable_sudo=True, local_home=False) == [
        "sudo revoked for ec2-user"
    ]
    assert host.files[SUDOERS_FILE].endswith("ec2-user ALL=(ALL) !ALL\n")
    assert SUDOERS_FILE.rsplit("/", 1)[1] > "90-cloud-init-users"
    assert "write /etc/sudoers.d/99-pcluster-pulumi-default-user (440)" in host.transcript
    assert configure_default_user(host, "ec2-user", disable_sudo=True, local_home=False) == []


def test_sudo_is_restored_when_the_setting_is_turned_off() -> None:
    host = users(**{"ec2-user": "/home/ec2-user"})
    host.files[SUDOERS_FILE] = revoke_rule("ec2-user")
    assert configure_default_user(host, "ec2-user", disable_sudo=False, local_home=False) == [
        "sudo restored for ec2-user"
    ]
    assert host.commands() == [f"rm -f {SUDOERS_FILE}"]


def test_a_local_home_gets_the_shared_homes_content_then_becomes_the_users_home() -> None:
    host = users(**{"ec2-user": "/home/ec2-user"})
    assert configure_default_user(host, "ec2-user", disable_sudo=False, local_home=True) == [
        "home of ec2-user is now /local/home/ec2-user"
    ]
    assert host.commands() == [
        "cp -a /home/ec2-user/. /local/home/ec2-user/",
        "chown -R ec2-user: /local/home/ec2-user",
        "usermod -d /local/home/ec2-user ec2-user",
    ]
    assert host.homes["ec2-user"] == "/local/home/ec2-user"
    host.transcript.clear()
    assert configure_default_user(host, "ec2-user", disable_sudo=False, local_home=True) == []
    assert host.commands() == []


def test_a_missing_default_user_fails_the_step() -> None:
    with pytest.raises(StorageError, match="getent passwd ubuntu"):
        configure_default_user(users(), "ubuntu", disable_sudo=False, local_home=True)


def test_the_runtime_configuration_carries_both_settings() -> None:
    config = NodeConfig.from_dict(config_dict(disable_sudo_for_default_user=True, default_user_home="local"))
    assert config.disable_sudo_for_default_user and config.default_user_home == "local"
    assert NodeConfig.from_dict(config_dict()).default_user_home == "shared"
    with pytest.raises(ConfigError, match=r"\$\.default_user_home: must be one of shared, local"):
        NodeConfig.from_dict(config_dict(default_user_home="Local"))


def test_the_bootstrap_sets_the_user_up_once_its_shared_home_is_mounted() -> None:
    assert SCRIPT.index('node_setup storage "$ROLE"') < SCRIPT.index("node_setup default-user")
