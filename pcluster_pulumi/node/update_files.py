"""The head node's live files during an update: stage, swap, and restore on failure.

The live set is the Slurm files (slurm.conf, gres.conf, cgroup.conf, slurmdbd.conf) plus the
runtime configuration every node program reads. A new set is rendered into a staging
directory next to the live one (same file system, so each swap is an atomic rename), checked
there, and swapped in only after the old set was copied aside; ``restore`` puts the old set
back byte for byte, with the owners and modes it had (slurmdbd refuses a slurmdbd.conf that
is not its user's own, 0600). Login nodes read slurm.conf and gres.conf from the directory
the head node shares with them: the copies there follow the swap.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from pcluster_pulumi.contract.config import ConfigError, NodeConfig
from pcluster_pulumi.contract.slurm_layout import SlurmLayout
from pcluster_pulumi.node.slurm_files import render_all
from pcluster_pulumi.node.storage_plan import parse_mounts, shared_dir

STAGING_DIR = ".pcluster-pulumi-staging"
PREVIOUS_DIR = ".pcluster-pulumi-previous"
#: Files login nodes read from the shared directory (``SLURM_CONF`` points there).
LOGIN_FILES = ("slurm.conf", "gres.conf")
#: Modes of newly created files (an existing file keeps its own).
_MODES = {"slurmdbd.conf": 0o600}


@dataclass
class Staged:
    """Rendered files waiting in the staging directory: live path → staged path."""

    files: dict[Path, Path] = field(default_factory=dict)

    @property
    def slurm_conf(self) -> Path:
        """The staged slurm.conf (what Slurm's parser checks)."""
        return next(staged for live, staged in self.files.items() if live.name == "slurm.conf")


@dataclass
class LiveFiles:
    """Where the live set is on this head node."""

    layout: SlurmLayout
    config_path: Path
    _saved: dict[Path, Path | None] = field(default_factory=dict)

    @property
    def staging(self) -> Path:
        return self.layout.conf_dir / STAGING_DIR

    @property
    def previous(self) -> Path:
        return self.layout.conf_dir / PREVIOUS_DIR

    def stage(self, config: NodeConfig, document_text: str, dbd_password: str | None) -> Staged:
        """Render every file of config into the staging dir (ValueError: a file cannot be rendered)."""
        shutil.rmtree(self.staging, ignore_errors=True)
        self.staging.mkdir(parents=True, mode=0o700)
        staged = Staged()
        for name, text in render_all(config, self.layout, dbd_password).items():
            staged.files[self.layout.conf_dir / name] = _write(
                self.staging / name, text, _MODES.get(name, 0o644)
            )
        # The runtime configuration is staged next to its live path: the swap is a rename there too.
        config_staged = self.config_path.with_name(f".{self.config_path.name}.staged")
        staged.files[self.config_path] = _write(config_staged, document_text, 0o640)
        return staged

    def swap(self, staged: Staged) -> None:
        """Copy the live set aside, then rename each staged file over its live one."""
        shutil.rmtree(self.previous, ignore_errors=True)
        self.previous.mkdir(parents=True, mode=0o700)
        self._saved = {}
        for index, live in enumerate(staged.files):
            if live.exists():
                keep = self.previous / f"{index}-{live.name}"
                shutil.copy2(live, keep)
                _copy_owner(live, keep)
                self._saved[live] = keep
            else:
                self._saved[live] = None
        # Files the old set had and the new one does not (slurmdbd.conf once accounting is gone).
        for name in ("slurmdbd.conf",):
            live = self.layout.conf_dir / name
            if live not in staged.files and live.exists():
                keep = self.previous / name
                shutil.copy2(live, keep)
                _copy_owner(live, keep)
                self._saved[live] = keep
                live.unlink()
        for live, new in staged.files.items():
            if live.exists():
                _copy_owner(live, new)
                os.chmod(new, live.stat().st_mode & 0o7777)
            os.replace(new, live)
        shutil.rmtree(self.staging, ignore_errors=True)

    def restore(self) -> list[Path]:
        """Put the set copied aside by the last swap back; returns the paths restored."""
        restored = []
        for live, keep in self._saved.items():
            if keep is None:
                live.unlink(missing_ok=True)
            else:
                temporary = live.with_name(f".{live.name}.restore")
                shutil.copy2(keep, temporary)
                _copy_owner(keep, temporary)
                os.replace(temporary, live)
            restored.append(live)
        self._saved = {}
        return restored

    def discard(self) -> None:
        """Forget staged files (a check failed before anything was swapped)."""
        shutil.rmtree(self.staging, ignore_errors=True)
        self.config_path.with_name(f".{self.config_path.name}.staged").unlink(missing_ok=True)


def copy_to_login_share(config: NodeConfig, conf_dir: Path) -> Path | None:
    """Refresh the Slurm files login nodes read; None when the mount table shares no such dir."""
    try:
        shared = Path(shared_dir(parse_mounts(config.mounts), "login")) / "slurm"
    except (ConfigError, ValueError):
        return None
    if not shared.is_dir():
        return None
    for name in LOGIN_FILES:
        source = conf_dir / name
        if source.exists():
            temporary = shared / f".{name}.tmp"
            shutil.copy2(source, temporary)
            os.replace(temporary, shared / name)
    return shared


def _write(path: Path, text: str, mode: int) -> Path:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, mode)
    return path


def _copy_owner(source: Path, target: Path) -> None:
    """Give target source's owner and group (root only; elsewhere they are ours already)."""
    if os.geteuid() != 0:
        return
    info = source.stat()
    os.chown(target, info.st_uid, info.st_gid)
