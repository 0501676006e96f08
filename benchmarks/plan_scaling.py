"""How offline ``plan`` scales: wall time and peak memory for 1 to 50 queues and 50 compute resources.

Each size runs in a fresh Python process (so imports and memory are counted as a user pays
them): ``process`` is the whole process wall time, ``plan`` the time inside ``offline.plan``,
``rss`` the peak resident set size. Prints figures only; nothing passes or fails on them.

The floor: any Pulumi Python program that declares these resources pays for importing pulumi
and the pulumi_aws modules it uses. A child process imports exactly the pulumi_aws modules a
plan of the example loaded (and nothing of ours); ``x floor`` is each plan's process time over
that floor's process time.

    python benchmarks/plan_scaling.py            # the issue's sizes
    python benchmarks/plan_scaling.py --repeat 3 # best of 3 per size
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HEAD = """\
Region: us-east-1
Image:
  Os: alinux2023
HeadNode:
  InstanceType: c6i.xlarge
  Networking:
    SubnetId: subnet-0123456789abcdef0
  Ssh:
    KeyName: my-key
Scheduling:
  Scheduler: slurm
  SlurmQueues:
"""
QUEUE = """\
    - Name: {name}
      ComputeResources:
{resources}      Networking:
        SubnetIds:
          - subnet-0123456789abcdef1
"""
RESOURCE = """\
        - Name: {name}
          InstanceType: c5.xlarge
          MaxCount: 10
"""

CHILD = """
import json, resource, sys, time
start = time.perf_counter()
from pcluster_pulumi.engines.offline.plan import plan
imported = time.perf_counter()
result = plan(sys.stdin.read(), "bench")
done = time.perf_counter()
print(json.dumps({"resources": len(result.resources), "import": imported - start, "plan": done - imported,
                  "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


FLOOR = """
import json, sys, time
start = time.perf_counter()
import pulumi, pulumi.runtime
import importlib
for name in json.loads(sys.stdin.read()):
    importlib.import_module(name)
print(json.dumps({"import": time.perf_counter() - start}))
"""

#: Lists the pulumi_aws modules a plan loads, and whether anything else heavy came along.
MODULES = """
import json, sys
from pcluster_pulumi.engines.offline.plan import plan
plan(sys.stdin.read(), "bench")
# pulumi_aws registers every service module lazily: count only those the plan really loaded.
loaded = {m for m, mod in sys.modules.items() if type(mod).__name__ != "_LazyModule"}
aws = sorted(m for m in loaded if m.startswith("pulumi_aws."))
extra = sorted(m for m in ("boto3", "botocore", "rich", "typer") if m in sys.modules)
print(json.dumps({"aws": aws, "extra": extra}))
"""

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def child(script: str, stdin: str) -> tuple[dict[str, object], float]:
    """Run a script in a fresh interpreter: (its JSON answer, process wall time)."""
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", script], input=stdin, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1]), time.perf_counter() - start


def spec(queues: int, resources_per_queue: int) -> str:
    """A valid Slurm config with the given number of queues and compute resources per queue."""
    body = ""
    for q in range(queues):
        resources = "".join(RESOURCE.format(name=f"cr{r}") for r in range(resources_per_queue))
        body += QUEUE.format(name=f"q{q}", resources=resources)
    return HEAD + body


def measure(text: str) -> dict[str, float]:
    """Plan the spec in a fresh interpreter; return its figures plus the process wall time."""
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", CHILD], input=text, capture_output=True, text=True, check=True
    )
    figures: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    figures["process"] = time.perf_counter() - start
    return figures


def main() -> None:
    """Print one line per size."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs per size; the fastest is shown")
    args = parser.parse_args()
    full = (EXAMPLES / "slurm-storage.yaml").read_text()
    loaded, _ = child(MODULES, full)
    floors = [child(FLOOR, json.dumps(loaded["aws"]))[1] for _ in range(max(1, args.repeat))]
    floor = min(floors)
    print(f"floor: importing pulumi + {len(loaded['aws'])} pulumi_aws modules: {floor:.2f} s")  # type: ignore[arg-type]
    print(f"other heavy modules a plan loads: {', '.join(loaded['extra']) or 'none'}")  # type: ignore[arg-type]
    shapes = [(1, 1), (10, 1), (25, 1), (50, 1), (1, 50)]
    sizes = [(f"{q} queue{'s' * (q > 1)} x {c} CR{'s' * (c > 1)}", spec(q, c)) for q, c in shapes]
    sizes += [(f"examples/{path.name}", path.read_text()) for path in sorted(EXAMPLES.glob("*.yaml"))]
    print(
        f"{'size':32} {'resources':>9} {'process s':>9} {'x floor':>7} {'import s':>8} {'plan s':>7} "
        f"{'peak RSS MiB':>12}"
    )
    for label, text in sizes:
        runs = [measure(text) for _ in range(max(1, args.repeat))]
        best = min(runs, key=lambda r: r["process"])
        print(
            f"{label:32} {int(best['resources']):9d} {best['process']:9.2f} {best['process'] / floor:7.2f} "
            f"{best['import']:8.2f} {best['plan']:7.2f} {best['rss_mib']:12.0f}"
        )


if __name__ == "__main__":
    main()
