"""What the commands that read AWS directly share: their options, one-line failures, output.

``day2`` (describe) and ``logs`` read the cluster from AWS alone through ``fleet/``; boto3 loads
only when a command runs, so ``--help`` and usage errors never pay for it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pcluster_pulumi.cli.io import check_cluster_name

if TYPE_CHECKING:
    from pcluster_pulumi.fleet.aws import AwsClients

__all__ = ["PANEL", "PREFIX", "AsJson", "ClusterName", "Region", "aws_session", "fail", "print_json", "table"]

PREFIX = "pcluster-pulumi"
PANEL = "Day-2: a running cluster, from AWS alone"

ClusterName = Annotated[
    str,
    typer.Option(
        "--cluster-name",
        "-n",
        "-c",
        "--name",
        help="Cluster name.",
        callback=check_cluster_name,
        show_default=False,
        metavar="NAME",
    ),
]
Region = Annotated[
    str | None,
    typer.Option(
        "--region",
        "-r",
        help="AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's).",
        metavar="REGION",
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON on stdout (stable keys).")]


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"{PREFIX}: {message}", err=True)
    return typer.Exit(code)


@contextmanager
def aws_session(region: str | None) -> Iterator[AwsClients]:
    """AWS clients for the region; every AWS failure is one line on stderr and exit 1."""
    # start-up: boto3 and the fleet modules load only when a command runs.
    from pcluster_pulumi.fleet.aws import AwsClients, Day2Error, aws_errors, resolve_region

    try:
        where = resolve_region(region)
        with aws_errors(where):
            yield AwsClients(where)
    except Day2Error as error:
        raise fail(str(error)) from None
    except KeyboardInterrupt:
        raise fail("interrupted", code=130) from None


def print_json(payload: Any) -> None:
    typer.echo(json.dumps(payload, indent=2, default=str))


def table(columns: list[str], rows: list[list[Any]]) -> None:
    # start-up: rich's tables load only when a command prints one.
    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, pad_edge=False, highlight=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*("-" if value in (None, "") else str(value) for value in row))
    Console(highlight=False, markup=False).print(table)
