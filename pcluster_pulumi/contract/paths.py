"""Where node programs keep their logs and state, as environment variables the bootstrap sets."""

from __future__ import annotations

#: Directory of the programs' log files (slurmctld discards a ResumeProgram's output).
LOG_DIR_ENV = "PCLUSTER_PULUMI_LOG_DIR"
#: Where the keeper leaves the last fleet status it saw, so the resume program can check it
#: without an AWS call on every scale-up.
STATE_DIR_ENV = "PCLUSTER_PULUMI_STATE_DIR"
DEFAULT_STATE_DIR = "/var/lib/pcluster-pulumi"
