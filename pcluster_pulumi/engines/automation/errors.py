"""Pulumi CLI failures as sentences: what ``automation.ClusterStack`` raises instead of them.

The Automation API raises ``CommandError`` whose text is the whole CLI run (code, stdout with
the progress table, stderr). A user needs the resource that failed and the provider's reason,
once; ``explain_command_error`` digs those out of the ``Diagnostics:`` block and drops the
rest (tracebacks of the program, resource counts, "update failed" echoes).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from pulumi import automation as auto

if TYPE_CHECKING:
    from pcluster_pulumi.engines.automation.stack import Backend

__all__ = [
    "INSTALL_HINT",
    "DeployError",
    "PassphraseMissing",
    "PulumiNotInstalled",
    "StackMissing",
    "explain_command_error",
    "translate_errors",
]

INSTALL_HINT = (
    "install it with `curl -fsSL https://get.pulumi.com | sh` "
    "(other ways: https://www.pulumi.com/docs/iac/download-install/)"
)


class DeployError(Exception):
    """A deployment problem explained in one paragraph; the CLI prints it without a traceback."""


class PulumiNotInstalled(DeployError):
    """The ``pulumi`` binary the Automation API drives is not installed."""


class StackMissing(DeployError):
    """No stack (cluster) of that name exists in the backend."""


class PassphraseMissing(DeployError):
    """A passphrase-encrypted backend is used and no passphrase was given."""


@contextmanager
def translate_errors(name: str, backend: Backend) -> Iterator[None]:
    """Turn what the CLI and SDK raise into ``DeployError`` sentences."""
    try:
        yield
    except auto.StackNotFoundError:
        raise StackMissing(f"no cluster named {name!r} in {backend.url}") from None
    except auto.ConcurrentUpdateError:
        raise DeployError(
            f"another operation on cluster {name!r} is running (or one crashed and left its lock): "
            f"wait for it, or run `pulumi cancel --stack {name}` with PULUMI_BACKEND_URL={backend.url}"
        ) from None
    except auto.CommandError as error:
        raise DeployError(explain_command_error(error)) from None
    except FileNotFoundError as error:
        if error.filename and Path(str(error.filename)).name == "pulumi":
            raise PulumiNotInstalled(f"the Pulumi CLI is not installed: {INSTALL_HINT}") from None
        raise


_RESULT_RE = re.compile(r"\n code: (?P<code>-?\d+)\n stdout: (?P<stdout>.*)\n stderr: (?P<stderr>.*)", re.S)
_NOISE = re.compile(
    r"^(error: )?(update|preview|destroy|refresh) failed$"
    r"|^(Resources|Duration):"
    r"|.*inline source runtime error$"
)
_COUNT = re.compile(r"^\d+ errors? occurred:?$")


def explain_command_error(error: BaseException) -> str:
    """One readable paragraph from a failed CLI run: its ``error:`` lines, without the noise."""
    text = str(error)
    match = _RESULT_RE.search(text)
    stdout, stderr = (match["stdout"], match["stderr"]) if match else ("", text)
    lines: list[str] = []
    for line in [*stderr.splitlines(), *_diagnostics(stdout)]:
        line = line.strip()
        if line.startswith("error:"):
            line = line.removeprefix("error:").strip()
        if line and not _NOISE.match(line) and line not in lines:
            lines.append(line)
    message = " ".join(lines) or "the Pulumi CLI failed without a message"
    if len(message) > 900:
        message = message[:897] + "..."
    code = f" (exit {match['code']})" if match else ""
    return f"pulumi failed{code}: {message}"


def _diagnostics(stdout: str) -> list[str]:
    """Errors of the CLI's ``Diagnostics:`` block, one per resource that failed and why.

    A provider error spans lines (``1 error occurred:`` then ``* creating EC2 Instance: …``);
    a program error carries a Python traceback, of which only the exception line matters.
    """
    found: dict[str, list[str]] = {}
    in_block = in_error = False
    resource = ""
    for line in stdout.splitlines():
        if line.strip() == "Diagnostics:":
            in_block = True
            continue
        if in_block and line.strip() and not line.startswith(" "):
            in_block = False
        if not in_block or not line.strip():
            continue
        text = line.strip()
        if not line.startswith("    ") and text.endswith(":"):
            resource, in_error = text.rstrip(":"), False
            continue
        if text.startswith(("warning:", "info:")):
            in_error = False
            continue
        if text.startswith("error:"):
            in_error, text = True, text.removeprefix("error:").strip()
        text = text.lstrip("*").strip()
        if in_error and text and not _NOISE.match(text) and not _COUNT.match(text):
            found.setdefault(resource, []).append(text)
    out = []
    for where, texts in found.items():
        if any(t.startswith("Traceback") for t in texts):
            texts = [texts[0], texts[-1]] if not texts[0].startswith("Traceback") else [texts[-1]]
        out.append(f"{where}: {' '.join(texts)}" if where else " ".join(texts))
    return out
