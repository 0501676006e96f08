"""The node package: ``pcluster_pulumi/node`` and ``contract`` as the tar.gz the bootstrap unpacks on nodes.

It carries an empty ``pcluster_pulumi/__init__.py`` of its own, because the real one imports
the spec layer (YAML, JSON Schema) that nodes do not have. The Pulumi side uploads the
result to the cluster bucket under the runtime configuration's ``node_package_key``.
"""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent
#: What runs on the nodes: the node programs and the vocabulary they share with the deploy side.
SHIPPED = ("contract", "node")
#: Data folders shipped whole: the trimmed botocore models the node programs load.
SHIPPED_DATA = ("node/aws_models", "node/aws_models_resume")
_TOP_INIT = b'"""pcluster-pulumi node runtime (the node package only)."""\n'


def build_node_package(destination: Path) -> Path:
    """Write the package to destination (a .tar.gz path) reproducibly; return destination."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    # gzip's header would otherwise carry the file name and time: fix both.
    with (
        open(destination, "wb") as raw,
        gzip.GzipFile(filename="", fileobj=raw, mode="wb", compresslevel=9, mtime=0) as zipped,
        tarfile.open(fileobj=zipped, mode="w") as archive,
    ):
        _add(archive, "pcluster_pulumi/__init__.py", _TOP_INIT)
        for package in SHIPPED:
            for source in sorted((PACKAGE_DIR / package).glob("*.py")):
                _add(archive, f"pcluster_pulumi/{package}/{source.name}", source.read_bytes())
        for folder in SHIPPED_DATA:
            for source in sorted(p for p in (PACKAGE_DIR / folder).rglob("*") if p.is_file()):
                _add(archive, f"pcluster_pulumi/{source.relative_to(PACKAGE_DIR)}", source.read_bytes())
    return destination


def _add(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    info.mtime = 0  # same bytes for the same sources: no spurious Pulumi diffs
    archive.addfile(info, io.BytesIO(data))
