"""``pcluster-pulumi-resume NODELIST``: slurmctld's ResumeProgram.

Launches an instance per node, records node ↔ instance in DynamoDB before telling Slurm
(so no running instance is ever unknown to the table for longer than one call), names it in
Route 53 and sets the node's address. Nodes that get no instance go DOWN with the EC2 error
as reason; instances a failed job gave back are terminated before the program returns.
Independent requests (launches of different compute resources or jobs, table batches, DNS
batches) go out together, bounded; each stage still finishes before the next one starts.
slurmctld starts it once per power-up, so it runs through ``run_main`` (no collector, no
teardown) with clients that skip timestamp parsing.
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from pcluster_pulumi.contract import names
from pcluster_pulumi.contract.config import ConfigError, NodeConfig
from pcluster_pulumi.node import hostlist
from pcluster_pulumi.node.aws import Clients, error_code, error_message, in_parallel
from pcluster_pulumi.node.ec2_launch import Instance, LaunchResult, launch, terminate
from pcluster_pulumi.node.fleet_status import RUNNING, read_local
from pcluster_pulumi.node.logs import setup_logging
from pcluster_pulumi.node.process import run_main
from pcluster_pulumi.node.records import NodeRecord, put_records, upsert_dns
from pcluster_pulumi.node.resume_plan import LaunchGroup, plan, read_resume_file
from pcluster_pulumi.node.scontrol import Scontrol, Slurm

log = logging.getLogger("pcluster_pulumi.resume")

#: Prefix of the reason a node is set DOWN with when it got no instance; the keeper keys on it.
LAUNCH_FAILURE_PREFIX = "launch failed"


def failure_reason(code: str, message: str) -> str:
    """One-line DOWN reason carrying the AWS error code, e.g. ``launch failed (Code:Insuff…)``."""
    flat = " ".join(message.split())[:160]
    return f"{LAUNCH_FAILURE_PREFIX} (Code:{code}) {flat}".strip()


@dataclass
class ResumeReport:
    """What a resume did, for logs and tests."""

    launched: dict[str, Instance] = field(default_factory=dict)
    failed: dict[str, tuple[str, str]] = field(default_factory=dict)
    released: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def resume(
    config: NodeConfig,
    clients: Clients,
    slurm: Slurm,
    nodes: Sequence[str],
    jobs: list[list[str]] | None = None,
    clock: Callable[[], float] = time.time,
) -> ResumeReport:
    """Bring nodes up; every node ends either with an address in Slurm or DOWN with a reason."""
    report = ResumeReport()
    ours = []
    for node in dict.fromkeys(nodes):
        try:
            config.compute_resource_of(node)
            ours.append(node)
        except (KeyError, ValueError):
            report.ignored.append(node)
    if report.ignored:
        log.warning("not cluster nodes, left alone: %s", hostlist.compress(report.ignored))
    if not ours:
        return report
    status = read_local() or RUNNING
    if status != RUNNING:
        for node in ours:
            report.failed[node] = ("ComputeFleetStopped", f"compute fleet is {status}")
        _mark_failed(slurm, report)
        return report

    resume_plan = plan(ours, jobs or [], config.scheduler.scaling_strategy)
    clients.ec2  # noqa: B018 - created here, before the launch threads share it
    # Each group is its own request (another compute resource or job): they go out together,
    # and their results are applied in plan order, exactly as one after another would.
    results = in_parallel(lambda group: _launch_group(config, clients, group), resume_plan.groups)
    for group, result in zip(resume_plan.groups, results, strict=True):
        surplus = result.instances[len(group.nodes) :]
        report.released.extend(i.instance_id for i in surplus)
        for node, instance in zip(group.nodes, result.instances, strict=False):
            report.launched[node] = instance
        error = result.first_error or (
            "InsufficientInstanceCapacity",
            "EC2 launched fewer instances than asked",
        )
        for node in group.nodes[len(result.instances) :]:
            report.failed[node] = error
    _release_incomplete_units(report, resume_plan.atomic_units)
    if report.released:
        terminate(clients, report.released)

    launched = report.launched
    now = clock()
    records = [
        NodeRecord(node, i.instance_id, i.private_ip, _hostname(config, node, i), now)
        for node, i in launched.items()
    ]
    try:
        put_records(clients, config, records)
    except Exception as error:  # the instances must not outlive a failed table write
        log.error("recording %d nodes failed, terminating their instances: %s", len(records), error)
        terminate(clients, [i.instance_id for i in launched.values()])
        for node in launched:
            report.failed[node] = (error_code(error), f"could not record instance: {error}")
        report.launched = {}
        _mark_failed(slurm, report)
        return report
    try:
        upsert_dns(clients, config, records)
    except Exception as error:  # nodes are reachable by address; DNS is a convenience
        log.error("Route 53 update failed (nodes keep their addresses): %s", error)
    slurm.set_addresses([(r.node, r.private_ip, r.hostname) for r in records])
    _mark_failed(slurm, report)
    log.info("resumed %d node(s), %d failed", len(launched), len(report.failed))
    return report


def _launch_group(config: NodeConfig, clients: Clients, group: LaunchGroup) -> LaunchResult:
    """One group's launch; any failure (not only EC2's answers) fails that group's nodes alone.

    The groups run together, so by the time one raised the others have launched: their nodes
    must still be recorded and come up rather than be abandoned with the failed group.
    """
    queue = config.queue(group.queue)
    resource = queue.compute_resource(group.compute_resource)
    try:
        return launch(clients, queue, resource, len(group.nodes), group.all_or_nothing)
    except Exception as error:
        log.exception("launching %s failed", hostlist.compress(group.nodes))
        return LaunchResult(errors=[(error_code(error), error_message(error))])


def _release_incomplete_units(report: ResumeReport, units: tuple[tuple[str, ...], ...]) -> None:
    """A job missing any node gives back all its instances: it could not start anyway."""
    for unit in units:
        missing = [node for node in unit if node in report.failed]
        if not missing:
            continue
        code, message = report.failed[missing[0]]
        for node in unit:
            instance = report.launched.pop(node, None)
            if instance is not None:
                report.released.append(instance.instance_id)
                report.failed[node] = (code, f"job could not get all its nodes: {message}")


def _hostname(config: NodeConfig, node: str, instance: Instance) -> str:
    """EC2's private DNS name with UseEc2Hostnames, else the node name itself."""
    if config.use_ec2_hostnames and instance.private_dns:
        return instance.private_dns.split(".")[0]
    return node


def _mark_failed(slurm: Slurm, report: ResumeReport) -> None:
    by_reason: dict[str, list[str]] = {}
    for node, (code, message) in report.failed.items():
        by_reason.setdefault(failure_reason(code, message), []).append(node)
    for reason, nodes in by_reason.items():
        log.warning("setting %s DOWN: %s", hostlist.compress(nodes), reason)
        slurm.set_down(nodes, reason)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point slurmctld runs with a hostlist; exit status 0 unless nothing could be done."""
    parser = argparse.ArgumentParser(prog="pcluster-pulumi-resume", description=__doc__.splitlines()[0])
    parser.add_argument("nodelist", help="Slurm hostlist of nodes to power up, e.g. q1-dy-c5-[1-4]")
    args = parser.parse_args(argv)
    setup_logging("resume")
    nodes = hostlist.expand(args.nodelist)
    slurm = Scontrol()
    try:
        config = NodeConfig.load()
    except ConfigError as error:
        log.error("%s", error)
        ours = [n for n in nodes if names.is_node_name(n)]
        if ours:
            slurm.set_down(ours, failure_reason("ConfigError", str(error)))
        return 1
    try:
        resume(
            config,
            Clients(config.region, parse_timestamps=False, addresses_only=True),
            slurm,
            nodes,
            read_resume_file(os.environ.get("SLURM_RESUME_FILE")),
        )
    except Exception as error:
        log.exception("resume of %s failed", args.nodelist)
        slurm.set_down(
            [n for n in nodes if names.is_node_name(n)], failure_reason(error_code(error), str(error))
        )
        return 1
    return 0


if __name__ == "__main__":
    run_main(main)
