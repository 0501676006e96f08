"""The Slurm controller during an update: check staged files, reconfigure or restart, verify.

Three facts shape this module:
- A slurm.conf is checked with Slurm's own parser before it goes live: ``scontrol`` parses
  the whole file named by ``SLURM_CONF`` before doing anything, and ``show hostnames`` needs
  no controller, so a bad key or value fails here with Slurm's message and the running
  controller never sees the file.
- Slurm 22.05 cannot ``reconfigure`` when the node set changes (``fatal: MaxNodeCount has
  changed … slurmctld must be restarted``); those changes restart slurmctld (its state —
  jobs, node states — survives in StateSaveLocation), everything else reconfigures.
- A controller that exits after the swap (a plugin it cannot load) is noticed by polling
  ``scontrol ping``; its reason is the last ``fatal``/``error`` line of its log.
"""

from __future__ import annotations

import logging
import os
import shlex
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pcluster_pulumi.node import hostlist
from pcluster_pulumi.node.scontrol import UPDATE_BATCH, Scontrol

log = logging.getLogger("pcluster_pulumi.update")

#: How systemd (the bootstrap's unit) restarts the controller; overridable for other set-ups.
RESTART_ENV = "PCLUSTER_PULUMI_SLURMCTLD_RESTART"
DEFAULT_RESTART = "systemctl restart pcluster-pulumi-slurmctld"


class ControllerError(RuntimeError):
    """slurmctld refused the files, or did not come back answering with them."""


@dataclass
class Controller:
    """scontrol (from ``PCLUSTER_PULUMI_SLURM_BIN`` or PATH) and the controller's restart command."""

    restart_command: str = DEFAULT_RESTART
    log_file: Path | None = None
    #: How long a restarted or reconfigured controller has to answer ``ping`` again.
    answer_timeout: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    binary: str | None = None
    #: Where the controller's log stood before the last reconfigure/restart (only newer lines explain it).
    _log_offset: int = 0

    @classmethod
    def from_environment(cls, log_file: Path | None = None) -> Controller:
        """The systemd unit, unless ``PCLUSTER_PULUMI_SLURMCTLD_RESTART`` names another command."""
        return cls(restart_command=os.environ.get(RESTART_ENV) or DEFAULT_RESTART, log_file=log_file)

    @property
    def scontrol(self) -> str:
        return self.binary or Scontrol().binary

    def _run(
        self, *args: str, conf: Path | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ)
        if conf is not None:
            env["SLURM_CONF"] = str(conf)
        return subprocess.run(
            [self.scontrol, *args], capture_output=True, text=True, timeout=timeout, env=env, check=False
        )

    def check_files(self, slurm_conf: Path) -> None:
        """Parse a staged slurm.conf with Slurm's parser; ControllerError carries Slurm's message."""
        done = self._run("show", "hostnames", "check", conf=slurm_conf, timeout=30)
        if done.returncode != 0:
            raise ControllerError(f"slurm.conf refused by Slurm's parser: {_slurm_message(done.stderr)}")

    def answering(self) -> bool:
        """slurmctld answers ``ping`` as UP."""
        try:
            done = self._run("ping", timeout=15)
        except subprocess.TimeoutExpired:
            return False
        return done.returncode == 0 and "is UP" in done.stdout

    def reconfigure(self) -> None:
        """``scontrol reconfigure``, then wait for the controller to answer."""
        self._mark_log()
        done = self._run("reconfigure")
        if done.returncode != 0:
            raise ControllerError(
                f"scontrol reconfigure failed: {_slurm_message(done.stderr)}{self._log_reason()}"
            )
        self.wait_answering("reconfigure")

    def restart(self) -> None:
        """Restart slurmctld with the command configured, then wait for it to answer."""
        self._mark_log()
        done = subprocess.run(
            shlex.split(self.restart_command), capture_output=True, text=True, timeout=180, check=False
        )
        if done.returncode != 0:
            raise ControllerError(
                "restarting slurmctld failed: "
                f"{_slurm_message(done.stderr or done.stdout)}{self._log_reason()}"
            )
        self.wait_answering("restart")

    def wait_answering(self, after: str) -> None:
        """Poll ``ping`` until UP; ControllerError with the controller's last words otherwise."""
        deadline = time.monotonic() + self.answer_timeout
        # A controller that cannot load the new files exits a moment after starting: make sure
        # it is still up a little later before calling it healthy.
        stable = 0
        while time.monotonic() < deadline:
            stable = stable + 1 if self.answering() else 0
            if stable >= 2:
                return
            self.sleep(0.5)
        raise ControllerError(f"slurmctld does not answer after {after}{self._log_reason()}")

    def _mark_log(self) -> None:
        try:
            self._log_offset = self.log_file.stat().st_size if self.log_file else 0
        except OSError:
            self._log_offset = 0

    def _log_reason(self) -> str:
        reason = last_complaint(self.log_file, self._log_offset) if self.log_file else None
        return f": {reason}" if reason else ""

    def partitions(self) -> set[str]:
        """Partition names slurmctld answers with."""
        done = self._run("show", "partition", "--oneliner")
        if done.returncode != 0:
            raise ControllerError(f"scontrol show partition failed: {_slurm_message(done.stderr)}")
        names = set()
        for line in done.stdout.splitlines():
            if line.startswith("PartitionName="):
                names.add(line.split()[0].split("=", 1)[1])
        return names

    def set_node_state(self, nodes: Sequence[str], state: str, reason: str) -> None:
        """``scontrol update nodename=… state=STATE reason=…`` in hostlist chunks."""
        for names in hostlist.chunked_compress(list(nodes), UPDATE_BATCH):
            done = self._run("update", f"nodename={names}", f"state={state}", f"reason={reason}")
            if done.returncode != 0:
                raise ControllerError(f"scontrol update state={state} failed: {_slurm_message(done.stderr)}")


def _slurm_message(stderr: str) -> str:
    """Slurm's error lines without the program prefix, joined (the fatal line last)."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    cleaned = [
        line.split(": ", 1)[1] if line.startswith(("scontrol:", "slurmctld:")) else line for line in lines
    ]
    return "; ".join(cleaned) or "no message"


def last_complaint(log_file: Path, offset: int = 0, tail_bytes: int = 16384) -> str | None:
    """Why slurmctld stopped (log lines after offset): the last ``fatal:`` and the two errors before it."""
    try:
        with open(log_file, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(offset, size - tail_bytes) if offset <= size else 0)
            text = handle.read().decode(errors="replace")
    except OSError:
        return None
    lines = [
        line[line.index(m) :].strip() for line in text.splitlines() for m in ("fatal:", "error:") if m in line
    ]
    fatal = [index for index, line in enumerate(lines) if line.startswith("fatal:")]
    if not fatal:
        return lines[-1] if lines else None
    # The fatal line names the step; the errors just before it name the cause.
    end = fatal[-1]
    return "; ".join(lines[max(0, end - 2) : end + 1])
