"""The compute-fleet status item that ``update-compute-fleet`` writes and the keeper obeys.

Same item as ParallelCluster (``Id = COMPUTE_FLEET`` in the status table, ``Data.status``),
so tooling written for it keeps working. Transitions are conditional writes: two keepers, or
a keeper racing a user, can never skip a state.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from pcluster_pulumi.contract.config import NodeConfig
from pcluster_pulumi.contract.names import COMPUTE_FLEET_ITEM_ID
from pcluster_pulumi.contract.paths import DEFAULT_STATE_DIR, STATE_DIR_ENV
from pcluster_pulumi.node.aws import Clients, error_code

RUNNING = "RUNNING"
STOP_REQUESTED = "STOP_REQUESTED"
STOPPING = "STOPPING"
STOPPED = "STOPPED"
START_REQUESTED = "START_REQUESTED"
STARTING = "STARTING"
PROTECTED = "PROTECTED"
STATUSES = (RUNNING, STOP_REQUESTED, STOPPING, STOPPED, START_REQUESTED, STARTING, PROTECTED)


def _local_path() -> Path:
    return Path(os.environ.get(STATE_DIR_ENV, DEFAULT_STATE_DIR)) / "fleet-status.json"


def write_local(status: str) -> None:
    """Record the status the keeper just acted on (atomic replace, world-readable)."""
    path = _local_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps({"status": status, "time": datetime.now(UTC).isoformat()}))
    temporary.chmod(0o644)
    os.replace(temporary, path)


def read_local() -> str | None:
    """The status the keeper last saw; None when no keeper ran here yet (or the file is unreadable)."""
    try:
        status = json.loads(_local_path().read_text()).get("status")
    except (OSError, ValueError, AttributeError):
        return None
    return str(status) if status in STATUSES else None


def get_status(clients: Clients, config: NodeConfig) -> str:
    """The current status; RUNNING when nobody ever wrote the item."""
    response = clients.dynamodb.get_item(
        TableName=config.tables.status_table, Key={"Id": {"S": COMPUTE_FLEET_ITEM_ID}}, ConsistentRead=True
    )
    item: dict[str, Any] = response.get("Item") or {}
    status = item.get("Data", {}).get("M", {}).get("status", {}).get("S")
    return str(status) if status in STATUSES else RUNNING


def set_status(clients: Clients, config: NodeConfig, new: str, expected: str | None) -> bool:
    """Move to new if the status is still expected (None: the item may be absent); True on success."""
    if new not in STATUSES:
        raise ValueError(f"unknown compute fleet status {new!r}")
    now = datetime.now(UTC).isoformat(timespec="seconds")
    item = {
        "Id": {"S": COMPUTE_FLEET_ITEM_ID},
        "Data": {"M": {"status": {"S": new}, "lastStatusUpdatedTime": {"S": now}}},
    }
    condition: dict[str, Any]
    if expected is None:
        condition = {"ConditionExpression": "attribute_not_exists(Id)"}
    else:
        condition = {
            "ConditionExpression": "#d.#s = :expected",
            "ExpressionAttributeNames": {"#d": "Data", "#s": "status"},
            "ExpressionAttributeValues": {":expected": {"S": expected}},
        }
    try:
        clients.dynamodb.put_item(TableName=config.tables.status_table, Item=item, **condition)
    except ClientError as error:
        if error_code(error) == "ConditionalCheckFailedException":
            return False
        raise
    return True
