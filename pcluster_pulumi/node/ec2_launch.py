"""Launching a compute resource's instances: RunInstances or instant CreateFleet, in batches.

A compute resource with one instance type launches with RunInstances from its launch
template; one with several types uses an instant EC2 Fleet whose overrides list every
(instance type x subnet) pair so EC2's allocation strategy picks. ``all_or_nothing`` asks
EC2 itself for atomicity (MinCount = count / MinTargetCapacity) so a partial launch never
has to be cleaned up when EC2 can refuse it up front. Every call carries a ClientToken: a
retried request can then never launch twice.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from pcluster_pulumi.contract.config import ComputeResource, Queue
from pcluster_pulumi.node.aws import (
    DESCRIBE_BATCH,
    RUN_INSTANCES_BATCH,
    TERMINATE_BATCH,
    Clients,
    chunks,
    error_code,
    error_message,
    in_parallel,
)

log = logging.getLogger(__name__)

_CAPACITY_TYPE = {"ONDEMAND": "on-demand", "SPOT": "spot", "CAPACITY_BLOCK": "capacity-block"}
#: Errors after which a smaller launch may still succeed.
PARTIAL_CAPACITY_CODES = frozenset(
    {
        "InsufficientInstanceCapacity",
        "InsufficientHostCapacity",
        "InsufficientReservedInstanceCapacity",
        "InstanceLimitExceeded",
        "VcpuLimitExceeded",
        "MaxSpotInstanceCountExceeded",
    }
)
_SPOT_STRATEGIES = {"lowest-price", "capacity-optimized", "price-capacity-optimized", "diversified"}


@dataclass(frozen=True)
class Instance:
    """A launched instance and the addresses Slurm and DNS need."""

    instance_id: str
    private_ip: str
    private_dns: str
    instance_type: str


@dataclass
class LaunchResult:
    """What a launch produced: instances (maybe fewer than asked) and the errors EC2 gave."""

    instances: list[Instance] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)

    @property
    def first_error(self) -> tuple[str, str] | None:
        """(code, message) of the first error, the one nodes are marked down with."""
        return self.errors[0] if self.errors else None


def launch(
    clients: Clients, queue: Queue, resource: ComputeResource, count: int, all_or_nothing: bool
) -> LaunchResult:
    """Launch count instances of a compute resource; stop at the first failing batch."""
    result = LaunchResult()
    for batch in chunks(range(count), RUN_INSTANCES_BATCH):
        if resource.api == "create-fleet":
            batch_result = _create_fleet(clients, queue, resource, len(batch), all_or_nothing)
        else:
            batch_result = _run_instances(clients, resource, len(batch), all_or_nothing)
        result.instances.extend(batch_result.instances)
        result.errors.extend(batch_result.errors)
        if batch_result.errors or len(batch_result.instances) < len(batch):
            break
    return result


def _template(resource: ComputeResource) -> dict[str, str]:
    if resource.launch_template_id:
        return {"LaunchTemplateId": resource.launch_template_id, "Version": "$Latest"}
    return {"LaunchTemplateName": resource.launch_template_name, "Version": "$Latest"}


def _run_instances(
    clients: Clients, resource: ComputeResource, count: int, all_or_nothing: bool
) -> LaunchResult:
    """Ask for all count first; best-effort retries a refused request as "as many as you can".

    Asking MinCount = count first costs nothing when capacity is there (one call, as
    EC2 fills MaxCount anyway) and lets a capacity refusal fall back to a partial launch.
    """
    attempts = [count] if all_or_nothing or count == 1 else [count, 1]
    error: ClientError | None = None
    for minimum in attempts:
        try:
            response = clients.ec2.run_instances(
                LaunchTemplate=_template(resource),
                MinCount=minimum,
                MaxCount=count,
                ClientToken=uuid.uuid4().hex,
            )
        except ClientError as failure:
            log.warning("RunInstances %s x%d failed: %s", resource.launch_template_name, count, failure)
            error = failure
            if error_code(failure) not in PARTIAL_CAPACITY_CODES:
                break
            continue
        return LaunchResult(instances=[_instance(item) for item in response.get("Instances", [])])
    assert error is not None
    return LaunchResult(errors=[(error_code(error), error_message(error))])


def fleet_request(
    queue: Queue, resource: ComputeResource, count: int, all_or_nothing: bool
) -> dict[str, Any]:
    """The CreateFleet parameters for one batch (exposed so tests can read the request shape)."""
    capacity = _CAPACITY_TYPE[queue.capacity_type]
    overrides = []
    for instance_type in resource.instance_types:
        for subnet in queue.subnet_ids:
            override: dict[str, Any] = {"InstanceType": instance_type, "SubnetId": subnet}
            if capacity == "spot" and resource.spot_price is not None:
                override["MaxPrice"] = str(resource.spot_price)
            overrides.append(override)
    request: dict[str, Any] = {
        "Type": "instant",
        "LaunchTemplateConfigs": [
            {"LaunchTemplateSpecification": _template(resource), "Overrides": overrides}
        ],
        "TargetCapacitySpecification": {"TotalTargetCapacity": count, "DefaultTargetCapacityType": capacity},
    }
    atomic: dict[str, Any] = (
        {"MinTargetCapacity": count, "SingleAvailabilityZone": True} if all_or_nothing else {}
    )
    if capacity == "spot":
        strategy = (
            queue.allocation_strategy if queue.allocation_strategy in _SPOT_STRATEGIES else "lowest-price"
        )
        request["SpotOptions"] = {"AllocationStrategy": strategy, **atomic}
    else:
        request["OnDemandOptions"] = {"AllocationStrategy": "lowest-price", **atomic}
        if capacity == "on-demand":
            request["OnDemandOptions"]["CapacityReservationOptions"] = {
                "UsageStrategy": "use-capacity-reservations-first"
            }
    return request


def _create_fleet(
    clients: Clients, queue: Queue, resource: ComputeResource, count: int, all_or_nothing: bool
) -> LaunchResult:
    try:
        response = clients.ec2.create_fleet(
            ClientToken=uuid.uuid4().hex, **fleet_request(queue, resource, count, all_or_nothing)
        )
    except ClientError as error:
        log.warning("CreateFleet %s x%d failed: %s", resource.launch_template_name, count, error)
        return LaunchResult(errors=[(error_code(error), error_message(error))])
    ids = [iid for group in response.get("Instances", []) for iid in group.get("InstanceIds", [])]
    errors = [
        (str(item.get("ErrorCode", "FleetError")), str(item.get("ErrorMessage", "")))
        for item in response.get("Errors", []) or []
    ]
    instances = describe(clients, ids) if ids else []
    if len(instances) < count and not errors:
        errors.append(("InsufficientInstanceCapacity", f"fleet launched {len(instances)} of {count}"))
    return LaunchResult(instances=instances, errors=errors)


def describe(clients: Clients, instance_ids: list[str], attempts: int = 5) -> list[Instance]:
    """Addresses of just-launched instances, waiting out EC2's eventual consistency."""
    found: list[Instance] = []
    for batch in chunks(instance_ids, DESCRIBE_BATCH):
        for attempt in range(attempts):
            try:
                pages = clients.ec2.get_paginator("describe_instances").paginate(InstanceIds=list(batch))
                found.extend(
                    _instance(i) for page in pages for r in page["Reservations"] for i in r["Instances"]
                )
                break
            except ClientError as error:
                if error_code(error) != "InvalidInstanceID.NotFound" or attempt == attempts - 1:
                    raise
                time.sleep(0.2 * 2**attempt)
    return found


def _instance(item: dict[str, Any]) -> Instance:
    # RunInstances (and, for resume, DescribeInstances) answers carry only these members: the
    # shipped models are cut to them (LEAN_OUTPUTS, RESUME_LEAN_OUTPUTS in
    # tools/gen_node_models.py). Reading another one means adding it there.
    return Instance(
        instance_id=item["InstanceId"],
        private_ip=item.get("PrivateIpAddress", ""),
        private_dns=item.get("PrivateDnsName", ""),
        instance_type=item.get("InstanceType", ""),
    )


def terminate(clients: Clients, instance_ids: list[str]) -> None:
    """Terminate instances in API-sized batches, concurrently; ids already gone are not an error."""
    client = clients.ec2  # created before the threads start

    def terminate_one(instance_id: str) -> None:
        try:
            client.terminate_instances(InstanceIds=[instance_id])
        except ClientError as single:
            if error_code(single) != "InvalidInstanceID.NotFound":
                raise

    def terminate_batch(batch: Sequence[str]) -> None:
        try:
            client.terminate_instances(InstanceIds=list(batch))
        except ClientError as error:
            if error_code(error) != "InvalidInstanceID.NotFound":
                raise
            # One unknown id fails the whole call: retry each id on its own.
            in_parallel(terminate_one, list(batch))

    in_parallel(terminate_batch, list(chunks(sorted(set(instance_ids)), TERMINATE_BATCH)))
