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
from typing import Any

from pcluster_pulumi.contract.custom_actions import EVENT_KEYS, Action, split_s3_url

__all__ = ["CustomActionError", "fetch_script", "run_actions"]


class CustomActionError(RuntimeError):
    """A script could not be fetched or failed; the message names the event, step and URL."""


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
