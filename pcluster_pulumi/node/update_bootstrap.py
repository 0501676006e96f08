"""The head node's user data is a loader that never changes; the bootstrap comes from the package.

EC2 stops and starts an instance whose user data changes, and the head node runs the Slurm
controller of every running job. So the head node's user data holds only its settings
(``bootstrap.env``, ``proxy.env``) and ``LOADER``, a fixed script: it fetches the node package
and the runtime configuration, then runs ``python3 -m pcluster_pulumi.node.update_bootstrap
head``, which writes the bootstrap script, program wrappers and systemd units *of that package*
(the very files other roles get in their user data), and finally the bootstrap itself
(``cluster/user_data.py`` renders the loader). A new pcluster-pulumi release therefore changes
the node package and the runtime configuration (``node_package_version``), never the head
node's user data; the running head node upgrades its programs in an update pass
(``update_package``) and writes these files again (``write_boot_files``), so a later reboot
runs the new ones.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pcluster_pulumi.contract.bootstrap import CONFIG_PATH, render_user_data
from pcluster_pulumi.contract.config import ENV_VAR, NodeConfig
from pcluster_pulumi.contract.proxy import ENV_FILE as PROXY_ENV_FILE

BOOTSTRAP_ENV = "/etc/pcluster-pulumi/bootstrap.env"
#: Files the loader's user data carries itself (settings, not code).
SETTINGS_FILES = (BOOTSTRAP_ENV, PROXY_ENV_FILE)


def read_env_file(path: Path) -> dict[str, str]:
    """``KEY=value`` lines (shell-quoted values) as written by the bootstrap's renderers."""
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition("=")
        if sep and key.isidentifier():
            words = shlex.split(value)
            values[key] = words[0] if words else ""
    return values


def boot_files(config: NodeConfig, settings: dict[str, str], proxy: str | None) -> list[dict[str, Any]]:
    """The role's files as its full user data would carry them (the head node writes them itself)."""
    text = render_user_data(
        config, settings["ROLE"], settings["CONFIG_KEY"], proxy=proxy, pool=settings.get("POOL")
    )
    files: list[dict[str, Any]] = json.loads(text.split("\n", 1)[1])["write_files"]
    return files


def write_boot_files(root: Path = Path("/"), config_path: str | None = None) -> list[Path]:
    """Write this node's bootstrap, wrappers and units from the installed package; returns the paths.

    Settings files are left as the user data wrote them. ``root`` relocates every path (tests).
    """
    settings = read_env_file(root / BOOTSTRAP_ENV.lstrip("/"))
    proxy_file = root / PROXY_ENV_FILE.lstrip("/")
    proxy = read_env_file(proxy_file).get("https_proxy") if proxy_file.exists() else None
    config = NodeConfig.load(config_path or os.environ.get(ENV_VAR) or CONFIG_PATH)
    written = []
    for entry in boot_files(config, settings, proxy):
        if entry["path"] in SETTINGS_FILES:
            continue
        target = root / str(entry["path"]).lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.tmp")
        temporary.write_text(entry["content"], encoding="utf-8")
        temporary.chmod(int(entry["permissions"], 8))
        os.replace(temporary, target)
        written.append(target)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """Write the role's boot files (the head node's loader runs this)."""
    parser = argparse.ArgumentParser(
        prog="python3 -m pcluster_pulumi.node.update_bootstrap", description=__doc__
    )
    parser.add_argument("role", choices=("head",))
    parser.add_argument("--root", default="/", help="write under this directory instead of /")
    args = parser.parse_args(argv)
    role = read_env_file(Path(args.root) / BOOTSTRAP_ENV.lstrip("/")).get("ROLE")
    if role != args.role:
        print(f"this is a {role} node, not a {args.role} node", file=sys.stderr)
        return 2
    for path in write_boot_files(Path(args.root)):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
