"""Wrapper scripts for the programs slurmctld and systemd start.

slurmctld runs ResumeProgram / SuspendProgram with an almost empty environment (only
``SLURM_*``), so the runtime configuration path, log directory and any endpoint settings
must be baked into a small shell wrapper. The bootstrap installs these; the integration
tests install the very same text pointing at a temp dir and moto.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping

#: Program name → module run with ``python -m``.
PROGRAMS = {
    "slurm-resume": "pcluster_pulumi.node.resume",
    "slurm-suspend": "pcluster_pulumi.node.suspend",
    "keeper": "pcluster_pulumi.node.keeper",
}


def render_wrapper(program: str, environment: Mapping[str, str], python: str = "/usr/bin/python3") -> str:
    """A POSIX sh script that sets environment and execs the program's module with its arguments."""
    if program not in PROGRAMS:
        raise ValueError(f"unknown program {program!r}; expected one of {', '.join(sorted(PROGRAMS))}")
    lines = [
        "#!/bin/sh",
        f"# {program}: rendered by pcluster-pulumi; slurmctld runs it with a bare environment.",
    ]
    for key, value in sorted(environment.items()):
        if not key.isidentifier():
            raise ValueError(f"invalid environment variable name {key!r}")
        lines.append(f"export {key}={shlex.quote(value)}")
    lines.append(f'exec {shlex.quote(python)} -m {PROGRAMS[program]} "$@"')
    return "\n".join(lines) + "\n"
