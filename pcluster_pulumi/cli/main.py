"""The ``pcluster-pulumi`` command line: validate a cluster config, plan it offline, deploy it.

Exit codes are the same for every command: 0 success, 1 the config or the operation failed,
2 the command line itself was wrong. Bad input never produces a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from pcluster_pulumi.spec.problems import Level, Problem

app = typer.Typer(
    name="pcluster-pulumi",
    help=(
        "AWS ParallelCluster clusters as Pulumi components.\n\n"
        "Give it the YAML you would give `pcluster create-cluster`:\n\n"
        "  pcluster-pulumi validate cluster.yaml      # every problem, located, at once\n\n"
        "  pcluster-pulumi plan cluster.yaml          # every resource, offline (no AWS, no Pulumi CLI)\n\n"
        "  pcluster-pulumi up cluster.yaml -n demo    # deploy (needs the Pulumi CLI and AWS credentials)\n\n"
        "  pcluster-pulumi schema > cluster.schema.json   # JSON Schema for your editor"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

FILE_HELP = "Cluster config in ParallelCluster v3 YAML ('-' reads standard input)."
SUPPRESS_HELP = (
    "Skip a validator by name (as ParallelCluster's `type:NAME` also works), or ALL. "
    "Repeat or comma-separate. `pcluster-pulumi validators` lists the names."
)
LEVEL_HELP = "Fail when a problem is at or above this level: INFO, WARNING or ERROR (default)."


def _read_input(file: str) -> tuple[str, str]:
    """(text, name for messages); a missing file is a usage error (exit 2), as for any CLI."""
    if file == "-":
        return sys.stdin.read(), "<stdin>"
    path = Path(file)
    if not path.exists() or path.is_dir():
        raise typer.BadParameter(f"no such file: {file}", param_hint="FILE")
    try:
        return path.read_text(encoding="utf-8"), file
    except (OSError, UnicodeDecodeError) as exc:
        raise typer.BadParameter(f"cannot read {file}: {exc}", param_hint="FILE") from None


def _parse_level(text: str) -> Level:
    try:
        return Level.parse(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--failure-level") from None


def print_problems(problems: list[Problem], source: str) -> None:
    """One ``FILE:LINE:COL: PATH: message`` line per problem on stdout."""
    for problem in problems:
        suffix = f" [{problem.validator}]" if problem.validator else ""
        typer.echo(problem.located(source) + suffix)


def summary(problems: list[Problem], source: str, failed: bool) -> str:
    """A closing line such as ``cluster.yaml: invalid (2 errors, 1 warning)``."""
    counts = []
    for level in (Level.ERROR, Level.WARNING, Level.INFO):
        n = sum(1 for p in problems if p.level is level)
        if n:
            counts.append(f"{n} {level.name.lower()}{'s' * (n != 1)}")
    detail = f" ({', '.join(counts)})" if counts else ""
    return f"{source}: {'invalid' if failed else 'valid'}{detail}"


@app.command()
def validate(
    file: Annotated[str, typer.Argument(help=FILE_HELP, show_default=False, metavar="FILE")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    suppress_validators: Annotated[
        list[str] | None, typer.Option("--suppress-validators", help=SUPPRESS_HELP, metavar="NAME|ALL")
    ] = None,
    failure_level: Annotated[
        str, typer.Option("--failure-level", help=LEVEL_HELP, metavar="LEVEL")
    ] = "ERROR",
    name: Annotated[
        str | None,
        typer.Option(
            "--name", "-n", help="Cluster name, to check its rules too (60 chars, 40 with accounting)."
        ),
    ] = None,
) -> None:
    """Check a cluster config against the schema and every static validator; print all problems.

    Exit status: 0 valid, 1 invalid, 2 usage error.
    """
    from pcluster_pulumi.spec.loader import parse_suppressed, validate_text

    level = _parse_level(failure_level)
    try:
        suppressed = parse_suppressed(suppress_validators or [])
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--suppress-validators") from None
    text, source = _read_input(file)
    result = validate_text(text, source, cluster_name=name, suppress=suppressed)
    failed = result.failed(level)
    if as_json:
        payload = {"valid": not failed, "problems": [p.as_dict() for p in result.problems]}
        typer.echo(json.dumps(payload, indent=2))
    else:
        print_problems(result.problems, source)
        typer.echo(summary(result.problems, source, failed), err=True)
    raise typer.Exit(1 if failed else 0)


@app.command()
def schema() -> None:
    """Print the cluster config JSON Schema (2020-12), e.g. for an editor's YAML language server."""
    from pcluster_pulumi.spec.schema import load_schema

    typer.echo(json.dumps(load_schema(), indent=2))


@app.command()
def validators() -> None:
    """List the static validators by name, with the rule each one checks."""
    from pcluster_pulumi.spec.validators import REGISTRY

    for name in sorted(REGISTRY):
        doc = REGISTRY[name].doc.splitlines()[0] if REGISTRY[name].doc else ""
        typer.echo(f"{name:45} {doc}")


@app.command()
def plan(
    file: Annotated[str, typer.Argument(help=FILE_HELP, show_default=False, metavar="FILE")],
    name: Annotated[
        str | None,
        typer.Option("--name", "-n", help="Cluster name (default: derived from the file name)."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help='Print {"cluster", "resources", "outputs"} as JSON, not a tree.')
    ] = False,
    facts: Annotated[
        Path | None,
        typer.Option(
            "--facts",
            help="YAML overriding the mocked AWS facts (region, subnets, instance_types, amis, ...).",
            metavar="FACTS.yaml",
        ),
    ] = None,
) -> None:
    """Show every resource `pulumi up` would create, offline: no AWS account, no Pulumi CLI.

    The Pulumi program runs under mocks; AWS lookups (subnet AZs, AMIs, instance types) get
    plausible answers that --facts can override. Default output: the component tree, counts by
    type and the stack outputs. Exit status: 0 planned, 1 invalid or unsupported config, 2 usage error.
    """
    import re

    from pcluster_pulumi.cluster.facts_offline import FactsFileError, load_facts_file
    from pcluster_pulumi.offline import default_cluster_name

    if name is not None and not re.fullmatch(r"[A-Za-z][A-Za-z0-9-]{0,59}", name):
        raise typer.BadParameter(
            "a cluster name starts with a letter and has at most 60 letters, digits and hyphens",
            param_hint="--name",
        )
    try:
        offline_facts = load_facts_file(facts) if facts is not None else None
    except FactsFileError as exc:
        raise typer.BadParameter(str(exc), param_hint="--facts") from None
    text, source = _read_input(file)
    cluster_name = name or (default_cluster_name(file) if file != "-" else "cluster")
    _plan_and_print(text, source, cluster_name, offline_facts, as_json)


def _plan_and_print(text: str, source: str, name: str, facts: object, as_json: bool) -> None:
    """Validate, plan and print; every failure is one line (or one line per located problem)."""
    from rich.console import Console

    from pcluster_pulumi.cluster.cluster import UnsupportedSpecError
    from pcluster_pulumi.spec.loader import validate_text

    result = validate_text(text, source, cluster_name=name)
    if result.failed() or result.spec is None:
        print_problems(result.problems, source)
        typer.echo(summary(result.problems, source, True), err=True)
        raise typer.Exit(1)
    for problem in result.problems:
        typer.echo(problem.located(source), err=True)
    err = Console(stderr=True)
    with err.status(f"planning {name} offline…"):
        from pcluster_pulumi.offline import PlanError, plan, render_plan

        try:
            planned = plan(result.spec, name, facts)  # type: ignore[arg-type]
        except (UnsupportedSpecError, PlanError) as exc:
            typer.echo(f"{source}: {exc}", err=True)
            raise typer.Exit(1) from None
        except Exception as exc:  # a bug in a component: still one line, never a traceback
            typer.echo(f"{source}: plan failed ({type(exc).__name__}): {exc}", err=True)
            raise typer.Exit(1) from None
    if as_json:
        typer.echo(planned.to_json(), nl=False)
    else:
        render_plan(planned, Console())
    for message in planned.warnings:
        typer.echo(f"{source}: warning: {message}", err=True)


def _version(value: bool) -> None:
    if value:
        from pcluster_pulumi import __version__

        typer.echo(f"pcluster-pulumi {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """AWS ParallelCluster clusters as Pulumi components."""


def _register_deployment_commands() -> None:
    from pcluster_pulumi import cli_stack

    cli_stack.register(app)


_register_deployment_commands()


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
