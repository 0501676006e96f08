"""An in-memory slurmctld for unit tests: it keeps node states and records every request.

It models only what the node programs rely on (addresses, DOWN with reason, power up/down,
partition state); the integration tests check the same calls against the real slurmctld.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from pcluster_pulumi.node.scontrol import SlurmNode


@dataclass
class FakeSlurm:
    """Node name → state flags, plus a log of calls."""

    states: dict[str, set[str]] = field(default_factory=dict)
    addresses: dict[str, tuple[str, str]] = field(default_factory=dict)
    reasons: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    partitions: dict[str, str] = field(default_factory=dict)
    calls: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)

    def add(self, names: Sequence[str], *flags: str) -> None:
        for name in names:
            self.states[name] = set(flags or ("IDLE", "CLOUD", "POWERED_DOWN"))

    def set_addresses(self, entries: Sequence[tuple[str, str, str]]) -> None:
        self.calls.append(("set_addresses", tuple(e[0] for e in entries)))
        for node, address, hostname in entries:
            self.addresses[node] = (address, hostname)

    def reset_addresses(self, nodes: Sequence[str]) -> None:
        self.calls.append(("reset_addresses", tuple(nodes)))
        for node in nodes:
            self.addresses[node] = (node, node)

    def set_down(self, nodes: Sequence[str], reason: str) -> None:
        self.calls.append(("set_down", tuple(nodes)))
        for node in nodes:
            self.states.setdefault(node, set()).add("DOWN")
            self.states[node].discard("IDLE")
            self.reasons[node] = (reason, datetime.now())

    def power_down(self, nodes: Sequence[str], reason: str) -> None:
        self.calls.append(("power_down", tuple(nodes)))
        for node in nodes:
            self.states[node] = {"IDLE", "CLOUD", "POWERING_DOWN"}
            self.reasons[node] = (reason, datetime.now())

    def power_up(self, nodes: Sequence[str]) -> None:
        self.calls.append(("power_up", tuple(nodes)))
        for node in nodes:
            self.states[node] = {"IDLE", "CLOUD", "POWERING_UP"}

    def set_partition_state(self, partition: str, state: str) -> None:
        self.calls.append(("set_partition_state", (partition, state)))
        self.partitions[partition] = state

    def nodes(self) -> list[SlurmNode]:
        return [
            SlurmNode(
                name=name,
                states=frozenset(flags),
                address=self.addresses.get(name, (name, name))[0],
                hostname=self.addresses.get(name, (name, name))[1],
                reason=self.reasons.get(name, ("", datetime.now()))[0],
                reason_time=self.reasons[name][1] if name in self.reasons else None,
            )
            for name, flags in sorted(self.states.items())
        ]

    def called(self, method: str) -> list[str]:
        """All nodes passed to method, in call order."""
        return [node for name, nodes in self.calls if name == method for node in nodes]
