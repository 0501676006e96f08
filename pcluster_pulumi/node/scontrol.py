"""Talking to slurmctld through ``scontrol``: node addresses, states, partitions.

Long node lists are sent as compressed hostlists in chunks, so a 1000-node resume costs a
handful of scontrol calls, not a thousand. The ``Slurm`` protocol lets the resume, suspend
and keeper logic be tested against moto without a controller; integration tests use the
real one.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from pcluster_pulumi.node import hostlist

log = logging.getLogger(__name__)

#: Nodes per scontrol update call: keeps argv well under the kernel's limits.
UPDATE_BATCH = 500
_TOKEN = re.compile(r"(?:^|\s)([A-Za-z][A-Za-z0-9_:]*)=")
_REASON_TIME = re.compile(r"\[[^@\]]*@(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\]\s*$")


@dataclass(frozen=True)
class SlurmNode:
    """A node as slurmctld reports it."""

    name: str
    states: frozenset[str]
    address: str
    hostname: str
    reason: str
    reason_time: datetime | None

    @property
    def powered_down(self) -> bool:
        """No instance should exist: the node is in power saving and not on its way up."""
        return "POWERED_DOWN" in self.states and not self.states & {"POWERING_UP", "POWERING_DOWN"}

    @property
    def powering_up(self) -> bool:
        """slurmctld asked for this node and waits for it to register."""
        return "POWERING_UP" in self.states

    @property
    def powering_down(self) -> bool:
        """Suspend is running or slurmctld waits out SuspendTimeout."""
        return bool(self.states & {"POWERING_DOWN", "POWER_DOWN"})

    @property
    def down(self) -> bool:
        """Unusable until someone acts: DOWN, or DRAIN with no job left (DRAINED)."""
        return "DOWN" in self.states or ("DRAIN" in self.states and not self.states & {"ALLOCATED", "MIXED"})


def parse_show_nodes(text: str) -> list[SlurmNode]:
    """Parse ``scontrol show nodes --oneliner`` output (one node per line)."""
    nodes = []
    for line in text.splitlines():
        if not line.startswith("NodeName="):
            continue
        fields = _fields(line)
        reason = fields.get("Reason", "")
        match = _REASON_TIME.search(reason)
        nodes.append(
            SlurmNode(
                name=fields["NodeName"],
                states=frozenset(s for s in fields.get("State", "").split("+") if s),
                address=fields.get("NodeAddr", ""),
                hostname=fields.get("NodeHostName", ""),
                reason=reason,
                reason_time=datetime.fromisoformat(match.group(1)) if match else None,
            )
        )
    return nodes


def _fields(line: str) -> dict[str, str]:
    """Key=Value pairs of a oneliner; values may contain spaces (OS=, Reason=)."""
    matches = list(_TOKEN.finditer(line))
    fields = {}
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(line)
        fields[match.group(1)] = line[match.end() : end].strip()
    return fields


class Slurm(Protocol):
    """What the node programs ask of slurmctld."""

    def set_addresses(self, entries: Sequence[tuple[str, str, str]]) -> None:
        """Point nodes at their instances: (node, address, hostname) triples."""

    def reset_addresses(self, nodes: Sequence[str]) -> None:
        """Forget nodes' instance addresses (back to their own names)."""

    def set_down(self, nodes: Sequence[str], reason: str) -> None:
        """Mark nodes DOWN with a reason users see in ``sinfo -R``."""

    def power_down(self, nodes: Sequence[str], reason: str) -> None:
        """Force nodes into power saving (jobs requeued; slurmctld calls the suspend program)."""

    def power_up(self, nodes: Sequence[str]) -> None:
        """Ask slurmctld to resume nodes (it calls the resume program)."""

    def set_partition_state(self, partition: str, state: str) -> None:
        """UP or INACTIVE (a stopped fleet accepts jobs but starts none)."""

    def nodes(self) -> list[SlurmNode]:
        """All nodes as slurmctld sees them now."""


class Scontrol:
    """The real thing: runs ``scontrol`` (from ``PCLUSTER_PULUMI_SLURM_BIN`` or PATH)."""

    def __init__(self, binary: str | None = None) -> None:
        bin_dir = os.environ.get("PCLUSTER_PULUMI_SLURM_BIN")
        self.binary = binary or (os.path.join(bin_dir, "scontrol") if bin_dir else "scontrol")

    def _run(self, *args: str) -> str:
        completed = subprocess.run([self.binary, *args], capture_output=True, text=True, timeout=120)
        if completed.returncode != 0:
            raise RuntimeError(f"scontrol {' '.join(args)} failed: {completed.stderr.strip()}")
        return completed.stdout

    def set_addresses(self, entries: Sequence[tuple[str, str, str]]) -> None:
        for start in range(0, len(entries), UPDATE_BATCH):
            batch = entries[start : start + UPDATE_BATCH]
            self._run(
                "update",
                f"nodename={','.join(e[0] for e in batch)}",
                f"nodeaddr={','.join(e[1] for e in batch)}",
                f"nodehostname={','.join(e[2] for e in batch)}",
            )

    def reset_addresses(self, nodes: Sequence[str]) -> None:
        self.set_addresses([(node, node, node) for node in nodes])

    def _update_state(self, nodes: Sequence[str], *settings: str) -> None:
        for names in hostlist.chunked_compress(nodes, UPDATE_BATCH):
            self._run("update", f"nodename={names}", *settings)

    def set_down(self, nodes: Sequence[str], reason: str) -> None:
        self._update_state(nodes, "state=down", f"reason={reason}")

    def power_down(self, nodes: Sequence[str], reason: str) -> None:
        self._update_state(nodes, "state=power_down_force", f"reason={reason}")

    def power_up(self, nodes: Sequence[str]) -> None:
        self._update_state(nodes, "state=power_up")

    def set_partition_state(self, partition: str, state: str) -> None:
        self._run("update", f"partitionname={partition}", f"state={state}")

    def nodes(self) -> list[SlurmNode]:
        return parse_show_nodes(self._run("show", "nodes", "--oneliner", "--all"))
