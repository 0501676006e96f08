"""How offline ``plan`` scales: wall time and peak memory for 1 to 50 queues and 50 compute resources.

Each size runs in a fresh Python process (so imports and memory are counted as a user pays
them): ``process`` is the whole process wall time, ``plan`` the time inside ``offline.plan``,
``rss`` the peak resident set size. Prints figures only; nothing passes or fails on them.

    python benchmarks/plan_scaling.py            # the issue's sizes
    python benchmarks/plan_scaling.py --repeat 3 # best of 3 per size
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

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
from pcluster_pulumi.offline import plan
imported = time.perf_counter()
result = plan(sys.stdin.read(), "bench")
done = time.perf_counter()
print(json.dumps({"resources": len(result.resources), "import": imported - start, "plan": done - imported,
                  "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


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
    sizes = [("1 queue x 1 CR", 1, 1), ("10 queues x 1 CR", 10, 1), ("25 queues x 1 CR", 25, 1),
             ("50 queues x 1 CR", 50, 1), ("1 queue x 50 CRs", 1, 50)]  # fmt: skip
    print(f"{'size':18} {'resources':>9} {'process s':>9} {'import s':>8} {'plan s':>7} {'peak RSS MiB':>12}")
    for label, queues, per_queue in sizes:
        runs = [measure(spec(queues, per_queue)) for _ in range(max(1, args.repeat))]
        best = min(runs, key=lambda r: r["process"])
        print(
            f"{label:18} {int(best['resources']):9d} {best['process']:9.2f} {best['import']:8.2f} "
            f"{best['plan']:7.2f} {best['rss_mib']:12.0f}"
        )


if __name__ == "__main__":
    main()
