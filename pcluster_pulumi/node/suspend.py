"""``pcluster-pulumi-suspend NODELIST``: slurmctld's SuspendProgram.

Terminates the nodes' instances, removes their DNS names and table records, and resets
their Slurm addresses, so after SuspendTimeout slurmctld shows them ``idle~`` and they
cost nothing. Terminating first means a crash half-way leaves records pointing at dead
instances (the keeper cleans those), never live instances without records.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from pcluster_pulumi.contract import names
from pcluster_pulumi.contract.config import ConfigError, NodeConfig
from pcluster_pulumi.node import hostlist
from pcluster_pulumi.node.aws import Clients
from pcluster_pulumi.node.ec2_launch import terminate
from pcluster_pulumi.node.logs import setup_logging
from pcluster_pulumi.node.process import run_main
from pcluster_pulumi.node.records import delete_dns, delete_records, get_records
from pcluster_pulumi.node.scontrol import Scontrol, Slurm

log = logging.getLogger("pcluster_pulumi.suspend")


@dataclass
class SuspendReport:
    """What a suspend did, for logs and tests."""

    terminated: dict[str, str] = field(default_factory=dict)
    without_instance: list[str] = field(default_factory=list)


def suspend(config: NodeConfig, clients: Clients, slurm: Slurm | None, nodes: Sequence[str]) -> SuspendReport:
    """Retire nodes; slurm None skips the address reset (the keeper resets in bulk itself)."""
    ours = [node for node in dict.fromkeys(nodes) if names.is_node_name(node)]
    report = SuspendReport()
    if not ours:
        return report
    records = get_records(clients, config, ours)
    report.terminated = {node: record.instance_id for node, record in records.items()}
    report.without_instance = [node for node in ours if node not in records]
    if records:
        terminate(clients, list(report.terminated.values()))
        delete_dns(clients, config, list(records.values()))
        delete_records(clients, config, records)
    if slurm is not None:
        slurm.reset_addresses(ours)
    log.info("suspended %s: %d instance(s) terminated", hostlist.compress(ours), len(records))
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point slurmctld runs with a hostlist."""
    parser = argparse.ArgumentParser(prog="pcluster-pulumi-suspend", description=__doc__.splitlines()[0])
    parser.add_argument("nodelist", help="Slurm hostlist of nodes to power down")
    args = parser.parse_args(argv)
    setup_logging("suspend")
    try:
        config = NodeConfig.load()
        suspend(
            config, Clients(config.region, parse_timestamps=False), Scontrol(), hostlist.expand(args.nodelist)
        )
    except ConfigError as error:
        log.error("%s", error)
        return 1
    except Exception:
        log.exception("suspend of %s failed; the keeper will retry the cleanup", args.nodelist)
        return 1
    return 0


if __name__ == "__main__":
    run_main(main)
