"""Deployment commands: preview, up, destroy, refresh, outputs, list, update-compute-fleet, ssh.

They drive ``automation.ClusterStack`` (the Pulumi Automation API, which needs the Pulumi CLI
binary) except ``update-compute-fleet``, which only writes the fleet status item in DynamoDB.
Before ``up`` changes a deployed cluster, the new config is diffed against the deployed one and
every change is costed by its ParallelCluster update policy (``updates.py``): ``up`` refuses
what would replace resources or needs stopped nodes unless told how to proceed.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pcluster_pulumi.spec.validators.cluster import CLUSTER_NAME_MAX, CLUSTER_NAME_RE

if TYPE_CHECKING:
    from pcluster_pulumi.automation import ClusterStack
    from pcluster_pulumi.cli_session import Session
    from pcluster_pulumi.updates import UpdatePlan

__all__ = ["register"]

FILE_HELP = "Cluster config in ParallelCluster v3 YAML ('-' reads standard input)."
BACKEND_HELP = "State backend (default: PULUMI_BACKEND_URL, else file://~/.pcluster-pulumi/state)."


def _check_name(value: str) -> str:
    if not CLUSTER_NAME_RE.match(value) or len(value) > CLUSTER_NAME_MAX:
        raise typer.BadParameter(
            f"a cluster name starts with a letter and has at most {CLUSTER_NAME_MAX} letters, digits, hyphens"
        )
    return value


File = Annotated[str, typer.Argument(help=FILE_HELP, show_default=False, metavar="FILE")]
Name = Annotated[
    str,
    typer.Option(
        "--name", "-n", help="Cluster name (= stack name).", callback=_check_name, show_default=False
    ),
]
Backend = Annotated[str | None, typer.Option("--backend-url", help=BACKEND_HELP, metavar="URL")]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON on stdout instead of tables.")]
FleetTimeout = Annotated[
    int, typer.Option("--fleet-timeout", help="Seconds to wait for the fleet to stop.", metavar="SECONDS")
]


def _read(file: str) -> tuple[str, str]:
    from pcluster_pulumi.cli import _read_input

    return _read_input(file)


def _prepare(
    session: Session, file: str, *, show: bool
) -> tuple[str, ClusterStack, str | None, UpdatePlan | None]:
    """Validate the config, find the deployed one and cost the update: (region, stack, deployed, plan)."""
    from pcluster_pulumi.automation import resolve_region
    from pcluster_pulumi.updates import plan_update

    text, source = _read(file)
    spec = session.load(text, source).spec
    session.require_pulumi()
    with session.errors():
        region = resolve_region(spec.region if spec else None)
        stack = session.stack(text, region)
        deployed = stack.deployed_config()
    plan = plan_update(deployed, text) if deployed else None
    if show:
        _show_plan(session, plan)
    return region, stack, deployed, plan


def _show_plan(session: Session, plan: UpdatePlan | None) -> None:
    from pcluster_pulumi.stack_reports import plan_summary, update_table

    if plan is None:
        session.out.print(f"Cluster {session.name} is not deployed yet: everything will be created.")
        return
    if plan.changes:
        session.out.print(update_table(plan))
    session.out.print(plan_summary(plan))


def preview(
    file: File,
    name: Name,
    diff: Annotated[bool, typer.Option("--diff", help="Also print Pulumi's property-level diff.")] = False,
    as_json: AsJson = False,
    backend_url: Backend = None,
) -> None:
    """Show what `up` would do: each config change costed by its update policy, then Pulumi's plan.

    Exit status: 0 previewed, 1 invalid config or failed preview, 2 usage error.
    """
    from pcluster_pulumi.cli_session import Session

    session = Session(name, backend_url, quiet=as_json)
    region, stack, deployed, plan = _prepare(session, file, show=not as_json)
    with session.errors():
        result, progress = session.run("preview", lambda on_event: stack.preview(on_event, diff=diff))
    summary = {str(getattr(op, "value", op)): n for op, n in result.change_summary.items()}
    if as_json:
        payload = {
            "cluster": name,
            "region": region,
            "deployed": deployed is not None,
            "changeSummary": summary,
            "steps": progress.planned,
            "impact": plan.impact.name if plan else None,
            "updates": [c.as_dict() for c in plan.changes] if plan else [],
        }
        typer.echo(json.dumps(payload, indent=2, default=str))
        return
    if diff:
        typer.echo(result.stdout)


def up(
    file: File,
    name: Name,
    yes: Yes = False,
    force: Annotated[
        bool, typer.Option("--force", help="Apply changes ParallelCluster refuses (may replace resources).")
    ] = False,
    stop_fleet: Annotated[
        bool, typer.Option("--stop-fleet", help="Stop the compute fleet, apply, and start it again.")
    ] = False,
    skip_preview: Annotated[
        bool, typer.Option("--skip-preview", help="Deploy without previewing first.")
    ] = False,
    fleet_timeout: FleetTimeout = 1800,
    backend_url: Backend = None,
) -> None:
    """Create the cluster, or update it if it exists.

    Changes that would replace the cluster (or a file system) or need login nodes stopped are
    refused unless --force; changes that need the compute fleet stopped are refused unless the
    fleet is already STOPPED, --stop-fleet (stop, apply, start) or --force.
    Exit status: 0 deployed, 1 refused or failed, 2 usage error.
    """
    from pcluster_pulumi.cli_session import Session
    from pcluster_pulumi.progress import expected_steps
    from pcluster_pulumi.update_gate import gate, stopped_fleet

    session = Session(name, backend_url)
    region, stack, deployed, plan = _prepare(session, file, show=True)
    with session.errors():
        must_stop = gate(session, plan, region, force=force, stop_fleet=stop_fleet)
        expected = None
        if not skip_preview:
            previewed, _ = session.run("preview", stack.preview)
            expected = expected_steps(dict(previewed.change_summary))
            if not expected and deployed == stack.spec_text:
                session.out.print(f"Cluster {name} is up to date.")
                return
        session.confirm(f"{'Update' if deployed else 'Create'} cluster {name}?", yes)
        with stopped_fleet(session, region, active=must_stop, timeout=fleet_timeout):
            applied, _ = session.run("update", stack.up, expected=expected)
    _print_outputs(session, applied.outputs, as_json=False)
    session.out.print(f"Log in with: pcluster-pulumi ssh -n {name}")


def destroy(
    name: Name, yes: Yes = False, fleet_timeout: FleetTimeout = 600, backend_url: Backend = None
) -> None:
    """Delete the cluster: its compute nodes first, then every resource of its stack.

    Lists each data resource (volumes, file systems, database, logs) and whether its
    DeletionPolicy deletes or keeps it, and asks before deleting.
    Exit status: 0 destroyed, 1 failed or no such cluster, 2 usage error.
    """
    from pcluster_pulumi.automation import SPEC_OUTPUT
    from pcluster_pulumi.cli_session import Session
    from pcluster_pulumi.cluster.deletion import plan_destroy
    from pcluster_pulumi.stack_reports import destroy_table
    from pcluster_pulumi.update_gate import terminate_nodes

    session = Session(name, backend_url)
    session.require_pulumi()
    with session.errors():
        stack = session.stack()
        stored = stack.outputs().get(SPEC_OUTPUT)
        spec = _stored_spec(str(stored.value)) if stored and stored.value else None
        resources = plan_destroy(spec) if spec else []
        if resources:
            session.out.print(destroy_table(resources))
        else:
            session.note("the deployed config is not recorded in the stack: data resources cannot be listed")
        doomed = [r for r in resources if r.deleted]
        extra = f" and delete {len(doomed)} data resource(s)" if doomed else ""
        session.confirm(f"Destroy cluster {name}{extra}?", yes)
        terminate_nodes(session, spec.region if spec else None, fleet_timeout)
        session.run("destroy", stack.destroy)
    kept = [r for r in resources if not r.deleted]
    for resource in kept:
        session.out.print(f"kept: {resource.description} ({resource.owner})")


def _stored_spec(text: str) -> Any:
    """The deployed config as a spec, even if today's validators would refuse it."""
    from pcluster_pulumi.spec.model import ClusterSpec
    from pcluster_pulumi.updates import config_data

    return ClusterSpec.from_dict(config_data(text))


def refresh(name: Name, backend_url: Backend = None) -> None:
    """Read every resource of the cluster back from AWS and record drift in the state."""
    from pcluster_pulumi.cli_session import Session

    session = Session(name, backend_url)
    session.require_pulumi()
    with session.errors():
        stack = session.stack()
        session.run("refresh", stack.refresh)


def outputs(name: Name, as_json: AsJson = False, backend_url: Backend = None) -> None:
    """Print the cluster's stack outputs (head node address, bucket, tables, ...)."""
    from pcluster_pulumi.cli_session import Session

    session = Session(name, backend_url, quiet=as_json)
    session.require_pulumi()
    with session.errors():
        values = session.stack().outputs()
    _print_outputs(session, values, as_json=as_json)


def _print_outputs(session: Session, values: Any, *, as_json: bool) -> None:
    from pcluster_pulumi.stack_reports import outputs_json, outputs_table

    if as_json:
        typer.echo(json.dumps(outputs_json(values), indent=2, default=str))
    else:
        session.out.print(outputs_table(values))


def list_(as_json: AsJson = False, backend_url: Backend = None) -> None:
    """List the clusters deployed in the backend."""
    from pcluster_pulumi.automation import list_clusters
    from pcluster_pulumi.cli_session import Session
    from pcluster_pulumi.stack_reports import clusters_table

    session = Session("", backend_url, quiet=as_json)
    session.require_pulumi()
    with session.errors():
        stacks = list_clusters(backend_url)
    if as_json:
        rows = [{"name": s.name, "lastUpdate": s.last_update, "resources": s.resource_count} for s in stacks]
        typer.echo(json.dumps(rows, indent=2, default=str))
    else:
        session.out.print(clusters_table(stacks))


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
    region: Annotated[str | None, typer.Option("--region", help="AWS region (default: the stack's).")] = None,
    wait: Annotated[bool, typer.Option("--wait", help="Wait until the fleet is STOPPED or RUNNING.")] = False,
    fleet_timeout: FleetTimeout = 1800,
    backend_url: Backend = None,
) -> None:
    """Ask the head node to stop (terminate every compute node) or start the compute fleet.

    Writes the fleet status item the cluster's keeper obeys, as `pcluster update-compute-fleet`
    does; needs AWS credentials, not the Pulumi CLI.
    """
    from pcluster_pulumi import update_gate
    from pcluster_pulumi.automation import ClusterStack
    from pcluster_pulumi.cli_session import Session
    from pcluster_pulumi.fleet_control import STOP, fleet_config, request, wait_for
    from pcluster_pulumi.node import fleet_status
    from pcluster_pulumi.node.aws import Clients

    session = Session(name, backend_url)
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


def ssh(
    ctx: typer.Context,
    name: Name,
    user: Annotated[str | None, typer.Option("--user", help="Login user (default: the OS's).")] = None,
    dryrun: Annotated[
        bool, typer.Option("--dryrun", help="Print the ssh command instead of running it.")
    ] = False,
    backend_url: Backend = None,
) -> None:
    """Log in to the head node; arguments after the options go to ssh (e.g. -i key.pem)."""
    from pcluster_pulumi.automation import SPEC_OUTPUT
    from pcluster_pulumi.cli_session import Session

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
    if host is None:
        session.fail(f"cluster {name} has no head node address in its outputs (is it fully deployed?)")
    stored = values.get(SPEC_OUTPUT)
    login = user or _default_user(str(stored.value) if stored and stored.value else None)
    command = ["ssh", f"{login}@{host}", *ctx.args]
    if dryrun:
        typer.echo(shlex.join(command))
        return
    if shutil.which("ssh") is None:
        session.fail("no `ssh` client on PATH")
    os.execvp("ssh", command)


def _default_user(config: str | None) -> str:
    from pcluster_pulumi.cluster.context import _OS_USER
    from pcluster_pulumi.updates import config_data

    os_name = (config_data(config).get("Image") or {}).get("Os") if config else None
    return _OS_USER.get(str(os_name), "ec2-user")


def register(app: typer.Typer) -> None:
    """Add the deployment commands to the main app."""
    app.command("preview")(preview)
    app.command("up")(up)
    app.command("destroy")(destroy)
    app.command("refresh")(refresh)
    app.command("outputs")(outputs)
    app.command("list")(list_)
    app.command("update-compute-fleet")(update_compute_fleet)
    app.command("ssh", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(ssh)
