"""The ``pcluster-pulumi`` command line: validate a cluster config, plan it offline, deploy it.

Exit codes are the same for every command: 0 success, 1 the config or the operation failed,
2 the command line itself was wrong. Bad input never produces a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from pcluster_pulumi.cli import help_style
from pcluster_pulumi.cli.io import (
    AWS_HELP,
    FILE_HELP,
    LEVEL_HELP,
    REGION_HELP,
    SUPPRESS_HELP,
    AwsPreflight,
    FailureLevel,
    Suppress,
    check_cluster_name,
    parse_level,
    print_problems,
    read_input,
    summary,
    validation_options,
)
from pcluster_pulumi.spec.problems import Level

help_style.apply()

app = typer.Typer(
    name="pcluster-pulumi",
    context_settings={"help_option_names": ["-h", "--help"]},
    # start-up: rich-rendered help and usage errors cost ~0.3 s of imports (rich.markdown,
    # typer.rich_utils); click's plain rendering answers in a fraction (benchmarks/cli_startup.py).
    rich_markup_mode=None,
    help=(
        "AWS ParallelCluster clusters as Pulumi components.\n\n"
        "Give it the YAML you would give `pcluster create-cluster`:\n\n"
        "\b\n"
        "  pcluster-pulumi validate cluster.yaml      # every problem, located, at once\n"
        "  pcluster-pulumi plan cluster.yaml          # every resource, offline (no AWS, no Pulumi CLI)\n"
        "  pcluster-pulumi up cluster.yaml -n demo    # deploy (needs the Pulumi CLI and AWS credentials)\n"
        "  pcluster-pulumi describe-cluster -n demo   # a running cluster, read from AWS alone\n"
        "  pcluster-pulumi schema > cluster.schema.json   # JSON Schema for your editor"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.command(short_help="Check a config: every problem, located, at once.")
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
            "--name",
            "-n",
            "--cluster-name",
            "-c",
            help="Cluster name, to check its rules too (60 chars, 40 with accounting).",
        ),
    ] = None,
    aws: Annotated[bool, typer.Option("--aws", help=AWS_HELP)] = False,
    region: Annotated[str | None, typer.Option("--region", "-r", help=REGION_HELP, metavar="REGION")] = None,
) -> None:
    """Check a cluster config against the schema and every static validator; print all problems.

    Offline by default; --aws adds ParallelCluster's checks against the AWS account.
    Exit status: 0 valid, 1 invalid (or AWS could not be asked), 2 usage error.
    """
    level = parse_level(failure_level)
    text, source = read_input(file, as_json)  # first: a missing file must not wait for the validators
    # start-up: loaded when the command runs, so `--help` and usage errors stay fast.
    from pcluster_pulumi.spec.loader import parse_suppressed, validate_text

    try:
        suppressed = parse_suppressed(suppress_validators or [])
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--suppress-validators") from None
    checks = AwsPreflight(region, suppressed) if aws else None
    result = validate_text(text, source, cluster_name=name, suppress=suppressed, extra=checks)
    failed = result.failed(level)
    if as_json:
        payload = {"valid": not failed, "problems": [p.as_dict() for p in result.problems]}
        typer.echo(json.dumps(payload, indent=2))
    else:
        print_problems(result.problems, source)
        calls = f" ({checks.total_calls} AWS API calls)" if checks else ""
        typer.echo(summary(result.problems, source, failed) + calls, err=True)
    raise typer.Exit(1 if failed else 0)


@app.command(short_help="Print the config's JSON Schema (for editors).")
def schema() -> None:
    """Print the cluster config JSON Schema (2020-12), e.g. for an editor's YAML language server."""
    # start-up: loaded when the command runs, so `--help` and usage errors stay fast.
    from pcluster_pulumi.spec.schema import load_schema

    typer.echo(json.dumps(load_schema(), indent=2))


@app.command(short_help="The validators, their levels and rules.")
def validators(
    as_json: Annotated[
        bool, typer.Option("--json", help='Print [{"name", "levels", "rule"}] as JSON.')
    ] = False,
) -> None:
    """List the static validators: name, the levels it reports, and the whole rule it checks.

    Any of them can be skipped with `validate --suppress-validators NAME`.
    """
    # start-up: loaded when the command runs, so `--help` and usage errors stay fast.
    import shutil
    import textwrap

    from pcluster_pulumi.cli.validator_docs import levels, rule_text
    from pcluster_pulumi.spec.validators import REGISTRY

    rows = [(name, levels(REGISTRY[name].check), rule_text(REGISTRY[name].doc)) for name in sorted(REGISTRY)]
    if as_json:
        payload = [{"name": name, "levels": found, "rule": rule} for name, found, rule in rows]
        typer.echo(json.dumps(payload, indent=2))
        return
    width = max(60, shutil.get_terminal_size((100, 24)).columns)
    for name, found, rule in rows:
        typer.echo(f"{name}  [{', '.join(found)}]")
        typer.echo(textwrap.fill(rule, width, initial_indent="    ", subsequent_indent="    "))


@app.command(short_help="Every resource `up` would create, offline.")
def plan(
    file: Annotated[str, typer.Argument(help=FILE_HELP, show_default=False, metavar="FILE")],
    name: Annotated[
        str | None,
        typer.Option(
            "--name", "-n", "--cluster-name", "-c", help="Cluster name (default: derived from the file name)."
        ),
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
    suppress_validators: Suppress = None,
    failure_level: FailureLevel = "ERROR",
) -> None:
    """Show every resource `pulumi up` would create, offline: no AWS account, no Pulumi CLI.

    The Pulumi program runs under mocks; AWS lookups (subnet AZs, AMIs, instance types) get
    plausible answers that --facts can override. Default output: the component tree, counts by
    type and the stack outputs. Exit status: 0 planned, 1 invalid or unsupported config, 2 usage error.
    """
    if name is not None:
        try:
            check_cluster_name(name)
        except typer.BadParameter as exc:
            exc.param_hint = "--name"
            raise
    text, source = read_input(file)  # a missing file is answered before Pulumi (or validators) load
    options = validation_options(suppress_validators, failure_level)
    # start-up: loaded when the command runs, so `--help` and usage errors stay fast.
    from pcluster_pulumi.engines.offline.facts import FactsFileError, load_facts_file
    from pcluster_pulumi.engines.offline.plan import default_cluster_name

    try:
        offline_facts = load_facts_file(facts) if facts is not None else None
    except FactsFileError as exc:
        raise typer.BadParameter(str(exc), param_hint="--facts") from None
    cluster_name = name or (default_cluster_name(file) if file != "-" else "cluster")
    _plan_and_print(text, source, cluster_name, offline_facts, as_json, options)


def _plan_and_print(
    text: str, source: str, name: str, facts: object, as_json: bool, options: tuple[set[str], Level]
) -> None:
    """Validate, plan and print; every failure is one line (or one line per located problem)."""
    # start-up: loaded when the command runs, so `--help` and usage errors stay fast.
    from rich.console import Console

    from pcluster_pulumi.spec.loader import validate_text

    suppressed, level = options
    result = validate_text(text, source, cluster_name=name, suppress=suppressed)
    if result.failed(level) or result.spec is None:
        print_problems(result.problems, source)
        typer.echo(summary(result.problems, source, True), err=True)
        raise typer.Exit(1)
    for problem in result.problems:
        typer.echo(problem.located(source), err=True)
    # start-up: the components (and Pulumi) load only for a config that passed validation.
    from pcluster_pulumi.cluster.cluster import UnsupportedSpecError

    err = Console(stderr=True)
    with err.status(f"planning {name} offline…"):
        # start-up: loaded when the command runs, so `--help` and usage errors stay fast.
        from pcluster_pulumi.engines.offline.plan import PlanError, plan, render_plan

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


@app.command()
def version(
    as_json: Annotated[
        bool, typer.Option("--json", help='Print {"version": "X.Y.Z"} (as `pcluster version`).')
    ] = False,
) -> None:
    """Print the version of pcluster-pulumi."""
    # start-up: loaded when the command runs, so `--help` and usage errors stay fast.
    from pcluster_pulumi import __version__

    typer.echo(json.dumps({"version": __version__}) if as_json else f"pcluster-pulumi {__version__}")


def _version(value: bool) -> None:
    if value:
        # start-up: loaded when the command runs, so `--help` and usage errors stay fast.
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
    # start-up: loaded when the command runs, so `--help` and usage errors stay fast.
    from pcluster_pulumi.cli import day2, dcv, nodes, stack

    stack.register(app)
    nodes.register(app)
    day2.register(app)
    dcv.register(app)


_register_deployment_commands()


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
