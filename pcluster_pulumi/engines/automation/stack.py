"""Deploy clusters from Python with the Pulumi Automation API: one stack per cluster.

``ClusterStack`` wraps a ``LocalWorkspace`` running ``program.build`` as an *inline* program,
so the cluster is declared in this process from a validated spec; no project directory,
``__main__.py`` or virtualenv is involved. The Pulumi CLI binary is still required: the
Automation API drives it for every operation (see ``find_pulumi``). Usable without our CLI::

    from pcluster_pulumi.engines.automation.stack import ClusterStack

    stack = ClusterStack("demo", "cluster.yaml")        # path, YAML text or ClusterSpec
    print(stack.preview().change_summary)
    result = stack.up(on_event=print)
    print(result.outputs["headNodePrivateIp"].value)
    print(stack.head_node_update(result.outputs).line())  # waits for the head node to apply it

Defaults that make an unattended run safe: state in a local file backend
(``~/.pcluster-pulumi/state``, no Pulumi Cloud account needed; ``backend_url`` or
``PULUMI_BACKEND_URL`` override it), secrets encrypted with a passphrase
(``PULUMI_CONFIG_PASSPHRASE``), and ``aws:region`` taken from the spec's ``Region`` or
``AWS_REGION``/``AWS_DEFAULT_REGION``. The config as given is exported with the stack
(``clusterConfig``) so the next ``up`` can tell what an update will cost (``updates.py``).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import yaml
from pulumi import automation as auto

from pcluster_pulumi.contract.names import PROJECT
from pcluster_pulumi.contract.update_report import ITEM_ID, RUNTIME_CONFIG_KEY, UpdateReport, wait_for_report
from pcluster_pulumi.engines.automation.errors import (
    INSTALL_HINT,
    DeployError,
    PassphraseMissing,
    PulumiNotInstalled,
    StackMissing,
    explain_command_error,
    translate_errors,
)
from pcluster_pulumi.spec.loader import load_spec
from pcluster_pulumi.spec.model import ClusterSpec
from pcluster_pulumi.spec.source import resolve_source

__all__ = [
    "SPEC_OUTPUT",
    "Backend",
    "ClusterStack",
    "DeployError",
    "PassphraseMissing",
    "PulumiNotInstalled",
    "StackMissing",
    "explain_command_error",
    "find_pulumi",
    "list_clusters",
    "resolve_backend",
    "resolve_region",
]

#: Name of the stack output holding the cluster config exactly as it was deployed.
SPEC_OUTPUT = "clusterConfig"
_DIY_SCHEMES = ("file://", "s3://", "gs://", "azblob://", "postgres://")

EventHandler = Callable[[auto.EngineEvent], None]


def find_pulumi(env: Mapping[str, str] | None = None, home: Path | None = None) -> Path | None:
    """The ``pulumi`` binary: on PATH, else where get.pulumi.com installs it (``~/.pulumi/bin``)."""
    env = os.environ if env is None else env
    found = shutil.which("pulumi", path=env.get("PATH", ""))
    if found:
        return Path(found)
    installed = (home or Path.home()) / ".pulumi" / "bin" / "pulumi"
    return installed if installed.is_file() and os.access(installed, os.X_OK) else None


def pulumi_command(env: Mapping[str, str] | None = None, home: Path | None = None) -> auto.PulumiCommand:
    """The CLI handle for a workspace; ``PulumiNotInstalled`` (one sentence) when there is none."""
    binary = find_pulumi(env, home)
    if binary is None:
        raise PulumiNotInstalled(f"the Pulumi CLI is not installed (no `pulumi` on PATH): {INSTALL_HINT}")
    try:
        return _command_for(binary)
    except FileNotFoundError:
        raise PulumiNotInstalled(f"the Pulumi CLI at {binary} cannot be run: {INSTALL_HINT}") from None
    except auto.InvalidVersionError as error:
        raise DeployError(f"unsupported Pulumi CLI at {binary}: {error}; upgrade: {INSTALL_HINT}") from None


def _command_for(binary: Path) -> auto.PulumiCommand:
    """``PulumiCommand`` for the binary wherever it lives.

    The SDK runs ``<root>/bin/pulumi`` (or ``pulumi`` from PATH): a binary in a folder not named
    ``bin`` (``/opt/pulumi/pulumi``, a CI tool cache) gets a private ``bin/`` link for the SDK's
    version check, then runs by its own path, whose folder the SDK puts first on PATH so the
    language plugins shipped next to it are the ones used.
    """
    if binary.parent.name == "bin":
        return auto.PulumiCommand(root=str(binary.parent.parent))
    with tempfile.TemporaryDirectory(prefix="pcluster-pulumi-cli-") as root:
        link = Path(root) / "bin" / "pulumi"
        link.parent.mkdir()
        link.symlink_to(binary.resolve())
        command = auto.PulumiCommand(root=root)
    command.command = str(binary)
    return command


@dataclass(frozen=True)
class Backend:
    """Where stacks live, and the local directory holding their ``Pulumi.<stack>.yaml`` files."""

    url: str
    work_dir: Path

    @property
    def uses_passphrase(self) -> bool:
        """Self-managed backends encrypt secrets with a passphrase; Pulumi Cloud has its own keys."""
        return self.url.startswith(_DIY_SCHEMES)

    @property
    def local_dir(self) -> Path | None:
        """The state directory of a ``file://`` backend (created before first use)."""
        if not self.url.startswith("file://"):
            return None
        return Path(os.path.expanduser(self.url.removeprefix("file://")))


def resolve_backend(
    url: str | None = None, env: Mapping[str, str] | None = None, home: Path | None = None
) -> Backend:
    """``url``, else ``PULUMI_BACKEND_URL``, else a file backend in ``~/.pcluster-pulumi/state``.

    Each backend gets its own workspace directory, so two backends never share stack files.
    """
    env = os.environ if env is None else env
    root = (home or Path.home()) / ".pcluster-pulumi"
    default = (root / "state").as_uri()
    chosen = url or env.get("PULUMI_BACKEND_URL") or default
    slug = "default" if chosen == default else hashlib.sha256(chosen.encode()).hexdigest()[:12]
    return Backend(chosen, root / "workspaces" / slug)


def resolve_region(spec_region: str | None, env: Mapping[str, str] | None = None) -> str:
    """The spec's ``Region``, else ``AWS_REGION`` / ``AWS_DEFAULT_REGION``; a clear error if none."""
    env = os.environ if env is None else env
    region = spec_region or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    if not region:
        raise DeployError(
            "no AWS region: set `Region:` in the cluster config, or export AWS_REGION (e.g. us-east-1)"
        )
    return region


def _read_config(config: str | os.PathLike[str] | ClusterSpec) -> str:
    """The config text as the user gave it: a path, YAML text (``spec.source``'s one rule), or a
    spec (dumped as YAML)."""
    resolved = resolve_source(config)
    if isinstance(resolved, ClusterSpec):
        return yaml.safe_dump(resolved.to_dict(), sort_keys=False)
    return resolved.text


class ClusterStack:
    """The Pulumi stack of one cluster (stack name = cluster name) in a backend.

    ``config`` is needed only by ``preview`` and ``up``; ``destroy``, ``refresh`` and
    ``outputs`` work from the state alone. Nothing runs the CLI until an operation is called,
    so constructing one (and inspecting ``workspace_options()``) works without it.
    """

    def __init__(
        self,
        name: str,
        config: str | os.PathLike[str] | ClusterSpec | None = None,
        *,
        region: str | None = None,
        backend_url: str | None = None,
        passphrase: str | None = None,
        env: Mapping[str, str] | None = None,
        home: Path | None = None,
    ) -> None:
        self.name = name
        self.env = dict(os.environ if env is None else env)
        self.home = home
        self.backend = resolve_backend(backend_url, self.env, home)
        self.passphrase = passphrase
        # The spec from the source itself, so problems name the user's file, not "<string>".
        self.spec = load_spec(config, cluster_name=name) if config is not None else None
        self.spec_text = _read_config(config) if config is not None else None
        self._region = region

    @property
    def region(self) -> str:
        """Where the cluster lives: explicit, the spec's, the stack's stored ``aws:region``, the env."""
        if self._region:
            return self._region
        stored = self._stored_settings().get("config", {}).get("aws:region")
        spec_region = self.spec.region if self.spec else None
        return resolve_region(spec_region or (stored if isinstance(stored, str) else None), self.env)

    def env_vars(self, *, secrets: bool = True) -> dict[str, str]:
        """Variables every CLI call gets: the backend, the passphrase, no update-check noise.

        ``secrets=False`` is for calls that decrypt nothing (listing stacks), which then work
        without a passphrase.
        """
        out = {"PULUMI_BACKEND_URL": self.backend.url, "PULUMI_SKIP_UPDATE_CHECK": "true"}
        if not self.backend.uses_passphrase or not secrets:
            return out
        if self.passphrase is not None:
            out["PULUMI_CONFIG_PASSPHRASE"] = self.passphrase
        elif "PULUMI_CONFIG_PASSPHRASE" not in self.env and "PULUMI_CONFIG_PASSPHRASE_FILE" not in self.env:
            raise PassphraseMissing(
                "the stack's secrets are encrypted with a passphrase: set PULUMI_CONFIG_PASSPHRASE "
                "(or PULUMI_CONFIG_PASSPHRASE_FILE)"
            )
        return out

    def _stack_file(self) -> Path:
        return self.backend.work_dir / f"Pulumi.{self.name}.yaml"

    def _stored_settings(self) -> dict[str, Any]:
        path = self._stack_file()
        if not path.is_file():
            return {}
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}

    def stack_settings(self) -> auto.StackSettings:
        """``Pulumi.<stack>.yaml``: the existing file (encryption salt kept) plus our config keys."""
        stored = self._stored_settings()
        # Secure values stay ``{"secure": ...}`` mappings, which is how the file spells them.
        config: dict[str, Any] = dict(stored.get("config") or {})
        if self.spec is not None:
            config["aws:region"] = self.region
            config[f"{PROJECT}:clusterName"] = self.name
        return auto.StackSettings(
            secrets_provider=stored.get("secretsprovider"),
            encrypted_key=stored.get("encryptedkey"),
            encryption_salt=stored.get("encryptionsalt"),
            config=config or None,
        )

    def workspace_options(self, *, secrets: bool = True) -> auto.LocalWorkspaceOptions:
        """Everything the workspace is built from; needs no CLI, so tests inspect it directly.

        The program is always the inline one, even for ``destroy`` and ``refresh`` (which do
        not run it): the CLI then never looks for a Python project on disk.
        """
        return auto.LocalWorkspaceOptions(
            work_dir=str(self.backend.work_dir),
            program=self.program,
            env_vars=self.env_vars(secrets=secrets),
            secrets_provider="passphrase" if self.backend.uses_passphrase else None,
            project_settings=auto.ProjectSettings(
                name=PROJECT,
                runtime="python",
                description="AWS ParallelCluster-compatible clusters (pcluster-pulumi)",
                backend=auto.ProjectBackend(url=self.backend.url),
            ),
            stack_settings={self.name: self.stack_settings()},
        )

    def program(self) -> None:
        """The inline program: the repository's ``build`` plus the config it was built from."""
        # start-up: the program (pulumi_aws) loads only when Pulumi runs it.
        import pulumi

        from pcluster_pulumi.program import build

        if self.spec is None or self.spec_text is None:
            raise DeployError("no cluster config was given: only preview and up run the program")
        build(self.spec, self.name, self.region)
        pulumi.export(SPEC_OUTPUT, self.spec_text)

    def _workspace(self, *, with_stack: bool = True) -> auto.LocalWorkspace:
        options = self.workspace_options(secrets=with_stack)
        command = pulumi_command(self.env, self.home)
        self.backend.work_dir.mkdir(parents=True, exist_ok=True)
        if self.backend.local_dir is not None:
            self.backend.local_dir.mkdir(parents=True, exist_ok=True)
        return auto.LocalWorkspace(
            work_dir=options.work_dir,
            program=options.program,
            env_vars=options.env_vars,
            secrets_provider=options.secrets_provider,
            project_settings=options.project_settings,
            stack_settings=options.stack_settings if with_stack else None,
            pulumi_command=command,
        )

    def _stack(self, *, create: bool) -> auto.Stack:
        with translate_errors(self.name, self.backend):
            workspace = self._workspace()
            if create:
                return auto.Stack.create_or_select(self.name, workspace)
            return auto.Stack.select(self.name, workspace)

    def preview(self, on_event: EventHandler | None = None, *, diff: bool = False) -> auto.PreviewResult:
        """What ``up`` would do; ``result.change_summary`` counts the steps by operation.

        Previewing a cluster that does not exist yet leaves no empty stack behind.
        """
        with translate_errors(self.name, self.backend):
            workspace = self._workspace()
            try:
                stack, created = auto.Stack.select(self.name, workspace), False
            except auto.StackNotFoundError:
                stack, created = auto.Stack.create(self.name, workspace), True
            try:
                return stack.preview(on_event=on_event, diff=diff, color="never")
            finally:
                if created:
                    workspace.remove_stack(self.name)

    def up(self, on_event: EventHandler | None = None) -> auto.UpResult:
        """Create or update the cluster."""
        stack = self._stack(create=True)
        with translate_errors(self.name, self.backend):
            return stack.up(on_event=on_event, color="never")

    def refresh(self, on_event: EventHandler | None = None) -> auto.RefreshResult:
        """Read every resource back from AWS into the state (no program needed)."""
        stack = self._stack(create=False)
        with translate_errors(self.name, self.backend):
            return stack.refresh(on_event=on_event, color="never", run_program=False)

    def destroy(self, on_event: EventHandler | None = None) -> auto.DestroyResult:
        """Delete the cluster's resources (``DeletionPolicy: Retain`` ones stay) and its stack."""
        stack = self._stack(create=False)
        with translate_errors(self.name, self.backend):
            return stack.destroy(on_event=on_event, color="never", run_program=False, remove=True)

    def outputs(self) -> dict[str, auto.OutputValue]:
        """The stack outputs (secrets flagged, values as stored)."""
        stack = self._stack(create=False)
        with translate_errors(self.name, self.backend):
            return dict(stack.outputs())

    def head_node_report(self, outputs: Mapping[str, Any] | None = None) -> UpdateReport | None:
        """The head node's last update report as it stands now (no waiting); None without one."""
        where = self._report_location(outputs)
        return where[1]() if where else None

    def head_node_update(
        self,
        outputs: Mapping[str, Any] | None = None,
        *,
        timeout: float = 900,
        interval: float = 5,
        on_report: Callable[[UpdateReport | None], None] | None = None,
    ) -> UpdateReport | None:
        """Wait for the head node's report on the runtime configuration the last ``up`` wrote.

        The head node's keeper applies a new configuration live and reports in the status table
        (``contract/update_report.py``); this reads the configuration object's ETag from the
        bucket and polls until the report about it is final (APPLIED or FAILED), or raises
        ``UpdateWaitTimeout``. ``outputs`` defaults to the stack's; clusters without a status
        table (AWS Batch) return None at once. Needs AWS credentials, not the Pulumi CLI.
        """
        where = self._report_location(outputs)
        if where is None:
            return None
        etag, read = where
        return wait_for_report(read, etag(), timeout=timeout, interval=interval, on_report=on_report)

    def _report_location(
        self, outputs: Mapping[str, Any] | None
    ) -> tuple[Callable[[], str], Callable[[], UpdateReport | None]] | None:
        """(the configuration object's ETag, the report) readers; None without a status table."""
        given = outputs if outputs is not None else self.outputs()
        values = {key: getattr(value, "value", value) for key, value in given.items()}
        table, bucket = values.get("statusTable"), values.get("clusterBucket")
        prefix = values.get("artifactPrefix")
        if not (table and bucket and prefix is not None):
            return None
        region = str(values.get("region") or self.region)
        s3 = boto3.client("s3", region_name=region)
        dynamodb = boto3.client("dynamodb", region_name=region)

        def etag() -> str:
            return str(s3.head_object(Bucket=bucket, Key=f"{prefix}{RUNTIME_CONFIG_KEY}")["ETag"]).strip('"')

        def read() -> UpdateReport | None:
            key = {"Id": {"S": ITEM_ID}}
            item = dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
            return UpdateReport.from_item(item) if item else None

        return etag, read

    def deployed_config(self) -> str | None:
        """The config text of the last successful ``up``, or None for a new cluster."""
        try:
            output = self.outputs().get(SPEC_OUTPUT)
        except StackMissing:
            return None
        return str(output.value) if output is not None and output.value is not None else None


def list_clusters(
    backend_url: str | None = None, env: Mapping[str, str] | None = None, home: Path | None = None
) -> list[auto.StackSummary]:
    """Every cluster stack of the project in a backend."""
    probe = ClusterStack("list", backend_url=backend_url, env=env, home=home)
    with translate_errors("", probe.backend):
        workspace = probe._workspace(with_stack=False)
        return [s for s in workspace.list_stacks() if s.name]
