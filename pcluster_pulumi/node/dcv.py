"""NICE DCV on the head node and login nodes: server settings, session tokens, the connect script.

``pcluster-pulumi dcv-connect`` runs ``dcv-connect`` (``CONNECT_SCRIPT``) over SSH as the user.
The script makes sure the user has a virtual session, creates a one-time token and prints
``PclusterDcvServerPort=… PclusterDcvSessionId=… PclusterDcvSessionToken=…`` (ParallelCluster's
answer format, plus ``PclusterDcvServerHost``); the CLI turns that into the session URL.

Who the token belongs to is proven by the kernel, as in ParallelCluster's authenticator: the
script writes a file named after the token's SHA-256 into a sticky, unlistable spool
directory, so the file's owner is the user who ran it. DCV asks our verifier
(``auth-token-verifier``, on localhost only) about a token; the verifier accepts it once,
within ``TOKEN_TTL_SECONDS``, for the session named in the file, as that file's owner.
"""

from __future__ import annotations

import hashlib
import http.server
import os
import pwd
import stat
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

__all__ = [
    "CONNECT_SCRIPT",
    "TOKEN_DIR",
    "TOKEN_TTL_SECONDS",
    "TokenVerifier",
    "parse_connect_answer",
    "render_dcv_conf",
    "render_verifier_unit",
    "session_name",
    "verifier_port",
]

TOKEN_DIR = Path("/var/spool/pcluster-pulumi/dcv-tokens")
DCV_CONF = Path("/etc/dcv/dcv.conf")
VERIFIER_UNIT = Path("/etc/systemd/system/pcluster-pulumi-dcv-verifier.service")
TOKEN_TTL_SECONDS = 120


def session_name(user: str) -> str:
    """The one virtual session the connect script keeps per user."""
    return f"pcluster-{user}"


def verifier_port(dcv_port: int) -> int:
    """The verifier listens next to DCV's own port, on localhost (as ParallelCluster's does)."""
    return dcv_port + 1


def render_dcv_conf(port: int) -> str:
    """/etc/dcv/dcv.conf: HTTPS on ``Dcv.Port``, authentication by our local token verifier only."""
    return (
        "# dcv.conf rendered by pcluster-pulumi from Dcv settings.\n"
        "[license]\n\n"
        '[log]\nlevel="info"\n\n'
        "[session-management]\n"
        # Sessions are per user, created by the connect script; none at server start.
        "create-session=false\n\n"
        "[connectivity]\n"
        f"web-port={port}\n"
        "idle-timeout=120\n\n"
        "[security]\n"
        f'auth-token-verifier="http://127.0.0.1:{verifier_port(port)}"\n'
        "no-tls-strict=true\n"
        "os-auto-lock=false\n"
    )


def render_verifier_unit(port: int, lib: str, python: str = "/usr/bin/python3") -> str:
    """The systemd unit of the token verifier, started before the DCV server."""
    return (
        "[Unit]\nDescription=pcluster-pulumi: DCV session token verifier (localhost only)\n"
        "Before=dcvserver.service\n\n"
        f"[Service]\nEnvironment=PYTHONPATH={lib}\n"
        f"ExecStart={python} -m pcluster_pulumi.node.access_steps dcv-verifier --port {verifier_port(port)}\n"
        "Restart=always\nRestartSec=5\n\n[Install]\nWantedBy=multi-user.target\n"
    )


@dataclass(frozen=True)
class Verdict:
    """The verifier's answer for one token: the user it authenticates, or None."""

    user: str | None

    def xml(self) -> str:
        """DCV's expected body: ``<auth result="yes"><username>u</username></auth>``."""
        if self.user is None:
            return '<auth result="no"><message>invalid or expired token</message></auth>'
        return f'<auth result="yes"><username>{escape(self.user)}</username></auth>'


class TokenVerifier:
    """Checks tokens against the spool directory: owner, session, age; each token works once."""

    def __init__(self, directory: Path = TOKEN_DIR, ttl: float = TOKEN_TTL_SECONDS) -> None:
        self.directory = directory
        self.ttl = ttl

    @staticmethod
    def token_file_name(token: str) -> str:
        """What the connect script names the file: the token's SHA-256 (the token is never stored)."""
        return hashlib.sha256(token.encode()).hexdigest()

    def verify(self, session_id: str, token: str, now: float | None = None) -> Verdict:
        """Consume the token's file and say who it authenticates for ``session_id``."""
        if not token or not session_id:
            return Verdict(None)
        path = self.directory / self.token_file_name(token)
        try:
            # O_NOFOLLOW + fstat: a user cannot point the name at another file, even in a race.
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            return Verdict(None)
        try:
            info = os.fstat(fd)
            recorded = os.read(fd, 256).decode("utf-8", "replace").strip()
        finally:
            os.close(fd)
            path.unlink(missing_ok=True)  # one use only, whatever the outcome
        age = (time.time() if now is None else now) - info.st_mtime
        if not stat.S_ISREG(info.st_mode) or age > self.ttl or age < -5:
            return Verdict(None)
        try:
            owner = pwd.getpwuid(info.st_uid).pw_name
        except KeyError:
            return Verdict(None)
        # The token opens only the session it was made for, and only its owner's own session.
        if recorded != session_id or session_id != session_name(owner):
            return Verdict(None)
        return Verdict(owner)


def serve(port: int, verifier: TokenVerifier) -> None:
    """Answer DCV's POSTs (``sessionId``, ``authenticationToken``) on 127.0.0.1 forever."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = urllib.parse.parse_qs(self.rfile.read(length).decode("utf-8", "replace"))
            verdict = verifier.verify(
                (form.get("sessionId") or [""])[0], (form.get("authenticationToken") or [""])[0]
            )
            body = verdict.xml().encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Never log requests: they carry tokens."""

    http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


def parse_connect_answer(text: str) -> dict[str, str]:
    """The ``Key=value`` pairs of the connect script's last line (ValueError if incomplete)."""
    lines = [line for line in text.strip().splitlines() if "PclusterDcv" in line]
    if not lines:
        raise ValueError(f"the node's DCV script gave no session: {text.strip()[:200]!r}")
    pairs = dict(item.split("=", 1) for item in lines[-1].split() if "=" in item)
    for key in ("PclusterDcvServerPort", "PclusterDcvSessionId", "PclusterDcvSessionToken"):
        if not pairs.get(key):
            raise ValueError(f"the node's DCV script did not say {key}")
    return pairs


CONNECT_SCRIPT = r"""#!/bin/bash
# pcluster-pulumi dcv-connect: run by the user (over SSH) to get a one-time DCV session token.
set -euo pipefail
TOKENS=/var/spool/pcluster-pulumi/dcv-tokens
if ! systemctl is-active --quiet dcvserver; then
    echo "ERROR: the DCV server is not running on this node" >&2
    exit 1
fi
user=$(id -un)
session="pcluster-$user"
if ! dcv list-sessions 2>/dev/null | grep -qF "Session: '$session'"; then
    dcv create-session --type virtual --owner "$user" --storage-root "$HOME" "$session" >/dev/null
fi
token=$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
name=$(printf '%s' "$token" | sha256sum | cut -d' ' -f1)
(umask 077 && printf '%s' "$session" > "$TOKENS/$name")
port=$(sed -n 's/^web-port=\([0-9]*\).*/\1/p' /etc/dcv/dcv.conf | head -n1)
# This node's address (a login pool's users reach it directly, not through the SSH load balancer).
host=""
imds=http://169.254.169.254/latest
if itoken=$(curl -sf -m 2 -X PUT "$imds/api/token" -H "X-aws-ec2-metadata-token-ttl-seconds: 60"); then
    host=$(curl -sf -m 2 -H "X-aws-ec2-metadata-token: $itoken" "$imds/meta-data/public-ipv4" \
        || curl -sf -m 2 -H "X-aws-ec2-metadata-token: $itoken" "$imds/meta-data/local-ipv4" || true)
fi
echo "PclusterDcvServerPort=${port:-8443} PclusterDcvSessionId=$session PclusterDcvSessionToken=$token" \
    "PclusterDcvServerHost=$host"
"""
