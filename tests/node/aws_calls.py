"""Counting and failing AWS calls of real boto3 clients (botocore events, no patching)."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from botocore.awsrequest import AWSResponse

from pcluster_pulumi.node.aws import Clients


class CallCounter:
    """Counts every API call the given clients make, by ``service.Operation``."""

    def __init__(self, clients: Clients, services: tuple[str, ...] = ("ec2", "dynamodb", "route53")) -> None:
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        for service in services:
            client = getattr(clients, service)
            client.meta.events.register("before-parameter-build", self._count)

    def _count(self, model: Any, **_: Any) -> None:
        with self._lock:  # calls come from several threads at once
            self.counts[f"{model.service_model.service_name}.{model.name}"] += 1

    def __getitem__(self, key: str) -> int:
        return self.counts[key]

    def total(self, service: str) -> int:
        return sum(n for key, n in self.counts.items() if key.startswith(f"{service}."))


def fail(
    client: Any, operation: str, code: str, message: str = "injected", when: Any = None
) -> list[dict[str, Any]]:
    """Make client.operation answer with an AWS error (when(params) decides; default always).

    Returns the list of params of the calls that were failed.
    """
    failed: list[dict[str, Any]] = []
    last = threading.local()  # the programs make independent calls from several threads
    service = client.meta.service_model.service_name

    def remember(params: dict[str, Any], **_: Any) -> None:
        last.params = dict(params)

    def handler(**_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        params = getattr(last, "params", {})
        if when is not None and not when(params):
            return None
        failed.append(params)
        response = AWSResponse("https://injected", 400, {}, None)
        return response, {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": 400},
        }

    client.meta.events.register(f"before-parameter-build.{service}.{operation}", remember)
    client.meta.events.register(f"before-call.{service}.{operation}", handler)
    return failed


def spy(client: Any, operation: str) -> list[dict[str, Any]]:
    """The API parameters of every call client makes to operation."""
    seen: list[dict[str, Any]] = []
    service = client.meta.service_model.service_name
    client.meta.events.register(
        f"before-parameter-build.{service}.{operation}", lambda params, **_: seen.append(dict(params))
    )
    return seen


def uses_template(name: str) -> Any:
    """A `when` predicate: the launch request names this launch template."""

    def check(params: dict[str, Any]) -> bool:
        template = params.get("LaunchTemplate") or {}
        if not template and params.get("LaunchTemplateConfigs"):
            template = params["LaunchTemplateConfigs"][0]["LaunchTemplateSpecification"]
        return bool(template.get("LaunchTemplateName") == name)

    return check
