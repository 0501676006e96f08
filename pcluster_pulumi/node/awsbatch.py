"""The head node of an AWS Batch cluster: the ``awsb*`` commands and their configuration.

ParallelCluster's cookbook installs ``aws-parallelcluster-awsbatch-cli`` on the head node and
writes ``~/.parallelcluster/awsbatch-cli.cfg`` for the cluster's user; the commands then need no
CloudFormation. Here the configuration was rendered at deploy time (``derive/batch.py``) and
stored in the cluster bucket; this step fetches it, installs it for the default user and root,
and installs the CLI in a virtual environment of its own (its pins, e.g. ``packaging~=25``,
then never meet the node's other Python packages), linking the six commands into ``/usr/local/bin``.

    python3 -m pcluster_pulumi.node.awsbatch install --bucket B --key K --user ec2-user
    python3 -m pcluster_pulumi.node.awsbatch head    # at boot: exit 3 when the cluster is not Batch

``head`` is what the AWS Batch head node's bootstrap runs (``contract/batch_head.py``): the
configuration object sits next to the runtime configuration (``CONFIG_KEY``) only on an AWS Batch
cluster (its absence: exit status 3, which the common bootstrap, still trying this step on every
head node, takes as "set up Slurm"). The package installed is ``DevSettings.AwsBatchCliPackage``
(``--package``, else the configuration's ``[pcluster-pulumi] package``, else ``REQUIREMENT``); an
``s3://`` package is downloaded first with the head node's role, as ParallelCluster's cookbook does
for ``custom_awsbatchcli_package``, since pip cannot read S3.
"""

from __future__ import annotations

import argparse
import configparser
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pcluster_pulumi.contract.config import NodeConfig

__all__ = ["COMMANDS", "REQUIREMENT", "install_cli", "install_config", "local_package", "main"]

#: The console scripts of the package (what users type on the head node).
COMMANDS = ("awsbhosts", "awsbkill", "awsbout", "awsbqueues", "awsbstat", "awsbsub")
#: What ParallelCluster 3.15 requires of the CLI (its ``BatchCliRequirements`` output).
REQUIREMENT = "aws-parallelcluster-awsbatch-cli<2.0.0"
CONFIG_RELATIVE_PATH = Path(".parallelcluster") / "awsbatch-cli.cfg"
#: Name of the rendered configuration next to the runtime configuration in the bucket.
CONFIG_OBJECT = "awsbatch-cli.cfg"
#: Section of the configuration the CLI ignores: the package to install (``derive/batch.py``).
INSTALL_SECTION = "pcluster-pulumi"
#: ``head`` exit status when the cluster has no Batch configuration (it is a Slurm cluster).
NOT_BATCH = 3
VENV = Path("/opt/pcluster-pulumi/awsbatch-cli")
#: Where an ``s3://`` AwsBatchCliPackage is downloaded before pip installs it.
DOWNLOADS = Path("/opt/pcluster-pulumi/awsbatch-cli-package")
BIN_DIR = Path("/usr/local/bin")

Runner = Callable[..., Any]


def install_config(text: str, homes: Sequence[tuple[Path, int, int]]) -> list[Path]:
    """Write the CLI configuration into each ``(home, uid, gid)``'s ``~/.parallelcluster`` (owned by them)."""
    written = []
    for home, uid, gid in homes:
        directory = home / CONFIG_RELATIVE_PATH.parent
        directory.mkdir(mode=0o755, parents=True, exist_ok=True)
        path = home / CONFIG_RELATIVE_PATH
        path.write_text(text)
        path.chmod(0o644)
        if os.geteuid() == 0:
            os.chown(directory, uid, gid)
            os.chown(path, uid, gid)
        written.append(path)
    return written


def install_cli(
    requirement: str = REQUIREMENT,
    *,
    venv: Path = VENV,
    bin_dir: Path = BIN_DIR,
    python: str = sys.executable,
    run: Runner = subprocess.run,
) -> list[Path]:
    """Install the CLI into its own virtual environment and link its commands into ``bin_dir``."""
    run([python, "-m", "venv", str(venv)], check=True)
    run([str(venv / "bin" / "pip"), "install", "--quiet", "--upgrade", requirement], check=True)
    bin_dir.mkdir(parents=True, exist_ok=True)
    linked = []
    for command in COMMANDS:
        target, link = venv / "bin" / command, bin_dir / command
        if not target.exists():
            raise FileNotFoundError(f"{requirement} installed no {command} in {target.parent}")
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(target)
        linked.append(link)
    return linked


def _fetch(bucket: str, key: str, region: str | None) -> str | None:
    """The rendered configuration from the cluster bucket; None when there is none (not Batch)."""
    import boto3  # start-up: only these steps need boto3
    from botocore.exceptions import ClientError  # start-up: as above

    try:
        body = boto3.client("s3", region_name=region).get_object(Bucket=bucket, Key=key)["Body"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return None
        raise
    return str(body.read().decode())


def local_package(package: str, region: str | None, directory: Path | None = None) -> str:
    """What pip can install: an ``s3://BUCKET/KEY`` archive downloaded to ``DOWNLOADS``, else ``package``."""
    if not package.startswith("s3://"):
        return package  # a PyPI requirement or an https:// archive: pip fetches it itself
    bucket, _, key = package.removeprefix("s3://").partition("/")
    if not bucket or not key or key.endswith("/"):
        raise ValueError(f"AwsBatchCliPackage {package!r} names no object: use s3://BUCKET/KEY")
    import boto3  # start-up: only these steps need boto3

    directory = directory or DOWNLOADS
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / key.rsplit("/", 1)[-1]
    boto3.client("s3", region_name=region).download_file(bucket, key, str(target))
    return str(target)


def batch_config_key(runtime_config_key: str) -> str:
    """Key of the CLI configuration: next to the runtime configuration (``…/config/``)."""
    folder = runtime_config_key.rpartition("/")[0]
    return f"{folder}/{CONFIG_OBJECT}" if folder else CONFIG_OBJECT


def package_of(text: str) -> str:
    """The package the configuration names in its ``[pcluster-pulumi]`` section (else the default)."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text)
    return parser.get(INSTALL_SECTION, "package", fallback=REQUIREMENT)


def setup_head(config: NodeConfig, runtime_config_key: str, package: str | None = None) -> bool:
    """Install the awsb* commands for the cluster user and root; False when the cluster is not Batch.

    ``package`` overrides the configuration's (``DevSettings.AwsBatchCliPackage``).
    """
    if not config.bucket:
        return False
    text = _fetch(config.bucket, batch_config_key(runtime_config_key), config.region)
    if text is None:
        return False
    requirement = local_package(package or package_of(text), config.region)
    for path in install_config(text, _homes(config.cluster_user)):
        print(f"wrote {path}")
    for link in install_cli(requirement):
        print(f"installed {link}")
    return True


def _homes(user: str) -> list[tuple[Path, int, int]]:
    """The default user's and root's homes, with their ids."""
    import pwd  # start-up: POSIX only; keeps the module importable (and testable) anywhere

    out = []
    for name in dict.fromkeys((user, "root")):
        entry = pwd.getpwnam(name)
        out.append((Path(entry.pw_dir), entry.pw_uid, entry.pw_gid))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """``install``: fetch the configuration, write it for the user and root, install the commands."""
    parser = argparse.ArgumentParser(prog="pcluster_pulumi.node.awsbatch")
    sub = parser.add_subparsers(dest="step", required=True)
    install = sub.add_parser("install", help="install the awsb* commands and their configuration")
    install.add_argument("--bucket", required=True)
    install.add_argument("--key", required=True, help="key of the rendered awsbatch-cli.cfg")
    install.add_argument("--user", required=True, help="the cluster's default user")
    install.add_argument("--region")
    install.add_argument("--package", default=REQUIREMENT, help="DevSettings.AwsBatchCliPackage, if set")
    head = sub.add_parser(
        "head", help="on a head node: install the commands if the cluster is AWS Batch (else exit 3)"
    )
    head.add_argument(
        "--package", help="DevSettings.AwsBatchCliPackage (default: the one the configuration names)"
    )
    args = parser.parse_args(argv)
    if args.step == "head":
        key = os.environ.get("CONFIG_KEY", "")
        return 0 if setup_head(NodeConfig.load(), key, args.package) else NOT_BATCH
    text = _fetch(args.bucket, args.key, args.region)
    if text is None:
        print(f"no s3://{args.bucket}/{args.key}", file=sys.stderr)
        return 1
    for path in install_config(text, _homes(args.user)):
        print(f"wrote {path}")
    for link in install_cli(local_package(args.package, args.region)):
        print(f"installed {link}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
