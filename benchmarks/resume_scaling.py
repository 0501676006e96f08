"""Resume at scale, pcluster-pulumi vs aws-parallelcluster-node 3.16.1: own CPU, wall under latency, calls.

Each ResumeProgram runs as its own process, the way slurmctld starts it (a fresh interpreter
per power-up): ours from the node package exactly as nodes unpack it, theirs from a throwaway
venv (``pip install aws-parallelcluster-node==3.16.1``). AWS is a moto server in another
process, behind a local proxy (``aws_latency_proxy.py``) that counts every call and can add a
fixed latency to each. Slurm is not involved: the calls that would reach slurmctld are no-ops
on both sides (``resume_child.py``). For N = 10 / 100 / 1,000 nodes in one job
(all-or-nothing) spread over 1 and 4 compute resources, it prints side by side:

- own-side CPU: user + system seconds of the program process (and the children it waited
  for), from ``wait4`` — the cost a power-up puts on the head node that also runs slurmctld;
  the median of ``--repeat`` runs, with no added latency;
- wall time with ``--latency-ms`` (50) added to every AWS call, and "net": that wall time
  minus the time moto was busy answering (the union of its busy intervals, measured by the
  proxy). moto takes seconds to build a 500-instance answer that AWS sends in milliseconds,
  so raw wall time mostly measures moto; net estimates what a user waits on real AWS;
- AWS calls per service (EC2 / DynamoDB / Route 53), and the records the resume wrote.

For a like-for-like comparison give ``--ours-python`` a plain venv with the same boto3 as the
ParallelCluster venv (``python -m venv /tmp/venv-ours && /tmp/venv-ours/bin/pip install
boto3==1.44.8``): both then run the same botocore without this machine's site extras.

    python benchmarks/resume_scaling.py                                   # ours only
    python benchmarks/resume_scaling.py --pc-python /tmp/venv-pcn/bin/python \
        --ours-python /tmp/venv-ours/bin/python
    python benchmarks/resume_scaling.py --sizes 1000 --types single,multi  # CreateFleet shapes too

Prints figures; never passes or fails on them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from resume_world import (
    CREDENTIALS,
    HERE,
    Shape,
    World,
    resume_file,
    setup_ours,
    setup_parallelcluster,
)

from pcluster_pulumi.derive.node_package import build_node_package
from pcluster_pulumi.node import hostlist


def run_child(python: str, engine: str, nodes: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(own CPU seconds, wall seconds) of one resume process, CPU from wait4's rusage."""
    start = time.perf_counter()
    process = subprocess.Popen(
        [python, str(HERE / "resume_child.py"), engine, hostlist.compress(nodes)],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        log = (
            Path(env["PCLUSTER_PULUMI_LOG_DIR"]) / "resume.log"
            if engine == "ours"
            else Path(env["BENCH_LOG"])
        )
        tail = "\n".join(log.read_text().splitlines()[-15:]) if log.exists() else "(no log)"
        raise RuntimeError(f"{engine} resume exited {process.returncode}; its log ends:\n{tail}")
    return usage.ru_utime + usage.ru_stime, wall


def measure(
    world: World, scratch: Path, engine: str, python: str, package: Path, shape: Shape, n: int, latency: float
) -> tuple[float, float, dict[str, Any], int, int]:
    """One fresh account, one resume process: (cpu, wall, calls, instances running, records)."""
    world.reset(latency)
    provisioned = world.provision(shape)  # straight to moto: neither counted nor delayed
    with tempfile.TemporaryDirectory(dir=scratch) as run_dir:
        directory = Path(run_dir)
        nodes = shape.nodes(n)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(directory),
            "AWS_ENDPOINT_URL": world.proxy_url,
            "AWS_EC2_METADATA_DISABLED": "true",
            "SLURM_RESUME_FILE": str(resume_file(directory, nodes)),
            **CREDENTIALS,
        }
        if engine == "ours":
            env.update(setup_ours(directory, shape, provisioned, package))
        else:
            env.update(setup_parallelcluster(directory, shape, provisioned))
        cpu, wall = run_child(python, engine, nodes, env)
        calls = world.calls()
    return cpu, wall, calls, world.running(), world.records()


@contextmanager
def node_package(scratch: Path) -> Iterator[Path]:
    """The node package unpacked as the bootstrap unpacks it (its own empty top __init__)."""
    archive = build_node_package(scratch / "node-package.tar.gz")
    target = scratch / "node-package"
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")
    yield target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_pc = "/tmp/venv-pcn/bin/python"
    parser.add_argument(
        "--pc-python",
        default=default_pc if Path(default_pc).exists() else None,
        help=f"python of a venv with aws-parallelcluster-node 3.16.1 (default {default_pc} when present)",
    )
    parser.add_argument(
        "--ours-python",
        default=sys.executable,
        help="python that runs our node package (needs boto3; default: this one). Give it a plain venv "
        "with the same boto3 as --pc-python's for a like-for-like comparison",
    )
    parser.add_argument("--sizes", default="10,100,1000", help="node counts, comma-separated")
    parser.add_argument("--crs", default="1,4", help="compute resource counts, comma-separated")
    parser.add_argument(
        "--types",
        default="single",
        help="single (RunInstances) and/or multi (three instance types: CreateFleet), comma-separated",
    )
    parser.add_argument("--latency-ms", type=float, default=50.0, help="latency added to every AWS call")
    parser.add_argument("--repeat", type=int, default=3, help="CPU runs per cell (median printed)")
    parser.add_argument("--json", action="store_true", help="print raw rows as JSON")
    args = parser.parse_args()
    shapes = [
        Shape(int(c), multi)
        for multi in [kind == "multi" for kind in args.types.split(",")]
        for c in args.crs.split(",")
    ]
    engines = [("ours", args.ours_python)] + ([("parallelcluster", args.pc_python)] if args.pc_python else [])
    rows = []
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        world = World(scratch)
        try:
            with node_package(scratch) as package:
                for shape in shapes:
                    for n in (int(s) for s in args.sizes.split(",")):
                        row: dict[str, Any] = {
                            "crs": shape.crs,
                            "types": "multi" if shape.multi else "single",
                            "n": n,
                        }
                        for engine, python in engines:
                            cpus = []
                            for _ in range(args.repeat):
                                cpu, _, stats, launched, recorded = measure(
                                    world, scratch, engine, python, package, shape, n, 0.0
                                )
                                cpus.append(cpu)
                            _, wall, slow, _, _ = measure(
                                world, scratch, engine, python, package, shape, n, args.latency_ms
                            )
                            row[engine] = {
                                "cpu": round(statistics.median(cpus), 3),
                                "wall": round(wall, 3),
                                "moto_busy": round(slow["moto_busy_seconds"], 3),
                                "net_wall": round(wall - slow["moto_busy_seconds"], 3),
                                "launched": launched,
                                "recorded": recorded,
                                "calls": dict(sorted(stats["calls"].items())),
                                "moto_by_call": {
                                    k: round(v, 3) for k, v in sorted(slow["upstream_seconds"].items())
                                },
                            }
                        rows.append(row)
                        if not args.json:
                            print(_line(row, args.latency_ms, first=len(rows) == 1), flush=True)
        finally:
            world.close()
    if args.json:
        print(json.dumps(rows))
    return 0


def _services(calls: dict[str, int]) -> str:
    total = {
        s: sum(n for k, n in calls.items() if k.startswith(f"{s}.")) for s in ("ec2", "dynamodb", "route53")
    }
    return f"{total['ec2']}/{total['dynamodb']}/{total['route53']}"


def _line(row: dict[str, Any], latency: float, first: bool) -> str:
    ours, theirs = row["ours"], row.get("parallelcluster")
    cells = [("ours", ours)] + ([("pc 3.16.1", theirs)] if theirs else [])
    head = f"{'CRs':>3} {'types':>6} {'N':>5}"
    line = f"{row['crs']:>3} {row['types']:>6} {row['n']:>5}"
    for name, cell in cells:
        head += f" | {name + ' CPU s':>14} {'wall s':>7} {'net s':>6} {'ec2/ddb/r53':>12} {'rec':>5}"
        line += (
            f" | {cell['cpu']:>14.2f} {cell['wall']:>7.2f} {cell['net_wall']:>6.2f}"
            f" {_services(cell['calls']):>12} {cell['recorded']:>5}"
        )
    if theirs:
        head += f" | {'CPU x':>6} {'net x':>6}"
        line += f" | {ours['cpu'] / theirs['cpu']:>6.2f} {ours['net_wall'] / theirs['net_wall']:>6.2f}"
    if not first:
        return line
    note = (
        "CPU: median user+sys of the resume process. wall: with "
        f"{latency:.0f} ms added to every AWS call; net: wall minus the time moto was busy answering\n"
        "(moto needs seconds per 500-instance call, real AWS answers in the latency). rec: records written."
    )
    return f"{note}\n{head}\n{'-' * len(head)}\n{line}"


if __name__ == "__main__":
    sys.exit(main())
