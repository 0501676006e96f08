"""AWS clients for the day-2 commands, which work from AWS alone (no Pulumi CLI, no stack state).

The region comes from ``--region``, else ``AWS_REGION`` / ``AWS_DEFAULT_REGION``, else the
profile's; ``AWS_ENDPOINT_URL`` (and botocore's per-service ``AWS_ENDPOINT_URL_<SERVICE>``)
points every client elsewhere, which is how the tests talk to a moto server. Every AWS failure
becomes a ``Day2Error``: one sentence, never a traceback.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
)

from pcluster_pulumi.node.aws import error_code, error_message

__all__ = [
    "PAGE_SIZE",
    "AwsClients",
    "ClusterNotFound",
    "Day2Error",
    "aws_errors",
    "error_code",
    "paginate",
    "resolve_region",
]

#: Items asked per page of every paginated list (the APIs' own maxima are larger; smaller
#: pages keep the first answer quick and let tests see pagination with few resources).
PAGE_SIZE = 100

_BOTO_CONFIG = Config(retries={"max_attempts": 6, "mode": "standard"}, connect_timeout=10, read_timeout=60)


class Day2Error(Exception):
    """A day-2 command cannot answer: the message is one sentence for the user."""


class ClusterNotFound(Day2Error):
    """Nothing of the named cluster exists in the region."""

    def __init__(self, cluster: str, region: str) -> None:
        super().__init__(
            f"no cluster named {cluster!r} in {region}: no instance, table or log group of it there "
            "(wrong --region?)"
        )
        self.cluster = cluster
        self.region = region


def resolve_region(region: str | None) -> str:
    """--region, else the environment, else the AWS profile; Day2Error when none is set."""
    if region:
        return region
    for key in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        if os.environ.get(key):
            return os.environ[key]
    configured = boto3.session.Session().region_name
    if configured:
        return str(configured)
    raise Day2Error("no AWS region: pass --region or set AWS_REGION")


@dataclass
class AwsClients:
    """Lazily created clients for one region; each command creates only what it calls."""

    region: str
    _cache: dict[str, Any] = field(default_factory=dict)
    _session: Any = None

    def client(self, service: str) -> Any:
        """A boto3 client; ``AWS_ENDPOINT_URL`` is honoured by botocore itself.

        Clients come from a session of their own, not boto3's process-wide default one, so
        credentials and endpoints are read from the environment as it is now.
        """
        if service not in self._cache:
            if self._session is None:
                self._session = boto3.session.Session(region_name=self.region)
            factory: Any = self._session.client  # service is a runtime string, not a stubs literal
            self._cache[service] = factory(service, config=_BOTO_CONFIG)
        return self._cache[service]

    @property
    def ec2(self) -> Any:
        """EC2: the cluster's instances (by tag) and EBS volumes."""
        return self.client("ec2")

    @property
    def dynamodb(self) -> Any:
        """DynamoDB: the nodes table and the status table."""
        return self.client("dynamodb")

    @property
    def logs(self) -> Any:
        """CloudWatch Logs: the cluster's log group, its streams and export tasks."""
        return self.client("logs")


@contextmanager
def aws_errors(region: str) -> Iterator[None]:
    """Turn botocore failures into one ``Day2Error`` sentence naming what went wrong."""
    try:
        yield
    except NoCredentialsError:
        raise Day2Error(
            "no AWS credentials found: configure them (aws configure, AWS_PROFILE, ...)"
        ) from None
    except NoRegionError:
        raise Day2Error("no AWS region: pass --region or set AWS_REGION") from None
    except EndpointConnectionError as error:
        raise Day2Error(f"cannot reach AWS in {region}: {error}") from None
    except ClientError as error:
        code = error_code(error)
        if code in ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation"):
            raise Day2Error(f"AWS refused access in {region}: {error_message(error)}") from None
        raise Day2Error(f"AWS error in {region} ({code}): {error_message(error)}") from None
    except BotoCoreError as error:
        raise Day2Error(f"AWS call failed in {region}: {error}") from None


def paginate(
    client: Any, operation: str, key: str, *, api_max: int | None = None, **kwargs: Any
) -> Iterator[Any]:
    """Every item under ``key`` across all pages of ``operation``.

    Pages hold ``PAGE_SIZE`` items, or ``api_max`` when the API allows fewer (CloudWatch Logs
    lists at most 50 per call).
    """
    size = min(PAGE_SIZE, api_max) if api_max else PAGE_SIZE
    paginator = client.get_paginator(operation)
    for page in paginator.paginate(**kwargs, PaginationConfig={"PageSize": size}):
        yield from page.get(key, [])
