"""``pcluster-pulumi-keeper``: the head node's reconcile loop (under systemd).

Each pass compares three views — slurmctld's nodes, the nodes table, EC2's tagged
instances — and acts through Slurm's own power-saving state machine wherever it can: a
static node that must come up is ``power_up``-ed (slurmctld runs the resume program), a node
whose instance died is ``power_down_force``-d (slurmctld runs the suspend program, requeues
its jobs, and the node returns ``idle~``). Only what Slurm cannot see — instances no node
owns, records of nodes already powered down — is cleaned up directly. The compute-fleet
status item (``update-compute-fleet``) stops and starts the whole fleet. Before each pass the
update agent applies a new runtime configuration written by `up` (``update_agent``).
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import FrameType

from pcluster_pulumi.contract import names
from pcluster_pulumi.contract.config import ConfigError, NodeConfig
from pcluster_pulumi.node import fleet_status
from pcluster_pulumi.node.aws import Clients
from pcluster_pulumi.node.ec2_launch import terminate
from pcluster_pulumi.node.fleet import FleetInstance, cluster_instances, unhealthy_instances
from pcluster_pulumi.node.logs import setup_logging
from pcluster_pulumi.node.process import run_main
from pcluster_pulumi.node.records import NodeRecord, delete_dns, delete_records, scan_records
from pcluster_pulumi.node.resume import LAUNCH_FAILURE_PREFIX
from pcluster_pulumi.node.scontrol import Scontrol, Slurm
from pcluster_pulumi.node.update_agent import UpdateAgent

log = logging.getLogger("pcluster_pulumi.keeper")

#: A record younger than this may belong to a resume still running or an instance EC2 does
#: not list yet (eventual consistency): it is never judged dead or stale.
RECORD_GRACE_SECONDS = 30.0


@dataclass
class KeeperReport:
    """What one pass did, for logs and tests."""

    status: str = fleet_status.RUNNING
    powered_up: list[str] = field(default_factory=list)
    powered_down: list[str] = field(default_factory=list)
    terminated_orphans: list[str] = field(default_factory=list)
    stale_records: list[str] = field(default_factory=list)


def run_once(
    config: NodeConfig,
    clients: Clients,
    slurm: Slurm,
    clock: Callable[[], float] = time.time,
    local_now: Callable[[], datetime] = datetime.now,
) -> KeeperReport:
    """One reconcile pass."""
    report = KeeperReport(status=fleet_status.get_status(clients, config))
    if report.status in (fleet_status.STOP_REQUESTED, fleet_status.STOPPING, fleet_status.STOPPED):
        fleet_status.write_local(fleet_status.STOPPED)  # resume refuses from now on
        _stop_fleet(config, clients, slurm, report)
        return report
    if report.status in (fleet_status.START_REQUESTED, fleet_status.STARTING):
        _start_fleet(config, clients, slurm, report)
    fleet_status.write_local(report.status)
    now = clock()
    nodes = {n.name: n for n in slurm.nodes() if _ours(config, n.name)}
    records = scan_records(clients, config)
    instances = cluster_instances(clients, config)
    live_recorded = [
        r.instance_id for r in records.values() if r.instance_id in instances and _live(instances, r)
    ]
    sick = unhealthy_instances(clients, live_recorded) if config.keeper.ec2_health_checks else set()

    to_power_down: dict[str, str] = {}
    stale: list[NodeRecord] = []
    for name, record in records.items():
        node = nodes.get(name)
        young = now - record.launch_time < RECORD_GRACE_SECONDS
        gone = record.instance_id not in instances and not young
        dead = gone or (record.instance_id in instances and not _live(instances, record))
        if node is None or node.powered_down:
            if not young:
                stale.append(record)
        elif node.powering_down:
            continue
        elif dead:
            to_power_down[name] = f"instance {record.instance_id} is gone"
        elif record.instance_id in sick:
            to_power_down[name] = f"instance {record.instance_id} failed EC2 health checks"

    for name, node in nodes.items():
        if name in to_power_down or node.powering_down or node.powering_up:
            continue
        parsed = names.parse_node_name(name)
        if node.down and not node.powered_down:
            if not parsed.is_static and node.reason.startswith(LAUNCH_FAILURE_PREFIX):
                held = (local_now() - node.reason_time).total_seconds() if node.reason_time else 0.0
                if held < config.keeper.insufficient_capacity_timeout_seconds:
                    continue
            to_power_down[name] = "resetting DOWN node"
        elif node.down and node.powered_down:
            to_power_down[name] = "resetting DOWN node"
        elif parsed.is_static and node.powered_down and name not in records:
            report.powered_up.append(name)

    if stale:
        _drop_records(config, clients, stale, instances)
        report.stale_records = sorted(r.node for r in stale)
    owned = {r.instance_id for r in records.values()}
    orphans = [
        i.instance_id
        for i in instances.values()
        if i.live and i.instance_id not in owned and now - i.launch_time > config.keeper.orphan_grace_seconds
    ]
    if orphans:
        log.warning("terminating %d instance(s) no node owns: %s", len(orphans), ", ".join(sorted(orphans)))
        terminate(clients, orphans)
        report.terminated_orphans = sorted(orphans)
    by_reason: dict[str, list[str]] = {}
    for name, reason in to_power_down.items():
        by_reason.setdefault(reason, []).append(name)
    for reason, down in sorted(by_reason.items()):
        log.info("powering down %s: %s", ",".join(sorted(down)), reason)
        slurm.power_down(sorted(down), reason)
        report.powered_down.extend(sorted(down))
    if report.powered_up and report.status != fleet_status.PROTECTED:
        log.info("powering up static nodes %s", ",".join(sorted(report.powered_up)))
        slurm.power_up(sorted(report.powered_up))
    return report


def _ours(config: NodeConfig, name: str) -> bool:
    try:
        config.compute_resource_of(name)
    except (KeyError, ValueError):
        return False
    return True


def _live(instances: dict[str, FleetInstance], record: NodeRecord) -> bool:
    instance = instances.get(record.instance_id)
    return bool(instance and instance.live)


def _drop_records(
    config: NodeConfig, clients: Clients, stale: list[NodeRecord], instances: dict[str, FleetInstance]
) -> None:
    """Records of nodes that are powered down: their instances must not run on."""
    alive = [r.instance_id for r in stale if r.instance_id in instances and instances[r.instance_id].live]
    log.info("dropping %d stale record(s); terminating %d instance(s)", len(stale), len(alive))
    if alive:
        terminate(clients, alive)
    delete_dns(clients, config, stale)
    delete_records(clients, config, [r.node for r in stale])


def _stop_fleet(config: NodeConfig, clients: Clients, slurm: Slurm, report: KeeperReport) -> None:
    """STOP_REQUESTED → STOPPING → STOPPED: partitions INACTIVE, every instance terminated."""
    if report.status == fleet_status.STOP_REQUESTED and fleet_status.set_status(
        clients, config, fleet_status.STOPPING, fleet_status.STOP_REQUESTED
    ):
        report.status = fleet_status.STOPPING
    for queue in config.queues:
        slurm.set_partition_state(queue.name, "INACTIVE")
    awake = [
        n.name for n in slurm.nodes() if _ours(config, n.name) and not (n.powered_down or n.powering_down)
    ]
    if awake:
        slurm.power_down(awake, "compute fleet stopped")
        report.powered_down = sorted(awake)
    live = [i.instance_id for i in cluster_instances(clients, config).values() if i.live]
    if live:
        terminate(clients, live)
        report.terminated_orphans = sorted(live)
    records = scan_records(clients, config)
    if records:
        delete_dns(clients, config, list(records.values()))
        delete_records(clients, config, list(records))
        report.stale_records = sorted(records)
    if report.status == fleet_status.STOPPING and fleet_status.set_status(
        clients, config, fleet_status.STOPPED, fleet_status.STOPPING
    ):
        report.status = fleet_status.STOPPED


def _start_fleet(config: NodeConfig, clients: Clients, slurm: Slurm, report: KeeperReport) -> None:
    """START_REQUESTED → STARTING → RUNNING: partitions UP; static nodes follow in this pass."""
    if report.status == fleet_status.START_REQUESTED:
        fleet_status.set_status(clients, config, fleet_status.STARTING, fleet_status.START_REQUESTED)
    for queue in config.queues:
        slurm.set_partition_state(queue.name, "UP")
    if fleet_status.set_status(clients, config, fleet_status.RUNNING, fleet_status.STARTING):
        report.status = fleet_status.RUNNING


def main(argv: Sequence[str] | None = None) -> int:
    """Run passes every keeper.interval_seconds until SIGTERM (or once with --once).

    Each pass first lets the update agent apply a new runtime configuration, if `up` wrote
    one (``update_agent``), then reconciles with the configuration in effect.
    """
    parser = argparse.ArgumentParser(prog="pcluster-pulumi-keeper", description=__doc__.splitlines()[0])
    parser.add_argument("--once", action="store_true", help="run a single pass and exit")
    args = parser.parse_args(argv)
    setup_logging("keeper")
    try:
        config = NodeConfig.load()
    except ConfigError as error:
        log.error("%s", error)
        return 1
    clients, slurm = Clients(config.region), Scontrol()
    agent = UpdateAgent.for_head_node(config, clients, slurm)
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    while not stop.is_set():
        failed = upgraded = False
        try:
            outcome = agent.check(config)
            if outcome is not None:
                config, upgraded = outcome.config, outcome.package_upgraded
        except Exception:
            log.exception("update check failed; the pass goes on with the configuration in effect")
            failed = True
        try:
            report = run_once(config, clients, slurm)
            log.info("pass done: %s", report)
        except Exception:
            log.exception("keeper pass failed; retrying next interval")
            failed = True
        if args.once:
            return 1 if failed else 0
        if upgraded:
            # systemd (Restart=always) starts the keeper again, now from the new package.
            log.info("node package upgraded: restarting the keeper on it")
            return 0
        stop.wait(config.keeper.interval_seconds)
    return 0


if __name__ == "__main__":
    run_main(main, long_running=True)
