"""The AWS side of ``validate --aws``: region, credentials, clients, and a count of API calls.

boto3 reads credentials the usual way (environment, profile, instance role) and honours
``AWS_ENDPOINT_URL``, so the same code runs against AWS or a local emulator. Problems that
stop every check (no region, no credentials, an endpoint that does not answer) are one
``AwsUnavailable`` sentence; the CLI prints it as one line.
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Any, cast

import boto3
import botocore.exceptions
from botocore.config import Config

__all__ = ["AwsSession", "AwsUnavailable", "error_code", "resolve_region"]

# Validation must answer in seconds: few retries, short timeouts.
_CLIENT_CONFIG = Config(connect_timeout=5, read_timeout=20, retries={"max_attempts": 3, "mode": "standard"})


class AwsUnavailable(Exception):
    """AWS cannot be asked at all (no region, no credentials, no answer): one sentence."""


def error_code(exc: BaseException) -> str:
    """The AWS error code of a ClientError ('' for anything else)."""
    if isinstance(exc, botocore.exceptions.ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return ""


def resolve_region(config_region: str | None, option: str | None) -> str:
    """The config's ``Region``, else ``--region``, else the environment / profile; the two
    explicit ones must agree (the cluster is deployed where its config says)."""
    if config_region and option and config_region != option:
        raise AwsUnavailable(
            f"the config says Region: {config_region} but --region is {option}; the cluster is deployed "
            "in the config's region, so check that one (or drop --region)"
        )
    region = (
        config_region
        or option
        or os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION")
        or boto3.Session().region_name
    )
    if not region:
        raise AwsUnavailable("no AWS region: set Region in the config, pass --region, or set AWS_REGION")
    return region


class AwsSession:
    """boto3 clients for one region, each call counted by operation (``calls``)."""

    def __init__(self, region: str) -> None:
        self.region = region
        self.session = boto3.Session(region_name=region)
        if self.session.get_credentials() is None:
            raise AwsUnavailable(
                "no AWS credentials found: configure them (aws configure, AWS_PROFILE, ...) or run "
                "validate without --aws"
            )
        self.calls: Counter[str] = Counter()
        self._clients: dict[str, Any] = {}

    @property
    def total_calls(self) -> int:
        """API calls made so far, all services."""
        return sum(self.calls.values())

    def client(self, service: str) -> Any:
        """The (cached) client of a service, counting every call it makes."""
        if service not in self._clients:
            # Any: boto3-stubs types clients per literal service name; ours is a variable.
            client = cast(Any, self.session).client(service, config=_CLIENT_CONFIG)
            client.meta.events.register("before-call.*.*", self._count)
            self._clients[service] = client
        return self._clients[service]

    def _count(self, model: Any, **_: Any) -> None:
        self.calls[f"{model.service_model.service_name}:{model.name}"] += 1
