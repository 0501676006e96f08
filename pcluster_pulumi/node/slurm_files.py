"""The other Slurm files (gres.conf, cgroup.conf, slurmdbd.conf) and writing the whole set.

slurm.conf alone is not enough: GPUs need device files in gres.conf, cgroup containment
needs cgroup.conf, and a cluster-side accounting database needs slurmdbd.conf (with the
password fetched at boot, so it is an argument here and never part of the runtime config).
"""

from __future__ import annotations

import os
from pathlib import Path

from pcluster_pulumi.contract import names
from pcluster_pulumi.contract.config import NodeConfig
from pcluster_pulumi.contract.slurm_layout import SlurmLayout
from pcluster_pulumi.node import hostlist
from pcluster_pulumi.node.slurm_conf import dynamic_nodes, render_slurm_conf, static_nodes


def render_gres_conf(config: NodeConfig) -> str:
    """One line per GPU compute resource naming its NVIDIA device files."""
    lines = ["# gres.conf rendered by pcluster-pulumi: GPU device files per compute resource."]
    for queue in config.queues:
        for resource in queue.compute_resources:
            count = resource.gpu_count
            if count == 0:
                continue
            names = static_nodes(queue, resource) + dynamic_nodes(queue, resource)
            types = {facts.gpu_type.lower() for facts in resource.instances if facts.gpu_type}
            type_part = f" Type={types.pop()}" if len(types) == 1 else ""
            devices = "/dev/nvidia0" if count == 1 else f"/dev/nvidia[0-{count - 1}]"
            lines.append(f"NodeName={hostlist.compress(names)} Name=gpu{type_part} File={devices}")
    return "\n".join(lines) + "\n"


def render_cgroup_conf(config: NodeConfig) -> str:
    """cgroup containment: cores always, memory only when Slurm schedules by memory."""
    memory = "yes" if config.scheduler.enable_memory_based_scheduling else "no"
    return (
        "# cgroup.conf rendered by pcluster-pulumi.\n"
        "CgroupPlugin=autodetect\n"
        "ConstrainCores=yes\n"
        f"ConstrainRAMSpace={memory}\n"
        "ConstrainDevices=yes\n"
    )


def render_slurmdbd_conf(config: NodeConfig, layout: SlurmLayout, password: str) -> str:
    """slurmdbd.conf for a head-node slurmdbd in front of the accounting database."""
    accounting = config.scheduler.accounting
    if accounting is None or accounting.kind != "database":
        raise ValueError("slurmdbd.conf is only rendered when the cluster has an accounting database")
    if "\n" in password:
        raise ValueError("the accounting database password must be a single line")
    database = accounting.database_name or names.accounting_database_name(config.cluster_name)
    return (
        "# slurmdbd.conf rendered by pcluster-pulumi; readable by the Slurm user only.\n"
        "AuthType=auth/munge\n"
        + (f"AuthInfo=socket={layout.munge_socket}\n" if layout.munge_socket else "")
        + f"DbdHost={layout.controller_hostname}\n"
        f"DbdPort={layout.slurmdbd_port}\n"
        f"SlurmUser={layout.slurm_user}\n"
        f"LogFile={layout.log_dir / 'slurmdbd.log'}\n"
        f"PidFile={layout.run_dir / 'slurmdbd.pid'}\n"
        "StorageType=accounting_storage/mysql\n"
        f"StorageHost={accounting.host}\n"
        f"StoragePort={accounting.port}\n"
        f"StorageUser={accounting.user_name}\n"
        f"StoragePass={password}\n"
        f"StorageLoc={database}\n"
    )


def render_all(config: NodeConfig, layout: SlurmLayout, dbd_password: str | None = None) -> dict[str, str]:
    """File name → text for every Slurm file this host needs."""
    files = {
        "slurm.conf": render_slurm_conf(config, layout),
        "gres.conf": render_gres_conf(config),
        "cgroup.conf": render_cgroup_conf(config),
    }
    accounting = config.scheduler.accounting
    if accounting is not None and accounting.kind == "database":
        if dbd_password is None:
            raise ValueError("an accounting database needs its password to render slurmdbd.conf")
        files["slurmdbd.conf"] = render_slurmdbd_conf(config, layout, dbd_password)
    return files


def write_all(config: NodeConfig, layout: SlurmLayout, dbd_password: str | None = None) -> list[Path]:
    """Write the files into layout.conf_dir atomically; slurmdbd.conf gets mode 0600."""
    layout.conf_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render_all(config, layout, dbd_password).items():
        target = layout.conf_dir / name
        temporary = target.with_name(f".{name}.tmp")
        mode = 0o600 if name == "slurmdbd.conf" else 0o644
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(temporary, mode)
        os.replace(temporary, target)
        written.append(target)
    return written
