"""A local reverse proxy in front of a moto server that adds a fixed latency to every AWS call.

On real AWS a resume's wall time is API latency, which moto on 127.0.0.1 hides. Point a
program's ``AWS_ENDPOINT_URL`` at this proxy and every call waits ``latency`` seconds before
moto sees it, each call independently (one thread per connection), so calls a program makes
concurrently overlap exactly as they would against AWS. It also counts calls by
``service.Operation`` so a benchmark can compare engines call for call.

moto itself is slow (serializing 500 instances takes it seconds), so the proxy also reports
the time moto was busy — the union of the intervals during which it answered at least one
call — which a benchmark subtracts from wall time to estimate the wall time against a server
that answers in the fixed latency alone.

Control endpoints (never forwarded): ``GET /__proxy__/stats`` (JSON: calls, moto seconds),
``POST /__proxy__/reset`` (zero counts), ``POST /__proxy__/latency?ms=50``.

    python benchmarks/aws_latency_proxy.py --listen 5101 --upstream 127.0.0.1:5100 --latency-ms 50
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import re
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

_CREDENTIAL = re.compile(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/")
#: REST (route53 / s3) paths → operation names, for the services the node programs call.
_REST = [
    ("POST", re.compile(r"^/2013-04-01/hostedzone/[^/]+/rrset/?$"), "ChangeResourceRecordSets"),
    ("GET", re.compile(r"^/2013-04-01/hostedzone/[^/]+/rrset/?$"), "ListResourceRecordSets"),
    ("GET", re.compile(r"^/2013-04-01/change/"), "GetChange"),
]
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade", "te"}


class Stats:
    """Thread-safe call counts and the current latency."""

    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.counts: Counter[str] = Counter()
        self.upstream: dict[str, float] = {}
        self.busy = 0.0  # seconds during which moto was answering at least one call
        self._active = 0
        self._busy_since = 0.0
        self.lock = threading.Lock()

    def count(self, key: str) -> None:
        with self.lock:
            self.counts[key] += 1

    def enter(self) -> float:
        """A call goes to moto now; returns its start time."""
        with self.lock:
            now = time.perf_counter()
            if self._active == 0:
                self._busy_since = now
            self._active += 1
            return now

    def leave(self, key: str, started: float) -> None:
        """moto answered: add its time per operation and to the union of busy intervals."""
        with self.lock:
            now = time.perf_counter()
            self.upstream[key] = self.upstream.get(key, 0.0) + now - started
            self._active -= 1
            if self._active == 0:
                self.busy += now - self._busy_since

    def reset(self) -> None:
        with self.lock:
            self.counts.clear()
            self.upstream.clear()
            self.busy = 0.0


def operation_of(method: str, path: str, headers: dict[str, str], body: bytes) -> str:
    """``service.Operation`` of a signed AWS request (JSON target, query Action, or REST path)."""
    match = _CREDENTIAL.search(headers.get("authorization", ""))
    service = match.group(1) if match else "unknown"
    target = headers.get("x-amz-target")
    if target:
        return f"{service}.{target.rsplit('.', 1)[-1]}"
    if method == "POST" and headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        action = parse_qs(body.decode("utf-8", "replace")).get("Action")
        if action:
            return f"{service}.{action[0]}"
    route = urlsplit(path).path
    for verb, pattern, name in _REST:
        if verb == method and pattern.match(route):
            return f"{service}.{name}"
    return f"{service}.{method} {route}"


def make_handler(stats: Stats, upstream: str) -> type[BaseHTTPRequestHandler]:
    """A handler class bound to the shared stats and the moto address.

    Calls wait their latency concurrently but enter moto one at a time: moto's server is not
    safe for concurrent writes (it answers 500 to concurrent CreateFleet calls) and, bound by
    one interpreter lock, gains nothing from them. Its busy time is reported, not hidden.
    """
    local = threading.local()
    moto_turn = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: botocore pools connections as against AWS

        def log_message(self, format: str, *args: object) -> None:
            return

        def _reply(self, status: int, body: bytes, content_type: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _control(self) -> bool:
            parts = urlsplit(self.path)
            if not parts.path.startswith("/__proxy__/"):
                return False
            name = parts.path.removeprefix("/__proxy__/")
            if name == "stats":
                with stats.lock:
                    payload = {
                        "calls": dict(stats.counts),
                        "upstream_seconds": dict(stats.upstream),
                        "moto_busy_seconds": stats.busy,
                    }
                self._reply(200, json.dumps(payload).encode())
            elif name == "reset":
                stats.reset()
                self._reply(200, b"{}")
            elif name == "latency":
                stats.latency = float(parse_qs(parts.query)["ms"][0]) / 1000.0
                self._reply(200, b"{}")
            else:
                self._reply(404, b"{}")
            return True

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if self._control():
                return
            headers = {k.lower(): v for k, v in self.headers.items()}
            operation = operation_of(self.command, self.path, headers, body)
            stats.count(operation)
            if stats.latency:
                time.sleep(stats.latency)
            connection = getattr(local, "connection", None)
            if connection is None:
                host, port = upstream.rsplit(":", 1)
                connection = local.connection = http.client.HTTPConnection(host, int(port), timeout=600)
            forwarded = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            with moto_turn:  # one call inside moto at a time (see make_handler)
                started = stats.enter()
                try:
                    connection.request(self.command, self.path, body=body, headers=forwarded)
                    response = connection.getresponse()
                    payload = response.read()
                except (OSError, http.client.HTTPException):
                    connection.close()
                    local.connection = None
                    raise
                finally:
                    stats.leave(operation, started)
            self.send_response(response.status, response.reason)
            head = self.command == "HEAD"  # HEAD keeps upstream's Content-Length (the object's size)
            for key, value in response.getheaders():
                if key.lower() not in _HOP_BY_HOP and (head or key.lower() != "content-length"):
                    self.send_header(key, value)
            if not head:
                self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

    return Handler


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", type=int, required=True, help="port on 127.0.0.1")
    parser.add_argument("--upstream", required=True, help="moto server host:port")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    args = parser.parse_args()
    stats = Stats(args.latency_ms / 1000.0)
    server = ThreadingHTTPServer(("127.0.0.1", args.listen), make_handler(stats, args.upstream))
    server.daemon_threads = True
    print(f"proxy on 127.0.0.1:{args.listen} → {args.upstream}", file=sys.stderr, flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
