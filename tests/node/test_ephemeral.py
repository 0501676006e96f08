"""LocalStorage.EphemeralVolume: instance-store NVMe disks striped (RAID 0 when several),
formatted ext4 and mounted at the mount dir at every boot; nothing without instance store."""

from __future__ import annotations

import json

import pytest

from pcluster_pulumi.contract.bootstrap import render_user_data
from pcluster_pulumi.contract.bootstrap_script import SCRIPT
from pcluster_pulumi.contract.config import NodeConfig
from pcluster_pulumi.node.boot_steps import ephemeral_mount_dir
from pcluster_pulumi.node.ephemeral import ARRAY, INSTANCE_STORE_MODEL, instance_store_disks, setup_ephemeral
from pcluster_pulumi.node.storage_setup import StorageError

from .factories import compute_resource, config_dict, facts
from .fake_host import FakeHost

EBS_MODEL = "Amazon Elastic Block Store"


def nitro(store_disks: int, **devices: dict[str, str]) -> FakeHost:
    """A host with a root EBS controller (nvme0) and store_disks instance-store controllers."""
    host = FakeHost()
    controllers = [f"nvme{i}" for i in range(store_disks + 1)]
    host.dirs["/sys/class/nvme"] = controllers
    for i, controller in enumerate(controllers):
        host.dirs[f"/sys/class/nvme/{controller}"] = ["device", f"{controller}n1", "model", "serial"]
        host.files[f"/sys/class/nvme/{controller}/model"] = (
            EBS_MODEL if i == 0 else INSTANCE_STORE_MODEL
        ) + "  \n"
        host.devices[f"/dev/{controller}n1"] = devices.get(f"{controller}n1", {})
    return host


def test_only_instance_store_controllers_are_found() -> None:
    assert instance_store_disks(nitro(2)) == ["/dev/nvme1n1", "/dev/nvme2n1"]
    assert instance_store_disks(nitro(0)) == []


def test_without_instance_store_nothing_is_done() -> None:
    host = nitro(0)
    assert setup_ephemeral(host, "/scratch") is None
    assert host.commands() == [] and "/scratch" not in host.dirs


def test_one_disk_is_formatted_and_mounted_world_writable_with_the_sticky_bit() -> None:
    host = nitro(1)
    assert setup_ephemeral(host, "/scratch") == "/dev/nvme1n1"
    assert host.commands() == [
        "mkfs.ext4 -q -L ephemeral -E nodiscard /dev/nvme1n1",
        "mount -t ext4 -o defaults,noatime,nodiratime /dev/nvme1n1 /scratch",
        "chmod 1777 /scratch",
    ]
    assert host.mounted == {"/scratch": "/dev/nvme1n1"}


def test_several_disks_become_one_raid0_array() -> None:
    host = nitro(3)
    assert setup_ephemeral(host, "/local/scratch") == ARRAY
    assert host.commands()[0] == (
        f"mdadm --create {ARRAY} --run --level=0 --name=pcluster-ephemeral --raid-devices=3 "
        "/dev/nvme1n1 /dev/nvme2n1 /dev/nvme3n1"
    )
    assert host.commands()[1] == f"mkfs.ext4 -q -L ephemeral -E nodiscard {ARRAY}"
    assert host.mounted == {"/local/scratch": ARRAY}


def test_after_a_reboot_the_running_array_and_its_file_system_are_kept() -> None:
    host = nitro(2)
    setup_ephemeral(host, "/scratch")
    host.mounted.clear()
    host.transcript.clear()
    setup_ephemeral(host, "/scratch")
    assert [c.split()[0] for c in host.commands()] == ["mount", "chmod"]


def test_an_already_mounted_dir_is_left_alone() -> None:
    host = nitro(1)
    host.mounted["/scratch"] = "/dev/nvme1n1"
    assert setup_ephemeral(host, "/scratch") is None
    assert host.commands() == []


def test_a_mount_dir_that_is_not_absolute_is_refused() -> None:
    with pytest.raises(StorageError, match="must be an absolute path other than /"):
        setup_ephemeral(nitro(1), "/")


def test_each_role_uses_its_own_mount_dir_from_the_runtime_configuration() -> None:
    queue = {
        "name": "q1",
        "subnet_ids": ["subnet-1"],
        "compute_resources": [compute_resource("demo", "q1", "c5d", [facts("c5d.large")])],
        "ephemeral_mount_dir": "/tmp/q1",
    }
    config = NodeConfig.from_dict(config_dict(queues=[queue], head_node={"private_ip": "10.0.0.10"}))
    assert ephemeral_mount_dir(config, "head", None) == "/scratch"
    assert ephemeral_mount_dir(config, "compute", "q1-dy-c5d-2") == "/tmp/q1"
    assert ephemeral_mount_dir(config, "login", None) is None


@pytest.mark.parametrize("role", ["head", "compute", "login"])
def test_every_role_mounts_the_instance_store_at_each_boot_before_slurm(role: str) -> None:
    config = NodeConfig.from_dict(config_dict(bucket="b", node_package_key="k"))
    files = {
        f["path"]: f for f in json.loads(render_user_data(config, role, "c").split("\n", 1)[1])["write_files"]
    }
    unit = files["/etc/systemd/system/pcluster-pulumi-ephemeral.service"]["content"]
    assert "ExecStart=/opt/pcluster-pulumi/bin/ephemeral" in unit and "Type=oneshot" in unit
    assert "Before=pcluster-pulumi-slurmctld.service pcluster-pulumi-slurmd.service" in unit
    assert 'boot_steps ephemeral "$ROLE"' in files["/opt/pcluster-pulumi/bin/ephemeral"]["content"]
    main_part = SCRIPT[SCRIPT.index("\ninstall_packages\n") :]
    assert (
        main_part.index("custom_action on-node-start")
        < main_part.index("start_oneshot pcluster-pulumi-ephemeral")
        < main_part.index('node_setup storage "$ROLE"')
    )


def test_the_boot_time_script_is_valid_bash() -> None:
    import subprocess

    from pcluster_pulumi.contract.bootstrap import EPHEMERAL_SCRIPT

    done = subprocess.run(["bash", "-n"], input=EPHEMERAL_SCRIPT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
