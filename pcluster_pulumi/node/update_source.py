"""Where the head node finds the runtime configuration `up` writes, and which one it applied.

`up` writes the runtime configuration object at a fixed key of the cluster bucket (the key the
bootstrap fetched at boot: ``CONFIG_KEY`` in ``/etc/pcluster-pulumi/bootstrap.env``). The
update agent notices a new one by its **ETag**: S3's ETag of a single-part upload is the MD5
of its bytes, so it changes exactly when the document does (re-uploading the same text, as a
Pulumi refresh may, is no update), while the version id — also recorded, for the operator —
changes at every write. A conditional ``GetObject`` (``If-None-Match: <ETag>``, answered
``304 Not Modified`` without a body) per keeper pass is the whole cost of waiting.

The ETag the agent last handled (applied, or failed: a failed document is not retried until
`up` writes another) is kept in ``<state dir>/update-state.json``.
"""

from __future__ import annotations

import json
import os
import shlex
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from pcluster_pulumi.contract.paths import DEFAULT_STATE_DIR, STATE_DIR_ENV
from pcluster_pulumi.node.aws import Clients, error_code

#: Overrides the key read from bootstrap.env (tests, hand-run agents).
CONFIG_KEY_ENV = "PCLUSTER_PULUMI_CONFIG_KEY"
BOOTSTRAP_ENV_FILE = "/etc/pcluster-pulumi/bootstrap.env"
BOOTSTRAP_ENV_FILE_ENV = "PCLUSTER_PULUMI_BOOTSTRAP_ENV"


def _etag(raw: str) -> str:
    return raw.strip('"')


@dataclass(frozen=True)
class RemoteConfig:
    """One version of the runtime configuration object."""

    etag: str
    version_id: str | None
    text: str = ""


@dataclass(frozen=True)
class AppliedState:
    """What the agent last did with which object (the head node's local memory of updates)."""

    etag: str
    version_id: str | None
    result: str
    time: str
    #: The object the head node runs on (the last APPLIED one; older than etag after a failure).
    applied_etag: str | None = None
    applied_version_id: str | None = None

    @classmethod
    def now(cls, remote: RemoteConfig, result: str, previous: AppliedState | None) -> AppliedState:
        """The state after handling remote; a failure keeps the previously applied object."""
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        if result == "APPLIED":
            applied: tuple[str | None, str | None] = (remote.etag, remote.version_id)
        else:
            applied = (previous.applied_etag, previous.applied_version_id) if previous else (None, None)
        return cls(remote.etag, remote.version_id, result, stamp, *applied)


def config_key(environ: dict[str, str] | None = None) -> str | None:
    """The object key: ``PCLUSTER_PULUMI_CONFIG_KEY``, else ``CONFIG_KEY`` of bootstrap.env."""
    env = os.environ if environ is None else environ
    if env.get(CONFIG_KEY_ENV):
        return env[CONFIG_KEY_ENV]
    path = Path(env.get(BOOTSTRAP_ENV_FILE_ENV) or BOOTSTRAP_ENV_FILE)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() == "CONFIG_KEY":
            words = shlex.split(value)
            return words[0] if words else None
    return None


@dataclass(frozen=True)
class ConfigSource:
    """The runtime configuration object of one cluster."""

    bucket: str
    key: str

    def fetch(self, clients: Clients, unless_etag: str | None = None) -> RemoteConfig | None:
        """The current object, or None when its ETag is still unless_etag (a conditional GET: 304)."""
        condition = {"IfNoneMatch": f'"{unless_etag}"'} if unless_etag else {}
        try:
            response = clients.s3.get_object(Bucket=self.bucket, Key=self.key, **condition)
        except ClientError as error:
            if error_code(error) in ("304", "NotModified"):
                return None
            raise
        text = response["Body"].read().decode("utf-8")
        return RemoteConfig(_etag(response["ETag"]), response.get("VersionId"), text)


def state_path() -> Path:
    """``<state dir>/update-state.json`` (the keeper's state dir)."""
    return Path(os.environ.get(STATE_DIR_ENV, DEFAULT_STATE_DIR)) / "update-state.json"


def read_state() -> AppliedState | None:
    """The last object handled here; None before the first pass (or when the file is unreadable)."""
    try:
        data: Any = json.loads(state_path().read_text(encoding="utf-8"))
        return AppliedState(**data)
    except (OSError, ValueError, TypeError):
        return None


def write_state(state: AppliedState) -> None:
    """Atomically record the object handled."""
    path = state_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(asdict(state), indent=1) + "\n", encoding="utf-8")
    os.replace(temporary, path)
