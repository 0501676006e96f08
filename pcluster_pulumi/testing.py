"""Unit-test your own Pulumi program that embeds ``Cluster``: mocks for every AWS lookup, and finders.

A program that composes ``pcluster_pulumi.Cluster`` makes a few invokes (region, partition,
subnets, instance types, AMI…) and reads computed outputs (bucket names, private IPs, ARNs).
Plain ``pulumi.runtime.Mocks`` answer none of them, so such a test fails far from its cause.
``ClusterMocks`` answers all of them from documented offline facts, which a test may override,
and records every resource the program declares; ``run_program`` runs a program under them and
returns its resources with finders, so a test names what it checks (``launch_template("q1",
"c5")``) instead of digging through URNs. Offline ``plan`` and our own component tests use the
same machinery.

Example (``docs/components.md`` has a complete pytest file)::

    from pcluster_pulumi import Cluster
    from pcluster_pulumi.testing import run_program

    def program() -> None:
        Cluster("hpc", "cluster.yaml")

    resources = run_program(program)
    template = resources.launch_template("q1", "c5")
    assert template.inputs["metadataOptions"]["httpTokens"] == "required"
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi.runtime import mocks

from pcluster_pulumi.derive.facts import OS_IMAGE_NAMES
from pcluster_pulumi.engines.offline.facts import OfflineFacts
from pcluster_pulumi.engines.offline.mocks import PlanMocks
from pcluster_pulumi.engines.offline.plan import Recorded, record

__all__ = ["ClusterMocks", "OfflineFacts", "Resource", "Resources", "run_program"]

#: Type tokens a test most often looks for.
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
INSTANCE = "aws:ec2/instance:Instance"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"

_OFFICIAL_AMI = re.compile(r"^aws-parallelcluster-[0-9.]+-(?P<os>.+)-hvm-")


class ClusterMocks(PlanMocks):
    """``pulumi.runtime.Mocks`` that answer every invoke and computed output a cluster needs.

    ``facts`` overrides the offline answers (region, account, subnets' VPC and zone, instance
    types, AMIs, hosted zones, instance profiles); ``region`` is a shortcut for the common case.
    Every resource the program creates is kept in ``created`` (type, name, inputs as the mocks
    received them), so a test written with ``pulumi.runtime.set_mocks`` can inspect it too.
    """

    def __init__(self, facts: OfflineFacts | None = None, *, region: str | None = None) -> None:
        facts = dataclasses.replace(facts or OfflineFacts(), _azs={})
        if region:
            facts.region = region
        super().__init__(facts, None)
        self.created: list[Resource] = []

    def call(self, args: mocks.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        """As offline ``plan``, but the OS of an official AMI is read from the name it looks for."""
        if args.token == "aws:ec2/getAmi:getAmi":
            names = [f["values"][0] for f in args.args.get("filters", []) if f["name"] == "name"]
            found = _OFFICIAL_AMI.match(names[0]) if names else None
            self.os_name = OS_IMAGE_NAMES.get(found["os"], found["os"]) if found else None
        return super().call(args)

    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        """Answer as offline ``plan`` does, and keep the registration."""
        resource_id, state = super().new_resource(args)
        self.created.append(Resource(args.typ, args.name, dict(args.inputs)))
        return resource_id, state


@dataclass(frozen=True)
class Resource:
    """One declared resource: its type token, logical name and inputs (camelCase wire names)."""

    type: str
    name: str
    inputs: Mapping[str, Any]
    urn: str = ""
    parent: str | None = None
    #: URNs this resource waits for (``depends_on`` and the Outputs its inputs were built from).
    dependencies: tuple[str, ...] = ()

    @classmethod
    def of(cls, recorded: Recorded) -> Resource:
        return cls(
            recorded.type,
            recorded.name,
            recorded.inputs,
            recorded.urn,
            recorded.parent,
            tuple(recorded.dependencies),
        )


class Resources:
    """The resources of a program run, with finders that say what a test is after."""

    def __init__(self, resources: list[Resource], outputs: Mapping[str, Any] | None = None) -> None:
        self.all = resources
        #: The stack outputs the program exported (``pulumi.export``).
        self.outputs = dict(outputs or {})

    def __iter__(self) -> Iterator[Resource]:
        return iter(self.all)

    def __len__(self) -> int:
        return len(self.all)

    def of_type(self, type_token: str) -> list[Resource]:
        """Every resource of a type, e.g. ``"aws:ec2/launchTemplate:LaunchTemplate"``."""
        return [r for r in self.all if r.type == type_token]

    def one(self, type_token: str, where: Callable[[Resource], bool] = lambda r: True) -> Resource:
        """The single resource of a type that matches; AssertionError naming what was there otherwise."""
        found = [r for r in self.of_type(type_token) if where(r)]
        if len(found) != 1:
            names = ", ".join(r.name for r in self.of_type(type_token)) or "none"
            raise AssertionError(f"expected one {type_token} to match, found {len(found)} (of: {names})")
        return found[0]

    def named(self, name: str) -> Resource:
        """The resource with this logical name (names are unique within a cluster's tree)."""
        found = [r for r in self.all if r.name == name]
        if len(found) != 1:
            raise AssertionError(f"expected one resource named {name!r}, found {len(found)}")
        return found[0]

    def launch_template(self, queue: str, compute_resource: str, cluster: str | None = None) -> Resource:
        """The launch template of a compute resource (EC2 name ``<cluster>-<queue>-<compute resource>``)."""
        suffix = f"-{queue}-{compute_resource}"

        def matches(r: Resource) -> bool:
            name = str(r.inputs.get("name", ""))
            return name == f"{cluster}{suffix}" if cluster else name.endswith(suffix)

        return self.one(LAUNCH_TEMPLATE, matches)

    def head_node(self, cluster: str | None = None) -> Resource:
        """The head node instance (tagged ``parallelcluster:node-type = HeadNode``)."""

        def matches(r: Resource) -> bool:
            tags = r.inputs.get("tags") or {}
            named = cluster is None or tags.get("parallelcluster:cluster-name") == cluster
            return tags.get("parallelcluster:node-type") == "HeadNode" and named

        return self.one(INSTANCE, matches)

    def security_groups(self) -> list[Resource]:
        """Every security group the program declared."""
        return self.of_type(SECURITY_GROUP)


def run_program(
    program: Callable[[], Any],
    mocks_: ClusterMocks | None = None,
    *,
    project: str = "test",
    stack: str = "test",
) -> Resources:
    """Run a Pulumi program (a function that declares resources) under ``ClusterMocks``.

    Returns every resource it declared, with inputs as the provider would receive them and
    secrets shown as ``[secret]``. Raises what the program raises (a bad spec: ``SpecError``).
    """
    recorded, outputs, _ = record(program, mocks_ or ClusterMocks(), project=project, stack=stack)
    return Resources([Resource.of(r) for r in recorded], outputs)
