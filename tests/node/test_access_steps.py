"""Boot steps for access: the directory password's path, the SSH key hook, login user data."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from pcluster_pulumi.contract.access import Access
from pcluster_pulumi.contract.bootstrap import render_user_data
from pcluster_pulumi.contract.bootstrap_script import SCRIPT
from pcluster_pulumi.contract.config import NodeConfig
from pcluster_pulumi.contract.config_reader import Reader
from pcluster_pulumi.node import access_steps
from pcluster_pulumi.node.access_shell import SHELL_FUNCTIONS
from pcluster_pulumi.node.access_steps import (
    KEYGEN_SCRIPT,
    PAM_LINE,
    install_keygen_hook,
    password_path,
    write_sssd_conf,
)
from pcluster_pulumi.node.aws import Clients

from .factories import config_dict

DIRECTORY: dict[str, Any] = {
    "domain_name": "corp.example.com",
    "domain_addr": "ldaps://corp.example.com",
    "password_secret_arn": "to-be-created",
    "domain_read_only_user": "cn=ReadOnly,dc=corp,dc=example,dc=com",
}
POOL = {"name": "pool1", "auto_scaling_group": "demo-pool1", "gracetime_minutes": 5, "dcv": {"port": 8443}}


def access_config(**access: Any) -> NodeConfig:
    return NodeConfig.from_dict(
        config_dict(bucket="cluster-bucket", node_package_key="node/package.tar.gz", access=access)
    )


@mock_aws
def test_only_the_head_node_reads_the_secret_and_hands_it_over_root_only(tmp_path: Path) -> None:
    arn = boto3.client("secretsmanager", region_name="us-east-1").create_secret(
        Name=f"ad-bind-{uuid.uuid4().hex}", SecretString="Bind-P4ss"
    )["ARN"]
    directory = Access.read(
        Reader({"directory_service": {**DIRECTORY, "password_secret_arn": arn}}, "$")
    ).directory_service
    assert directory is not None
    compute_share, login_share = tmp_path / "compute", tmp_path / "login"
    head_conf = tmp_path / "head" / "sssd.conf"
    write_sssd_conf(
        directory, "head", Clients("us-east-1"), [str(compute_share), str(login_share)], head_conf
    )
    for share in (compute_share, login_share):
        assert password_path(str(share)).read_text() == "Bind-P4ss\n"
        assert password_path(str(share)).stat().st_mode & 0o777 == 0o600
    # A login node has no right to the secret: it reads the share (no AWS call is made).
    login_conf = tmp_path / "login-node" / "sssd.conf"
    write_sssd_conf(directory, "login", Clients("eu-west-3"), [str(login_share)], login_conf)
    assert login_conf.read_text() == head_conf.read_text()
    assert "ldap_default_authtok = Bind-P4ss" in login_conf.read_text()
    assert login_conf.stat().st_mode & 0o777 == 0o600


def test_without_a_directory_the_step_says_so_with_exit_3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "config.json"
    path.write_text(access_config(login_pools=[POOL]).to_json())
    monkeypatch.setenv("PCLUSTER_PULUMI_NODE_CONFIG", str(path))
    assert access_steps.main(["sssd-config", "compute"]) == 3
    assert access_steps.main(["ssh-keygen-hook"]) == 3
    assert access_steps.main(["dcv-config", "head"]) == 3  # only the pool has DCV
    assert access_steps.main(["host-keys-install", "no-such-pool"]) == 1


def test_the_ssh_key_hook_is_installed_once_at_the_end_of_sshds_session_stack(tmp_path: Path) -> None:
    pam = tmp_path / "etc/pam.d/sshd"
    pam.parent.mkdir(parents=True)
    pam.write_text("@include common-session\n")
    assert install_keygen_hook(tmp_path)
    assert not install_keygen_hook(tmp_path)
    assert pam.read_text().splitlines() == ["@include common-session", PAM_LINE]
    done = subprocess.run(["bash", "-n"], input=KEYGEN_SCRIPT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_access_section_round_trips_through_the_runtime_document() -> None:
    config = access_config(login_pools=[POOL], head_dcv={"port": 8555})
    again = NodeConfig.from_dict(json.loads(config.to_json()))
    assert again.access == config.access
    assert again.access.pool("pool1").gracetime_minutes == 5
    assert again.access.dcv_for("login", "pool1") is not None
    assert again.access.dcv_for("head") is not None and again.access.dcv_for("compute") is None


def cloud_init() -> str:
    found = shutil.which("cloud-init")
    if found is None:
        raise RuntimeError("cloud-init is not installed: run .ci/install-node-deps.sh")
    return found


def test_login_user_data_names_its_pool_and_passes_cloud_init_schema(tmp_path: Path) -> None:
    text = render_user_data(access_config(login_pools=[POOL]), "login", "k", pool="pool1")
    path = tmp_path / "login.cfg"
    path.write_text(text)
    done = subprocess.run([cloud_init(), "schema", "-c", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    files = {f["path"]: f for f in json.loads(text.split("\n", 1)[1])["write_files"]}
    assert "POOL=pool1\n" in files["/etc/pcluster-pulumi/bootstrap.env"]["content"]
    unit = files["/etc/systemd/system/pcluster-pulumi-login-lifecycle.service"]["content"]
    assert "access_steps lifecycle-watch ${POOL}" in unit
    with pytest.raises(KeyError):
        render_user_data(access_config(login_pools=[POOL]), "login", "k", pool="other")


def test_the_bootstrap_and_its_access_functions_are_valid_bash_and_complete_the_hook_last() -> None:
    for text in (SCRIPT, SHELL_FUNCTIONS):
        done = subprocess.run(["bash", "-n"], input=text, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    main = SCRIPT[SCRIPT.index("\nNODE_NAME=\n") :]
    # Sourced before any step uses them; the hook is completed after the node's own scripts ran.
    assert main.index(". /etc/pcluster-pulumi/access.sh") < main.index("custom_action on-node-start")
    assert main.index("custom_action on-node-configured") < main.index("access_ready")
    ready = SHELL_FUNCTIONS[SHELL_FUNCTIONS.index("access_ready() {") :]
    assert 'node_access lifecycle-complete "$POOL"' in ready
    # The head shares the pools' host keys last; a login node waits for them before munge.
    assert "node_access host-keys-share" in ready
    assert "wait_for_head\nsetup_munge\n" in main
    assert 'lifecycle-complete "${POOL:-}" --failed' in SCRIPT[: SCRIPT.index("trap 'fail")]


def test_the_functions_are_what_the_step_prints(capsys: pytest.CaptureFixture[str]) -> None:
    assert access_steps.main(["shell-functions"]) == 0
    assert capsys.readouterr().out == SHELL_FUNCTIONS


def run_functions(tmp_path: Path, role: str, codes: dict[str, int], calls: str) -> list[str]:
    """Source the access functions with stub commands and run ``calls``; return what they ran."""
    log = tmp_path / "log"
    log.touch()
    stubs = "\n".join(
        f'{name}() {{ echo "{name} $*" >> {log}; }}'
        for name in ("systemctl", "apt-get", "pam-auth-update", "dnf", "authselect", "sed")
    )
    cases = " ".join(f"{step}) return {code};;" for step, code in codes.items())
    script = f"""set -Eeuo pipefail
ROLE={role}; POOL=users
fail() {{ echo "FAIL $*" >> {log}; exit 1; }}
node_access() {{ echo "node_access $*" >> {log}; case "$1" in {cases} *) return 0;; esac; }}
{stubs}
{SHELL_FUNCTIONS}
{calls}
"""
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True)
    lines = log.read_text().splitlines()
    assert done.returncode == 0, (done.stderr, lines)
    return lines


def test_a_login_node_without_directory_or_dcv_only_joins_its_pool(tmp_path: Path) -> None:
    ran = run_functions(tmp_path, "login", {"sssd-config": 3, "dcv-config": 3}, "setup_access; access_ready")
    assert ran == [
        "node_access sssd-config login",
        "node_access dcv-config login --pool users",
        "systemctl enable --now pcluster-pulumi-login-lifecycle",
        "node_access lifecycle-complete users",
    ]


def test_a_compute_node_with_a_directory_wires_sssd_and_pam_but_not_sshd_or_dcv(tmp_path: Path) -> None:
    ran = run_functions(tmp_path, "compute", {"sssd-config": 0}, "setup_access; access_ready")
    assert ran[0] == "node_access sssd-config compute"
    assert any(line.startswith("apt-get install") and "sssd" in line for line in ran)
    assert "pam-auth-update --enable mkhomedir" in ran
    assert "systemctl restart sssd" in ran
    assert not any("sshd" in line or "dcv" in line or "ssh-keygen-hook" in line for line in ran)


def test_the_head_node_shares_host_keys_last_and_a_failed_directory_stops_the_boot(tmp_path: Path) -> None:
    ran = run_functions(tmp_path, "head", {"sssd-config": 3, "dcv-config": 3}, "setup_access; access_ready")
    assert ran[-1] == "node_access host-keys-share"
    with pytest.raises(AssertionError):
        run_functions(tmp_path, "head", {"sssd-config": 1}, "setup_access")
    assert "FAIL sssd configuration failed" in (tmp_path / "log").read_text()
