"""Load + validate time per shared config, in-process, and the CLI's cold start.

Prints figures only; it never fails on time. Target: the full ParallelCluster example
(example-slurm.full.yaml) under 0.2 s in-process on a 2-core machine.

    python benchmarks/validate.py [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "configs" / "pcluster"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5, help="runs per file; the median is printed")
    args = parser.parse_args()

    started = time.perf_counter()
    from pcluster_pulumi.spec.loader import validate_text

    import_s = time.perf_counter() - started
    validate_text("Image: {Os: alinux2023}\n")  # warm the schema and validator caches once
    print(f"import pcluster_pulumi.spec.loader: {import_s * 1000:.0f} ms")
    print(f"{'config':62} {'lines':>6} {'median ms':>10} {'problems':>9}  verdict")
    entries = json.loads((CORPUS / "manifest.json").read_text())
    for entry in sorted(entries, key=lambda e: e["file"]):
        text = (CORPUS / entry["file"]).read_text()
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            result = validate_text(text, entry["file"])
            times.append(time.perf_counter() - t0)
        verdict = "invalid" if result.failed() else "valid"
        mark = "" if verdict == entry["verdict"] else "  (reference: " + entry["verdict"] + ")"
        print(
            f"{entry['file']:62} {text.count(chr(10)):>6} {statistics.median(times) * 1000:>10.1f}"
            f" {len(result.problems):>9}  {verdict}{mark}"
        )
    full = CORPUS / "invalid" / "example-slurm.full.yaml"
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pcluster_pulumi.cli", "validate", str(full)], capture_output=True)
    print(f"CLI cold start, validate example-slurm.full.yaml: {(time.perf_counter() - t0) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
