"""Generate ``pcluster_pulumi/node/aws_models``: botocore service models cut to what nodes call.

A ResumeProgram is a fresh interpreter per power-up; with botocore's full models it spends
~0.3 s parsing JSON (EC2's model alone is 4.35 MB) for the five EC2 operations it calls. This
tool reads the INSTALLED botocore's data and writes, for each service the node programs use,
a ``service-2.json`` holding only the operations listed in :data:`OPERATIONS` and the shapes
they reach (documentation stripped; :data:`LEAN_OUTPUTS` answers cut to what their reader
reads), the paginators they use, and an ``endpoints.json`` restricted to those services. The
node's ``Clients`` put this folder first on botocore's loader search path; everything not
shipped here (endpoint rule sets, retry config…) still comes from the botocore installed on
the node. ``aws_models_resume`` holds the EC2 model again with :data:`RESUME_LEAN_OUTPUTS`
applied too; only the resume program's clients search it (first).

    python tools/gen_node_models.py            # rewrite both folders
    python tools/gen_node_models.py --check    # exit 1 when a folder is out of date

``tests/node/test_aws_models.py`` fails when node code calls an operation missing here, or when
the reader of a cut answer reads a member the cut drops: add it here and rerun.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import botocore
from botocore.loaders import Loader

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "pcluster_pulumi" / "node" / "aws_models"
RESUME_OUTPUT = ROOT / "pcluster_pulumi" / "node" / "aws_models_resume"

#: Every operation node code runs through ``Clients`` (resume, suspend, keeper, boot steps,
#: custom actions, the update agent). S3 HeadObject + GetObject back ``download_file``.
OPERATIONS: dict[str, tuple[str, ...]] = {
    "ec2": (
        "CreateFleet",
        "DescribeInstanceStatus",
        "DescribeInstances",
        "RunInstances",
        "TerminateInstances",
    ),
    "dynamodb": (
        "BatchGetItem",
        "BatchWriteItem",
        "GetItem",
        "PutItem",
        "Query",
        "Scan",
        "UpdateItem",
    ),
    "route53": ("ChangeResourceRecordSets",),
    "s3": ("GetObject", "HeadObject"),
    "secretsmanager": ("GetSecretValue",),
}
#: Paginators node code asks for (``get_paginator``), by service.
PAGINATORS: dict[str, tuple[str, ...]] = {
    "ec2": ("DescribeInstanceStatus", "DescribeInstances"),
    "dynamodb": ("Scan",),
}
#: Responses node code reads only a few members of: operation → {output member: members kept
#: in each of its items}. Such an operation gets output shapes of its own holding just these
#: (the full shapes stay for every other operation), so botocore no longer builds ~60 members
#: per instance that nobody reads: a 500-instance RunInstances answer parses 3x faster.
#: ``tests/node/test_aws_models.py`` fails when the reader of the response reads anything else.
LAUNCHED = ("InstanceId", "InstanceType", "PrivateDnsName", "PrivateIpAddress")
LEAN_OUTPUTS: dict[tuple[str, str], dict[str, Any]] = {
    ("ec2", "RunInstances"): {"Instances": LAUNCHED},
}
#: Cuts only the resume program's clients load (``RESUME_OUTPUT``, searched before ``OUTPUT``):
#: resume reads just the addresses of the instances a fleet launched, while the keeper and the
#: day-2 commands read DescribeInstances answers in full from the shared models.
RESUME_LEAN_OUTPUTS: dict[tuple[str, str], dict[str, Any]] = {
    ("ec2", "DescribeInstances"): {"NextToken": None, "Reservations": {"Instances": LAUNCHED}},
}
#: Services whose endpoints stay in the trimmed ``endpoints.json`` besides OPERATIONS' (STS:
#: credential providers that assume a role create an STS client from the same session).
EXTRA_ENDPOINT_SERVICES = ("sts",)
MANIFEST = "manifest.json"


def botocore_loader() -> Loader:
    """A loader over botocore's own data only (never ~/.aws/models or AWS_DATA_PATH)."""
    data = os.path.join(os.path.dirname(botocore.__file__), "data")
    return Loader(extra_search_paths=[data], include_default_search_paths=False)


def _strip_ref(ref: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in ref.items() if key != "documentation"}


def _shape_refs(shape: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    """The shape references a shape holds (structure members, list member, map key/value)."""
    yield from shape.get("members", {}).values()
    for key in ("member", "key", "value"):
        if key in shape:
            yield shape[key]


#: A lean spec: output member → None (kept as is), a tuple of the members kept in each item of
#: a list of structures, or a nested spec for each item of a list of structures.
LeanSpec = Mapping[str, Any]


def lean_output(shapes: Mapping[str, Any], operation: str, output: str, keep: LeanSpec) -> dict[str, Any]:
    """New shapes for operation's output holding only what ``keep`` names (see LeanSpec).

    Kept members keep their original references, and so their serialization. New shape names
    are ``Lean`` + the operation's name + the original's; they never replace a model shape.
    """
    prefix = f"Lean{operation}"
    lean: dict[str, Any] = {}

    def cut(name: str, spec: LeanSpec) -> str:
        source = shapes[name]
        members: dict[str, Any] = {}
        for member, sub in spec.items():
            ref = dict(source["members"][member])
            if sub is None:
                members[member] = ref
                continue
            listing = shapes[ref["shape"]]
            if listing["type"] != "list" or shapes[listing["member"]["shape"]]["type"] != "structure":
                raise ValueError(f"{operation}: {name}.{member} is not a list of structures")
            item_spec = dict.fromkeys(sub) if isinstance(sub, tuple) else sub
            item = cut(listing["member"]["shape"], item_spec)
            lean[f"{prefix}{ref['shape']}"] = {**listing, "member": {**listing["member"], "shape": item}}
            members[member] = {**ref, "shape": f"{prefix}{ref['shape']}"}
        trimmed = {key: value for key, value in source.items() if key not in ("members", "required")}
        trimmed["members"] = members
        required = [member for member in source.get("required", []) if member in members]
        if required:
            trimmed["required"] = required
        lean[f"{prefix}{name}"] = trimmed
        return f"{prefix}{name}"

    cut(output, keep)
    clashes = sorted(set(lean) & set(shapes))
    if clashes:
        raise ValueError(f"lean shape names already in the model: {', '.join(clashes)}")
    return lean


def trim_service(
    model: Mapping[str, Any],
    operations: Iterable[str],
    lean: Mapping[str, LeanSpec] | None = None,
) -> dict[str, Any]:
    """The model with only operations and the shapes they reach; documentation removed.

    ``lean`` maps operations to the output members their readers use (see LEAN_OUTPUTS).
    """
    wanted = sorted(operations)
    all_shapes = dict(model["shapes"])
    missing = [name for name in wanted if name not in model["operations"]]
    if missing:
        raise KeyError(f"{model['metadata']['serviceId']} has no operation(s) {', '.join(missing)}")
    kept_ops: dict[str, Any] = {}
    pending: list[str] = []
    for name in wanted:
        operation = {
            key: value
            for key, value in model["operations"][name].items()
            if key not in ("documentation", "documentationUrl")
        }
        if lean and name in lean and "output" in operation:
            output = operation["output"]["shape"]
            all_shapes.update(lean_output(model["shapes"], name, output, lean[name]))
            operation["output"] = {**operation["output"], "shape": f"Lean{name}{output}"}
        for key in ("input", "output"):
            if key in operation:
                operation[key] = _strip_ref(operation[key])
                pending.append(operation[key]["shape"])
        if "errors" in operation:
            operation["errors"] = [_strip_ref(error) for error in operation["errors"]]
            pending.extend(error["shape"] for error in operation["errors"])
        kept_ops[name] = operation
    reached: set[str] = set()
    while pending:
        name = pending.pop()
        if name in reached:
            continue
        reached.add(name)
        pending.extend(ref["shape"] for ref in _shape_refs(all_shapes[name]))
    shapes = {}
    for name, shape in all_shapes.items():  # botocore's order (lean shapes last), for stable diffs
        if name not in reached:
            continue
        trimmed = {key: value for key, value in shape.items() if key != "documentation"}
        if "members" in trimmed:
            trimmed["members"] = {member: _strip_ref(ref) for member, ref in trimmed["members"].items()}
        for key in ("member", "key", "value"):
            if key in trimmed:
                trimmed[key] = _strip_ref(trimmed[key])
        shapes[name] = trimmed
    result: dict[str, Any] = {key: value for key, value in model.items() if key not in ("documentation",)}
    result["operations"] = kept_ops
    result["shapes"] = shapes
    return result


def trim_endpoints(endpoints: Mapping[str, Any], services: Iterable[str]) -> dict[str, Any]:
    """endpoints.json with every partition's data but only the given services' entries."""
    keep = set(services)
    partitions = []
    for partition in endpoints["partitions"]:
        copy = dict(partition)
        copy["services"] = {name: data for name, data in partition["services"].items() if name in keep}
        partitions.append(copy)
    return {**endpoints, "partitions": partitions}


def generate(destination: Path, loader: Loader | None = None) -> dict[str, Any]:
    """Write the trimmed data folder to destination; return its manifest."""
    loader = loader or botocore_loader()
    manifest: dict[str, Any] = {"botocore": botocore.__version__, "services": {}}
    for service, operations in sorted(OPERATIONS.items()):
        version = loader.determine_latest_version(service, "service-2")
        folder = destination / service / version
        folder.mkdir(parents=True, exist_ok=True)
        model = loader.load_service_model(service, "service-2", version)
        lean = {op: keep for (svc, op), keep in LEAN_OUTPUTS.items() if svc == service}
        _write(folder / "service-2.json", trim_service(model, operations, lean))
        entry: dict[str, Any] = {"api_version": version, "operations": sorted(operations)}
        if lean:
            entry["lean_outputs"] = {op: {m: list(k) for m, k in keep.items()} for op, keep in lean.items()}
        if service in PAGINATORS:
            pages = loader.load_service_model(service, "paginators-1", version)["pagination"]
            _write(
                folder / "paginators-1.json",
                {"pagination": {name: pages[name] for name in sorted(PAGINATORS[service])}},
            )
            entry["paginators"] = sorted(PAGINATORS[service])
        manifest["services"][service] = entry
    endpoints = loader.load_data("endpoints")
    _write(destination / "endpoints.json", trim_endpoints(endpoints, [*OPERATIONS, *EXTRA_ENDPOINT_SERVICES]))
    _write(destination / MANIFEST, manifest, indent=2)
    return manifest


def generate_resume(destination: Path, loader: Loader | None = None) -> list[Path]:
    """Write the resume-only service models (RESUME_LEAN_OUTPUTS on top of LEAN_OUTPUTS)."""
    loader = loader or botocore_loader()
    written = []
    for service in sorted({svc for svc, _ in RESUME_LEAN_OUTPUTS}):
        version = loader.determine_latest_version(service, "service-2")
        folder = destination / service / version
        folder.mkdir(parents=True, exist_ok=True)
        lean = {
            op: keep for (svc, op), keep in {**LEAN_OUTPUTS, **RESUME_LEAN_OUTPUTS}.items() if svc == service
        }
        model = loader.load_service_model(service, "service-2", version)
        _write(folder / "service-2.json", trim_service(model, OPERATIONS[service], lean))
        written.append(folder / "service-2.json")
    return written


def _write(path: Path, data: Any, indent: int | None = None) -> None:
    separators = (",", ": ") if indent else (",", ":")
    path.write_text(json.dumps(data, indent=indent, separators=separators) + "\n", encoding="utf-8")


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed folders instead")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--resume-output", type=Path, default=RESUME_OUTPUT)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        fresh, fresh_resume = Path(scratch) / "aws_models", Path(scratch) / "aws_models_resume"
        generate(fresh)
        generate_resume(fresh_resume)
        pairs = [(fresh, args.output), (fresh_resume, args.resume_output)]
        if args.check:
            stale = [str(kept) for new, kept in pairs if not kept.is_dir() or _tree(new) != _tree(kept)]
            if stale:
                print(
                    f"out of date: {', '.join(stale)}; run python tools/gen_node_models.py", file=sys.stderr
                )
                return 1
            return 0
        for new, kept in pairs:
            if kept.exists():
                shutil.rmtree(kept)
            shutil.copytree(new, kept)
            size = sum(p.stat().st_size for p in kept.rglob("*") if p.is_file())
            print(f"wrote {kept} ({size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
