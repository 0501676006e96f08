"""Commands that act on a deployed cluster's nodes: update-compute-fleet and ssh.

``update-compute-fleet`` only writes the fleet status item the keeper obeys (AWS credentials,
no Pulumi CLI); ``ssh`` reads the head node's or a login pool's address from the stack outputs.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
from typing import Annotated

import typer

from pcluster_pulumi.cli.io import login_user
from pcluster_pulumi.cli.stack import AsJson, Backend, FleetTimeout, Name, Region

__all__ = ["register"]


def _fleet_action(value: str) -> str:
    action = value.upper().removesuffix("_REQUESTED")
    if action not in ("START", "STOP"):
        raise typer.BadParameter("use START or STOP (START_REQUESTED / STOP_REQUESTED also work)")
    return action


def update_compute_fleet(
    name: Name,
    status: Annotated[
        str, typer.Option("--status", help="START or STOP.", callback=_fleet_action, show_default=False)
    ],
    region: Region = None,
    wait: Annotated[bool, typer.Option("--wait", help="Wait until the fleet is STOPPED or RUNNING.")] = False,
    fleet_timeout: FleetTimeout = 1800,
    as_json: AsJson = False,
    backend_url: Backend = None,
) -> None:
    """Ask the head node to stop (terminate every compute node) or start the compute fleet.

    Writes the fleet status item the cluster's keeper obeys, as `pcluster update-compute-fleet`
    does; needs AWS credentials, not the Pulumi CLI.
    """
    # start-up: loaded when the command runs, so `--help` and usage errors stay fast.
    from pcluster_pulumi.cli import update_gate
    from pcluster_pulumi.cli.session import Session
    from pcluster_pulumi.engines.automation.stack import ClusterStack
    from pcluster_pulumi.fleet.control import STOP, fleet_config, request, wait_for
    from pcluster_pulumi.node import fleet_status
    from pcluster_pulumi.node.aws import Clients

    session = Session(name, backend_url)
    if as_json:  # human text to stderr: stdout carries only the JSON
        session.out = session.err
    final: str | None = None
    with session.errors():
        where = region or ClusterStack(name, backend_url=backend_url).region
        clients, config = Clients(where), fleet_config(name, where)
        moved = request(clients, config, status)
        if moved.changed:
            session.out.print(f"compute fleet of {name}: {moved.before} → {moved.after}")
        else:
            session.out.print(f"compute fleet of {name} is already {moved.before}")
        if wait:
            target = fleet_status.STOPPED if status == STOP else fleet_status.RUNNING
            final = wait_for(
                clients,
                config,
                {target},
                timeout=fleet_timeout,
                interval=update_gate.POLL_SECONDS,
                on_status=lambda s: session.note(f"compute fleet: {s}"),
            )
            session.out.print(f"compute fleet of {name}: {final}")
    if as_json:
        payload = {"cluster": name, "region": where, "before": moved.before, "after": moved.after}
        typer.echo(json.dumps({**payload, "changed": moved.changed, "final": final}, indent=2))


def ssh(
    ctx: typer.Context,
    name: Name,
    user: Annotated[str | None, typer.Option("--user", help="Login user (default: the OS's).")] = None,
    pool: Annotated[
        str | None,
        typer.Option("--pool", help="Log in to a node of this login pool (through its load balancer)."),
    ] = None,
    dryrun: Annotated[
        bool, typer.Option("--dryrun", help="Print the ssh command instead of running it.")
    ] = False,
    backend_url: Backend = None,
) -> None:
    """Log in to the head node or a login pool; arguments after the options go to ssh (e.g. -i key.pem)."""
    # start-up: loaded when the command runs, so `--help` and usage errors stay fast.
    from pcluster_pulumi.cli.dcv import login_pool_address
    from pcluster_pulumi.cli.session import Session
    from pcluster_pulumi.engines.automation.stack import SPEC_OUTPUT

    session = Session(name, backend_url)
    session.require_pulumi()
    with session.errors():
        values = session.stack().outputs()
    host = next(
        (
            str(values[k].value)
            for k in ("headNodePublicIp", "headNodePrivateIp")
            if k in values and values[k].value
        ),
        None,
    )
    if pool is not None:
        try:
            host = login_pool_address(values, pool)
        except LookupError as error:
            session.fail(str(error))
    if host is None:
        session.fail(f"cluster {name} has no head node address in its outputs (is it fully deployed?)")
    stored = values.get(SPEC_OUTPUT)
    login = user or login_user(str(stored.value) if stored and stored.value else None)
    command = ["ssh", f"{login}@{host}", *ctx.args]
    if dryrun:
        typer.echo(shlex.join(command))
        return
    if shutil.which("ssh") is None:
        session.fail("no `ssh` client on PATH")
    os.execvp("ssh", command)


def register(app: typer.Typer) -> None:
    """Add the node commands to the main app."""
    app.command("update-compute-fleet", short_help="Stop or start the compute fleet.")(update_compute_fleet)
    app.command(
        "ssh",
        short_help="Log in to the head node or a login pool.",
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    )(ssh)
