"""A login node's Slurm client configuration against the real slurmctld of the fixtures.

The login bootstrap renders a client-only slurm.conf (``node/login.py``) from the runtime
configuration; with ``SLURM_CONF`` pointing at it and nothing else of the head node's files,
``sinfo`` must see every queue and ``sbatch`` must submit. The job is submitted held, so
the shared controller never powers a node up for it, then cancelled.
"""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
from pathlib import Path

import pytest

from pcluster_pulumi.node.login import render_client_slurm_conf

from .conftest import SlurmCluster
from .processes import require

pytestmark = pytest.mark.integration


def login_env(cluster: SlurmCluster, conf: Path) -> dict[str, str]:
    """A login shell's environment: SLURM_CONF at the rendered file, no head-node files."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "SLURM_CONF": str(conf),
        "HOME": str(conf.parent),
    }


def run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)


@pytest.fixture
def login_conf(slurm_cluster: SlurmCluster, tmp_path: Path) -> Path:
    # The login node's layout differs from the head node's: it keeps no state, spool or logs.
    layout = dataclasses.replace(slurm_cluster.layout, conf_dir=tmp_path / "etc")
    layout.conf_dir.mkdir()
    path = layout.conf_dir / "slurm.conf"
    path.write_text(render_client_slurm_conf(slurm_cluster.config, layout))
    return path


def test_the_client_config_names_only_the_controller(slurm_cluster: SlurmCluster, login_conf: Path) -> None:
    text = login_conf.read_text()
    assert f"SlurmctldPort={slurm_cluster.layout.slurmctld_port}" in text
    assert "SlurmctldHost=" in text and "(127.0.0.1)" in text
    assert "NodeName=" not in text and "PartitionName=" not in text
    assert "ResumeProgram" not in text


def test_sinfo_from_a_login_node_sees_every_queue(slurm_cluster: SlurmCluster, login_conf: Path) -> None:
    done = run([require("sinfo"), "--noheader", "--format=%R"], login_env(slurm_cluster, login_conf))
    assert done.returncode == 0, done.stderr
    assert set(done.stdout.split()) == {q.name for q in slurm_cluster.config.queues}


def test_sbatch_from_a_login_node_submits_to_the_controller(
    slurm_cluster: SlurmCluster, login_conf: Path
) -> None:
    env = login_env(slurm_cluster, login_conf)
    done = run(
        [require("sbatch"), "--hold", "--partition=work", "--job-name=from-login", "--wrap=hostname"], env
    )
    assert done.returncode == 0, done.stderr + slurm_cluster.logs()
    match = re.search(r"Submitted batch job (\d+)", done.stdout)
    assert match, done.stdout
    job = match.group(1)
    try:
        # The controller (asked through the head node's own config) knows the job by name.
        shown = slurm_cluster.run("scontrol", "show", "job", job, "--oneliner")
        assert "JobName=from-login" in shown
        assert "Partition=work" in shown
        squeue = run([require("squeue"), "--noheader", "--format=%i %j", f"--jobs={job}"], env)
        assert squeue.stdout.split() == [job, "from-login"], squeue.stderr
    finally:
        slurm_cluster.run("scancel", job, check=False)


def test_the_client_needs_only_the_head_nodes_address_not_its_hostname(
    slurm_cluster: SlurmCluster, tmp_path: Path
) -> None:
    # A login node whose runtime configuration has no head node hostname names the controller
    # as EC2 would (ip-a-b-c-d); the address is what the commands connect to.
    layout = dataclasses.replace(
        slurm_cluster.layout, conf_dir=tmp_path / "etc", controller_hostname="ip-127-0-0-1"
    )
    layout.conf_dir.mkdir()
    conf = layout.conf_dir / "slurm.conf"
    conf.write_text(render_client_slurm_conf(slurm_cluster.config, layout))
    done = run([require("sinfo"), "--noheader", "--format=%R"], login_env(slurm_cluster, conf))
    assert done.returncode == 0, done.stderr
    assert "work" in done.stdout.split()
