"""User data for head, compute and login nodes; the node package; the boot-time steps."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Callable
from pathlib import Path

import boto3
import pytest

from pcluster_pulumi.contract.bootstrap import USER_DATA_LIMIT, program_environment, render_user_data
from pcluster_pulumi.contract.bootstrap_script import SCRIPT
from pcluster_pulumi.contract.config import NodeConfig
from pcluster_pulumi.contract.programs import render_wrapper
from pcluster_pulumi.derive.node_package import build_node_package
from pcluster_pulumi.node.aws import Clients
from pcluster_pulumi.node.boot_steps import fstab_lines, munge_key, node_name_of
from pcluster_pulumi.node.resume import resume

from .factories import config_dict
from .fake_slurm import FakeSlurm

MOUNTS = [
    {
        "mount_dir": "/shared",
        "kind": "nfs",
        "source": "10.0.0.10:/shared",
        "options": "hard",
        "roles": ["compute"],
    },
    {"mount_dir": "/efs", "kind": "efs", "source": "fs-123.efs.us-east-1.amazonaws.com:/"},
    {"mount_dir": "/fsx", "kind": "lustre", "source": "fs-9.fsx.us-east-1.amazonaws.com@tcp:/abc"},
]


def bootstrap_config() -> NodeConfig:
    return NodeConfig.from_dict(
        config_dict(bucket="cluster-bucket", node_package_key="node/package.tar.gz", mounts=MOUNTS)
    )


def cloud_init() -> str:
    found = shutil.which("cloud-init")
    if found is None:
        raise RuntimeError("cloud-init is not installed: run .ci/install-node-deps.sh")
    return found


@pytest.mark.parametrize("proxy", [None, "http://proxy.example.com:3128"], ids=["direct", "proxy"])
@pytest.mark.parametrize("role", ["head", "compute", "login"])
def test_user_data_passes_cloud_init_schema(role: str, proxy: str | None, tmp_path: Path) -> None:
    path = tmp_path / f"{role}.cfg"
    path.write_text(render_user_data(bootstrap_config(), role, "configs/node-config.json", proxy=proxy))
    done = subprocess.run([cloud_init(), "schema", "-c", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Valid cloud-config" in done.stdout


def test_cloud_init_schema_check_does_fail_on_broken_user_data(tmp_path: Path) -> None:
    document = json.loads(render_user_data(bootstrap_config(), "head", "k").split("\n", 1)[1])
    document["write_files"][0]["permissions"] = 600
    document["runcmd"] = "not a list"
    path = tmp_path / "broken.cfg"
    path.write_text("#cloud-config\n" + json.dumps(document))
    done = subprocess.run([cloud_init(), "schema", "-c", str(path)], capture_output=True, text=True)
    assert done.returncode != 0


def test_head_user_data_carries_wrappers_units_and_where_to_fetch_the_config() -> None:
    config = bootstrap_config()
    text = render_user_data(config, "head", "configs/node-config.json")
    assert text.startswith("#cloud-config\n") and len(text.encode()) < USER_DATA_LIMIT
    files = {f["path"]: f for f in json.loads(text.split("\n", 1)[1])["write_files"]}
    assert files["/opt/pcluster-pulumi/bin/slurm-resume"]["content"] == render_wrapper(
        "slurm-resume", program_environment(config)
    )
    assert "/etc/systemd/system/pcluster-pulumi-keeper.service" in files
    env = files["/etc/pcluster-pulumi/bootstrap.env"]["content"]
    assert (
        "ROLE=head\n" in env
        and "CONFIG_KEY=configs/node-config.json\n" in env
        and "BUCKET=cluster-bucket\n" in env
    )
    assert files["/etc/pcluster-pulumi/bootstrap.env"]["permissions"] == "0600"


def test_head_starts_slurmdbd_before_slurmctld_only_with_an_accounting_database() -> None:
    text = render_user_data(bootstrap_config(), "head", "k")
    files = {f["path"]: f["content"] for f in json.loads(text.split("\n", 1)[1])["write_files"]}
    dbd = files["/etc/systemd/system/pcluster-pulumi-slurmdbd.service"]
    assert "ConditionPathExists=/etc/slurm/slurmdbd.conf\n" in dbd
    assert "Environment=SLURM_CONF=/etc/slurm/slurm.conf\n" in dbd
    assert (
        "pcluster-pulumi-slurmdbd.service" in files["/etc/systemd/system/pcluster-pulumi-slurmctld.service"]
    )
    start = SCRIPT.index("if [ -f /etc/slurm/slurmdbd.conf ]")
    assert (
        start
        < SCRIPT.index("chown slurm:slurm /etc/slurm/slurmdbd.conf")
        < SCRIPT.index("systemctl enable --now pcluster-pulumi-slurmdbd")
        < SCRIPT.index("systemctl enable --now pcluster-pulumi-slurmctld")
    )


def test_compute_user_data_starts_slurmd_under_its_node_name_and_has_no_head_programs() -> None:
    text = render_user_data(bootstrap_config(), "compute", "k")
    files = {f["path"]: f["content"] for f in json.loads(text.split("\n", 1)[1])["write_files"]}
    unit = files["/etc/systemd/system/pcluster-pulumi-slurmd.service"]
    assert '-N "$NODE_NAME" --conf-server "$HEAD_IP"' in unit
    assert not any(path.endswith("slurm-resume") for path in files)


def test_bootstrap_needs_bucket_and_package() -> None:
    with pytest.raises(ValueError, match="node_package_key"):
        render_user_data(NodeConfig.from_dict(config_dict()), "compute", "k")


def test_bootstrap_script_is_valid_bash() -> None:
    done = subprocess.run(["bash", "-n"], input=SCRIPT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_bootstrap_takes_every_storage_path_from_the_mount_table() -> None:
    # No shared directory of its own and no ParallelCluster path written into the script:
    # the storage step and the shared-dir step read them from the runtime configuration.
    assert "/opt/pcluster-pulumi/shared" not in SCRIPT and "/opt/parallelcluster" not in SCRIPT
    assert 'node_setup storage "$ROLE"' in SCRIPT
    # compute + login on the head, then each node's munge key (login nodes render their own slurm.conf)
    assert SCRIPT.count("node_setup shared-dir") == 3
    assert "mount -a" not in SCRIPT and "/etc/exports" not in SCRIPT


def test_a_failing_step_inside_a_function_still_reports_and_stops_the_node(tmp_path: Path) -> None:
    # Without errtrace (set -E) the ERR trap does not run inside functions, so a compute node
    # whose storage step failed would exit without powering itself off.
    header = SCRIPT.split("install_packages() {")[0]
    header = header.replace(". /etc/pcluster-pulumi/bootstrap.env", "ROLE=compute REGION=us-east-1")
    header = header.replace("exec > >(tee -a /var/log/pcluster-pulumi-bootstrap.log) 2>&1", "")
    probe = header + 'shutdown() { echo "shutdown $*"; }\nstep() { x=$(false); echo unreachable; }\nstep\n'
    done = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert re.fullmatch(r"bootstrap failed: line \d+\nshutdown -h now\n", done.stdout), done.stdout


def test_fstab_lines_follow_the_mount_table_and_roles() -> None:
    assert fstab_lines(MOUNTS, "compute") == [
        "10.0.0.10:/shared /shared nfs hard 0 0",
        "fs-123.efs.us-east-1.amazonaws.com:/ /efs nfs4 "
        "nfsvers=4.1,rsize=1048576,wsize=1048576,hard,timeo=600,retrans=2,noresvport,_netdev 0 0",
        "fs-9.fsx.us-east-1.amazonaws.com@tcp:/abc /fsx lustre "
        "defaults,_netdev,flock,user_xattr,noatime,noauto,x-systemd.automount 0 0",
    ]
    assert len(fstab_lines(MOUNTS, "head")) == 2


def test_fstab_lines_are_what_storage_writes_and_skip_local_directories() -> None:
    entries = [
        {
            "roles": ["head"],
            "mount_dir": "/ebs",
            "kind": "ebs",
            "fstype": "ext4",
            "source": "/dev/sdf",
            "options": "_netdev",
            "volumes": [{"volume_id": "vol-1", "device_name": "/dev/sdf"}],
        },
        {
            "roles": ["head"],
            "mount_dir": "/opt/x",
            "kind": "local",
            "fstype": "none",
            "source": "",
            "options": "",
        },
        {"mount_dir": "/efs", "kind": "efs", "fstype": "efs", "source": "fs-1:/", "options": "_netdev,tls"},
    ]
    assert fstab_lines(entries, "head") == [
        "/dev/sdf /ebs ext4 _netdev 0 2",
        "fs-1:/ /efs efs _netdev,tls 0 0",
    ]


def test_compute_node_finds_its_name_by_instance_id(
    cluster: Callable[..., NodeConfig], clients: Clients
) -> None:
    config = cluster()
    report = resume(config, clients, FakeSlurm(), ["q1-dy-c5-2"])
    instance_id = report.launched["q1-dy-c5-2"].instance_id
    assert node_name_of(clients, config, instance_id) == "q1-dy-c5-2"
    assert node_name_of(clients, config, "i-00000000000000000") is None


def test_munge_key_comes_from_secrets_manager(moto: None) -> None:
    key = bytes(range(64))
    arn = boto3.client("secretsmanager", region_name="us-east-1").create_secret(
        Name="munge", SecretString=base64.b64encode(key).decode()
    )["ARN"]
    config = NodeConfig.from_dict(config_dict(munge_key_secret_arn=arn))
    assert munge_key(Clients("us-east-1"), config) == key
    assert munge_key(Clients("us-east-1"), NodeConfig.from_dict(config_dict())) is None


def test_node_package_runs_without_pulumi_yaml_or_jsonschema(tmp_path: Path) -> None:
    package = build_node_package(tmp_path / "node.tar.gz")
    assert package.read_bytes() == build_node_package(tmp_path / "again.tar.gz").read_bytes()
    target = tmp_path / "lib"
    with tarfile.open(package) as archive:
        archive.extractall(target, filter="data")
    probe = """
import importlib, pkgutil, sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("pulumi", "pulumi_aws", "yaml", "jsonschema"):
            raise ImportError(f"{name} is not on nodes")
sys.meta_path.insert(0, Block())
import pcluster_pulumi.node as node
assert node.__file__.startswith(sys.argv[1]), node.__file__
for info in pkgutil.iter_modules(node.__path__):
    importlib.import_module(f"pcluster_pulumi.node.{info.name}")
print("ok", len(list(pkgutil.iter_modules(node.__path__))))
"""
    done = subprocess.run(
        [sys.executable, "-c", probe, str(target)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok")
