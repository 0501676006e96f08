"""The machine a boot step acts on: run commands, read and write files, see mounts.

Boot steps (storage, the default user, instance-store scratch) do everything through ``Host``,
so unit tests replay whole boots against a scripted host (``tests/node/fake_host.py``) and the
integration tests run the same code on loop devices through ``LocalHost``.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

__all__ = ["CommandResult", "Host", "LocalHost", "StorageError"]


class StorageError(RuntimeError):
    """A mount table entry cannot be set up; the message names the entry and what went wrong."""


@dataclass(frozen=True)
class CommandResult:
    returncode: int
    stdout: str
    stderr: str


class Host(Protocol):
    """What storage setup does to a machine (``LocalHost`` on nodes, a scripted fake in tests)."""

    def run(self, argv: Sequence[str], *, answers: str | None = None) -> str:
        """Run a command (answers on its stdin); its stdout, or StorageError with its stderr."""
        ...

    def probe(self, argv: Sequence[str]) -> CommandResult:
        """Run a command whose exit status is an answer (blkid, mdadm --examine); never raises."""
        ...

    def exists(self, path: str) -> bool: ...

    def resolve(self, path: str) -> str: ...

    def listdir(self, path: str) -> list[str]:
        """Names in a directory, sorted; empty when it does not exist."""
        ...

    def read_text(self, path: str) -> str | None:
        """File content, None when it does not exist."""
        ...

    def write_text(self, path: str, text: str, mode: int = 0o644) -> None:
        """Replace a file atomically, creating its directory."""
        ...

    def makedirs(self, path: str) -> None: ...

    def is_mounted(self, path: str) -> bool: ...

    def which(self, program: str) -> str | None: ...

    def sleep(self, seconds: float) -> None: ...

    def monotonic(self) -> float: ...

    def log(self, message: str) -> None: ...


class LocalHost:
    """The machine this runs on."""

    def __init__(self, log: Callable[[str], None] | None = None) -> None:
        self._log = log or (lambda message: print(f"storage: {message}", flush=True))

    def run(self, argv: Sequence[str], *, answers: str | None = None) -> str:
        result = self._execute(argv, answers)
        if result.returncode != 0:
            detail = result.stderr.strip() or result.stdout.strip() or f"exit status {result.returncode}"
            raise StorageError(f"{shlex.join(argv)}: {detail}")
        return result.stdout

    def probe(self, argv: Sequence[str]) -> CommandResult:
        return self._execute(argv, None)

    def _execute(self, argv: Sequence[str], answers: str | None) -> CommandResult:
        # Never the caller's stdin: a question nobody can answer must not hang the boot.
        stdin = {"input": answers} if answers is not None else {"stdin": subprocess.DEVNULL}
        try:
            done = subprocess.run(list(argv), capture_output=True, text=True, check=False, **stdin)
        except FileNotFoundError:
            return CommandResult(127, "", f"{argv[0]}: command not found")
        return CommandResult(done.returncode, done.stdout, done.stderr)

    def exists(self, path: str) -> bool:
        return os.path.exists(path)

    def resolve(self, path: str) -> str:
        return os.path.realpath(path)

    def listdir(self, path: str) -> list[str]:
        try:
            return sorted(os.listdir(path))
        except (FileNotFoundError, NotADirectoryError):
            return []

    def read_text(self, path: str) -> str | None:
        try:
            return Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    def write_text(self, path: str, text: str, mode: int = 0o644) -> None:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.pcluster-pulumi.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(temporary, mode)
        os.replace(temporary, target)

    def makedirs(self, path: str) -> None:
        os.makedirs(path, exist_ok=True)

    def is_mounted(self, path: str) -> bool:
        """From /proc/self/mountinfo, which never blocks on a dead NFS server (stat would)."""
        wanted = os.path.normpath(path)
        try:
            lines = Path("/proc/self/mountinfo").read_text(encoding="utf-8").splitlines()
        except OSError:
            return os.path.ismount(path)
        for line in lines:
            fields = line.split()
            if len(fields) > 4 and _unescape(fields[4]) == wanted:
                return True
        return False

    def which(self, program: str) -> str | None:
        search = os.pathsep.join([os.environ.get("PATH", ""), "/usr/local/sbin", "/usr/sbin", "/sbin"])
        return shutil.which(program, path=search)

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def monotonic(self) -> float:
        return time.monotonic()

    def log(self, message: str) -> None:
        self._log(message)


def _unescape(field: str) -> str:
    """mountinfo writes space, tab, newline and backslash as octal escapes."""
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        field = field.replace(code, char)
    return field
