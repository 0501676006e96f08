"""What every command shares: reading the config argument, option texts, printing problems.

It sits below the command modules (none of them imports the app), so ``main`` and the
deployment commands use the same reading and printing without importing each other.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pcluster_pulumi.contract.names import (
    CLUSTER_NAME_MAX,
    cluster_name_rule,
    default_user,
    is_valid_cluster_name,
)
from pcluster_pulumi.spec.problems import Level, Problem, SpecError

if TYPE_CHECKING:
    from pcluster_pulumi.spec.loader import ExtraChecks, Validation
    from pcluster_pulumi.spec.validators.base import ConfigView, Finding

__all__ = [
    "AWS_HELP",
    "FILE_HELP",
    "LEVEL_HELP",
    "REGION_HELP",
    "SUPPRESS_HELP",
    "AwsPreflight",
    "FailureLevel",
    "Suppress",
    "check_cluster_name",
    "login_user",
    "parse_level",
    "print_problems",
    "read_input",
    "summary",
    "validated",
    "validation_options",
]

FILE_HELP = "Cluster config in ParallelCluster v3 YAML ('-' reads standard input)."
SUPPRESS_HELP = (
    "Skip a validator by name (as ParallelCluster's `type:NAME` also works), or ALL. "
    "Repeat or comma-separate. `pcluster-pulumi validators` lists the names."
)
LEVEL_HELP = "Fail when a problem is at or above this level: INFO, WARNING or ERROR (default)."


def read_input(file: str, as_json: bool = False) -> tuple[str, str]:
    """(text, name for messages); a missing file is a usage error (exit 2), as for any CLI.
    A file past the input limits or not UTF-8 (spec/source.py) is invalid input: one
    ``FILE: message`` line (or JSON), exit 1."""
    if file != "-" and not Path(file).exists():
        raise typer.BadParameter(f"no such file: {file}", param_hint="FILE")
    # start-up: spec.source loads the spec model; a missing file must not wait for it.
    from pcluster_pulumi.spec.source import read_config_file, read_config_stream

    try:
        read = read_config_stream(sys.stdin.buffer) if file == "-" else read_config_file(file)
    except SpecError as exc:
        if as_json:
            typer.echo(
                json.dumps({"valid": False, "problems": [p.as_dict() for p in exc.problems]}, indent=2)
            )
        else:
            print_problems(exc.problems, exc.source)
        raise typer.Exit(1) from None
    return read.text, read.name


AWS_HELP = (
    "Also check against the AWS account (key pair, instance types, AMIs, subnets, security groups, "
    "IAM, scripts, secrets, existing storage). Needs credentials; honours AWS_ENDPOINT_URL."
)
REGION_HELP = "Region of the AWS checks when the config has no Region (default: AWS_REGION)."


class AwsPreflight:
    """The AWS-backed validators (``validate --aws`` and the pre-flight of ``preview``/``up``) as
    ``validate_text(extra=...)``; when AWS cannot be asked at all (no region, no credentials,
    no answer) they print one line and exit 1."""

    def __init__(self, region: str | None, suppressed: Collection[str]) -> None:
        # start-up: boto3 loads only when AWS is asked.
        from pcluster_pulumi.spec.aws_checks import AwsChecks

        self.checks = AwsChecks(region, suppressed)

    @property
    def total_calls(self) -> int:
        """AWS API calls the checks made."""
        return self.checks.total_calls

    def __call__(self, view: ConfigView) -> list[tuple[str, Finding]]:
        from pcluster_pulumi.spec.aws_checks import AwsUnavailable

        try:
            return self.checks(view)
        except AwsUnavailable as exc:
            typer.echo(f"pcluster-pulumi: {exc}", err=True)
            raise typer.Exit(1) from None


def validated(
    text: str,
    source: str,
    cluster_name: str | None,
    *,
    suppress: Collection[str] = (),
    failure_level: Level = Level.ERROR,
    extra: ExtraChecks | None = None,
) -> Validation:
    """Validate a config: located problems on stdout and exit 1 when it is refused, warnings on
    stderr otherwise. Needs no Pulumi, so a bad config is answered before anything loads it.
    ``extra`` adds checks (the AWS pre-flight of ``preview``/``up``)."""
    # start-up: the validator machinery loads only for commands that read a config.
    from pcluster_pulumi.spec.loader import validate_text

    result = validate_text(text, source, cluster_name=cluster_name, suppress=suppress, extra=extra)
    if result.failed(failure_level) or result.spec is None:
        print_problems(result.problems, source)
        typer.echo(summary(result.problems, source, True), err=True)
        raise typer.Exit(1)
    for problem in result.problems:
        if problem.level >= Level.WARNING:
            typer.echo(problem.located(source), err=True)
    return result


Suppress = Annotated[
    list[str] | None, typer.Option("--suppress-validators", help=SUPPRESS_HELP, metavar="NAME|ALL")
]
FailureLevel = Annotated[str, typer.Option("--failure-level", help=LEVEL_HELP, metavar="LEVEL")]


def validation_options(suppress_validators: list[str] | None, failure_level: str) -> tuple[set[str], Level]:
    """``--suppress-validators`` and ``--failure-level`` checked (a bad one is a usage error)."""
    # start-up: the validator registry loads only for commands that read a config.
    from pcluster_pulumi.spec.loader import parse_suppressed

    level = parse_level(failure_level)
    try:
        return parse_suppressed(suppress_validators or []), level
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--suppress-validators") from None


def parse_level(text: str) -> Level:
    """``--failure-level`` as a Level; a bad value is a usage error naming the option."""
    try:
        return Level.parse(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--failure-level") from None


def check_cluster_name(value: str) -> str:
    """Typer callback for ``--name``: the cluster-name rule of ``contract/names``."""
    if not is_valid_cluster_name(value, CLUSTER_NAME_MAX):
        raise typer.BadParameter(cluster_name_rule())
    return value


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


def login_user(config: str | None) -> str:
    """Who ``ssh`` and ``dcv-connect`` log in as: the default user of the stored config's OS."""
    # start-up: the config reader (YAML, schema) loads only when a command needs the user.
    from pcluster_pulumi.derive.updates import config_data

    os_name = (config_data(config).get("Image") or {}).get("Os") if config else None
    return default_user(str(os_name) if os_name else None)
