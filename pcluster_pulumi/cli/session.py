"""What every deployment command shares: output, failure, the stack, prompts and progress.

The commands in ``cli_stack.py`` stay short by leaning on one ``Session``: it prints one
``pcluster-pulumi: …`` line per failure (exit 1; exit 2 for usage), refuses to prompt when
stdin is not a terminal, asks for the stack passphrase only when it is needed and can be
typed, and runs an operation under the progress view that fits the terminal.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NoReturn, TypeVar

import typer
from pulumi import automation as auto
from rich.console import Console

from pcluster_pulumi.cli.io import validated
from pcluster_pulumi.engines.automation.progress import Progress, make_view
from pcluster_pulumi.engines.automation.stack import (
    ClusterStack,
    DeployError,
    EventHandler,
    PassphraseMissing,
    find_pulumi,
    resolve_backend,
)
from pcluster_pulumi.fleet.control import FleetError
from pcluster_pulumi.spec.loader import Validation

__all__ = ["Session", "interactive"]

T = TypeVar("T")
PREFIX = "pcluster-pulumi"
PASS_ENV = ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE")


def interactive() -> bool:
    """True when a human can answer a prompt."""
    return sys.stdin.isatty()


class Session:
    """One deployment command's context: cluster name, backend, consoles."""

    def __init__(self, name: str, backend_url: str | None = None, *, quiet: bool = False) -> None:
        self.name = name
        self.backend_url = backend_url
        self.quiet = quiet
        # No markup: config values, outputs and AWS messages contain brackets of their own.
        self.out = Console(highlight=False, markup=False)
        self.err = Console(stderr=True, highlight=False, markup=False)
        self._passphrase: str | None = None

    def fail(self, message: str, code: int = 1) -> NoReturn:
        """One line (or paragraph) on stderr, then exit; never a traceback."""
        typer.echo(f"{PREFIX}: {message}", err=True)
        raise typer.Exit(code)

    def note(self, message: str) -> None:
        """A progress remark on stderr (kept off stdout so ``--json`` output stays clean)."""
        self.err.print(message)

    def require_pulumi(self) -> None:
        """Exit 1 with how to install the CLI when the Automation API has nothing to drive."""
        if find_pulumi() is None:
            self.fail(
                "the Pulumi CLI is not installed (no `pulumi` on PATH); install it with "
                "`curl -fsSL https://get.pulumi.com | sh` or see https://www.pulumi.com/docs/iac/download-install/"
                f" (`{PREFIX} plan` works without it)"
            )

    def load(self, text: str, source: str) -> Validation:
        """Validate a config for this cluster; located problems and exit 1 when it is refused."""
        result = validated(text, source, self.name)
        self.check_supported(result, source)
        return result

    def check_supported(self, result: Validation, source: str) -> None:
        """Exit 1 with one line when a valid config asks for something not deployable yet."""
        # start-up: loaded when the command runs, so `--help` and usage errors stay fast.
        from pcluster_pulumi.cluster.cluster import UnsupportedSpecError, check_supported

        if result.spec is None:  # refused configs never get here (``validated`` exits)
            return
        try:
            check_supported(result.spec, self.name)
        except UnsupportedSpecError as error:
            self.fail(f"{source}: {error}")

    def passphrase(self) -> str | None:
        """The stack passphrase: from the environment, else typed (only where it is needed)."""
        if self._passphrase is not None or any(key in os.environ for key in PASS_ENV):
            return self._passphrase
        if not resolve_backend(self.backend_url).uses_passphrase:
            return None
        if not interactive():
            self.fail("set PULUMI_CONFIG_PASSPHRASE: the stack's secrets are encrypted with a passphrase")
        self._passphrase = typer.prompt("Passphrase for the cluster's stack secrets", hide_input=True)
        return self._passphrase

    def stack(self, config: str | None = None, region: str | None = None) -> ClusterStack:
        """The cluster's stack in the chosen backend (no CLI call yet)."""
        try:
            return ClusterStack(
                self.name, config, region=region, backend_url=self.backend_url, passphrase=self.passphrase()
            )
        except (PassphraseMissing, DeployError) as error:
            self.fail(str(error))

    def confirm(self, question: str, yes: bool) -> None:
        """Go on only with --yes or a typed yes; without a terminal that is a usage error (exit 2)."""
        if yes:
            return
        if not interactive():
            self.fail(f"{question.rstrip('?')}: refusing to go on without confirmation; pass --yes", code=2)
        if not typer.confirm(question, default=False):
            self.fail("cancelled, nothing was changed")

    def run(
        self, operation: str, action: Callable[[EventHandler], T], *, expected: int | None = None
    ) -> tuple[T, Progress]:
        """Run ``action(on_event)`` under a progress view (none when ``quiet``)."""
        progress = Progress(operation, self.name, expected=expected)
        if self.quiet:

            def record(event: auto.EngineEvent) -> None:
                progress.handle(event)

            return action(record), progress
        view = make_view(progress, self.out)
        with view:
            result = action(view)
        return result, progress

    @contextmanager
    def errors(self) -> Iterator[None]:
        """Deployment and fleet errors become one line; Ctrl-C exits 130 without a traceback."""
        try:
            yield
        except (DeployError, FleetError) as error:
            self.fail(str(error))
        except KeyboardInterrupt:
            self.fail("interrupted", code=130)
