"""Networking.Proxy on a node: the bootstrap, the daemons and the head node's programs all get
http_proxy / https_proxy, and no_proxy keeps IMDS, the VPC resolver and the cluster's zone direct."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from pcluster_pulumi.contract.bootstrap import render_user_data
from pcluster_pulumi.contract.bootstrap_script import SCRIPT
from pcluster_pulumi.contract.config import NodeConfig
from pcluster_pulumi.contract.proxy import ENV_FILE, no_proxy, proxy_environment, render_env_file

from .factories import config_dict

PROXY = "http://proxy.example.com:3128"


def config(**extra: Any) -> NodeConfig:
    return NodeConfig.from_dict(config_dict(bucket="b", node_package_key="k", **extra))


def files(role: str, proxy: str | None = PROXY, **extra: Any) -> dict[str, str]:
    document = json.loads(render_user_data(config(**extra), role, "c", proxy=proxy).split("\n", 1)[1])
    return {f["path"]: f["content"] for f in document["write_files"]}


def test_no_proxy_keeps_loopback_metadata_vpc_dns_and_the_private_zone_direct() -> None:
    assert no_proxy("demo.pcluster.") == "localhost,127.0.0.1,169.254.169.254,169.254.169.253,demo.pcluster"
    assert no_proxy(None) == "localhost,127.0.0.1,169.254.169.254,169.254.169.253"


def test_both_spellings_are_exported_and_the_file_is_readable_by_sh() -> None:
    environment = proxy_environment(PROXY, "demo.pcluster.")
    assert environment["https_proxy"] == environment["HTTPS_PROXY"] == PROXY
    assert environment["NO_PROXY"] == environment["no_proxy"]
    script = render_env_file(environment) + 'printf "%s|%s" "$https_proxy" "$no_proxy"\n'
    done = subprocess.run(["sh", "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout == f"{PROXY}|localhost,127.0.0.1,169.254.169.254,169.254.169.253,demo.pcluster"


@pytest.mark.parametrize(
    ("role", "units"),
    [
        (
            "head",
            [
                "pcluster-pulumi-ephemeral",
                "pcluster-pulumi-slurmdbd",
                "pcluster-pulumi-slurmctld",
                "pcluster-pulumi-imds",
                "pcluster-pulumi-keeper",
            ],
        ),
        ("compute", ["pcluster-pulumi-ephemeral", "pcluster-pulumi-slurmd"]),
        ("login", ["pcluster-pulumi-ephemeral", "pcluster-pulumi-login-lifecycle"]),
    ],
)
def test_every_daemon_of_the_role_reads_the_proxy_environment(role: str, units: list[str]) -> None:
    written = files(role, dns={"hosted_zone_id": "Z1", "domain": "demo.pcluster."})
    assert "no_proxy=localhost,127.0.0.1,169.254.169.254,169.254.169.253,demo.pcluster\n" in written[ENV_FILE]
    drop_ins = sorted(p for p in written if p.endswith(".d/pcluster-pulumi-proxy.conf"))
    assert drop_ins == sorted(f"/etc/systemd/system/{u}.service.d/pcluster-pulumi-proxy.conf" for u in units)
    assert all(written[p] == f"[Service]\nEnvironmentFile={ENV_FILE}\n" for p in drop_ins)


def test_the_programs_slurmctld_runs_export_the_proxy_themselves() -> None:
    written = files("head")
    for program in ("slurm-resume", "slurm-suspend", "keeper"):
        assert f"export https_proxy={PROXY}\n" in written[f"/opt/pcluster-pulumi/bin/{program}"]


def test_without_a_proxy_nothing_about_one_is_written() -> None:
    written = files("head", proxy=None)
    assert ENV_FILE not in written
    assert not [p for p in written if "proxy" in p]
    assert "https_proxy" not in written["/opt/pcluster-pulumi/bin/slurm-resume"]


def test_the_bootstrap_exports_the_proxy_before_its_first_download() -> None:
    assert SCRIPT.index(f"set -a; . {ENV_FILE}; set +a") < SCRIPT.index("\ninstall_packages\n")
