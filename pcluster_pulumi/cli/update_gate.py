"""Safe updates for ``up``: refuse what an update would break, stop the fleet when asked.

ParallelCluster refuses an update whose changes fail their policy checks unless
``--force-update``; for a change that needs the compute fleet stopped, the user stops it with
``update-compute-fleet``, waits, updates, and starts it again. ``up --stop-fleet`` does those
four steps in one run, and ``up`` reads the live fleet status first, so a fleet the user
already stopped lets such changes through, as ParallelCluster's check does.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from pcluster_pulumi.cli.reports import blocked_message
from pcluster_pulumi.cli.session import Session
from pcluster_pulumi.derive.updates import Impact, UpdatePlan
from pcluster_pulumi.engines.automation.stack import ClusterStack, DeployError
from pcluster_pulumi.fleet.control import (
    START,
    STOP,
    FleetError,
    fleet_config,
    request,
    status,
    terminate_compute_nodes,
    wait_for,
)
from pcluster_pulumi.node import fleet_status
from pcluster_pulumi.node.aws import Clients

__all__ = ["POLL_SECONDS", "gate", "stopped_fleet", "terminate_nodes"]

#: Seconds between fleet status reads while waiting for the keeper.
POLL_SECONDS = 10.0


def _fleet_is_stopped(session: Session, region: str) -> bool:
    try:
        return status(Clients(region), fleet_config(session.name, region)) == fleet_status.STOPPED
    except FleetError as error:
        session.note(f"could not read the compute fleet status ({error}); assuming the fleet runs")
        return False


def gate(session: Session, plan: UpdatePlan | None, region: str, *, force: bool, stop_fleet: bool) -> bool:
    """Refuse blocked changes (exit 1); return whether the fleet must be stopped around ``up``."""
    if plan is None:
        if stop_fleet:
            session.note("a new cluster has no compute fleet to stop: --stop-fleet has nothing to do")
        return False
    fleet_changes = plan.at(Impact.FLEET_STOP, Impact.FLEET_AND_LOGIN_STOP)
    fleet_stopped = bool(fleet_changes) and _fleet_is_stopped(session, region)
    blocked = plan.blocking(fleet_stopped=fleet_stopped)
    needs_stop = [c for c in blocked if c.impact is Impact.FLEET_STOP]
    others = [c for c in blocked if c.impact is not Impact.FLEET_STOP]
    if blocked and force:
        session.note(f"--force: applying {len(blocked)} change(s) ParallelCluster would refuse")
    elif others or (needs_stop and not stop_fleet):
        session.fail(blocked_message(plan, blocked, fleet_stopped=fleet_stopped))
    if stop_fleet and not needs_stop:
        session.note("no change needs the compute fleet stopped: --stop-fleet has nothing to do")
    return stop_fleet and bool(needs_stop)


@contextlib.contextmanager
def stopped_fleet(session: Session, region: str, *, active: bool, timeout: int) -> Iterator[None]:
    """Stop the fleet and wait for STOPPED; start it after the body, or say it stays stopped."""
    if not active:
        yield
        return
    clients, config = Clients(region), fleet_config(session.name, region)
    moved = request(clients, config, STOP)
    session.note(f"compute fleet: {moved.before} → {moved.after}; waiting for STOPPED")
    wait_for(
        clients,
        config,
        {fleet_status.STOPPED},
        timeout=timeout,
        interval=POLL_SECONDS,
        on_status=lambda s: session.note(f"compute fleet: {s}"),
    )
    try:
        yield
    except BaseException:
        session.note(
            "the compute fleet stays STOPPED; start it once the cluster is healthy: "
            f"pcluster-pulumi update-compute-fleet -n {session.name} --status START"
        )
        raise
    moved = request(clients, config, START)
    session.note(f"compute fleet: {moved.before} → {moved.after}")


def terminate_nodes(session: Session, region: str | None, timeout: int) -> None:
    """Before ``destroy``: stop the fleet and terminate the instances Pulumi does not own.

    Failing here (no credentials, table already gone) is reported, not fatal: ``destroy`` may
    still succeed when no compute node runs.
    """
    try:
        where = region or ClusterStack(session.name, backend_url=session.backend_url).region
        clients, config = Clients(where), fleet_config(session.name, where)
        with contextlib.suppress(FleetError):  # no status table, or a fleet already stopping
            request(clients, config, STOP)
        gone = terminate_compute_nodes(clients, config, wait_seconds=timeout)
    except (FleetError, DeployError) as error:
        session.note(f"compute nodes were not terminated ({error}); destroy may fail on their groups")
        return
    if gone:
        session.note(f"terminated {len(gone)} compute instance(s)")
