"""Start-up time of the CLI for answers that need no Pulumi and no AWS SDK.

``--help``, a missing file, a bad config or a missing ``-n`` must answer in under 0.3 s on a
2-core machine: the commands import Pulumi, boto3 and the AWS SDK only when they need them.
For each case this prints the median wall time of N fresh processes, the exit status, and
which heavy modules the process imported (there should be none).

    python benchmarks/cli_startup.py [--repeat N]

Prints figures only; it never fails on time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEAVY = ("pulumi", "pulumi_aws", "boto3", "botocore", "jsonschema", "rich", "yaml")
#: Runs the CLI in-process and reports, on stderr, which heavy modules got imported.
PROBE = """
import sys
from pcluster_pulumi.cli import main
try:
    main()
except SystemExit as exit:
    code = exit.code
else:
    code = 0
loaded = sorted({m.split('.')[0] for m in sys.modules} & set(%r))
sys.stderr.write('\\nLOADED ' + ','.join(loaded) + '\\n')
sys.exit(code if isinstance(code, int) else 1)
"""


def cases(scratch: Path) -> list[tuple[str, list[str]]]:
    """(label, argv after the program name)."""
    bad = scratch / "bad.yaml"
    bad.write_text("Image:\n  Os: alinux2\nHeadNode: {}\n")
    return [
        ("--help", ["--help"]),
        ("-h", ["-h"]),
        ("up --help", ["up", "--help"]),
        ("describe-cluster --help", ["describe-cluster", "--help"]),
        ("version", ["version"]),
        ("validate missing.yaml", ["validate", str(scratch / "missing.yaml")]),
        ("plan missing.yaml", ["plan", str(scratch / "missing.yaml")]),
        ("up missing.yaml -n demo", ["up", str(scratch / "missing.yaml"), "-n", "demo"]),
        ("up cluster.yaml (no -n)", ["up", str(bad)]),
        ("describe-cluster (no -n)", ["describe-cluster"]),
        ("validate bad.yaml", ["validate", str(bad)]),
        ("create-cluster (pcluster name)", ["create-cluster", "-n", "demo"]),
    ]


def run(argv: list[str]) -> tuple[float, int, str]:
    """(seconds, exit status, heavy modules loaded) of one fresh process."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", PROBE % (HEAVY,), *argv],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "100"},
        check=False,
    )
    elapsed = time.perf_counter() - started
    loaded = next((line[7:] for line in done.stderr.splitlines() if line.startswith("LOADED ")), "?")
    return elapsed, done.returncode, loaded or "-"


def baseline() -> float:
    """The interpreter alone: what no CLI change can go below."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=7, help="processes per case; the median is printed")
    args = parser.parse_args()
    floor = statistics.median(baseline() for _ in range(args.repeat))
    print(f"python -c pass: {floor * 1000:.0f} ms (interpreter start-up, the floor)")
    print(f"{'case':34} {'median ms':>9} {'max ms':>7} {'exit':>4}  heavy modules imported")
    with tempfile.TemporaryDirectory() as scratch:
        for label, argv in cases(Path(scratch)):
            runs = [run(argv) for _ in range(args.repeat)]
            times = [r[0] for r in runs]
            _, code, loaded = runs[-1]
            median, worst = statistics.median(times) * 1000, max(times) * 1000
            print(f"{label:34} {median:9.0f} {worst:7.0f} {code:4}  {loaded}")


if __name__ == "__main__":
    main()
