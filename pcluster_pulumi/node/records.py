"""Where a node's instance is recorded: the DynamoDB nodes table and Route 53 A records.

The table is the truth about which instance is which node: compute nodes read it at boot
to learn their name, suspend reads it to know what to terminate, and the keeper treats any
cluster instance missing from it as an orphan. Writes are batched to the API maxima
(25 items per BatchWriteItem, 500 UPSERTs per change batch) and the batches, independent of
each other, go out concurrently (``in_parallel``): on real AWS a call's latency, not our CPU,
is what a 1000-node resume waits for.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from pcluster_pulumi.contract import names
from pcluster_pulumi.contract.config import NodeConfig
from pcluster_pulumi.node.aws import (
    DYNAMODB_GET_BATCH,
    DYNAMODB_WRITE_BATCH,
    ROUTE53_CHANGE_BATCH,
    ROUTE53_CONCURRENCY,
    Clients,
    chunks,
    in_parallel,
)

log = logging.getLogger(__name__)

DNS_TTL = 120


@dataclass(frozen=True)
class NodeRecord:
    """One node ↔ instance mapping as stored in the nodes table."""

    node: str
    instance_id: str
    private_ip: str
    hostname: str
    launch_time: float

    def to_item(self, config: NodeConfig) -> dict[str, Any]:
        """The DynamoDB item (``Id`` = node name; ``InstanceId`` is the GSI key nodes query)."""
        item = {
            "Id": {"S": self.node},
            "InstanceId": {"S": self.instance_id},
            "PrivateIp": {"S": self.private_ip},
            "Hostname": {"S": self.hostname},
            "LaunchTime": {"N": repr(self.launch_time)},
            "HeadNodePrivateIp": {"S": config.head_node.private_ip},
        }
        if config.head_node.hostname:
            item["HeadNodeHostname"] = {"S": config.head_node.hostname}
        return item

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> NodeRecord:
        """Parse a stored item (tolerating items written without the optional fields)."""
        return cls(
            node=item["Id"]["S"],
            instance_id=item["InstanceId"]["S"],
            private_ip=item.get("PrivateIp", {}).get("S", ""),
            hostname=item.get("Hostname", {}).get("S", ""),
            launch_time=float(item.get("LaunchTime", {}).get("N", "0")),
        )


def put_records(clients: Clients, config: NodeConfig, records: Sequence[NodeRecord]) -> None:
    """Store records, 25 per BatchWriteItem, retrying what DynamoDB leaves unprocessed."""
    requests = [{"PutRequest": {"Item": record.to_item(config)}} for record in records]
    _batch_write(clients, config.tables.nodes_table, requests)


def delete_records(clients: Clients, config: NodeConfig, nodes: Iterable[str]) -> None:
    """Delete the records of nodes (absent ones are fine: deletes are idempotent)."""
    requests = [{"DeleteRequest": {"Key": {"Id": {"S": node}}}} for node in sorted(set(nodes))]
    _batch_write(clients, config.tables.nodes_table, requests)


def _batch_write(clients: Clients, table: str, requests: list[dict[str, Any]]) -> None:
    """Batches go CONCURRENCY at a time; each retries its own unprocessed items."""
    client = clients.dynamodb  # created before the threads start

    def write(batch: Sequence[dict[str, Any]]) -> None:
        pending: list[dict[str, Any]] = list(batch)
        for attempt in range(8):
            response = client.batch_write_item(RequestItems={table: pending})
            pending = response.get("UnprocessedItems", {}).get(table, [])
            if not pending:
                break
            time.sleep(min(2.0, 0.05 * 2**attempt))
        if pending:
            raise RuntimeError(f"DynamoDB left {len(pending)} writes unprocessed in {table}")

    in_parallel(write, list(chunks(requests, DYNAMODB_WRITE_BATCH)))


def get_records(clients: Clients, config: NodeConfig, nodes: Iterable[str]) -> dict[str, NodeRecord]:
    """Records of the given nodes (missing ones are simply absent), 100 keys per call, concurrently."""
    table = config.tables.nodes_table
    client = clients.dynamodb

    def read(batch: Sequence[str]) -> list[NodeRecord]:
        keys: list[dict[str, Any]] = [{"Id": {"S": node}} for node in batch]
        found: list[NodeRecord] = []
        for attempt in range(8):
            response = client.batch_get_item(RequestItems={table: {"Keys": keys, "ConsistentRead": True}})
            found.extend(NodeRecord.from_item(item) for item in response.get("Responses", {}).get(table, []))
            keys = response.get("UnprocessedKeys", {}).get(table, {}).get("Keys", [])
            if not keys:
                break
            time.sleep(min(2.0, 0.05 * 2**attempt))
        return found

    batches = in_parallel(read, list(chunks(sorted(set(nodes)), DYNAMODB_GET_BATCH)))
    return {record.node: record for batch in batches for record in batch}


def scan_records(clients: Clients, config: NodeConfig) -> dict[str, NodeRecord]:
    """Every node record in the table (the keeper's view); non-node items are skipped."""
    found: dict[str, NodeRecord] = {}
    paginator = clients.dynamodb.get_paginator("scan")
    for page in paginator.paginate(TableName=config.tables.nodes_table, ConsistentRead=True):
        for item in page.get("Items", []):
            if "InstanceId" in item and names.is_node_name(item["Id"]["S"]):
                record = NodeRecord.from_item(item)
                found[record.node] = record
    return found


def upsert_dns(clients: Clients, config: NodeConfig, records: Sequence[NodeRecord]) -> None:
    """A record per node in the cluster zone (no-op when managed DNS is off)."""
    _change_dns(clients, config, "UPSERT", records)


def delete_dns(clients: Clients, config: NodeConfig, records: Sequence[NodeRecord]) -> None:
    """Remove nodes' A records; a batch naming a record that is already gone is retried per record."""
    _change_dns(clients, config, "DELETE", [r for r in records if r.private_ip])


def _change_dns(clients: Clients, config: NodeConfig, action: str, records: Sequence[NodeRecord]) -> None:
    if config.dns is None or not records:
        return
    dns = config.dns
    client = clients.route53

    def change(batch: Sequence[NodeRecord]) -> None:
        changes = [_change(action, record, dns.domain) for record in batch]
        try:
            client.change_resource_record_sets(
                HostedZoneId=dns.hosted_zone_id, ChangeBatch={"Changes": changes}
            )
        except ClientError as error:
            if action != "DELETE" or len(changes) == 1:
                if action == "DELETE":
                    log.info("DNS record already gone: %s", error)
                    return
                raise
            for single_change in changes:
                try:
                    client.change_resource_record_sets(
                        HostedZoneId=dns.hosted_zone_id, ChangeBatch={"Changes": [single_change]}
                    )
                except ClientError as single:
                    log.info("DNS record already gone: %s", single)

    in_parallel(change, list(chunks(list(records), ROUTE53_CHANGE_BATCH)), ROUTE53_CONCURRENCY)


def _change(action: str, record: NodeRecord, domain: str) -> dict[str, Any]:
    return {
        "Action": action,
        "ResourceRecordSet": {
            "Name": names.node_fqdn(record.node, domain),
            "Type": "A",
            "TTL": DNS_TTL,
            "ResourceRecords": [{"Value": record.private_ip}],
        },
    }
