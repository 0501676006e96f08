"""Writing and reading the head node's update report in the cluster's status table.

The item's format lives in ``contract/update_report.py`` (the deploy side reads it too); this
module only moves it through DynamoDB with the node's clients.
"""

from __future__ import annotations

from typing import Any

from pcluster_pulumi.contract.update_report import APPLIED, FAILED, FINAL, IN_PROGRESS, ITEM_ID, UpdateReport
from pcluster_pulumi.node.aws import Clients

__all__ = ["APPLIED", "FAILED", "FINAL", "IN_PROGRESS", "ITEM_ID", "UpdateStatus", "get_status", "put_status"]

#: The report, under the name the node side has always used.
UpdateStatus = UpdateReport


def put_status(clients: Clients, table: str, status: UpdateReport) -> None:
    """Write the report (last writer wins: only the head node writes it)."""
    clients.dynamodb.put_item(TableName=table, Item=status.to_item())


def get_status(dynamodb: Any, table: str) -> UpdateReport | None:
    """The report, None when the head node never wrote one (takes a boto3 DynamoDB client)."""
    response = dynamodb.get_item(TableName=table, Key={"Id": {"S": ITEM_ID}}, ConsistentRead=True)
    item = response.get("Item")
    return UpdateReport.from_item(item) if item else None
