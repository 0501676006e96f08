"""The job image's sources: the scripts run here with ``ip``, ``nproc``, ``mount`` and ``rpcinfo`` shims,
and the archive CodeBuild builds from is reproducible."""

from __future__ import annotations

import os
import stat
import subprocess
import zipfile
from pathlib import Path

import pytest

from pcluster_pulumi.cluster.batch.image_source import IMAGE_DIR, build_image_source, source_digest
from pcluster_pulumi.derive.batch import SharedDirs, job_environment

SCRIPTS = IMAGE_DIR / "scripts"


def shims(tmp_path: Path) -> Path:
    """Fake ``ip`` (address from FAKE_IP), ``nproc`` (4), ``mount`` (logs its arguments), ``rpcinfo``."""
    bin_dir = tmp_path / "shims"
    bin_dir.mkdir(exist_ok=True)
    scripts = {
        "ip": 'echo "2: eth0    inet ${FAKE_IP}/24 brd 10.0.0.255 scope global eth0"',
        "nproc": "echo 4",
        "mount": 'echo "$*" >> "${MOUNT_LOG}"',
        "rpcinfo": "exit 0",
    }
    for name, body in scripts.items():
        path = bin_dir / name
        path.write_text(f"#!/bin/bash\n{body}\n")
        path.chmod(0o755)
    return bin_dir


def run_script(
    name: str, tmp_path: Path, env: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    path = f"{shims(tmp_path)}:{os.environ['PATH']}"
    return subprocess.run(
        ["bash", str(SCRIPTS / name), *args],
        env={"PATH": path, "HOME": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def node_env(index: int, nodes: int = 3) -> dict[str, str]:
    return {
        "AWS_BATCH_JOB_ID": f"a1b2c3#{index}",
        "AWS_BATCH_JOB_ATTEMPT": "1",
        "AWS_BATCH_JOB_NODE_INDEX": str(index),
        "AWS_BATCH_JOB_MAIN_NODE_INDEX": "0",
        "AWS_BATCH_JOB_NUM_NODES": str(nodes),
        "FAKE_IP": f"10.0.0.{10 + index}",
        "PCLUSTER_HOSTFILE_POLL": "0.1",
    }


def test_the_main_node_writes_the_mpi_host_file_in_node_index_order(tmp_path: Path) -> None:
    shared, hostfile = tmp_path / "shared", tmp_path / "hostfile"
    for index in (2, 1):  # the other nodes report first, then go on to run the job
        done = run_script("write-hostfile.sh", tmp_path, node_env(index), str(shared), str(hostfile))
        assert done.returncode == 0, done.stderr
        assert not hostfile.exists()
    done = run_script("write-hostfile.sh", tmp_path, node_env(0), str(shared), str(hostfile))
    assert done.returncode == 0, done.stderr
    assert hostfile.read_text() == "10.0.0.10 slots=4\n10.0.0.11 slots=4\n10.0.0.12 slots=4\n"
    assert list(shared.iterdir()) == []  # the job's rendezvous directory is removed


def test_the_main_node_gives_up_when_nodes_never_report(tmp_path: Path) -> None:
    env = {**node_env(0), "PCLUSTER_HOSTFILE_TIMEOUT": "1"}
    done = run_script(
        "write-hostfile.sh", tmp_path, env, str(tmp_path / "shared"), str(tmp_path / "hostfile")
    )
    assert done.returncode == 1
    assert "only 1/3 nodes reported within 1s" in done.stderr


def test_jobs_mount_home_ebs_raid_from_the_head_node_and_efs_by_id(tmp_path: Path) -> None:
    variables = job_environment(
        cluster="demo",
        region="cn-north-1",
        dirs=SharedDirs(ebs=("/shared", "/more"), efs=("/data",), efs_names=("data",), raid="/raid"),
        efs_ids={"data": "fs-0123"},
        head_node_ip="10.0.0.5",
    )
    log = tmp_path / "mounts"
    env = {e["name"]: e["value"] for e in variables}
    env.update(MOUNT_LOG=str(log), PCLUSTER_MOUNT_ROOT=str(tmp_path / "root"))
    done = run_script("mount-shared.sh", tmp_path, env)
    assert done.returncode == 0, done.stderr
    root = tmp_path / "root"
    assert log.read_text().splitlines() == [
        f"-t nfs -o hard,noatime,_netdev 10.0.0.5:/home {root}/home",
        f"-t nfs -o hard,noatime,_netdev 10.0.0.5:/shared {root}/shared",
        f"-t nfs -o hard,noatime,_netdev 10.0.0.5:/more {root}/more",
        f"-t nfs -o hard,noatime,_netdev 10.0.0.5:/raid {root}/raid",
        "-t nfs4 -o nfsvers=4.1,rsize=1048576,wsize=1048576,hard,timeo=600,retrans=2,noresvport,_netdev "
        f"fs-0123.efs.cn-north-1.amazonaws.com.cn:/ {root}/data",
    ]


def test_without_shared_storage_only_home_is_mounted(tmp_path: Path) -> None:
    variables = job_environment(
        cluster="demo", region="us-east-1", dirs=SharedDirs(), efs_ids={}, head_node_ip="10.0.0.5"
    )
    log = tmp_path / "mounts"
    env = {e["name"]: e["value"] for e in variables}
    env.update(MOUNT_LOG=str(log), PCLUSTER_MOUNT_ROOT=str(tmp_path / "root"))
    done = run_script("mount-shared.sh", tmp_path, env)
    assert done.returncode == 0, done.stderr
    assert log.read_text().splitlines() == [
        f"-t nfs -o hard,noatime,_netdev 10.0.0.5:/home {tmp_path}/root/home"
    ]


def test_the_entry_point_runs_the_job_command_after_mounting(tmp_path: Path) -> None:
    text = (SCRIPTS / "entrypoint.sh").read_text()
    assert text.index("mount-shared.sh") < text.index('exec "$@"')
    assert "write-hostfile.sh" in text


@pytest.mark.parametrize("name", sorted(p.name for p in SCRIPTS.iterdir()))
def test_every_script_is_valid_bash(name: str) -> None:
    assert subprocess.run(["bash", "-n", str(SCRIPTS / name)], check=False).returncode == 0


def test_the_build_archive_is_reproducible_and_keeps_scripts_executable(tmp_path: Path) -> None:
    first = build_image_source(IMAGE_DIR, tmp_path / "a.zip")
    second = build_image_source(IMAGE_DIR, tmp_path / "b.zip")
    assert source_digest(first) == source_digest(second)
    with zipfile.ZipFile(first) as archive:
        names = archive.namelist()
        assert {"Dockerfile", "buildspec.yml", "scripts/entrypoint.sh"} <= set(names)
        mode = archive.getinfo("scripts/entrypoint.sh").external_attr >> 16
        assert stat.S_IMODE(mode) == 0o755


def test_a_changed_source_changes_the_digest(tmp_path: Path) -> None:
    copy = tmp_path / "image"
    copy.mkdir()
    for path in IMAGE_DIR.rglob("*"):
        if path.is_file():
            target = copy / path.relative_to(IMAGE_DIR)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    before = source_digest(build_image_source(copy, tmp_path / "before.zip"))
    (copy / "Dockerfile").write_text((copy / "Dockerfile").read_text() + "\n# changed\n")
    assert source_digest(build_image_source(copy, tmp_path / "after.zip")) != before
