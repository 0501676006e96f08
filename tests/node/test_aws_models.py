"""The trimmed botocore models shipped with the node package cover every call node code makes.

Node code reaches AWS only through ``Clients``, whose loader reads ``node/aws_models`` first.
An operation missing there would make the client lack the method (``AttributeError`` in a
ResumeProgram on the head node), so this test reads the source — every module of the node
package, and any other module that imports ``pcluster_pulumi.node.aws`` — and fails on any
client call, paginator or waiter the trimmed models do not hold. Fix: add the operation to
``tools/gen_node_models.py`` and rerun it.
"""

from __future__ import annotations

import ast
import json
import os
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import botocore
import pytest
from botocore import xform_name
from botocore.loaders import Loader
from moto import mock_aws

from pcluster_pulumi.node.aws import MODELS_DIR, RESUME_MODELS_DIR, Clients, models_usable
from tools.gen_node_models import (
    LEAN_OUTPUTS,
    OPERATIONS,
    PAGINATORS,
    RESUME_LEAN_OUTPUTS,
    generate,
    trim_service,
)

PACKAGE = Path(__file__).resolve().parents[2] / "pcluster_pulumi"
SERVICES = ("ec2", "dynamodb", "route53", "s3", "secretsmanager")
#: Methods boto3 adds to the S3 client, and the operations they call.
S3_TRANSFER = {
    "download_file": ("HeadObject", "GetObject"),
    "download_fileobj": ("HeadObject", "GetObject"),
    "upload_file": ("PutObject", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload"),
    "upload_fileobj": ("PutObject", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload"),
}
#: Client methods that are not API calls.
NOT_CALLS = {"can_paginate", "close", "exceptions", "meta", "generate_presigned_url"}


def full_loader() -> Loader:
    return Loader(
        extra_search_paths=[os.path.join(os.path.dirname(botocore.__file__), "data")],
        include_default_search_paths=False,
    )


def trimmed_loader() -> Loader:
    return Loader(extra_search_paths=[str(MODELS_DIR)], include_default_search_paths=False)


def _service_of(node: ast.expr, aliases: dict[str, str]) -> str | None:
    """``clients.ec2`` / ``self.clients.s3`` / ``s3`` / a local bound to one → the service name."""
    if isinstance(node, ast.Attribute) and node.attr in SERVICES:
        return node.attr
    if isinstance(node, ast.Name):
        return node.id if node.id in SERVICES else aliases.get(node.id)
    return None


def _own_nodes(body: Iterable[ast.AST]) -> Iterable[ast.AST]:
    """Nodes of a scope without descending into nested functions (yielded, not entered)."""
    stack = list(body)
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            stack.extend(ast.iter_child_nodes(node))


def calls_in(source: str, loader: Loader) -> set[tuple[str, str, str]]:
    """(kind, service, Operation) of every AWS call in source: kind is call, paginator or waiter.

    A client is recognised as ``<anything>.<service>``, a name equal to a service (``s3``), or a
    local name assigned one of those in the same or an enclosing function (``client =
    clients.ec2``, used in nested functions run on threads).
    """
    by_method = {
        service: {xform_name(op): op for op in loader.load_service_model(service, "service-2")["operations"]}
        for service in SERVICES
    }
    found: set[tuple[str, str, str]] = set()

    def scope(body: Iterable[ast.AST], inherited: dict[str, str]) -> None:
        nodes = list(_own_nodes(body))
        aliases = dict(inherited)
        for node in nodes:
            if (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
            ):
                service = _service_of(node.value, aliases)
                if service is not None:
                    aliases[node.targets[0].id] = service
        for node in nodes:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                scope(node.body, aliases)
            elif isinstance(node, ast.Lambda):
                scope([node.body], aliases)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                service = _service_of(node.func.value, aliases)
                if service is not None:
                    found.update(_calls(by_method, loader, service, node))

    scope(ast.parse(source).body, {})
    return found


def _calls(
    by_method: dict[str, dict[str, str]], loader: Loader, service: str, node: ast.Call
) -> set[tuple[str, str, str]]:
    assert isinstance(node.func, ast.Attribute)
    method = node.func.attr
    literal = node.args[0].value if node.args and isinstance(node.args[0], ast.Constant) else None
    if method == "get_paginator":
        return {("paginator", service, _operation(by_method, service, literal))}
    if method == "get_waiter":
        waiters = loader.load_service_model(service, "waiters-2")["waiters"]
        name = {xform_name(w): w for w in waiters}[str(literal)]
        return {("waiter", service, waiters[name]["operation"])}
    if service == "s3" and method in S3_TRANSFER:
        return {("call", "s3", op) for op in S3_TRANSFER[method]}
    if method in NOT_CALLS:
        return set()
    return {("call", service, _operation(by_method, service, method))}


def _operation(by_method: dict[str, dict[str, str]], service: str, method: object) -> str:
    if not isinstance(method, str) or method not in by_method[service]:
        raise AssertionError(f"{service}.{method} is no {service} API call this test knows how to check")
    return by_method[service][method]


def node_sources() -> Iterable[Path]:
    """Every module that runs with Clients: the node package, and importers of node.aws."""
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if path.parent.name == "node" or "pcluster_pulumi.node.aws" in text:
            yield path


def missing_from_trimmed(calls: set[tuple[str, str, str]]) -> list[str]:
    """The calls the shipped models cannot serve (empty when they cover everything)."""
    loader = trimmed_loader()
    missing = []
    for kind, service, operation in sorted(calls):
        model = loader.load_service_model(service, "service-2")
        if operation not in model["operations"]:
            missing.append(f"{service}.{operation}")
        elif kind == "paginator":
            pages = loader.load_service_model(service, "paginators-1")["pagination"]
            if operation not in pages:
                missing.append(f"{service} paginator {operation}")
    return missing


def test_the_shipped_models_cover_every_aws_call_of_node_code() -> None:
    loader = full_loader()
    calls: set[tuple[str, str, str]] = set()
    for path in node_sources():
        calls |= calls_in(path.read_text(encoding="utf-8"), loader)
    # The scan sees the calls we know are there (resume, suspend, keeper, boot, custom actions).
    assert {
        ("call", "ec2", "RunInstances"),
        ("call", "ec2", "CreateFleet"),
        ("call", "ec2", "TerminateInstances"),
        ("paginator", "ec2", "DescribeInstances"),
        ("call", "dynamodb", "BatchWriteItem"),
        ("paginator", "dynamodb", "Scan"),
        ("call", "route53", "ChangeResourceRecordSets"),
        ("call", "secretsmanager", "GetSecretValue"),
        ("call", "s3", "GetObject"),
        ("call", "s3", "HeadObject"),
    } <= calls
    assert missing_from_trimmed(calls) == []


def test_a_call_outside_the_shipped_models_is_reported() -> None:
    source = (
        "def f(clients):\n"
        "    clients.ec2.describe_vpcs()\n"
        "    table = clients.dynamodb\n"
        "    def page():\n"
        "        return table.get_paginator('query')\n"
    )
    calls = calls_in(source, full_loader())
    assert sorted(missing_from_trimmed(calls)) == ["dynamodb paginator Query", "ec2.DescribeVpcs"]


def test_the_update_agent_operations_are_shipped() -> None:
    manifest = json.loads((MODELS_DIR / "manifest.json").read_text())
    services = manifest["services"]
    assert {"GetObject", "HeadObject"} <= set(services["s3"]["operations"])
    assert {"PutItem", "GetItem", "UpdateItem"} <= set(services["dynamodb"]["operations"])


def test_the_shipped_folder_matches_the_generator_lists() -> None:
    manifest = json.loads((MODELS_DIR / "manifest.json").read_text())
    assert {s: e["operations"] for s, e in manifest["services"].items()} == {
        s: sorted(ops) for s, ops in OPERATIONS.items()
    }
    assert {s: e["paginators"] for s, e in manifest["services"].items() if "paginators" in e} == {
        s: sorted(p) for s, p in PAGINATORS.items()
    }
    loader = trimmed_loader()
    for service, entry in manifest["services"].items():
        operations = loader.load_service_model(service, "service-2", entry["api_version"])["operations"]
        assert sorted(operations) == entry["operations"]


def _shape_tree(shape: Any, depth: int = 0) -> Any:
    """A botocore shape as plain data (members, types, serialization), documentation left out."""
    if depth > 12:  # recursive shapes (e.g. DynamoDB AttributeValue): deep enough to compare
        return shape.name
    data: dict[str, Any] = {"type": shape.type_name, "serialization": dict(shape.serialization)}
    if shape.type_name == "structure":
        data["members"] = {name: _shape_tree(m, depth + 1) for name, m in shape.members.items()}
        data["required"] = sorted(shape.required_members)
    elif shape.type_name == "list":
        data["member"] = _shape_tree(shape.member, depth + 1)
    elif shape.type_name == "map":
        data["key"], data["value"] = _shape_tree(shape.key, depth + 1), _shape_tree(shape.value, depth + 1)
    return data


def _lean_tree(tree: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """The full output tree cut the way a lean spec says (None: as is; tuple / dict: list items)."""
    members = {}
    for member, sub in spec.items():
        if sub is None:
            members[member] = tree["members"][member]
            continue
        listing = tree["members"][member]
        item_spec = dict.fromkeys(sub) if isinstance(sub, tuple) else sub
        members[member] = {**listing, "member": _lean_tree(listing["member"], item_spec)}
    return {**tree, "members": members, "required": [n for n in tree["required"] if n in spec]}


def _check_trimmed(service: str, lean: dict[str, Any]) -> None:
    from botocore.model import ServiceModel

    full = full_loader().load_service_model(service, "service-2")
    trimmed = ServiceModel(trim_service(full, OPERATIONS[service], lean), service)
    original = ServiceModel(full, service)
    assert trimmed.metadata == original.metadata
    for name in OPERATIONS[service]:
        mine, theirs = trimmed.operation_model(name), original.operation_model(name)
        assert mine.http == theirs.http
        assert [e.name for e in mine.error_shapes] == [e.name for e in theirs.error_shapes]
        assert _shape_tree(mine.input_shape) == _shape_tree(theirs.input_shape)
        assert (mine.output_shape is None) == (theirs.output_shape is None)
        if mine.output_shape is not None:
            expected = _shape_tree(theirs.output_shape)
            if name in lean:
                expected = _lean_tree(expected, dict(lean[name]))
            assert _shape_tree(mine.output_shape) == expected


@pytest.mark.parametrize("service", sorted(OPERATIONS))
def test_trimming_keeps_each_kept_operation_exactly(service: str) -> None:
    _check_trimmed(service, {op: keep for (svc, op), keep in LEAN_OUTPUTS.items() if svc == service})


def test_the_resume_models_cut_describe_instances_and_keep_the_rest() -> None:
    both = {**LEAN_OUTPUTS, **RESUME_LEAN_OUTPUTS}
    _check_trimmed("ec2", {op: keep for (svc, op), keep in both.items() if svc == "ec2"})
    shipped = Loader(extra_search_paths=[str(RESUME_MODELS_DIR)], include_default_search_paths=False)
    assert sorted(shipped.load_service_model("ec2", "service-2")["operations"]) == sorted(OPERATIONS["ec2"])


class Reading(dict[str, Any]):
    """A response that records every key path its reader looks up."""

    def __init__(self, data: dict[str, Any], read: set[str], path: str = "") -> None:
        super().__init__(data)
        self.read, self.path = read, path

    def _wrap(self, key: str, value: Any) -> Any:
        here = f"{self.path}{key}"
        self.read.add(here)
        if isinstance(value, dict):
            return Reading(value, self.read, here + ".")
        if isinstance(value, list):
            return [Reading(v, self.read, here + "[].") if isinstance(v, dict) else v for v in value]
        return value

    def __getitem__(self, key: str) -> Any:
        return self._wrap(key, super().__getitem__(key))

    def get(self, key: str, default: Any = None) -> Any:
        return self._wrap(key, super().get(key, default))


def test_the_describe_reader_of_resume_reads_only_the_resume_lean_members() -> None:
    """ec2_launch.describe (after CreateFleet) reads nothing the resume models drop."""
    from types import SimpleNamespace

    from pcluster_pulumi.node.ec2_launch import describe

    instance = {
        "InstanceId": "i-0123456789abcdef0",
        "InstanceType": "m5.large",
        "PrivateDnsName": "ip-10-0-0-6.ec2.internal",
        "PrivateIpAddress": "10.0.0.6",
        "State": {"Name": "running"},
        "LaunchTime": "2026-01-01T00:00:00Z",
    }
    read: set[str] = set()
    page = {"Reservations": [{"Instances": [instance], "OwnerId": "1"}], "NextToken": None}
    paginator = SimpleNamespace(paginate=lambda **_: [Reading(page, read)])
    ec2 = SimpleNamespace(get_paginator=lambda name: paginator)
    found = describe(SimpleNamespace(ec2=ec2), ["i-0123456789abcdef0"])  # type: ignore[arg-type]

    assert [i.private_dns for i in found] == ["ip-10-0-0-6.ec2.internal"]
    kept = RESUME_LEAN_OUTPUTS[("ec2", "DescribeInstances")]["Reservations"]["Instances"]
    allowed = {"NextToken", "Reservations", "Reservations[].Instances"}
    allowed |= {f"Reservations[].Instances[].{name}" for name in kept}
    assert read and read <= allowed


def test_the_run_instances_reader_reads_only_the_lean_members() -> None:
    """The one reader of RunInstances answers (ec2_launch) reads nothing the lean shape drops."""
    from types import SimpleNamespace

    from pcluster_pulumi.contract.config import NodeConfig
    from pcluster_pulumi.node.ec2_launch import launch

    from .factories import config_dict

    instance = {
        "InstanceId": "i-0123456789abcdef0",
        "InstanceType": "c5.large",
        "PrivateDnsName": "ip-10-0-0-5.ec2.internal",
        "PrivateIpAddress": "10.0.0.5",
        "State": {"Name": "pending"},
        "Placement": {"AvailabilityZone": "us-east-1a"},
        "LaunchTime": "2026-01-01T00:00:00Z",
        "NetworkInterfaces": [{"PrivateIpAddress": "10.0.0.5"}],
    }
    read: set[str] = set()
    answer = {"Instances": [instance, instance], "ReservationId": "r-1", "OwnerId": "1"}
    ec2 = SimpleNamespace(run_instances=lambda **_: Reading(answer, read))
    config = NodeConfig.from_dict(config_dict())
    queue = config.queues[0]
    result = launch(SimpleNamespace(ec2=ec2), queue, queue.compute_resources[0], 2, False)  # type: ignore[arg-type]

    assert [i.private_ip for i in result.instances] == ["10.0.0.5", "10.0.0.5"]
    keep = LEAN_OUTPUTS[("ec2", "RunInstances")]
    allowed = set(keep) | {f"{member}[].{name}" for member, kept in keep.items() for name in kept}
    assert read and read <= allowed


def test_generate_writes_service_models_paginators_and_endpoints(tmp_path: Path) -> None:
    manifest = generate(tmp_path)
    assert manifest["botocore"] == botocore.__version__
    ec2 = manifest["services"]["ec2"]
    model = json.loads((tmp_path / "ec2" / ec2["api_version"] / "service-2.json").read_text())
    assert sorted(model["operations"]) == sorted(OPERATIONS["ec2"])
    assert "documentation" not in json.dumps(model["operations"])
    endpoints = json.loads((tmp_path / "endpoints.json").read_text())
    assert {name for p in endpoints["partitions"] for name in p["services"]} <= {*OPERATIONS, "sts"}


def test_clients_load_the_trimmed_models() -> None:
    assert models_usable(botocore.__version__)
    assert not models_usable("1.27.9")
    ec2 = Clients("us-east-1").ec2
    assert sorted(ec2.meta.service_model.operation_names) == sorted(OPERATIONS["ec2"])
    assert hasattr(Clients("us-east-1").s3, "download_file")  # boto3's transfer methods are kept


@pytest.mark.usefixtures("aws_env")
def test_short_lived_clients_leave_timestamps_unparsed_and_launches_lean() -> None:
    with mock_aws():
        ec2 = Clients("us-east-1").ec2
        launched = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0]
        assert sorted(launched) == sorted(LEAN_OUTPUTS[("ec2", "RunInstances")]["Instances"])
        ids = [launched["InstanceId"]]
        described = ec2.describe_instances(InstanceIds=ids)["Reservations"][0]["Instances"][0]
        assert isinstance(described["LaunchTime"], datetime)  # other operations answer in full
        raw = Clients("us-east-1", parse_timestamps=False).ec2.describe_instances(InstanceIds=ids)
        assert isinstance(raw["Reservations"][0]["Instances"][0]["LaunchTime"], str)
        resume = Clients("us-east-1", parse_timestamps=False, addresses_only=True).ec2
        answer = resume.describe_instances(InstanceIds=ids)["Reservations"][0]["Instances"][0]
        assert answer == launched  # ids, type and addresses only, the same values


def test_the_node_package_ships_the_models(tmp_path: Path) -> None:
    import tarfile

    from pcluster_pulumi.derive.node_package import build_node_package

    with tarfile.open(build_node_package(tmp_path / "node.tar.gz")) as archive:
        shipped = {name for name in archive.getnames() if "/aws_models" in name and name.endswith(".json")}
    on_disk = {
        f"pcluster_pulumi/node/{folder.name}/{p.relative_to(folder)}"
        for folder in (MODELS_DIR, RESUME_MODELS_DIR)
        for p in folder.rglob("*.json")
    }
    assert shipped == on_disk and "pcluster_pulumi/node/aws_models/ec2/2016-11-15/service-2.json" in shipped
