"""``dcv-connect``: a remote desktop (NICE DCV) on the head node or a login pool, in the browser.

As ParallelCluster's ``pcluster dcv-connect``: SSH to the node as the cluster user, run the
node's ``dcv-connect`` script (``node/dcv.py``), which prepares the user's session and a
one-time token, and open ``https://HOST:PORT?authToken=TOKEN#SESSION``. Through a login pool
the SSH goes to the pool's load balancer; the answering node says its own address, which the
browser then uses (DCV's port is open on the nodes, never on the SSH load balancer). The
token is valid for two minutes and once, so ``--show-url-only`` prints a URL to use at once.

Also the address helpers ``ssh --pool`` uses: where a pool's load balancer is, from the
stack outputs.
"""

from __future__ import annotations

import shlex
import subprocess
import webbrowser
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pcluster_pulumi.cli.io import login_user
from pcluster_pulumi.cli.stack import Backend, Name

if TYPE_CHECKING:
    from pcluster_pulumi.cli.session import Session

__all__ = [
    "CONNECT_SCRIPT_PATH",
    "LOGIN_POOLS_OUTPUT",
    "connect_command",
    "dcv_connect",
    "head_address",
    "login_pool_address",
    "register",
    "session_url",
]

#: Where the bootstrap installs the node-side script (``node/access_steps.py``).
CONNECT_SCRIPT_PATH = "/opt/pcluster-pulumi/bin/dcv-connect"
#: The stack output mapping each login pool to its load balancer's DNS name.
LOGIN_POOLS_OUTPUT = "loginPools"


def _value(outputs: Mapping[str, Any], key: str) -> Any:
    """An output's value whether given as an Automation API ``OutputValue`` or plainly."""
    item = outputs.get(key)
    return getattr(item, "value", item)


def head_address(outputs: Mapping[str, Any]) -> str | None:
    """The head node's public address, else its private one."""
    for key in ("headNodePublicIp", "headNodePrivateIp"):
        value = _value(outputs, key)
        if value:
            return str(value)
    return None


def login_pool_address(outputs: Mapping[str, Any], pool: str) -> str:
    """A login pool's load balancer DNS name; LookupError naming the pools there are."""
    pools = _value(outputs, LOGIN_POOLS_OUTPUT) or {}
    if not isinstance(pools, Mapping) or pool not in pools or not pools[pool]:
        known = ", ".join(sorted(pools)) if isinstance(pools, Mapping) and pools else "none"
        raise LookupError(f"the cluster has no login pool {pool!r} (login pools: {known})")
    return str(pools[pool])


def connect_command(host: str, user: str, key_path: str | None = None) -> list[str]:
    """The ssh command that runs the node's DCV script as ``user``."""
    command = ["ssh"]
    if key_path:
        command += ["-i", key_path]
    return [*command, f"{user}@{host}", CONNECT_SCRIPT_PATH]


def session_url(host: str, answer: Mapping[str, str]) -> str:
    """``https://HOST:PORT?authToken=TOKEN#SESSION`` from the script's answer."""
    port = answer["PclusterDcvServerPort"]
    return f"https://{host}:{port}?authToken={answer['PclusterDcvSessionToken']}#{answer['PclusterDcvSessionId']}"


Runner = Callable[[list[str]], "subprocess.CompletedProcess[str]"]


def _run_ssh(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


#: How the command reaches SSH; tests replace it (the SSH boundary).
run_ssh: Runner = _run_ssh


def _outputs(session: Session) -> dict[str, Any]:
    session.require_pulumi()
    with session.errors():
        return dict(session.stack().outputs())


def dcv_connect(
    name: Name,
    login_pool: Annotated[
        str | None,
        typer.Option(
            "--login-pool", help="Open the desktop on a node of this login pool, not the head node."
        ),
    ] = None,
    show_url_only: Annotated[
        bool, typer.Option("--show-url-only", help="Print the one-time URL instead of opening a browser.")
    ] = False,
    key_path: Annotated[
        str | None, typer.Option("--key-path", help="SSH private key for the node (ssh -i).", metavar="PATH")
    ] = None,
    user: Annotated[str | None, typer.Option("--user", help="Login user (default: the OS's).")] = None,
    backend_url: Backend = None,
) -> None:
    """Open a NICE DCV remote desktop session (HeadNode.Dcv or a pool's Dcv must be enabled)."""
    # start-up: loaded when the command runs, so `--help` and usage errors stay fast.
    from pcluster_pulumi.cli.session import Session
    from pcluster_pulumi.engines.automation.stack import SPEC_OUTPUT

    session = Session(name, backend_url)
    outputs = _outputs(session)
    try:
        host = login_pool_address(outputs, login_pool) if login_pool else head_address(outputs)
    except LookupError as error:
        session.fail(str(error))
    if host is None:
        session.fail(f"cluster {name} has no head node address in its outputs (is it fully deployed?)")
    stored = _value(outputs, SPEC_OUTPUT)
    login = user or login_user(str(stored) if stored else None)
    command = connect_command(host, login, key_path)
    session.note(f"asking {host} for a DCV session: {shlex.join(command)}")
    done = run_ssh(command)
    if done.returncode != 0:
        reason = (done.stderr or done.stdout).strip().splitlines()
        session.fail(f"{shlex.join(command)} failed: {reason[-1] if reason else f'exit {done.returncode}'}")
    # start-up: node.dcv (the node side, http.server) loads only when a session is opened.
    from pcluster_pulumi.node.dcv import parse_connect_answer

    try:
        answer = parse_connect_answer(done.stdout)
    except ValueError as error:
        session.fail(str(error))
    # Through a pool, the node that answered is the one holding the session: use its address.
    server = (answer.get("PclusterDcvServerHost") or "") if login_pool else host
    if not server:
        session.fail(f"the node behind login pool {login_pool} did not say its address")
    url = session_url(server, answer)
    if show_url_only or not webbrowser.open(url):
        typer.echo(url)


def register(app: typer.Typer) -> None:
    """Add ``dcv-connect`` to the main app."""
    app.command("dcv-connect")(dcv_connect)
