"""An AWS Batch head node boots without Slurm: its user data, its bootstrap, and what that bootstrap runs.

The documents come from the real renderers over the example's spec (``examples/awsbatch.yaml``);
the bootstrap is run by bash with every system command replaced by a shim that records its
arguments, so the test sees the exact sequence of steps a Batch head node takes.
"""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pcluster_pulumi.cluster.user_data import LOADER, node_user_data
from pcluster_pulumi.contract.batch_head import BATCH_HEAD_SCRIPT, MAIN_MARKER
from pcluster_pulumi.contract.bootstrap import render_user_data
from pcluster_pulumi.contract.bootstrap_script import SCRIPT
from pcluster_pulumi.contract.config import NodeConfig
from pcluster_pulumi.derive.context import ClusterContext
from pcluster_pulumi.derive.runtime_config import RuntimeResources, render_runtime_config
from pcluster_pulumi.engines.offline.facts import cluster_facts
from pcluster_pulumi.spec.loader import load_spec

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "awsbatch.yaml"
CONFIG_KEY = "pcluster-pulumi/demo/config/node-config.json"
PROXY = "http://proxy.example.com:3128"
#: Steps of a Slurm head node; none may run on a Batch head node.
SLURM_STEPS = ("munge", "slurm-config", "slurmctld", "slurmdbd", "keeper", "shared-dir", "slurm")


def batch_context() -> ClusterContext:
    spec = load_spec(EXAMPLE, cluster_name="demo")
    return ClusterContext("demo", spec, cluster_facts(spec))


def batch_config() -> NodeConfig:
    resources = RuntimeResources(
        head_node_private_ip="10.0.0.10", bucket="cluster-bucket", node_package_key="node/package.tar.gz"
    )
    return NodeConfig.from_dict(render_runtime_config(batch_context(), resources))


def files_of(user_data: str) -> dict[str, dict[str, Any]]:
    return {f["path"]: f for f in json.loads(user_data.split("\n", 1)[1])["write_files"]}


def cloud_init_schema(text: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    found = shutil.which("cloud-init")
    if found is None:
        raise RuntimeError("cloud-init is not installed: run .ci/install-node-deps.sh")
    path = tmp_path / "user-data.cfg"
    path.write_text(text)
    return subprocess.run([found, "schema", "-c", str(path)], capture_output=True, text=True)


@pytest.mark.parametrize("proxy", [None, PROXY], ids=["direct", "proxy"])
def test_the_head_node_user_data_ec2_gets_passes_cloud_init_schema(proxy: str | None, tmp_path: Path) -> None:
    text = node_user_data(
        batch_context(),
        "head",
        head_ip="10.0.0.10",
        bucket="cluster-bucket",
        package_key="node/package.tar.gz",
        config_key=CONFIG_KEY,
        hosted_zone_id=None,
        proxy=proxy,
    )
    done = cloud_init_schema(text, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Valid cloud-config" in done.stdout
    assert files_of(text)["/opt/pcluster-pulumi/bin/head-loader.sh"]["content"] == LOADER


@pytest.mark.parametrize("proxy", [None, PROXY], ids=["direct", "proxy"])
def test_the_files_the_loader_writes_pass_cloud_init_schema_and_hold_no_slurm(
    proxy: str | None, tmp_path: Path
) -> None:
    text = render_user_data(batch_config(), "head", CONFIG_KEY, proxy=proxy)
    done = cloud_init_schema(text, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    files = files_of(text)
    assert files["/opt/pcluster-pulumi/bin/bootstrap.sh"]["content"] == BATCH_HEAD_SCRIPT
    units = sorted(
        p.rsplit("/", 1)[1] for p in files if p.startswith("/etc/systemd/system/") and "/" not in p[20:]
    )
    assert units == ["pcluster-pulumi-ephemeral.service", "pcluster-pulumi-imds.service"]
    assert not [p for p in files if p.endswith(("/slurm-resume", "/slurm-suspend", "/keeper"))]


def test_a_slurm_head_node_still_gets_the_slurm_bootstrap() -> None:
    config = NodeConfig.from_dict({**batch_config().to_dict(), "scheduler_type": "slurm"})
    files = files_of(render_user_data(config, "head", CONFIG_KEY))
    assert files["/opt/pcluster-pulumi/bin/bootstrap.sh"]["content"] == SCRIPT
    assert "/etc/systemd/system/pcluster-pulumi-keeper.service" in files


@pytest.mark.parametrize("script", [BATCH_HEAD_SCRIPT, LOADER], ids=["bootstrap", "loader"])
def test_the_scripts_are_valid_bash(script: str) -> None:
    done = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_batch_bootstrap_keeps_the_common_functions_and_replaces_the_main_sequence() -> None:
    functions, _, _ = SCRIPT.partition(MAIN_MARKER)
    assert BATCH_HEAD_SCRIPT.startswith(functions)
    main = BATCH_HEAD_SCRIPT[len(functions) :]
    assert "setup_munge" not in main and "head_node" not in main and "wait_for_head" not in main


SHIM = """#!/bin/bash
echo "$(basename "$0") $*" >> "$SHIM_LOG"
case "$(basename "$0") $*" in
    "python3 -m pcluster_pulumi.node.access_steps shell-functions")
        exec "$REAL_PYTHON" -m pcluster_pulumi.node.access_steps shell-functions ;;
    "python3 -m pcluster_pulumi.node.access_steps sssd-config"*) exit 3 ;;  # no DirectoryService
    "python3 -m pcluster_pulumi.node.access_steps dcv-config"*) exit 3 ;;  # no DCV in the example
    "python3 -m pcluster_pulumi.node.awsbatch head") exit "${AWSBATCH_STATUS:-0}" ;;
    "python3 -") cat > /dev/null ;;
    "getent "*) exit 2 ;;
esac
exit 0
"""


def run_bootstrap(
    tmp_path: Path, awsbatch_status: int = 0
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Run the Batch head node's bootstrap with its files under tmp_path and shims for the system."""
    root, shims = tmp_path / "root", tmp_path / "shims"
    shims.mkdir()
    for command in ("python3", "apt-get", "dnf", "systemctl", "journalctl", "iptables", "shutdown", "getent"):
        (shims / command).write_text(SHIM)
        (shims / command).chmod(stat.S_IRWXU)
    files = files_of(render_user_data(batch_config(), "head", CONFIG_KEY))

    def relocate(text: str) -> str:
        for top in ("/etc/pcluster-pulumi", "/opt/pcluster-pulumi", "/var/log"):
            text = text.replace(top, f"{root}{top}")
        return text

    for path, entry in files.items():
        target = Path(relocate(path))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(relocate(entry["content"]))
    (root / "var" / "log").mkdir(parents=True)
    (root / "etc" / "pcluster-pulumi" / "node-config.json").write_text(batch_config().to_json())
    log = tmp_path / "commands.log"
    env = {
        "PATH": f"{shims}:/usr/bin:/bin",
        "SHIM_LOG": str(log),
        "REAL_PYTHON": sys.executable,
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        "AWSBATCH_STATUS": str(awsbatch_status),
        "HOME": str(tmp_path),
    }
    script = root / "opt" / "pcluster-pulumi" / "bin" / "bootstrap.sh"
    done = subprocess.run(["bash", str(script)], capture_output=True, text=True, env=env, timeout=60)
    calls = log.read_text().splitlines() if log.exists() else []
    # fetch_runtime's only look at Slurm: the config's group is slurm's where that group exists.
    return done, [c for c in calls if c != "getent group slurm"]


def test_the_batch_head_node_boots_its_steps_in_order_and_never_a_slurm_one(tmp_path: Path) -> None:
    done, calls = run_bootstrap(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "bootstrap of the AWS Batch head node for cluster demo done" in done.stdout
    steps = [
        "python3 -m pcluster_pulumi.node.boot_steps custom-action on-node-start head",
        "systemctl enable --now pcluster-pulumi-ephemeral",
        "python3 -m pcluster_pulumi.node.boot_steps storage head",
        "python3 -m pcluster_pulumi.node.boot_steps default-user",
        "python3 -m pcluster_pulumi.node.awsbatch head",
        "python3 -m pcluster_pulumi.node.boot_steps custom-action on-node-configured head",
    ]
    positions = [calls.index(step) for step in steps]
    assert positions == sorted(positions), calls
    assert "systemctl enable --now pcluster-pulumi-imds" in calls  # Imds.Secured (false: opens IMDS)
    assert [c for c in calls if any(word in c for word in SLURM_STEPS)] == []
    installs = [c for c in calls if c.startswith(("apt-get install", "dnf install"))]
    assert installs and all("nfs" in c and "slurm" not in c and "munge" not in c for c in installs)


def test_a_failing_awsb_step_fails_the_boot_and_never_falls_back_to_slurm(tmp_path: Path) -> None:
    done, calls = run_bootstrap(tmp_path, awsbatch_status=3)  # 3: "not Batch" for the Slurm bootstrap
    assert done.returncode == 1
    assert "bootstrap failed: awsb* commands" in done.stdout
    assert [c for c in calls if any(word in c for word in SLURM_STEPS)] == []
    assert "python3 -m pcluster_pulumi.node.boot_steps custom-action on-node-configured head" not in calls
