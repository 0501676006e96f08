"""Fixtures for the storage and accounting tests: specs, network facts and a recording mock run.

``build`` runs a function under pulumi mocks with a monitor that records every registration
and read together with the options the plain mocks cannot see (parent, ``retainOnDelete``,
``deletedWith``, dependencies), and returns them with the resolved value of the Output the
function returned.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pytest
import yaml
from pulumi.runtime import mocks, rpc

from pcluster_pulumi.cluster.storage.shared import StorageNetwork
from pcluster_pulumi.engines.offline.storage_facts import computed_outputs, read_state
from pcluster_pulumi.spec.loader import load_spec
from pcluster_pulumi.spec.model import ClusterSpec

HEAD_SUBNET = "subnet-0a1b2c3d4e5f60001"
QUEUE_SUBNET = "subnet-0a1b2c3d4e5f60002"
OTHER_SUBNET = "subnet-0a1b2c3d4e5f60003"
#: The corpus uses these three subnets; each is in its own AZ.
SUBNET_AZS = {HEAD_SUBNET: "us-east-1a", QUEUE_SUBNET: "us-east-1b", OTHER_SUBNET: "us-east-1c"}
VPC = "vpc-0123456789abcdef0"
HEAD_IP = "10.0.1.10"

BASE: dict[str, Any] = {
    "Image": {"Os": "alinux2023"},
    "HeadNode": {
        "InstanceType": "c5.xlarge",
        "Networking": {"SubnetId": HEAD_SUBNET},
        "Ssh": {"KeyName": "my-key"},
    },
    "Scheduling": {
        "Scheduler": "slurm",
        "SlurmQueues": [
            {
                "Name": "compute",
                "ComputeResources": [{"Name": "c5", "InstanceType": "c5.xlarge"}],
                "Networking": {"SubnetIds": [QUEUE_SUBNET]},
            }
        ],
    },
}


def make_spec(
    storage: list[dict[str, Any]] | None = None,
    *,
    slurm_settings: dict[str, Any] | None = None,
    head_node: dict[str, Any] | None = None,
    top: dict[str, Any] | None = None,
    name: str = "demo",
    suppress: tuple[str, ...] = (),
) -> ClusterSpec:
    """A validated spec: BASE plus SharedStorage entries, SlurmSettings and HeadNode/top-level keys."""
    data: dict[str, Any] = yaml.safe_load(yaml.safe_dump(BASE))
    if storage is not None:
        data["SharedStorage"] = storage
    if slurm_settings is not None:
        data["Scheduling"]["SlurmSettings"] = slurm_settings
    data["HeadNode"].update(head_node or {})
    data.update(top or {})
    return load_spec(yaml.safe_dump(data, sort_keys=False), cluster_name=name, suppress_validators=suppress)


def network(login: bool = False) -> StorageNetwork:
    """Node groups: a managed head and compute group, a user's compute group, and a login pool."""
    return StorageNetwork(
        vpc_id=VPC,
        subnet_azs=SUBNET_AZS,
        head_groups={"head": "sg-head"},
        compute_groups={"compute": "sg-compute", "sg-0123456789abcdef1": "sg-0123456789abcdef1"},
        login_groups={"login-pool1": "sg-login"} if login else {},
    )


@dataclass
class Record:
    """One registration or read, with the options mocks alone do not expose."""

    type: str
    name: str
    inputs: dict[str, Any]
    parent: str
    read: bool = False
    read_id: str | None = None
    retain_on_delete: bool = False
    deleted_with: str = ""
    dependencies: list[str] = field(default_factory=list)


@dataclass
class Run:
    """Everything a ``build`` registered, and the value its Output resolved to."""

    records: list[Record]
    value: Any = None

    def of_type(self, type_: str) -> list[Record]:
        """Every created (not read) resource of a type token."""
        return [r for r in self.records if r.type == type_ and not r.read]

    def reads(self, type_: str) -> list[Record]:
        """Every read of an existing resource of a type token."""
        return [r for r in self.records if r.type == type_ and r.read]

    def named(self, name: str) -> Record:
        """The one record with this logical name."""
        found = [r for r in self.records if r.name == name]
        assert len(found) == 1, f"{len(found)} records named {name!r}: {[r.name for r in self.records]}"
        return found[0]

    def created(self) -> list[Record]:
        """Every resource that would be created (components and reads left out)."""
        return [r for r in self.records if not r.read and r.type.startswith("aws:")]


class StorageMocks(mocks.Mocks):
    """Echo inputs and add the computed outputs the storage code reads; answer reads of existing storage."""

    def call(self, args: mocks.MockCallArgs) -> Any:
        raise NotImplementedError(f"no invoke is expected while building storage: {args.token}")

    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if args.resource_id:
            state = read_state(args.typ, args.resource_id)
            assert state is not None, f"unexpected read of {args.typ}"
            return args.resource_id, state
        rid = f"{args.name}-id"
        out = {**args.inputs, "arn": f"arn:aws:mock:us-east-1:123456789012:{args.name}"}
        out.update(computed_outputs(args.typ, rid))
        return rid, out


class RecordingMonitor(mocks.MockMonitor):
    """Keeps what each RegisterResource / ReadResource request carried."""

    def __init__(self, plan_mocks: mocks.Mocks) -> None:
        super().__init__(plan_mocks)
        self.records: list[Record] = []

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self.records.append(
                Record(
                    type=request.type,
                    name=request.name,
                    inputs=rpc.deserialize_properties(request.object),
                    parent=request.parent.rsplit("::", 1)[-1],
                    retain_on_delete=request.HasField("retainOnDelete") and request.retainOnDelete,
                    deleted_with=request.deletedWith.rsplit("::", 1)[-1],
                    dependencies=[u.rsplit("::", 1)[-1] for u in request.dependencies],
                )
            )
        return response

    def ReadResource(self, request: Any) -> Any:
        response = super().ReadResource(request)
        self.records.append(
            Record(
                request.type,
                request.name,
                {},
                request.parent.rsplit("::", 1)[-1],
                read=True,
                read_id=request.id,
            )
        )
        return response


def run(program: Callable[[], Any]) -> Run:
    """Run ``program`` under fresh mocks; resolve the Output (or value) it returns."""
    pulumi.runtime.reset_options(project="storage", stack="test", preview=False)
    monitor = RecordingMonitor(StorageMocks())
    pulumi.runtime.set_mocks(StorageMocks(), project="storage", stack="test", preview=False, monitor=monitor)
    box: dict[str, Any] = {}

    @pulumi.runtime.test  # type: ignore[misc]
    def body() -> Any:
        result = program()
        if isinstance(result, pulumi.Output):
            return result.apply(lambda value: box.__setitem__("value", value))
        box["value"] = result
        return None

    body()
    return Run(monitor.records, box.get("value"))


@pytest.fixture
def build() -> Callable[[Callable[[], Any]], Run]:
    """build(program) → Run: every registration of ``program`` under mocks."""
    return run


def inputs_of(records: list[Record]) -> list[Mapping[str, Any]]:
    """The inputs of several records, in order."""
    return [r.inputs for r in records]
