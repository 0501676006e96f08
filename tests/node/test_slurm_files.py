"""slurm.conf and friends rendered from the runtime configuration (golden files + rules)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pcluster_pulumi.contract.config import NodeConfig
from pcluster_pulumi.contract.slurm_layout import SlurmLayout
from pcluster_pulumi.contract.slurm_settings import SlurmSettingsError
from pcluster_pulumi.node.slurm_conf import render_slurm_conf
from pcluster_pulumi.node.slurm_files import render_all, write_all

from .factories import compute_resource, config_dict, facts

GOLDEN = Path(__file__).parent / "golden"
LAYOUT = SlurmLayout(controller_hostname="ip-10-0-0-10", controller_address="10.0.0.10")


def full_document() -> dict[str, Any]:
    """Two queues: CPU (static + dynamic, single type) and GPU (multi-type spot fleet)."""
    cpu = compute_resource(
        "demo",
        "compute",
        "c5",
        [facts("c5.2xlarge", 8, 16384, threads_per_core=2)],
        min_count=2,
        max_count=10,
    )
    cpu["disable_simultaneous_multithreading"] = True
    cpu["custom_slurm_settings"] = {"Port": 6830}
    gpus = compute_resource(
        "demo",
        "gpu",
        "g5",
        [
            facts("g5.xlarge", 4, 16384, gpu_count=1, gpu_type="A10G"),
            facts("g5.2xlarge", 8, 32768, gpu_count=1, gpu_type="A10G"),
        ],
        max_count=4,
    )
    gpus.update(schedulable_memory_mib=15000, efa_enabled=True, dynamic_node_priority=2000)
    return config_dict(
        queues=[
            {
                "name": "compute",
                "subnet_ids": ["subnet-a"],
                "compute_resources": [cpu],
                "job_exclusive_allocation": True,
            },
            {
                "name": "gpu",
                "subnet_ids": ["subnet-a", "subnet-b"],
                "capacity_type": "SPOT",
                "allocation_strategy": "capacity-optimized",
                "compute_resources": [gpus],
                "custom_slurm_settings": {"MaxTime": "2-00:00:00"},
            },
        ],
        scheduler={
            "scaledown_idletime_seconds": 300,
            "enable_memory_based_scheduling": True,
            "custom_slurm_settings": [
                {"MaxJobCount": 20000},
                {"NodeName": "burst[1-2]", "CPUs": 4, "State": "FUTURE"},
            ],
            "accounting": {
                "kind": "database",
                "host": "db.example.internal",
                "port": 3306,
                "user_name": "clusteradmin",
                "password_secret_arn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db",
            },
        },
    )


@pytest.mark.parametrize("name", ["slurm.conf", "gres.conf", "cgroup.conf", "slurmdbd.conf"])
def test_full_cluster_files_match_golden(name: str, golden: Callable[[str, Path], None]) -> None:
    files = render_all(NodeConfig.from_dict(full_document()), LAYOUT, dbd_password="s3cret")
    golden(files[name], GOLDEN / f"full-{name}")


def test_minimal_cluster_slurm_conf_matches_golden(golden: Callable[[str, Path], None]) -> None:
    golden(render_slurm_conf(NodeConfig.from_dict(config_dict()), LAYOUT), GOLDEN / "minimal-slurm.conf")


def test_nodes_are_cloud_with_instance_facts_and_static_nodes_never_idle_suspend() -> None:
    text = render_slurm_conf(NodeConfig.from_dict(full_document()), LAYOUT)
    assert (
        "NodeName=compute-st-c5-[1-2] CPUs=4 RealMemory=15564 State=CLOUD "
        "Feature=static,c5.2xlarge,c5 Weight=1 Port=6830" in text
    )
    assert "NodeName=gpu-dy-g5-[1-4] CPUs=4 RealMemory=15000 State=CLOUD" in text
    assert "Gres=gpu:a10g:1" in text
    assert "SuspendExcNodes=compute-st-c5-[1-2]\n" in text
    assert "SuspendTime=300\n" in text
    assert "PartitionName=gpu Nodes=gpu-dy-g5-[1-4] Default=NO MaxTime=2-00:00:00 State=UP" in text
    assert "SelectTypeParameters=CR_CPU_Memory" in text


def test_single_key_custom_settings_override_in_place_and_others_append() -> None:
    document = config_dict(
        scheduler={"custom_slurm_settings": [{"schedulertype": "sched/builtin"}, {"Foo": "bar"}]}
    )
    lines = render_slurm_conf(NodeConfig.from_dict(document), LAYOUT).splitlines()
    assert "schedulertype=sched/builtin" in lines and "SchedulerType=sched/backfill" not in lines
    assert lines.index("Foo=bar") < lines.index(
        "# Compute nodes: one static and one dynamic line per compute resource"
    )


def test_scaledown_disabled_means_infinite_suspend_time() -> None:
    document = config_dict(scheduler={"scaledown_idletime_seconds": -1})
    assert "SuspendTime=INFINITE\n" in render_slurm_conf(NodeConfig.from_dict(document), LAYOUT)


@pytest.mark.parametrize(
    ("where", "settings", "denied"),
    [
        ("cluster", [{"ResumeProgram": "/bin/true"}], "ResumeProgram"),
        ("cluster", [{"SUSPENDTIME": 5}], "SUSPENDTIME"),
        ("queue", {"Nodes": "x"}, "Nodes"),
        ("resource", {"CPUs": 64}, "CPUs"),
    ],
)
def test_deny_listed_custom_settings_are_refused(where: str, settings: Any, denied: str) -> None:
    document = config_dict()
    if where == "cluster":
        document["scheduler"] = {"custom_slurm_settings": settings}
    elif where == "queue":
        document["queues"][0]["custom_slurm_settings"] = settings
    else:
        document["queues"][0]["compute_resources"][0]["custom_slurm_settings"] = settings
    with pytest.raises(SlurmSettingsError, match=denied):
        render_slurm_conf(NodeConfig.from_dict(document), LAYOUT)


def test_accounting_keys_are_denied_only_with_accounting() -> None:
    settings = [{"AccountingStorageType": "accounting_storage/none"}]
    plain = config_dict(scheduler={"custom_slurm_settings": settings})
    assert "AccountingStorageType=accounting_storage/none" in render_slurm_conf(
        NodeConfig.from_dict(plain), LAYOUT
    )
    external = config_dict(
        scheduler={"custom_slurm_settings": settings, "accounting": {"kind": "external", "host": "dbd"}}
    )
    with pytest.raises(SlurmSettingsError):
        render_slurm_conf(NodeConfig.from_dict(external), LAYOUT)


def test_external_slurmdbd_points_accounting_at_it_and_renders_no_slurmdbd_conf() -> None:
    document = config_dict(
        scheduler={"accounting": {"kind": "external", "host": "dbd.example", "port": 7031}}
    )
    files = render_all(NodeConfig.from_dict(document), LAYOUT)
    assert "AccountingStorageHost=dbd.example\nAccountingStoragePort=7031\n" in files["slurm.conf"]
    assert "slurmdbd.conf" not in files


def test_custom_node_lines_may_not_use_cluster_node_markers() -> None:
    document = config_dict(scheduler={"custom_slurm_settings": [{"NodeName": "q1-dy-x-[1-2]", "CPUs": 2}]})
    with pytest.raises(ValueError, match="-st-/-dy-"):
        render_slurm_conf(NodeConfig.from_dict(document), LAYOUT)


def test_write_all_keeps_the_database_password_private(tmp_path: Path) -> None:
    layout = SlurmLayout(controller_hostname="head", conf_dir=tmp_path)
    written = write_all(NodeConfig.from_dict(full_document()), layout, dbd_password="s3cret")
    assert sorted(p.name for p in written) == ["cgroup.conf", "gres.conf", "slurm.conf", "slurmdbd.conf"]
    assert (tmp_path / "slurmdbd.conf").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "slurm.conf").stat().st_mode & 0o777 == 0o644
