"""Time and peak memory of `pcluster-pulumi validate` on hostile input, through the real CLI.

Each case runs in its own process (so peak RSS is that of one run) with a 2 GiB address
space cap, and the figures are printed; it never fails on time. Targets: every case refused
in well under a second beyond the CLI's start-up, under 100 MB peak.

    python benchmarks/validate_hostile.py
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def _bomb(path: Path) -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    path.write_text("\n".join(lines) + "\n")


def _recursive(path: Path) -> None:
    path.write_text("Image: &x\n  Os: alinux2023\n  Self: *x\n" + "".join(f"k{i}: *x\n" for i in range(25)))


def _huge(path: Path) -> None:
    with path.open("w") as fh:
        for i in range(2_500_000):  # ~50 MB, a million keys and more
            fh.write(f"key{i:07d}: {i}\n")


def _many_nodes(path: Path) -> None:
    path.write_text("Tags:\n" + "- 1\n" * 500_000)


def _long_scalar(path: Path) -> None:
    path.write_text("Image:\n  Os: " + "x" * 1_900_000 + "\n")


def _not_utf8(path: Path) -> None:
    path.write_bytes(b"Image:\n  Os: alinux2023 \xff\n")


def _tabs(path: Path) -> None:
    path.write_text("Image:\n\tOs: alinux2023\n")


def _deep(path: Path) -> None:
    path.write_text("Image: " + "[" * 100_000 + "]" * 100_000 + "\n")


def _baseline(path: Path) -> None:
    path.write_text("Image: {Os: alinux2023}\n")


CASES: list[tuple[str, Callable[[Path], None]]] = [
    ("baseline: 1-line config (CLI start-up)", _baseline),
    ("alias bomb (9^10 nodes, 478 bytes)", _bomb),
    ("recursive alias, 25 uses", _recursive),
    ("50 MB file, 2.5 million keys", _huge),
    ("500,000 list items in 2 MB", _many_nodes),
    ("1.9 MB scalar", _long_scalar),
    ("not UTF-8", _not_utf8),
    ("tab indentation", _tabs),
    ("nesting 100,000 deep", _deep),
]


def _cap() -> None:
    cap = 2 * 1024**3
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def run(path: Path) -> tuple[float, float, int, int, str]:
    """(seconds, peak MB, exit status, output lines, first output line) of one CLI run."""
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    done = subprocess.run(
        [sys.executable, "-m", "pcluster_pulumi.cli", "validate", str(path)],
        capture_output=True,
        text=True,
        preexec_fn=_cap,
        timeout=600,
        check=False,
        cwd=REPO,
    )
    elapsed = time.perf_counter() - started
    peak = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    lines = done.stdout.splitlines()
    return elapsed, peak, done.returncode, len(lines), (lines[0] if lines else done.stderr.strip())[:110]


def in_process_ms(path: Path) -> float:
    """Milliseconds of read + validate in this process (no interpreter start-up)."""
    from pcluster_pulumi.spec.loader import validate_text
    from pcluster_pulumi.spec.problems import SpecError
    from pcluster_pulumi.spec.source import read_config_file

    started = time.perf_counter()
    try:
        read = read_config_file(path)
        validate_text(read.text, read.name)
    except SpecError:
        pass
    return (time.perf_counter() - started) * 1000


def main() -> None:
    header = (
        f"{'case':42} {'size':>11} {'CLI s':>6} {'peak MB':>8} {'in-proc ms':>10} {'exit':>4} {'lines':>5}"
    )
    print(header + "  first line")
    with tempfile.TemporaryDirectory() as tmp:
        for label, make in CASES:
            path = Path(tmp) / "case.yaml"
            make(path)
            seconds, peak, status, lines, first = run(path)
            first = first.replace(str(path), "FILE")
            size = path.stat().st_size
            ms = in_process_ms(path)
            figures = f"{size:>11,} {seconds:>6.2f} {peak:>8.0f} {ms:>10.0f} {status:>4} {lines:>5}"
            print(f"{label:42} {figures}  {first}")
    print("peak MB is the largest child RSS so far (ru_maxrss), so it never goes down between rows")


if __name__ == "__main__":
    main()
