"""Logging for programs slurmctld and systemd start: one file per program, or stderr.

slurmctld discards a ResumeProgram's output, so without a file a failed scale-up leaves no
trace. ``PCLUSTER_PULUMI_LOG_DIR`` names the directory (the bootstrap sets it).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from pcluster_pulumi.contract.paths import LOG_DIR_ENV

_FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"


def setup_logging(program: str) -> None:
    """Send the root logger to ``<log dir>/<program>.log`` when configured, else to stderr."""
    directory = os.environ.get(LOG_DIR_ENV)
    handler: logging.Handler
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(Path(directory) / f"{program}.log", encoding="utf-8")
    else:
        handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    logging.getLogger("botocore").setLevel(logging.WARNING)
