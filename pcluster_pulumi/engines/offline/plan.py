"""Offline ``plan``: run the Pulumi program under mocks and record every resource it declares.

No credentials and no Pulumi CLI are needed. ``program.build`` runs against a recording mock
monitor; invokes are answered from ``engines/offline/facts.py`` (documented, plausible facts,
overridable with a facts file) and each created resource gets the computed outputs the
program reads (``arn``, ``zoneId``, generated names…), derived deterministically from its
logical name, so two plans of one spec are byte-identical.

The plan is data: ``{"cluster", "resources": [{"urn", "type", "name", "parent", "inputs"}],
"outputs"}``, ``inputs`` exactly as the provider would receive them (camelCase wire names),
secrets replaced by ``[secret]``. ``render_plan`` prints it as a tree for people.
"""

from __future__ import annotations

import dataclasses
import functools
import gc
import json
import logging
import os
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import mocks, rpc

from pcluster_pulumi.contract.names import PROJECT
from pcluster_pulumi.engines.offline.facts import OfflineFacts
from pcluster_pulumi.engines.offline.mocks import PlanMocks
from pcluster_pulumi.program import build
from pcluster_pulumi.spec.loader import SpecSource, load_spec
from pcluster_pulumi.spec.source import is_path_source

__all__ = ["Plan", "PlanError", "Recorded", "default_cluster_name", "plan", "record", "render_plan"]

REDACTED = "[secret]"
UNKNOWN = "[unknown]"
_ROOT_TYPE = "pulumi:pulumi:Stack"
_SECRET_SIG = rpc._special_sig_key  # "4dabf18193072939515e22adb298388d"
_SECRET_VALUE = rpc._special_secret_sig


class PlanError(Exception):
    """The program could not be planned (a bug or an unsupported spec); the message says which."""


#: Longest default name: valid even with Slurm accounting, which caps cluster names at 40.
DEFAULT_NAME_MAX = 40


def default_cluster_name(path: str | os.PathLike[str]) -> str:
    """A valid cluster name from a file name: ``examples/slurm_minimal.yaml`` → ``slurm-minimal``."""
    stem = Path(path).name.split(".")[0]
    name = re.sub(r"-+", "-", re.sub(r"[^A-Za-z0-9-]", "-", stem)).strip("-")
    name = re.sub(r"^[^A-Za-z]+", "", name)[:DEFAULT_NAME_MAX].rstrip("-")
    return name or "cluster"


def _strip(urn: str) -> str:
    """URNs as the engine writes them (mocks put the root stack's type into every child's URN)."""
    return urn.replace(f"{_ROOT_TYPE}$", "")


def _plain(value: Any) -> Any:
    """Deserialized inputs → JSON: secrets redacted, unknowns and assets made explicit."""
    if isinstance(value, dict):
        if value.get(_SECRET_SIG) == _SECRET_VALUE:
            return REDACTED
        return {k: _plain(v) for k, v in value.items() if k != "__defaults"}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)  # the wire carries every number as a double
    if value == rpc.UNKNOWN:
        return UNKNOWN
    if isinstance(value, pulumi.Archive):
        return {"archive": type(value).__name__}
    if isinstance(value, pulumi.Asset):
        return {"asset": type(value).__name__}
    return value


@dataclass
class Recorded:
    """One registration as the monitor saw it."""

    urn: str
    type: str
    name: str
    parent: str | None
    inputs: dict[str, Any]
    #: URNs this resource waits for (explicit ``depends_on`` and Output data flow); not in the JSON.
    dependencies: list[str] = field(default_factory=list)


class PlanMonitor(mocks.MockMonitor):
    """A mock monitor that keeps every registration with its parent and wire-form inputs."""

    def __init__(self, plan_mocks: mocks.Mocks) -> None:
        super().__init__(plan_mocks)
        self.recorded: list[Recorded] = []

    def RegisterResource(self, request: Any) -> Any:
        """Register as the mock monitor does, and keep the request's parent, inputs and dependencies."""
        response = super().RegisterResource(request)
        if request.type != _ROOT_TYPE:
            under_root = not request.parent or request.parent.split("::")[2] == _ROOT_TYPE
            parent = None if under_root else _strip(request.parent)
            inputs = rpc.deserialize_properties(request.object, keep_unknowns=True)
            depends = sorted({_strip(u) for u in request.dependencies})
            self.recorded.append(
                Recorded(_strip(response.urn), request.type, request.name, parent, _plain(inputs), depends)
            )
        return response


@dataclass
class Plan:
    """What ``pulumi up`` would register for one cluster, as data."""

    cluster: str
    resources: list[Recorded]
    outputs: dict[str, Any]
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The ``plan --json`` document."""
        return {
            "cluster": self.cluster,
            "resources": [
                {"urn": r.urn, "type": r.type, "name": r.name, "parent": r.parent, "inputs": r.inputs}
                for r in self.resources
            ],
            "outputs": self.outputs,
        }

    def to_json(self) -> str:
        """Stable JSON text (sorted keys, indented) for golden files and ``--json``."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"


#: The pulumi_aws modules the program declares resources from (storage and accounting included).
_AWS_MODULES = (
    "autoscaling", "batch", "cloudwatch", "codebuild", "dynamodb", "ebs", "ec2", "ecr", "efs", "fsx", "iam",
    "lb", "rds", "route53", "s3", "vpc",
)  # fmt: skip


@functools.cache
def _settle_imports() -> None:
    """Load the provider modules the program uses, then exempt them from garbage collection.

    pulumi_aws builds hundreds of thousands of long-lived objects; without ``gc.freeze`` every
    full collection during a plan rescans them all (about 0.3 s each, half a plan's time).
    """
    # start-up: loaded only on the path that needs it.
    import pulumi_aws as aws

    for module in _AWS_MODULES:
        getattr(aws, module)
    gc.freeze()


class _Warnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the message of a warning the program logged (``pulumi.log.warn``)."""
        self.messages.append(record.getMessage())


def plan(
    spec: SpecSource,
    name: str | None = None,
    facts: OfflineFacts | None = None,
    *,
    program: Callable[..., Any] = build,
) -> Plan:
    """Plan a cluster offline; a bad spec raises ``SpecError`` before anything runs."""
    if name is None:
        name = (
            default_cluster_name(spec)
            if isinstance(spec, (str, os.PathLike)) and is_path_source(spec)
            else "cluster"
        )
    cluster_spec = load_spec(spec, cluster_name=name)
    _settle_imports()
    facts = dataclasses.replace(facts or OfflineFacts(), _azs={})
    if cluster_spec.region:
        facts.region = cluster_spec.region
    resources, outputs, warnings = record(
        lambda: program(cluster_spec, name, facts.region),
        PlanMocks(facts, cluster_spec.image.os),
        project=PROJECT,
        stack=name,
    )
    return Plan(name, resources, outputs, warnings)


def record(
    run: Callable[[], Any], plan_mocks: mocks.Mocks, *, project: str, stack: str
) -> tuple[list[Recorded], dict[str, Any], list[str]]:
    """Run a Pulumi program under mocks: (resources sorted by URN, stack outputs, warnings logged).

    Shared by ``plan`` and ``pcluster_pulumi.testing.run_program`` (users' own programs).
    """
    _settle_imports()
    monitor = PlanMonitor(plan_mocks)
    warnings = _Warnings()
    logger = logging.getLogger(f"pcluster_pulumi.engines.offline.plan.{id(monitor)}")
    logger.propagate = False
    logger.addHandler(warnings)
    pulumi.runtime.reset_options(project=project, stack=stack, preview=False)
    mocks.set_mocks(
        monitor.mocks, project=project, stack=stack, preview=False, monitor=monitor, logger=logger
    )
    outputs: dict[str, Any] = {}

    @pulumi.runtime.test
    def body() -> pulumi.Output[Any]:
        run()
        root = pulumi.runtime.get_root_resource()
        exports = root.outputs if root is not None else {}  # type: ignore[attr-defined]
        return pulumi.Output.all(**exports).apply(outputs.update)

    body()
    resources = sorted(monitor.recorded, key=lambda r: r.urn)
    urns = Counter(r.urn for r in resources)
    duplicates = sorted(u for u, n in urns.items() if n > 1)
    if duplicates:
        raise PlanError(f"two resources share a URN (the engine would refuse): {duplicates[0]}")
    return resources, _plain(outputs), warnings.messages


def render_plan(result: Plan, console: Any = None, *, warnings: bool = False) -> None:
    """Print the plan for people: the component tree, counts by type, the stack outputs (and warnings)."""
    # start-up: loaded only on the path that needs it.
    from rich.console import Console
    from rich.table import Table
    from rich.tree import Tree

    console = console or Console()
    children: dict[str | None, list[Recorded]] = {}
    for res in result.resources:
        children.setdefault(res.parent, []).append(res)

    names = {r.urn: r.name for r in result.resources}

    def label(res: Recorded) -> str:
        """``-suffix`` under a parent whose name it extends; the type shortened to package:Name."""
        parent_name = names.get(res.parent or "", "")
        shown = (
            res.name[len(parent_name) :]
            if parent_name and res.name.startswith(f"{parent_name}-")
            else res.name
        )
        package, _, rest = res.type.partition(":")
        module, _, kind = rest.partition(":")
        short = f"{package}:{module.split('/')[0]}:{kind}"
        style = "green" if package in ("aws", "pulumi") else "bold cyan"
        return f"[{style}]{shown}[/] [dim]{short}[/]"

    def grow(node: Tree, parent: str | None) -> None:
        for res in sorted(children.get(parent, []), key=lambda r: (r.type.startswith("aws:"), r.name)):
            grow(node.add(label(res)), res.urn)

    tree = Tree(f"[bold]cluster {result.cluster}[/] ({len(result.resources)} resources)")
    grow(tree, None)
    console.print(tree)
    counts = Table(title="Resources by type", show_edge=False)
    counts.add_column("type")
    counts.add_column("count", justify="right")
    for type_, n in sorted(Counter(r.type for r in result.resources).items()):
        counts.add_row(type_, str(n))
    console.print(counts)
    outputs = Table(title="Stack outputs", show_edge=False)
    outputs.add_column("output")
    outputs.add_column("value", overflow="fold")
    for key, value in sorted(result.outputs.items()):
        outputs.add_row(key, value if isinstance(value, str) else json.dumps(value))
    console.print(outputs)
    for message in result.warnings if warnings else ():
        console.print(f"[yellow]warning:[/] {message}")
