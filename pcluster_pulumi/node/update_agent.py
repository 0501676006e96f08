"""The head node's update agent: applies a new runtime configuration live, as one transaction.

`up` writes a new runtime configuration object; at the start of each keeper pass the agent
compares the object's ETag with the one it handled last (``update_source``) and, when it
differs, applies the new document in this order:

1. read it with the strict reader and compute the change set against the applied one;
2. render the Slurm files into a staging dir and check them with Slurm's own parser
   (a refused file stops here: nothing live was touched);
3. mount the head node's new shared storage;
4. power down, by force, the nodes that leave the cluster (slurmctld must not forget a node
   that still has an instance and jobs);
5. copy the live set aside and swap the staged one in (Slurm files + runtime configuration);
6. restart slurmctld when the node definitions change (Slurm 22.05 cannot reconfigure that),
   else ``scontrol reconfigure``; the controller must answer and list every new partition;
7. apply ``QueueUpdateStrategy`` to nodes of replaced compute resources, terminate the
   instances and drop the records of nodes that left, unmount removed storage, refresh the
   login nodes' copy of slurm.conf, upgrade the node package;
8. run ``HeadNode.CustomActions.OnNodeUpdated``.

Any failure from step 5 on restores the set copied aside and brings slurmctld back on it, so
Slurm keeps answering with the old partitions; node state changes already made stay (an
interrupted job was requeued, a replaced instance is not brought back). Every outcome is
recorded in the status table (``update_status``) for `up` to report.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pcluster_pulumi.contract.config import ENV_VAR, ConfigError, NodeConfig
from pcluster_pulumi.contract.slurm_layout import SlurmLayout
from pcluster_pulumi.node import fleet_status, imds
from pcluster_pulumi.node.aws import Clients, error_message
from pcluster_pulumi.node.boot_steps import accounting_password, head_layout
from pcluster_pulumi.node.custom_actions import CustomActionError, run_actions
from pcluster_pulumi.node.ec2_launch import terminate
from pcluster_pulumi.node.records import delete_dns, delete_records, scan_records
from pcluster_pulumi.node.scontrol import Slurm
from pcluster_pulumi.node.storage_setup import LocalHost, StorageError, StorageSetup
from pcluster_pulumi.node.update_bootstrap import BOOTSTRAP_ENV
from pcluster_pulumi.node.update_changes import ChangeSet, compute_changes, config_nodes
from pcluster_pulumi.node.update_files import LiveFiles, copy_to_login_share
from pcluster_pulumi.node.update_package import install_package
from pcluster_pulumi.node.update_slurmctld import Controller, ControllerError
from pcluster_pulumi.node.update_source import (
    AppliedState,
    ConfigSource,
    RemoteConfig,
    config_key,
    read_state,
    write_state,
)
from pcluster_pulumi.node.update_status import APPLIED, FAILED, IN_PROGRESS, UpdateStatus, put_status
from pcluster_pulumi.node.update_strategy import REASON, removed_node_actions, replacement_actions

log = logging.getLogger("pcluster_pulumi.update")

_STOPPED = (fleet_status.STOP_REQUESTED, fleet_status.STOPPING, fleet_status.STOPPED)

#: A JSON file with ``SlurmLayout`` fields, for heads whose Slurm is not where the bootstrap puts it.
LAYOUT_ENV = "PCLUSTER_PULUMI_SLURM_LAYOUT"


class UpdateFailed(RuntimeError):
    """An update step failed; the message is the reason the operator reads."""


@dataclass(frozen=True)
class UpdateOutcome:
    """What the agent did with one runtime configuration object."""

    status: str
    #: The configuration in effect afterwards (the new one when APPLIED, the old one when FAILED).
    config: NodeConfig
    remote: RemoteConfig
    changes: ChangeSet | None = None
    reason: str = ""
    package_upgraded: bool = False

    @property
    def summary(self) -> str:
        return self.changes.summary() if self.changes else ""


def layout_from_environment() -> SlurmLayout:
    """The head node's layout: the bootstrap's, or the JSON file ``PCLUSTER_PULUMI_SLURM_LAYOUT`` names."""
    path = os.environ.get(LAYOUT_ENV)
    if not path:
        return head_layout()
    data: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    paths = {"conf_dir", "state_dir", "slurmd_spool_dir", "log_dir", "run_dir", "munge_socket"}
    paths |= {"resume_program", "suspend_program"}
    values: dict[str, Any] = {k: Path(v) if k in paths and v is not None else v for k, v in data.items()}
    if "extra_controller_parameters" in data:
        values["extra_controller_parameters"] = tuple(data["extra_controller_parameters"])
    return SlurmLayout(**values)


def _storage(config: NodeConfig) -> None:
    """Mount (and export) the head node's entries of the mount table; converges on a second run."""
    StorageSetup(LocalHost()).run(
        config.mounts, "head", client_networks=imds.vpc_cidr_blocks, cpus=os.cpu_count() or 1
    )


def _unmount(directories: tuple[str, ...]) -> None:
    """Unmount storage removed from the mount table and drop its fstab line."""
    host = LocalHost()
    for directory in directories:
        if host.is_mounted(directory):
            host.run(["umount", directory])
        fstab = host.read_text("/etc/fstab") or ""
        kept = [line for line in fstab.splitlines() if line.split()[1:2] != [directory]]
        if len(kept) != len(fstab.splitlines()):
            host.write_text("/etc/fstab", "\n".join(kept) + "\n")


def _refresh_boot_files(package: Path) -> None:
    """Rewrite the head node's bootstrap, wrappers and units from the package just installed.

    Run as a new process so the new package's code renders them; a no-op off a head node
    booted by the loader (no bootstrap.env).
    """
    if not Path(BOOTSTRAP_ENV).exists():
        return
    env = {**os.environ, "PYTHONPATH": str(package.parent)}
    subprocess.run(
        [sys.executable, "-m", "pcluster_pulumi.node.update_bootstrap", "head"],
        env=env,
        check=True,
        timeout=120,
    )
    subprocess.run(["systemctl", "daemon-reload"], check=False, timeout=120)


@dataclass
class UpdateAgent:
    """Everything one head node needs to apply updates."""

    clients: Clients
    slurm: Slurm
    files: LiveFiles
    controller: Controller
    source: ConfigSource | None
    #: Seams for the parts that touch this machine beyond Slurm's files (unit tests replace them).
    mount: Callable[[NodeConfig], None] = _storage
    unmount: Callable[[tuple[str, ...]], None] = _unmount
    run_scripts: Callable[..., int] = run_actions
    install: Callable[..., Path] = install_package
    refresh_boot_files: Callable[[Path], None] = _refresh_boot_files
    _warned: bool = field(default=False, repr=False)

    @classmethod
    def for_head_node(cls, config: NodeConfig, clients: Clients, slurm: Slurm) -> UpdateAgent:
        """The agent as the keeper runs it, from the environment the bootstrap sets."""
        layout = layout_from_environment()
        key = config_key()
        source = ConfigSource(config.bucket, key) if config.bucket and key else None
        return cls(
            clients=clients,
            slurm=slurm,
            files=LiveFiles(layout, Path(os.environ.get(ENV_VAR) or "/etc/pcluster-pulumi/node-config.json")),
            controller=Controller.from_environment(layout.log_dir / "slurmctld.log"),
            source=source,
        )

    def check(self, config: NodeConfig) -> UpdateOutcome | None:
        """Apply the runtime configuration object if it is not the one handled last; None if it is."""
        if self.source is None:
            if not self._warned:
                log.warning("no bucket or config key known: updates cannot be noticed on this head node")
                self._warned = True
            return None
        state = read_state()
        remote = self.source.fetch(self.clients, state.etag if state else None)
        if remote is None:
            return None
        outcome = self.apply(config, remote, state)
        now = AppliedState.now(remote, outcome.status, state)
        write_state(now)
        put_status(
            self.clients,
            outcome.config.tables.status_table,
            UpdateStatus(
                status=outcome.status,
                config_etag=remote.etag,
                config_version_id=remote.version_id,
                applied_etag=now.applied_etag,
                applied_version_id=now.applied_version_id,
                summary=outcome.summary,
                reason=outcome.reason,
            ),
        )
        if outcome.status == APPLIED:
            log.info("update %s applied: %s", remote.etag, outcome.summary)
        else:
            log.error("update %s failed: %s", remote.etag, outcome.reason)
        return outcome

    def apply(self, config: NodeConfig, remote: RemoteConfig, state: AppliedState | None) -> UpdateOutcome:
        """The transaction (see the module docstring); never raises for a failed update."""
        try:
            new = NodeConfig.from_dict(json.loads(remote.text))
        except json.JSONDecodeError as error:
            return UpdateOutcome(FAILED, config, remote, reason=f"runtime configuration is not JSON: {error}")
        except ConfigError as error:
            return UpdateOutcome(FAILED, config, remote, reason=f"invalid runtime configuration: {error}")
        changes = compute_changes(config, new)
        if new == config:
            # The document in effect (first pass after boot: the bootstrap fetched this very one).
            return UpdateOutcome(APPLIED, config, remote, changes)
        put_status(
            self.clients,
            config.tables.status_table,
            UpdateStatus(IN_PROGRESS, remote.etag, remote.version_id, summary=changes.summary()),
        )
        log.info("applying update %s: %s", remote.etag, changes.summary())
        try:
            upgraded = self._transaction(config, new, remote, changes)
        except UpdateFailed as error:
            return UpdateOutcome(FAILED, config, remote, changes, reason=str(error))
        return UpdateOutcome(APPLIED, new, remote, changes, package_upgraded=upgraded)

    def _transaction(
        self, old: NodeConfig, new: NodeConfig, remote: RemoteConfig, changes: ChangeSet
    ) -> bool:
        try:
            staged = self.files.stage(new, remote.text, accounting_password(self.clients, new))
            self.controller.check_files(staged.slurm_conf)
        except (ValueError, ControllerError) as error:
            self.files.discard()
            raise UpdateFailed(str(error)) from error
        restart = _needs_restart(old, new, changes, self.files.layout.slurm_conf, staged.slurm_conf)
        try:
            if changes.head_mounts_added:
                self.mount(new)
        except (StorageError, ConfigError, imds.MetadataError) as error:
            self.files.discard()
            raise UpdateFailed(f"mounting shared storage failed: {error}") from error
        try:
            leaving = removed_node_actions(changes, self.slurm.nodes())
            if leaving.force:
                log.info("powering down nodes leaving the cluster: %s", ",".join(leaving.force))
                self.controller.set_node_state(leaving.force, "power_down_force", REASON)
        except (ControllerError, RuntimeError) as error:
            self.files.discard()
            raise UpdateFailed(f"powering down the nodes that leave failed: {error}") from error
        self.files.swap(staged)
        try:
            self._activate(restart)
            missing = {q.name for q in new.queues} - self.controller.partitions()
            if missing:
                raise ControllerError(f"slurmctld does not list partition(s) {', '.join(sorted(missing))}")
            self._after_swap(old, new, changes)
            upgraded = self._upgrade(new, changes)
            actions = new.head_node.custom_actions.of("on_node_updated")
            if actions:
                self.run_scripts(actions, "on_node_updated", self.clients.s3)
        except Exception as error:  # whatever fails once the new files are live, the old ones come back
            raise UpdateFailed(self._rollback(_reason(error), restart)) from error
        return upgraded

    def _activate(self, restart: bool) -> None:
        if restart:
            log.info("node definitions changed: restarting slurmctld")
            self.controller.restart()
        else:
            self.controller.reconfigure()

    def _rollback(self, reason: str, restarted: bool) -> str:
        """Put the previous set back and bring slurmctld up on it; returns the reason to report."""
        restored = self.files.restore()
        log.error("update failed (%s); restored %s", reason, ", ".join(str(p) for p in restored))
        try:
            if restarted or not self.controller.answering():
                self.controller.restart()
            else:
                self.controller.reconfigure()
        except ControllerError as error:
            return f"{reason}; rolling back also failed: {error}"
        return f"{reason} (rolled back to the previous configuration)"

    def _after_swap(self, old: NodeConfig, new: NodeConfig, changes: ChangeSet) -> None:
        if fleet_status.read_local() in _STOPPED:
            # slurm.conf declares partitions UP: a stopped fleet's must stay INACTIVE (no job starts).
            for queue in new.queues:
                self.slurm.set_partition_state(queue.name, "INACTIVE")
        strategy = new.scheduler.queue_update_strategy
        actions = replacement_actions(changes, strategy, self.slurm.nodes())
        if actions.force:
            log.info("%s: powering down %s now", strategy, ",".join(actions.force))
            self.controller.set_node_state(actions.force, "power_down_force", REASON)
        if actions.asap:
            log.info("%s: draining %s, powered down once their jobs end", strategy, ",".join(actions.asap))
            self.controller.set_node_state(actions.asap, "power_down_asap", REASON)
        if actions.kept:
            log.warning(
                "QueueUpdateStrategy %s: nodes %s keep their instances", strategy, ",".join(actions.kept)
            )
        self._forget_departed(new)
        if changes.head_mounts_removed:
            self.unmount(changes.head_mounts_removed)
        copy_to_login_share(new, self.files.layout.conf_dir)

    def _forget_departed(self, new: NodeConfig) -> None:
        """Instances and records of nodes the new configuration no longer declares."""
        declared = config_nodes(new)
        try:
            departed = [r for name, r in scan_records(self.clients, new).items() if name not in declared]
            if not departed:
                return
            log.info("terminating %d instance(s) of nodes that left the cluster", len(departed))
            terminate(self.clients, [r.instance_id for r in departed])
            delete_dns(self.clients, new, departed)
            delete_records(self.clients, new, [r.node for r in departed])
        except Exception as error:  # the keeper's next passes clean up what is left (stale records)
            log.warning("cleaning up departed nodes: %s", error_message(error))

    def _upgrade(self, new: NodeConfig, changes: ChangeSet) -> bool:
        if not (changes.node_package_changed and new.bucket and new.node_package_key):
            return False
        path = self.install(self.clients, new.bucket, new.node_package_key)
        log.info("node package upgraded in %s", path)
        self.refresh_boot_files(path)
        return True


def _reason(error: BaseException) -> str:
    """The operator's one line for a failure (AWS errors by their message, others as they say)."""
    if isinstance(error, (ControllerError, CustomActionError, StorageError)):
        return str(error)
    return f"{type(error).__name__}: {error_message(error)}"


def _needs_restart(old: NodeConfig, new: NodeConfig, changes: ChangeSet, live: Path, staged: Path) -> bool:
    """Node definitions, cluster-wide user settings or accounting change: reconfigure is not enough."""
    if changes.node_set_changed:
        return True
    if (old.scheduler.custom_slurm_settings, old.scheduler.accounting) != (
        new.scheduler.custom_slurm_settings,
        new.scheduler.accounting,
    ):
        return True
    try:
        before = live.read_text(encoding="utf-8")
    except OSError:
        return True
    after = staged.read_text(encoding="utf-8")
    return _node_lines(before) != _node_lines(after)


def _node_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("NodeName=")]
