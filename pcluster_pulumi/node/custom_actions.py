"""CustomActions: the user's scripts a node runs at boot (and, for the head node, on update).

ParallelCluster runs ``OnNodeStart`` before a node is configured (before storage, munge and
Slurm), ``OnNodeConfigured`` once it is, and ``OnNodeUpdated`` on the head node after an
update. Each is one script with arguments or a sequence of them, fetched from ``s3://`` (with
the node's role, which is granted exactly those objects) or ``https://`` (plain HTTPS, which
honours ``https_proxy``). A script that cannot be fetched or exits non-zero fails the boot, as
in ParallelCluster, so a node never joins the cluster half-customised.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pcluster_pulumi.node.config_reader import ConfigError, Reader

__all__ = [
    "EVENTS",
    "QUEUE_EVENTS",
    "Action",
    "CustomActionError",
    "CustomActions",
    "fetch_script",
    "run_actions",
    "split_s3_url",
]

#: Runtime-config keys of the events, in the order a node meets them.
EVENTS = ("on_node_start", "on_node_configured", "on_node_updated")
#: Queues have no OnNodeUpdated in ParallelCluster (compute nodes are replaced, not updated).
QUEUE_EVENTS = EVENTS[:2]
#: The ParallelCluster key of each event, for messages a user recognises.
EVENT_KEYS = {
    "on_node_start": "OnNodeStart",
    "on_node_configured": "OnNodeConfigured",
    "on_node_updated": "OnNodeUpdated",
}
_SCHEMES = ("s3://", "https://")


class CustomActionError(RuntimeError):
    """A script could not be fetched or failed; the message names the event, step and URL."""


@dataclass(frozen=True)
class Action:
    """One script and the arguments it is run with."""

    script: str
    args: tuple[str, ...] = ()

    @classmethod
    def read(cls, r: Reader) -> Action:
        script = r.string("script")
        if not script.startswith(_SCHEMES) or script in _SCHEMES:
            raise ConfigError(f"{r.path}.script: must be an s3:// or https:// URL, got {script!r}")
        if script.startswith("s3://"):
            split_s3_url(script, r.path)
        return cls(script=script, args=tuple(r.strings("args")))


@dataclass(frozen=True)
class CustomActions:
    """The scripts of each event (empty tuples: nothing to run)."""

    on_node_start: tuple[Action, ...] = ()
    on_node_configured: tuple[Action, ...] = ()
    on_node_updated: tuple[Action, ...] = ()

    @classmethod
    def read(cls, r: Reader | None, events: Sequence[str] = EVENTS) -> CustomActions:
        """Read the events; one not allowed here (a queue's ``on_node_updated``) must be empty."""
        if r is None:
            return cls()
        found = {event: tuple(Action.read(i) for i in r.list_of(event, minimum=0)) for event in EVENTS}
        for event, actions in found.items():
            if actions and event not in events:
                raise ConfigError(f"{r.path}.{event}: not run here (only {', '.join(events)})")
        r.finish()
        return cls(**found)

    def of(self, event: str) -> tuple[Action, ...]:
        """The scripts of one event (``on_node_start`` …); KeyError for an unknown event."""
        if event not in EVENTS:
            raise KeyError(f"unknown custom action event {event!r}")
        actions: tuple[Action, ...] = getattr(self, event)
        return actions

    def urls(self) -> list[str]:
        """Every script URL, in event order (what the node's role must be able to read)."""
        return [a.script for event in EVENTS for a in self.of(event)]

    def __bool__(self) -> bool:
        return any(self.of(event) for event in EVENTS)


def split_s3_url(url: str, where: str = "script") -> tuple[str, str]:
    """``s3://bucket/key`` → (bucket, key); ConfigError when either part is missing."""
    bucket, _, key = url.removeprefix("s3://").partition("/")
    if not bucket or not key or key.endswith("/"):
        raise ConfigError(f"{where}: {url!r} must name an object: s3://BUCKET/KEY")
    return bucket, key


Opener = Callable[[str], Any]


def _open_https(url: str) -> Any:
    return urllib.request.urlopen(url, timeout=60)


def fetch_script(url: str, dest: str, s3: Any, opener: Opener = _open_https, attempts: int = 3) -> None:
    """Download one script to dest: S3 with the node's role, else HTTPS; retried on errors."""
    last: Exception | None = None
    for _ in range(attempts):
        try:
            if url.startswith("s3://"):
                bucket, key = split_s3_url(url)
                s3.download_file(bucket, key, dest)
            elif url.startswith("https://"):
                with opener(url) as response, open(dest, "wb") as handle:
                    handle.write(response.read())
            else:
                raise CustomActionError(f"{url}: only s3:// and https:// scripts are fetched")
            return
        except CustomActionError:
            raise
        except Exception as error:
            last = error
    raise CustomActionError(f"cannot fetch {url}: {last}")


Runner = Callable[[list[str]], int]


def _run(command: list[str]) -> int:
    return subprocess.run(command, check=False).returncode


def run_actions(
    actions: Sequence[Action],
    event: str,
    s3: Any,
    *,
    workdir: str | None = None,
    opener: Opener = _open_https,
    run: Runner = _run,
) -> int:
    """Fetch then run each script in order (root, its own args); stop at the first failure.

    Every script is fetched before the first runs, so a missing script fails the boot before
    any of them has changed the node. Returns how many scripts ran.
    """
    label = EVENT_KEYS.get(event, event)
    with tempfile.TemporaryDirectory(prefix="pcluster-pulumi-action-", dir=workdir) as tmp:
        paths = []
        for index, action in enumerate(actions, 1):
            path = os.path.join(tmp, f"{event}-{index}")
            try:
                fetch_script(action.script, path, s3, opener)
            except CustomActionError as error:
                raise CustomActionError(f"{label} script {index}: {error}") from error
            os.chmod(path, 0o700)
            paths.append(path)
        for index, (action, path) in enumerate(zip(actions, paths, strict=True), 1):
            print(f"{label} script {index}: {action.script} {' '.join(action.args)}".rstrip(), flush=True)
            status = run([path, *action.args])
            if status != 0:
                raise CustomActionError(
                    f"{label} script {index} ({action.script}) exited with status {status}"
                )
    return len(paths)
