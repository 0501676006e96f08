"""Run one engine's real ResumeProgram entry point in this process, with Slurm patched out.

``benchmarks/resume_scaling.py`` starts this file as the child it measures, the way slurmctld
starts a ResumeProgram: a fresh interpreter per power-up. Only the calls that would reach
slurmctld are replaced by no-ops (there is no controller here), in the same way on both
sides; everything else — imports, config reading, logging, AWS clients, teardown — is the
program's own. Run with the engine's own python:

    python resume_child.py ours NODELIST          # PYTHONPATH = unpacked node package
    /tmp/venv-pcn/bin/python resume_child.py parallelcluster NODELIST   # CONFIG_FILE set
"""

import os
import runpy
import sys
from typing import Any


def _expand(hostlist: str) -> list[str]:
    """Enough hostlist expansion for the benchmark's names (``q-dy-c0-[1-250],q-dy-c1-[1-250]``)."""
    names, depth, start = [], 0, 0
    parts = []
    for index, char in enumerate(hostlist + ","):
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(hostlist[start:index])
            start = index + 1
    for part in filter(None, parts):
        if "[" not in part:
            names.append(part)
            continue
        prefix, ranges = part[:-1].split("[", 1)
        for item in ranges.split(","):
            low, _, high = item.partition("-")
            for number in range(int(low), int(high or low) + 1):
                names.append(f"{prefix}{number:0{len(low)}d}")
    return names


def run_ours(nodelist: str) -> None:
    from pcluster_pulumi.node import scontrol

    scontrol.Scontrol._run = lambda self, *args: ""  # type: ignore[method-assign]  # no slurmctld: address/state updates are no-ops
    sys.argv = ["pcluster-pulumi-resume", nodelist]
    runpy.run_module("pcluster_pulumi.node.resume", run_name="__main__", alter_sys=True)


def run_parallelcluster(nodelist: str) -> None:
    import logging
    from types import SimpleNamespace

    import common.schedulers.slurm_commands as slurm_commands

    basic_config = logging.basicConfig

    def log_to_bench(**kwargs: Any) -> None:  # its default /var/log path does not exist here
        kwargs["filename"] = os.environ["BENCH_LOG"]
        basic_config(**kwargs)

    logging.basicConfig = log_to_bench
    # Patched before slurm_plugin is imported, so its `from … import` bindings get these.
    slurm_commands.get_nodes_info = lambda nodes, *a, **k: [
        SimpleNamespace(name=name, state_string="IDLE+CLOUD+POWERING_UP") for name in _expand(nodes)
    ]
    slurm_commands.update_nodes = lambda *a, **k: None
    slurm_commands.set_nodes_down = lambda *a, **k: None
    sys.argv = ["slurm_resume", nodelist]
    runpy.run_module("slurm_plugin.resume", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    engine, nodes = sys.argv[1], sys.argv[2]
    run_ours(nodes) if engine == "ours" else run_parallelcluster(nodes)
