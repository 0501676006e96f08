"""The instance metadata service (IMDSv2) for the few facts a node asks about itself.

The head node exports its directories to the VPC's CIDR blocks, as ParallelCluster does; the
runtime configuration cannot carry them (a VPC may gain blocks), and the metadata service
answers without IAM permissions. ``AWS_EC2_METADATA_SERVICE_ENDPOINT`` (botocore's name)
points it elsewhere, which the tests use.
"""

from __future__ import annotations

import os
import time
import urllib.error
import urllib.request

ENDPOINT_ENV = "AWS_EC2_METADATA_SERVICE_ENDPOINT"
DEFAULT_ENDPOINT = "http://169.254.169.254"


class MetadataError(RuntimeError):
    """The metadata service did not answer (after retries)."""


def _endpoint() -> str:
    return os.environ.get(ENDPOINT_ENV, DEFAULT_ENDPOINT).rstrip("/")


def get(path: str, *, attempts: int = 5, timeout: float = 5.0) -> str:
    """``/latest/meta-data/<path>`` with a session token; retried, since early boot can be slow."""
    base = f"{_endpoint()}/latest"
    last: Exception | None = None
    for attempt in range(attempts):
        try:
            token_request = urllib.request.Request(
                f"{base}/api/token", method="PUT", headers={"X-aws-ec2-metadata-token-ttl-seconds": "300"}
            )
            with urllib.request.urlopen(token_request, timeout=timeout) as response:
                token = response.read().decode()
            request = urllib.request.Request(
                f"{base}/meta-data/{path}", headers={"X-aws-ec2-metadata-token": token}
            )
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return str(response.read().decode())
        except (urllib.error.URLError, OSError) as error:
            last = error
            if attempt + 1 < attempts:
                time.sleep(min(2**attempt, 10))
    raise MetadataError(f"instance metadata {path!r} unavailable: {last}")


def vpc_cidr_blocks() -> list[str]:
    """IPv4 CIDR blocks of the VPC of this instance's primary network interface."""
    mac = get("mac").strip()
    text = get(f"network/interfaces/macs/{mac}/vpc-ipv4-cidr-blocks")
    blocks = [line.strip() for line in text.splitlines() if line.strip()]
    if not blocks:
        raise MetadataError("instance metadata lists no VPC CIDR block")
    return blocks
