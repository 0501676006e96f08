"""A real Slurm controller driving the node programs against moto's server.

One cluster for the whole module: munged, moto's server behind the EC2 proxy, the AWS
resources a deployment would create (in 127.0.0.0/8 subnets), the runtime configuration,
the resume/suspend wrappers exactly as the bootstrap renders them, and slurmctld with the
slurm.conf our renderer produces — short timers so the suite stays quick.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pcluster_pulumi.contract import names
from pcluster_pulumi.contract.config import NodeConfig
from pcluster_pulumi.contract.programs import render_wrapper
from pcluster_pulumi.contract.slurm_layout import SlurmLayout
from pcluster_pulumi.derive.node_package import build_node_package
from pcluster_pulumi.node.scontrol import Scontrol, SlurmNode
from pcluster_pulumi.node.slurm_files import write_all

from ..node.factories import compute_resource, config_dict, facts
from ..node.provision import provision
from .ec2_proxy import Ec2Proxy
from .processes import Daemon, free_port, require, start_moto, start_munged, wait_for

REGION = "us-east-1"
CLUSTER = "itest"

pytestmark = pytest.mark.integration


def cluster_document() -> dict[str, object]:
    """Four queues, one per scenario family (see the tests)."""

    def queue(name: str, resource: dict[str, object]) -> dict[str, object]:
        return {"name": name, "subnet_ids": ["subnet-a"], "compute_resources": [resource]}

    small = facts("t3.small", vcpus=1, memory_mib=2048)
    return config_dict(
        cluster=CLUSTER,
        queues=[
            queue(
                "burst",
                compute_resource(CLUSTER, "burst", "c", [small, facts("t3a.small", 1, 2048)], max_count=4),
            ),
            queue("work", compute_resource(CLUSTER, "work", "w", [small], max_count=2)),
            queue("steady", compute_resource(CLUSTER, "steady", "s", [small], min_count=2, max_count=2)),
            queue("scarce", compute_resource(CLUSTER, "scarce", "x", [small], max_count=2)),
        ],
        dns={"hosted_zone_id": "to-be-created", "domain": names.hosted_zone_domain(CLUSTER)},
        head_node={"private_ip": "127.0.0.1", "hostname": socket.gethostname().split(".")[0]},
        scheduler={
            "scaledown_idletime_seconds": 6,
            "suspend_timeout_seconds": 4,
            "resume_timeout_seconds": 120,
            "scaling_strategy": "all-or-nothing",
            "custom_slurm_settings": [{"SlurmctldDebug": "debug"}, {"SlurmdDebug": "debug"}],
        },
        keeper={
            "interval_seconds": 2,
            "orphan_grace_seconds": 600,
            "insufficient_capacity_timeout_seconds": 600,
        },
    )


@dataclass
class SlurmCluster:
    """Handles the scenarios need."""

    root: Path
    config: NodeConfig
    env: dict[str, str]
    proxy: Ec2Proxy
    layout: SlurmLayout
    daemons: list[Daemon] = field(default_factory=list)

    def run(self, *argv: str, check: bool = True) -> str:
        """Run a Slurm client command (sbatch, squeue, scontrol…) against this controller."""
        done = subprocess.run(list(argv), env=self.env, capture_output=True, text=True, timeout=60)
        if check and done.returncode != 0:
            raise AssertionError(f"{' '.join(argv)} failed: {done.stderr}\n{self.logs()}")
        return done.stdout

    def nodes(self) -> dict[str, SlurmNode]:
        return {n.name: n for n in Scontrol(require("scontrol")).nodes()}

    def node(self, name: str) -> SlurmNode:
        return self.nodes()[name]

    def job_state(self, job_id: str) -> str:
        out = self.run("scontrol", "show", "job", job_id, "--oneliner", check=False)
        for token in out.split():
            if token.startswith("JobState="):
                return token.split("=", 1)[1]
        return ""

    def start_daemon(self, name: str, argv: list[str]) -> Daemon:
        daemon = Daemon(name, argv, self.root / f"{name}.out", env=self.env)
        self.daemons.append(daemon)
        return daemon

    def logs(self) -> str:
        parts = []
        for name in ("slurmctld.log", "resume.log", "suspend.log", "keeper.log", "slurmd.log"):
            path = self.root / "log" / name
            if path.exists():
                parts.append(f"--- {name}\n" + "\n".join(path.read_text(errors="replace").splitlines()[-30:]))
        return "\n".join(parts)


def start_backends(root: Path, daemons: list[Daemon]) -> tuple[Path, int, dict[str, str]]:
    """munged and a moto server for a test cluster, with the process environment pointed at moto.

    Returns (munge socket, moto port, the AWS variables set); the daemons join ``daemons``.
    """
    munged, munge_socket = start_munged(root)
    daemons.append(munged)
    moto, moto_port = start_moto(root)
    daemons.append(moto)
    aws = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{moto_port}",
    }
    os.environ.update(aws)
    os.environ.pop("AWS_PROFILE", None)
    return munge_socket, moto_port, aws


def install_node_package(root: Path) -> None:
    """The node programs run from the node package exactly as nodes unpack it (into root/lib)."""
    with tarfile.open(build_node_package(root / "node-package.tar.gz")) as archive:
        archive.extractall(root / "lib", filter="data")


def write_wrappers(bin_dir: Path, env: dict[str, str]) -> None:
    """The resume, suspend and keeper wrappers slurmctld and the tests run, as the bootstrap writes them."""
    for program in ("slurm-resume", "slurm-suspend", "keeper"):
        wrapper = bin_dir / program
        wrapper.write_text(render_wrapper(program, env, python=os.path.realpath(sys.executable)))
        wrapper.chmod(0o755)


@pytest.fixture(scope="package")
def slurm_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlurmCluster]:
    root = tmp_path_factory.mktemp("slurm")
    root.chmod(0o755)
    daemons: list[Daemon] = []
    saved = dict(os.environ)
    proxy: Ec2Proxy | None = None
    try:
        munge_socket, moto_port, aws = start_backends(root, daemons)
        config = provision(NodeConfig.from_dict(cluster_document()), cidr="127.77.0.0/16")
        proxy = Ec2Proxy(moto_port, REGION)
        config_path = root / "node-config.json"
        config_path.write_text(config.to_json())
        (root / "log").mkdir()
        install_node_package(root)
        env = {
            **aws,
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{proxy.port}",
            "PCLUSTER_PULUMI_NODE_CONFIG": str(config_path),
            "PCLUSTER_PULUMI_LOG_DIR": str(root / "log"),
            "PCLUSTER_PULUMI_STATE_DIR": str(root / "keeper-state"),
            "SLURM_CONF": str(root / "etc" / "slurm.conf"),
            "PYTHONPATH": str(root / "lib"),
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        }
        bin_dir = root / "bin"
        bin_dir.mkdir()
        write_wrappers(bin_dir, env)
        layout = SlurmLayout(
            controller_hostname=socket.gethostname().split(".")[0],
            controller_address="127.0.0.1",
            slurm_user="root",
            conf_dir=root / "etc",
            state_dir=root / "state",
            slurmd_spool_dir=root / "spool",
            log_dir=root / "log",
            run_dir=root / "run",
            slurmctld_port=free_port(),
            slurmd_port=free_port(),
            munge_socket=munge_socket,
            resume_program=bin_dir / "slurm-resume",
            suspend_program=bin_dir / "slurm-suspend",
            cgroups=False,
            power_save_interval=1,
        )
        for directory in (layout.state_dir, layout.slurmd_spool_dir, layout.run_dir):
            directory.mkdir()
        write_all(config, layout)
        os.environ["SLURM_CONF"] = env["SLURM_CONF"]
        cluster = SlurmCluster(root, config, env, proxy, layout, daemons)
        ctld = cluster.start_daemon("slurmctld", [require("slurmctld"), "-D", "-f", str(layout.slurm_conf)])
        wait_for(
            lambda: ctld.alive() and "UP" in cluster.run("scontrol", "ping", check=False),
            30,
            f"slurmctld to answer\n{ctld.tail()}\n{cluster.logs()}",
        )
        yield cluster
    finally:
        for daemon in reversed(daemons):
            daemon.stop()
        if proxy is not None:
            proxy.stop()
        os.environ.clear()
        os.environ.update(saved)
