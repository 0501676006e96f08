"""Where Slurm lives on a machine: paths, ports, user, programs — the host side of slurm.conf.

The runtime configuration says *what* the cluster is; the layout says *where* this machine
keeps Slurm's files. Production uses the defaults (the head node's real hostname filled in
at boot); the integration tests point everything into a temp dir with free ports, so the
same renderer drives a real slurmctld there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class SlurmLayout:
    """Host facts slurm.conf needs that the cluster spec cannot know."""

    controller_hostname: str
    controller_address: str | None = None
    slurm_user: str = "slurm"
    conf_dir: Path = Path("/etc/slurm")
    state_dir: Path = Path("/var/spool/slurmctld")
    slurmd_spool_dir: Path = Path("/var/spool/slurmd")
    log_dir: Path = Path("/var/log/slurm")
    run_dir: Path = Path("/run/slurm")
    slurmctld_port: int = 6817
    slurmd_port: int = 6818
    slurmdbd_port: int = 6819
    munge_socket: Path | None = None
    resume_program: Path = Path("/opt/pcluster-pulumi/bin/slurm-resume")
    suspend_program: Path = Path("/opt/pcluster-pulumi/bin/slurm-suspend")
    #: cgroup-based process tracking and task containment; off where cgroups are unavailable
    #: (containers running the integration tests).
    cgroups: bool = True
    #: power_save_interval (seconds); None keeps Slurm's default. Tests shorten it.
    power_save_interval: int | None = None
    extra_controller_parameters: tuple[str, ...] = field(default_factory=tuple)

    @property
    def slurm_conf(self) -> Path:
        """Path of slurm.conf (what ``SLURM_CONF`` points at)."""
        return self.conf_dir / "slurm.conf"
