"""The head node upgrades its own node programs when an update ships a new node package.

The package travels in the runtime configuration (``node_package_key`` and its version), not
in the head node's user data, so upgrading pcluster-pulumi never changes user data and never
stops the head node. The agent unpacks the new archive next to the live library directory and
swaps the ``pcluster_pulumi`` tree with two renames; resume and suspend pick the new code up at
their next start, and the keeper restarts itself after the pass (systemd starts it again).
"""

from __future__ import annotations

import io
import os
import shutil
import tarfile
from pathlib import Path

from pcluster_pulumi.node.aws import Clients

PACKAGE = "pcluster_pulumi"


def library_dir() -> Path:
    """The directory on ``PYTHONPATH`` holding the running ``pcluster_pulumi`` package."""
    return Path(__file__).resolve().parents[2]  # <lib>/pcluster_pulumi/node/update_package.py


def install_package(clients: Clients, bucket: str, key: str, lib: Path | None = None) -> Path:
    """Download the archive at s3://bucket/key and make it the live package; returns the package dir.

    Extraction happens into a fresh sibling directory first (``filter="data"``: no absolute
    paths, links out of the tree or device files), so a broken archive leaves the live
    package untouched.
    """
    lib = lib or library_dir()
    body = clients.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    staging = lib / f".{PACKAGE}.new"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    with tarfile.open(fileobj=io.BytesIO(body), mode="r:gz") as archive:
        archive.extractall(staging, filter="data")
    new = staging / PACKAGE
    if not (new / "node" / "keeper.py").is_file():
        shutil.rmtree(staging, ignore_errors=True)
        raise ValueError(f"s3://{bucket}/{key} is not a node package (no {PACKAGE}/node/keeper.py)")
    live = lib / PACKAGE
    old = lib / f".{PACKAGE}.old"
    shutil.rmtree(old, ignore_errors=True)
    if live.exists():
        os.replace(live, old)
    os.replace(new, live)
    shutil.rmtree(staging, ignore_errors=True)
    shutil.rmtree(old, ignore_errors=True)
    return live
