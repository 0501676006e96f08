"""An HTTP proxy in front of moto's server that makes EC2 behave like EC2 where moto does not.

Two things moto's EC2 lacks that the scenarios need, added at the wire so the node programs
run unmodified against real HTTP:
- RunInstances from a launch template places the instance in the subnet of the template's
  network interface (moto ignores it and invents an address); the tests' subnets are in
  127.0.0.0/8 so every node address slurmctld contacts is a loopback address.
- Injected capacity errors (``InsufficientInstanceCapacity``) for chosen launch templates.
"""

from __future__ import annotations

import http.client
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3

_ERROR = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>{code}</Code>'
    "<Message>{message}</Message></Error></Errors><RequestID>injected</RequestID></Response>"
)


class Ec2Proxy:
    """Forwards every request to moto on 127.0.0.1:moto_port, rewriting EC2 launches."""

    def __init__(self, moto_port: int, region: str) -> None:
        self.moto_port = moto_port
        self.failures: dict[str, tuple[str, str]] = {}
        self.launch_requests: list[dict[str, list[str]]] = []
        self._ec2 = boto3.client(
            "ec2",
            region_name=region,
            endpoint_url=f"http://127.0.0.1:{moto_port}",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                proxy._forward(self, b"")

            def do_DELETE(self) -> None:
                proxy._forward(self, b"")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                proxy._forward(self, self.rfile.read(length))

            do_PUT = do_POST

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def fail_launches(self, template: str, code: str, message: str) -> None:
        """Answer every RunInstances / CreateFleet from template with this EC2 error."""
        self.failures[template] = (code, message)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _forward(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        form = _ec2_form(handler, body)
        if form is not None and form.get("Action", [""])[0] in ("RunInstances", "CreateFleet"):
            self.launch_requests.append(form)
            template = (
                form.get("LaunchTemplate.LaunchTemplateName")
                or form.get("LaunchTemplateConfigs.1.LaunchTemplateSpecification.LaunchTemplateName")
                or [""]
            )[0]
            if template in self.failures:
                code, message = self.failures[template]
                _reply(
                    handler,
                    400,
                    {"Content-Type": "text/xml"},
                    _ERROR.format(code=code, message=message).encode(),
                )
                return
            if form["Action"][0] == "RunInstances" and template:
                body = self._with_template_subnet(form, template, body)
        connection = http.client.HTTPConnection("127.0.0.1", self.moto_port, timeout=120)
        headers = {
            k: v for k, v in handler.headers.items() if k.lower() not in ("content-length", "connection")
        }
        headers["Content-Length"] = str(len(body))
        connection.request(handler.command, handler.path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        reply_headers = {
            k: v for k, v in response.getheaders() if k.lower() not in ("transfer-encoding", "connection")
        }
        reply_headers["Content-Length"] = str(len(data))
        _reply(handler, response.status, reply_headers, data)
        connection.close()

    def _with_template_subnet(self, form: dict[str, list[str]], template: str, body: bytes) -> bytes:
        if any(key.startswith(("NetworkInterface", "SubnetId")) for key in form):
            return body
        versions = self._ec2.describe_launch_template_versions(
            LaunchTemplateName=template, Versions=["$Latest"]
        )
        interfaces = versions["LaunchTemplateVersions"][0]["LaunchTemplateData"].get("NetworkInterfaces", [])
        subnet = next((i["SubnetId"] for i in interfaces if i.get("SubnetId")), None)
        if subnet is None:
            return body
        extra = urllib.parse.urlencode(
            {"NetworkInterface.1.DeviceIndex": "0", "NetworkInterface.1.SubnetId": subnet}
        )
        return body + b"&" + extra.encode()


def _ec2_form(handler: BaseHTTPRequestHandler, body: bytes) -> dict[str, list[str]] | None:
    if handler.command != "POST" or "x-www-form-urlencoded" not in (
        handler.headers.get("Content-Type") or ""
    ):
        return None
    form = urllib.parse.parse_qs(body.decode(), keep_blank_values=True)
    return form if "Action" in form else None


def _reply(handler: BaseHTTPRequestHandler, status: int, headers: dict[str, str], data: bytes) -> None:
    handler.send_response(status)
    for key, value in headers.items():
        handler.send_header(key, value)
    if "Content-Length" not in headers:
        handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)
