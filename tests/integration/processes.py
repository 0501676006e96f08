"""Daemons the integration tests start themselves: munged, slurmctld, slurmd, moto server.

Everything lives in one temp dir, listens on ports picked free at run time, and is stopped
(and waited for) at teardown, so a test run leaves no process and no file behind.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path


def free_port() -> int:
    """A TCP port nobody listens on right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(check: Callable[[], object], timeout: float, what: str, interval: float = 0.25) -> object:
    """Poll check until it returns something truthy; fail the test with what after timeout."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r})")


class Daemon:
    """A child process with its log file; stop() terminates it and waits."""

    def __init__(self, name: str, argv: list[str], log: Path, env: dict[str, str] | None = None) -> None:
        self.name = name
        self.log = log
        self._handle = open(log, "ab")  # noqa: SIM115 - kept open for the daemon's lifetime
        self.process = subprocess.Popen(
            argv, stdout=self._handle, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.alive():
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._handle.close()

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def require(binary: str) -> str:
    """Path of a binary the suite cannot run without (installed by .ci/install-node-deps.sh)."""
    for candidate in (binary, f"/usr/sbin/{binary}", f"/usr/bin/{binary}"):
        found = shutil.which(candidate)
        if found:
            return found
    raise RuntimeError(f"{binary} not found: run .ci/install-node-deps.sh (Debian slurm and munge packages)")


def as_freshly_booted(argv: list[str]) -> list[str]:
    """argv run in a time namespace whose uptime is under 1 s, like an instance that just booted.

    slurmctld only accepts a powering-up cloud node whose slurmd booted *after* the resume
    request; a slurmd on this long-running machine would otherwise wait forever. Start it
    at least a couple of seconds after the request.
    """
    uptime = float(Path("/proc/uptime").read_text().split()[0])
    return [require("unshare"), "--time", f"--boottime=-{int(uptime)}", *argv]


def start_munged(root: Path) -> tuple[Daemon, Path]:
    """munged with a fresh key; returns the daemon and its socket path."""
    key = root / "munge.key"
    key.write_bytes(os.urandom(1024))
    key.chmod(0o400)
    sock = root / "munge.socket"
    daemon = Daemon(
        "munged",
        [
            require("munged"),
            "--foreground",
            "--force",
            f"--key-file={key}",
            f"--socket={sock}",
            f"--pid-file={root / 'munged.pid'}",
            f"--seed-file={root / 'munged.seed'}",
            f"--log-file={root / 'munged.log'}",
        ],
        root / "munged.out",
    )
    wait_for(sock.exists, 10, "the munge socket")
    return daemon, sock


def start_moto(root: Path) -> tuple[Daemon, int]:
    """moto's server on 127.0.0.1 and a free port."""
    port = free_port()
    daemon = Daemon(
        "moto",
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        root / "moto.log",
    )

    def up() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            return False

    wait_for(up, 30, "moto server")
    return daemon, port
