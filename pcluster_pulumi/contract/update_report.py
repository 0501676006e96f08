"""The head node's update report: one item of the cluster's status table, written by the head
node's update agent (``node/update_agent.py``) and read by `up` and ``ClusterStack`` without SSH.

The item sits next to ParallelCluster's ``COMPUTE_FLEET`` one: ``Id = HEAD_NODE_UPDATE``, ``Data``
a map with ``status`` (``IN_PROGRESS``, ``APPLIED``, ``FAILED``), the ``configEtag`` /
``configVersionId`` of the runtime configuration object it is about, the ``appliedEtag`` /
``appliedVersionId`` the head node runs on now (the previous ones after a failure), a one-line
``summary`` of what changed, the ``reason`` of a failure and ``lastUpdatedTime``. A deployer
waits until ``configEtag`` is the ETag of the object it wrote and the status is final.
Stdlib only: both sides read it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "APPLIED",
    "FAILED",
    "FINAL",
    "IN_PROGRESS",
    "ITEM_ID",
    "RUNTIME_CONFIG_KEY",
    "UpdateReport",
    "UpdateWaitTimeout",
    "wait_for_report",
]

ITEM_ID = "HEAD_NODE_UPDATE"
IN_PROGRESS = "IN_PROGRESS"
APPLIED = "APPLIED"
FAILED = "FAILED"
FINAL = (APPLIED, FAILED)
#: Key of the runtime configuration object under the cluster's artifact prefix.
RUNTIME_CONFIG_KEY = "config/node-config.json"


@dataclass(frozen=True)
class UpdateReport:
    """The report as stored."""

    status: str
    config_etag: str
    config_version_id: str | None = None
    applied_etag: str | None = None
    applied_version_id: str | None = None
    summary: str = ""
    reason: str = ""
    time: str = ""

    @property
    def final(self) -> bool:
        """APPLIED or FAILED: the head node is done with config_etag."""
        return self.status in FINAL

    def line(self) -> str:
        """What `up` prints: ``head node applied update: …`` or the failure and its reason."""
        if self.status == APPLIED:
            return f"head node applied update: {self.summary or 'no change'}"
        if self.status == FAILED:
            return f"head node could not apply the update: {self.reason} (it runs the previous configuration)"
        return f"head node is applying the update: {self.summary}"

    def to_item(self) -> dict[str, Any]:
        """The DynamoDB item (low-level attribute values)."""
        data: dict[str, Any] = {
            "status": {"S": self.status},
            "configEtag": {"S": self.config_etag},
            "summary": {"S": self.summary},
            "reason": {"S": self.reason},
            "lastUpdatedTime": {"S": self.time or datetime.now(UTC).isoformat(timespec="seconds")},
        }
        for key, value in (
            ("configVersionId", self.config_version_id),
            ("appliedEtag", self.applied_etag),
            ("appliedVersionId", self.applied_version_id),
        ):
            if value:
                data[key] = {"S": value}
        return {"Id": {"S": ITEM_ID}, "Data": {"M": data}}

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> UpdateReport:
        """Parse a stored item (missing fields read as empty)."""
        data = item.get("Data", {}).get("M", {})

        def text(key: str) -> str | None:
            value = data.get(key, {}).get("S")
            return str(value) if value is not None else None

        return cls(
            status=text("status") or "",
            config_etag=text("configEtag") or "",
            config_version_id=text("configVersionId"),
            applied_etag=text("appliedEtag"),
            applied_version_id=text("appliedVersionId"),
            summary=text("summary") or "",
            reason=text("reason") or "",
            time=text("lastUpdatedTime") or "",
        )


class UpdateWaitTimeout(TimeoutError):
    """The head node did not report on the object in time (is its keeper running?)."""


def wait_for_report(
    read: Callable[[], UpdateReport | None],
    etag: str,
    *,
    timeout: float = 900,
    interval: float = 5,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    on_report: Callable[[UpdateReport | None], None] | None = None,
) -> UpdateReport:
    """Poll read() until the report is about etag and final; UpdateWaitTimeout after timeout seconds.

    ``on_report`` sees every report that differs from the previous one (progress lines).
    """
    deadline = clock() + timeout
    last: UpdateReport | None = None
    first = True
    while True:
        report = read()
        current = report if report is not None and report.config_etag == etag else None
        if first or current != last:
            if on_report is not None:
                on_report(current)
            first = False
        last = current
        if current is not None and current.final:
            return current
        if clock() >= deadline:
            state = current.status if current else "not started"
            raise UpdateWaitTimeout(
                f"the head node has not applied the new configuration after {int(timeout)}s ({state}); "
                "its keeper applies it at its next pass (pcluster-pulumi-keeper.service)"
            )
        sleep(interval)
