"""Deployment commands: preview, up, destroy, refresh, outputs, list.

They drive ``automation.ClusterStack`` (the Pulumi Automation API, which needs the Pulumi CLI
binary); ``update-compute-fleet`` and ``ssh`` are in ``cli/nodes.py``.
Before ``up`` changes a deployed cluster, the new config is diffed against the deployed one and
every change is costed by its ParallelCluster update policy (``updates.py``): ``up`` refuses
what would replace resources or needs stopped nodes unless told how to proceed.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pcluster_pulumi.cli.io import (
    FILE_HELP,
    AwsPreflight,
    FailureLevel,
    Suppress,
    check_cluster_name,
    print_problems,
    read_input,
    summary,
    validated,
    validation_options,
)

if TYPE_CHECKING:
    from pcluster_pulumi.cli.session import Session
    from pcluster_pulumi.derive.updates import UpdatePlan
    from pcluster_pulumi.engines.automation.stack import ClusterStack
    from pcluster_pulumi.spec.loader import Validation

__all__ = ["register"]

#: A config as read and validated: (text, name for messages, validation result).
Checked = tuple[str, str, "Validation"]
BACKEND_HELP = "State backend (default: PULUMI_BACKEND_URL, else file://~/.pcluster-pulumi/state)."


File = Annotated[str, typer.Argument(help=FILE_HELP, show_default=False, metavar="FILE")]
Name = Annotated[
    str,
    typer.Option(
        "--name",
        "-n",
        "--cluster-name",
        "-c",
        help="Cluster name (= stack name).",
        callback=check_cluster_name,
        show_default=False,
        metavar="NAME",
    ),
]
Backend = Annotated[str | None, typer.Option("--backend-url", help=BACKEND_HELP, metavar="URL")]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON on stdout instead of tables.")]
Region = Annotated[
    str | None,
    typer.Option("--region", "-r", help="AWS region (default: the stack's).", metavar="REGION"),
]
FleetTimeout = Annotated[
    int, typer.Option("--fleet-timeout", help="Seconds to wait for the fleet to stop.", metavar="SECONDS")
]


def _checked(
    file: str, name: str, suppress: list[str] | None = None, failure_level: str = "ERROR"
) -> Checked:
    """Read and validate the config before anything loads Pulumi: a missing file (exit 2) or a
    refused config (exit 1) is answered at once."""
    text, source = read_input(file)  # first: a missing file must not wait for the validators to load
    suppressed, level = validation_options(suppress, failure_level)
    return text, source, validated(text, source, name, suppress=suppressed, failure_level=level)


def _preflight(checked: Checked, name: str, suppress: list[str] | None, failure_level: str) -> None:
    """ParallelCluster's checks against the AWS account (key pair, subnets, AMIs, ...), before
    Pulumi starts: a typo in a subnet id fails here in seconds, not minutes into `up`. Only the
    AWS-backed validators run (the static ones ran in ``_checked``)."""
    # start-up: the validator machinery loads only for commands that deploy.
    from pcluster_pulumi.spec.loader import validate_text
    from pcluster_pulumi.spec.validators import REGISTRY

    suppressed, level = validation_options(suppress, failure_level)
    text, source, _ = checked
    preflight = AwsPreflight(None, suppressed)
    result = validate_text(text, source, cluster_name=name, suppress=set(REGISTRY), extra=preflight)
    found = [p for p in result.problems if p.validator is not None]
    if any(p.level >= level for p in found):
        print_problems(found, source)
        typer.echo(summary(found, source, True) + f" ({preflight.total_calls} AWS API calls)", err=True)
        raise typer.Exit(1)
    for problem in found:
        typer.echo(problem.located(source), err=True)


def _prepare(
    session: Session, checked: Checked, *, show: bool, options: tuple[list[str] | None, str] = (None, "ERROR")
) -> tuple[str, ClusterStack, str | None, UpdatePlan | None]:
    """Find the deployed config and cost the update: (region, stack, deployed, plan)."""
    # start-up: loaded when the command runs, so `--help` and usage errors stay fast.
    from pcluster_pulumi.derive.updates import plan_update
    from pcluster_pulumi.engines.automation.stack import resolve_region

    text, source, result = checked
    session.check_supported(result, source)
    spec = result.spec
    session.require_pulumi()
    _preflight(checked, session.name, *options)
    with session.errors():
        region = resolve_region(spec.region if spec else None)
        stack = session.stack(text, region)
        deployed = stack.deployed_config()
    plan = plan_update(deployed, text) if deployed else None
    if show:
        _show_plan(session, plan)
    return region, stack, deployed, plan


def _show_plan(session: Session, plan: UpdatePlan | None) -> None:
    # start-up: loaded when the command runs, so `--help` and usage errors stay fast.
    from pcluster_pulumi.cli.reports import plan_summary, update_table

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
    suppress_validators: Suppress = None,
    failure_level: FailureLevel = "ERROR",
) -> None:
    """Show what `up` would do: each config change costed by its update policy, then Pulumi's plan.

    Exit status: 0 previewed, 1 invalid config or failed preview, 2 usage error.
    """
    checked = _checked(file, name, suppress_validators, failure_level)
    # start-up: loaded when the command runs, so `--help` and usage errors stay fast.
    from pcluster_pulumi.cli.session import Session

    session = Session(name, backend_url, quiet=as_json)
    options = (suppress_validators, failure_level)
    region, stack, deployed, plan = _prepare(session, checked, show=not as_json, options=options)
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
    no_wait: Annotated[
        bool, typer.Option("--no-wait", help="Do not wait for the head node to apply the new configuration.")
    ] = False,
    update_timeout: Annotated[
        int,
        typer.Option(
            "--update-timeout", help="Seconds to wait for the head node's report.", metavar="SECONDS"
        ),
    ] = 900,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the outputs as JSON on stdout; progress goes to stderr.")
    ] = False,
    backend_url: Backend = None,
    suppress_validators: Suppress = None,
    failure_level: FailureLevel = "ERROR",
) -> None:
    """Create the cluster, or update it if it exists.

    Changes that would replace the cluster (or a file system) or need login nodes stopped are
    refused unless --force; changes that need the compute fleet stopped are refused unless the
    fleet is already STOPPED, --stop-fleet (stop, apply, start) or --force.
    Then waits (unless --no-wait) until the head node reports that it applied the new runtime
    configuration live (Slurm files, QueueUpdateStrategy, storage, OnNodeUpdated) or why not.
    Exit status: 0 deployed, 1 refused or failed (or the head node could not apply it), 2 usage error.
    """
    checked = _checked(file, name, suppress_validators, failure_level)
    # start-up: loaded when the command runs, so `--help` and usage errors stay fast.
    from pcluster_pulumi.cli.session import Session
    from pcluster_pulumi.cli.update_gate import gate, stopped_fleet
    from pcluster_pulumi.engines.automation.progress import expected_steps

    session = Session(name, backend_url)
    if as_json:  # human text and progress to stderr: stdout carries only the JSON
        session.out = session.err
    options = (suppress_validators, failure_level)
    region, stack, deployed, plan = _prepare(session, checked, show=True, options=options)
    with session.errors():
        must_stop = gate(session, plan, region, force=force, stop_fleet=stop_fleet)
        expected = None
        if not skip_preview:
            previewed, _ = session.run("preview", stack.preview)
            expected = expected_steps(dict(previewed.change_summary))
            if not expected and deployed == stack.spec_text:
                session.out.print(f"Cluster {name} is up to date.")
                if as_json:
                    typer.echo(json.dumps({"cluster": name, "region": region, "changed": False}, indent=2))
                return
        session.confirm(f"{'Update' if deployed else 'Create'} cluster {name}?", yes)
        with stopped_fleet(session, region, active=must_stop, timeout=fleet_timeout):
            applied, _ = session.run("update", stack.up, expected=expected)
    _print_outputs(session, applied.outputs, as_json=False)
    if not no_wait:
        report_head_node(session, stack, applied.outputs, timeout=update_timeout)
    session.out.print(f"Log in with: pcluster-pulumi ssh -n {name}")
    if as_json:
        _print_up_json(name, region, deployed is not None, applied)


def _print_up_json(name: str, region: str, updated: bool, applied: Any) -> None:
    # start-up: loaded when the command runs, so `--help` and usage errors stay fast.
    from pcluster_pulumi.cli.reports import outputs_json

    payload = {
        "cluster": name,
        "region": region,
        "changed": True,
        "operation": "update" if updated else "create",
        "changeSummary": _change_summary(applied),
        "outputs": outputs_json(applied.outputs),
    }
    typer.echo(json.dumps(payload, indent=2, default=str))


def report_head_node(session: Session, stack: ClusterStack, outputs: Any, *, timeout: float) -> None:
    """Wait for the head node's update report and print it; exit 1 when it could not apply it."""
    # start-up: loaded when the command runs, so `--help` and usage errors stay fast.
    from botocore.exceptions import BotoCoreError, ClientError

    from pcluster_pulumi.contract.update_report import FAILED, UpdateReport, UpdateWaitTimeout

    def progress(report: UpdateReport | None) -> None:
        session.note(
            report.line() if report else "waiting for the head node to pick up the new configuration"
        )

    if "statusTable" not in outputs:  # AWS Batch clusters have no keeper to report
        return
    with session.errors():
        try:
            report = stack.head_node_update(outputs, timeout=timeout, on_report=progress)
        except UpdateWaitTimeout as error:
            session.note(f"WARNING: {error}")
            return
        except (BotoCoreError, ClientError) as error:
            session.note(f"WARNING: cannot read the head node's update report: {error}")
            return
    if report is None:
        return
    session.out.print(report.line())
    if report.status == FAILED:
        raise typer.Exit(1)


def destroy(
    name: Name,
    yes: Yes = False,
    fleet_timeout: FleetTimeout = 600,
    region: Region = None,
    as_json: AsJson = False,
    backend_url: Backend = None,
) -> None:
    """Delete the cluster: its compute nodes first, then every resource of its stack.

    Lists each data resource (volumes, file systems, database, logs) and whether its
    DeletionPolicy deletes or keeps it, and asks before deleting.
    Exit status: 0 destroyed, 1 failed or no such cluster, 2 usage error.
    """
    # start-up: loaded when the command runs, so `--help` and usage errors stay fast.
    from pcluster_pulumi.cli.reports import destroy_table
    from pcluster_pulumi.cli.session import Session
    from pcluster_pulumi.cli.update_gate import terminate_nodes
    from pcluster_pulumi.derive.deletion import plan_destroy
    from pcluster_pulumi.engines.automation.stack import SPEC_OUTPUT

    session = Session(name, backend_url)
    if as_json:  # human text and progress to stderr: stdout carries only the JSON
        session.out = session.err
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
        terminate_nodes(session, region or (spec.region if spec else None), fleet_timeout)
        session.run("destroy", stack.destroy)
    kept = [r for r in resources if not r.deleted]
    for resource in kept:
        session.out.print(f"kept: {resource.description} ({resource.owner})")
    if as_json:
        fates = [{"resource": r.description, "owner": r.owner, "deleted": r.deleted} for r in resources]
        typer.echo(json.dumps({"cluster": name, "destroyed": True, "dataResources": fates}, indent=2))


def _stored_spec(text: str) -> Any:
    """The deployed config as a spec, even if today's validators would refuse it."""
    # start-up: loaded when the command runs, so `--help` and usage errors stay fast.
    from pcluster_pulumi.derive.updates import config_data
    from pcluster_pulumi.spec.model import ClusterSpec

    return ClusterSpec.from_dict(config_data(text))


def refresh(name: Name, as_json: AsJson = False, backend_url: Backend = None) -> None:
    """Read every resource of the cluster back from AWS and record drift in the state."""
    # start-up: loaded when the command runs, so `--help` and usage errors stay fast.
    from pcluster_pulumi.cli.session import Session

    session = Session(name, backend_url, quiet=as_json)
    session.require_pulumi()
    with session.errors():
        stack = session.stack()
        result, _ = session.run("refresh", stack.refresh)
    if as_json:
        typer.echo(json.dumps({"cluster": name, "changeSummary": _change_summary(result)}, indent=2))


def _change_summary(result: Any) -> dict[str, int]:
    """An Automation API result's resource counts by operation (``{"same": 12, "update": 1}``)."""
    summary = getattr(getattr(result, "summary", None), "resource_changes", None)
    if summary is None:
        summary = getattr(result, "change_summary", None) or {}
    return {str(getattr(op, "value", op)): int(n) for op, n in dict(summary).items()}


def outputs(
    name: Name,
    key: Annotated[
        str | None,
        typer.Argument(help="Print only this output's value (e.g. headNodePublicIp).", metavar="KEY"),
    ] = None,
    as_json: AsJson = False,
    backend_url: Backend = None,
) -> None:
    """Print the cluster's stack outputs (head node address, bucket, tables, ...), or one of them.

    The table is followed by the runtime configuration the head node runs on (its ETag) and
    how its last update went.
    """
    # start-up: loaded when the command runs, so `--help` and usage errors stay fast.
    from pcluster_pulumi.cli.session import Session

    session = Session(name, backend_url, quiet=as_json)
    session.require_pulumi()
    with session.errors():
        stack = session.stack()
        values = stack.outputs()
    if key is not None:
        _print_output(session, values, key, as_json=as_json)
        return
    _print_outputs(session, values, as_json=as_json)
    if not as_json and "statusTable" in values:
        _print_applied(session, stack, values)


def _print_applied(session: Session, stack: ClusterStack, values: Any) -> None:
    """The runtime configuration the head node runs on, from its update report (AWS credentials needed)."""
    # start-up: loaded when the command runs, so `--help` and usage errors stay fast.
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        report = stack.head_node_report(values)
    except (BotoCoreError, ClientError) as error:
        session.note(f"head node configuration: unknown ({error})")
        return
    if report is None:
        session.out.print("head node configuration: no report yet (the head node has not finished booting)")
        return
    applied = report.applied_etag or "none"
    last = f"last update {report.status} at {report.time}" + (f": {report.reason}" if report.reason else "")
    session.out.print(f"head node configuration: {applied} ({last})")


def _print_output(session: Session, values: Any, key: str, *, as_json: bool) -> None:
    """One output's value: JSON with --json, else text (strings unquoted), as `pulumi stack output`."""
    # start-up: loaded when the command runs, so `--help` and usage errors stay fast.
    from pcluster_pulumi.cli.reports import outputs_json

    shown = outputs_json(values)
    if key not in shown:
        known = ", ".join(sorted(shown)) or "none"
        session.fail(f"cluster {session.name} has no output {key!r} (outputs: {known})")
    value = shown[key]
    if as_json:
        typer.echo(json.dumps(value, indent=2, default=str))
    else:
        typer.echo(value if isinstance(value, str) else json.dumps(value, default=str))


def _print_outputs(session: Session, values: Any, *, as_json: bool) -> None:
    # start-up: loaded when the command runs, so `--help` and usage errors stay fast.
    from pcluster_pulumi.cli.reports import outputs_json, outputs_table

    if as_json:
        typer.echo(json.dumps(outputs_json(values), indent=2, default=str))
    else:
        session.out.print(outputs_table(values))


def list_(as_json: AsJson = False, backend_url: Backend = None) -> None:
    """List the clusters deployed in the backend."""
    # start-up: loaded when the command runs, so `--help` and usage errors stay fast.
    from pcluster_pulumi.cli.reports import clusters_table
    from pcluster_pulumi.cli.session import Session
    from pcluster_pulumi.engines.automation.stack import list_clusters

    session = Session("", backend_url, quiet=as_json)
    session.require_pulumi()
    with session.errors():
        stacks = list_clusters(backend_url)
    if as_json:
        rows = [{"name": s.name, "lastUpdate": s.last_update, "resources": s.resource_count} for s in stacks]
        typer.echo(json.dumps(rows, indent=2, default=str))
    else:
        session.out.print(clusters_table(stacks))


def register(app: typer.Typer) -> None:
    """Add the deployment commands to the main app."""
    # Short help: the command list shows one line each, and click cuts longer ones mid-phrase.
    app.command("preview", short_help="What `up` would change, and what it costs.")(preview)
    app.command("up", short_help="Create the cluster, or update it.")(up)
    app.command("destroy", short_help="Delete the cluster (asks; lists data kept).")(destroy)
    app.command("refresh", short_help="Read the resources back from AWS (drift).")(refresh)
    app.command("outputs", short_help="The stack outputs, or one of them.")(outputs)
    app.command("list", short_help="Clusters deployed in the backend.")(list_)
