"""boto3 clients for the node programs, and the batching every AWS call here relies on.

Clients come from boto3's default session so credentials come from the instance profile and
``AWS_ENDPOINT_URL`` (honoured by boto3 itself) can point them at moto in tests. Retries use
botocore's standard mode: throttling during a 1000-node scale-up must slow us, not fail us.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import boto3
from botocore.config import Config

T = TypeVar("T")

#: API limits that size our batches.
RUN_INSTANCES_BATCH = 500
TERMINATE_BATCH = 1000
DESCRIBE_BATCH = 1000
DYNAMODB_WRITE_BATCH = 25
DYNAMODB_GET_BATCH = 100
#: An UPSERT counts twice against Route 53's 1000-record limit per change batch.
ROUTE53_CHANGE_BATCH = 500

_BOTO_CONFIG = Config(retries={"max_attempts": 8, "mode": "standard"}, connect_timeout=10, read_timeout=60)


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most size items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class Clients:
    """Lazily created clients for one region (each program creates only what it calls)."""

    region: str
    _cache: dict[str, Any] = field(default_factory=dict)

    def _client(self, service: str) -> Any:
        if service not in self._cache:
            factory: Any = boto3.client  # service is a runtime string, not one of the stubs' literals
            self._cache[service] = factory(service, region_name=self.region, config=_BOTO_CONFIG)
        return self._cache[service]

    @property
    def ec2(self) -> Any:
        """EC2: launches, terminations, instance status."""
        return self._client("ec2")

    @property
    def dynamodb(self) -> Any:
        """DynamoDB: the node ↔ instance table and the fleet status item."""
        return self._client("dynamodb")

    @property
    def route53(self) -> Any:
        """Route 53: A records of nodes in the cluster's private zone."""
        return self._client("route53")

    @property
    def secretsmanager(self) -> Any:
        """Secrets Manager: the munge key and the accounting database password."""
        return self._client("secretsmanager")

    @property
    def s3(self) -> Any:
        """S3: CustomActions scripts named by ``s3://`` URLs."""
        return self._client("s3")


def error_code(error: BaseException) -> str:
    """The AWS error code of a botocore ClientError, else the exception's class name."""
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        if code:
            return str(code)
    return type(error).__name__


def error_message(error: BaseException) -> str:
    """The AWS error message of a botocore ClientError, else str(error)."""
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        message = response.get("Error", {}).get("Message")
        if message:
            return str(message)
    return str(error)
