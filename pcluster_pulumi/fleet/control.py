"""Stop and start a cluster's compute fleet from outside the cluster (``update-compute-fleet``).

The request is the status item the head node's keeper obeys (``node/fleet_status.py``): we
write ``STOP_REQUESTED`` or ``START_REQUESTED`` and the keeper walks it to ``STOPPED`` or
``RUNNING``. Only transitions that make sense from the current status are written, and each
write is conditional on that status, as ParallelCluster's ``update-compute-fleet`` does. This
needs AWS credentials but no Pulumi CLI: the table is named after the cluster.

``terminate_compute_nodes`` is what ``destroy`` runs first: instances the resume program
launched are not Pulumi resources, and while they run their security groups and launch
templates cannot be deleted.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, WaiterError

from pcluster_pulumi.contract import names
from pcluster_pulumi.contract.config import HeadNode, NodeConfig, Tables
from pcluster_pulumi.fleet import batch as batch_fleet
from pcluster_pulumi.node import fleet, fleet_status
from pcluster_pulumi.node.aws import Clients, error_code, error_message
from pcluster_pulumi.node.ec2_launch import terminate

__all__ = [
    "FleetError",
    "Transition",
    "fleet_config",
    "request",
    "status",
    "terminate_compute_nodes",
    "wait_for",
]

START, STOP = "START", "STOP"
_TARGET = {START: fleet_status.START_REQUESTED, STOP: fleet_status.STOP_REQUESTED}
#: Statuses from which a request is written (else it is refused or already done).
_FROM = {
    START: {fleet_status.STOPPED, fleet_status.PROTECTED},
    STOP: {fleet_status.RUNNING, fleet_status.PROTECTED},
}
_ALREADY = {
    START: {fleet_status.RUNNING, fleet_status.STARTING, fleet_status.START_REQUESTED},
    STOP: {fleet_status.STOPPED, fleet_status.STOPPING, fleet_status.STOP_REQUESTED},
}


class FleetError(Exception):
    """The fleet status could not be read or changed (one sentence for the user)."""


@dataclass(frozen=True)
class Transition:
    """What a request did: the status before and after, and whether anything was written."""

    before: str
    after: str

    @property
    def changed(self) -> bool:
        """False when the fleet was already where the request wanted it."""
        return self.before != self.after


def fleet_config(cluster: str, region: str) -> NodeConfig:
    """The part of the node configuration the fleet functions read: cluster, region, tables.

    The head node's address is not known (nor needed) from outside the cluster.
    """
    return NodeConfig(
        cluster_name=cluster,
        region=region,
        head_node=HeadNode(private_ip=""),
        tables=Tables(names.nodes_table_name(cluster), names.status_table_name(cluster)),
        queues=(),
    )


def _aws_error(config: NodeConfig, error: Exception) -> FleetError:
    if isinstance(error, NoCredentialsError):
        return FleetError("no AWS credentials found: configure them (aws configure, AWS_PROFILE, ...)")
    if isinstance(error, ClientError) and error_code(error) == "ResourceNotFoundException":
        return FleetError(
            f"cluster {config.cluster_name!r} has no fleet status table {config.tables.status_table} in "
            f"{config.region}: is it deployed there?"
        )
    return FleetError(f"AWS refused the request: {error_message(error)}")


def status(clients: Clients, config: NodeConfig) -> str:
    """The fleet status the keeper last recorded (RUNNING when nobody ever wrote one).

    An AWS Batch cluster has no status table: its status is its compute environment's state.
    """
    try:
        return fleet_status.get_status(clients, config)
    except (ClientError, BotoCoreError) as error:
        if isinstance(error, ClientError) and error_code(error) == "ResourceNotFoundException":
            with _batch_errors(config):
                return batch_fleet.status(clients.region, config.cluster_name)
        raise _aws_error(config, error) from None


@contextlib.contextmanager
def _batch_errors(config: NodeConfig) -> Iterator[None]:
    """Batch clusters: a missing environment is the table error again; AWS errors become FleetError."""
    try:
        yield
    except batch_fleet.NotBatch:
        raise _aws_error(
            config, ClientError({"Error": {"Code": "ResourceNotFoundException"}}, "DescribeTable")
        ) from None
    except ValueError as error:
        raise FleetError(str(error)) from None
    except (ClientError, BotoCoreError) as error:
        raise _aws_error(config, error) from None


def request(clients: Clients, config: NodeConfig, action: str) -> Transition:
    """Ask the keeper to START or STOP the fleet; refuse while it is moving the other way."""
    if action not in _TARGET:
        raise ValueError(f"action must be {START} or {STOP}, not {action!r}")
    with _batch_errors(config), contextlib.suppress(batch_fleet.NotBatch):
        # AWS Batch: update-compute-fleet disables / enables the compute environment.
        return Transition(*batch_fleet.request(clients.region, config.cluster_name, action))
    current = status(clients, config)
    if current in _ALREADY[action]:
        return Transition(current, current)
    if current not in _FROM[action]:
        opposite = "stopping" if action == START else "starting"
        raise FleetError(
            f"the compute fleet of {config.cluster_name!r} is still {opposite} ({current}); "
            f"wait until it is {'STOPPED' if action == START else 'RUNNING'}"
        )
    target = _TARGET[action]
    try:
        written = fleet_status.set_status(clients, config, target, current)
        if not written and current == fleet_status.RUNNING:
            written = fleet_status.set_status(clients, config, target, None)  # no item yet
    except (ClientError, BotoCoreError) as error:
        raise _aws_error(config, error) from None
    if not written:
        raise FleetError(
            f"the compute fleet status of {config.cluster_name!r} changed while writing "
            f"(now {status(clients, config)}); run the command again"
        )
    return Transition(current, target)


def wait_for(
    clients: Clients,
    config: NodeConfig,
    targets: set[str],
    *,
    timeout: float = 1800,
    interval: float = 10,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    on_status: Callable[[str], None] | None = None,
) -> str:
    """Poll until the status is one of ``targets``; FleetError after ``timeout`` seconds."""
    deadline = clock() + timeout
    last = ""
    while True:
        current = status(clients, config)
        if current != last and on_status is not None:
            on_status(current)
        last = current
        if current in targets:
            return current
        if clock() >= deadline:
            raise FleetError(
                f"the compute fleet of {config.cluster_name!r} is still {current} after {int(timeout)}s; "
                "is the head node's keeper running?"
            )
        sleep(interval)


def terminate_compute_nodes(clients: Clients, config: NodeConfig, *, wait_seconds: int = 600) -> list[str]:
    """Terminate every compute instance of the cluster and wait until EC2 reports them gone.

    Waiting matters: a shutting-down instance still holds its network interface, and with it
    the security group ``destroy`` is about to delete.
    """
    try:
        found = fleet.cluster_instances(clients, config).values()
        ids = sorted(i.instance_id for i in found if i.state not in ("terminated", "shutting-down"))
        dying = sorted(i.instance_id for i in found if i.state != "terminated")
        terminate(clients, ids)
        if dying:
            attempts = max(1, wait_seconds // 5)
            clients.ec2.get_waiter("instance_terminated").wait(
                InstanceIds=dying, WaiterConfig={"Delay": 5, "MaxAttempts": attempts}
            )
    except WaiterError:
        raise FleetError(
            f"compute instances of {config.cluster_name!r} were still shutting down after {wait_seconds}s"
        ) from None
    except (ClientError, BotoCoreError) as error:
        raise _aws_error(config, error) from None
    return ids
