"""The compute fleet of an AWS Batch cluster: its compute environment, disabled to stop, enabled to start.

ParallelCluster's ``update-compute-fleet`` does exactly this for ``Scheduler: awsbatch``: a
disabled environment takes no new jobs and Batch scales it down to ``MinvCpus``. The
environment is found from AWS alone, by the cluster-name tag our components put on it, so no
stack outputs are needed. Its state and status map onto the fleet statuses of a Slurm cluster
(``RUNNING``, ``STOPPING``, ``STOPPED``, ``STARTING``), so ``--wait`` and the update gate work
unchanged.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.exceptions import ClientError

from pcluster_pulumi.contract import names
from pcluster_pulumi.node import fleet_status

__all__ = ["NotBatch", "compute_environments", "request", "status"]

#: Errors meaning "this principal may not look at Batch": then the cluster is not treated as Batch.
_NO_ACCESS = {"AccessDeniedException", "AccessDenied", "UnrecognizedClientException"}
_STATE = {"START": "ENABLED", "STOP": "DISABLED"}


class NotBatch(Exception):
    """The cluster has no compute environment (it is a Slurm cluster, or not deployed)."""


def compute_environments(client: Any, cluster: str) -> list[dict[str, Any]]:
    """The cluster's compute environments (by the ``parallelcluster:cluster-name`` tag)."""
    found = []
    for page in client.get_paginator("describe_compute_environments").paginate():
        for environment in page.get("computeEnvironments", []):
            if (environment.get("tags") or {}).get(names.TAG_CLUSTER_NAME) == cluster:
                found.append(environment)
    return found


def _environments(region: str, cluster: str) -> tuple[Any, list[dict[str, Any]]]:
    client = boto3.client("batch", region_name=region)
    try:
        found = compute_environments(client, cluster)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in _NO_ACCESS:
            raise NotBatch(cluster) from None
        raise
    if not found:
        raise NotBatch(cluster)
    return client, found


def _fleet_status(environment: dict[str, Any]) -> str:
    """One environment's state as a fleet status; a broken environment is an error."""
    enabled = environment.get("state") == "ENABLED"
    settling = environment.get("status") in ("CREATING", "UPDATING")
    if environment.get("status") == "INVALID":
        raise ValueError(
            f"compute environment {environment['computeEnvironmentName']} is INVALID: "
            f"{environment.get('statusReason', 'no reason given')}"
        )
    if enabled:
        return fleet_status.STARTING if settling else fleet_status.RUNNING
    return fleet_status.STOPPING if settling else fleet_status.STOPPED


def status(region: str, cluster: str) -> str:
    """The fleet status of a Batch cluster (``NotBatch`` when it has no compute environment)."""
    _, found = _environments(region, cluster)
    statuses = {_fleet_status(e) for e in found}
    for preferred in (fleet_status.STARTING, fleet_status.STOPPING, fleet_status.RUNNING):
        if preferred in statuses:
            return preferred
    return fleet_status.STOPPED


def request(region: str, cluster: str, action: str) -> tuple[str, str]:
    """Enable (START) or disable (STOP) the environments; (status before, status after the call)."""
    client, found = _environments(region, cluster)
    before = status(region, cluster)
    wanted = _STATE[action]
    for environment in found:
        if environment.get("state") != wanted:
            client.update_compute_environment(
                computeEnvironment=environment["computeEnvironmentArn"], state=wanted
            )
    return before, status(region, cluster)
