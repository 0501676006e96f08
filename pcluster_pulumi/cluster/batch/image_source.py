"""The job image's build context (Dockerfile, buildspec, entry scripts) as a reproducible zip.

CodeBuild takes an S3 source only as a zip archive. The bytes depend on the files' contents
alone (sorted entries, fixed timestamps and modes), so the archive's hash — which the image
build resource carries — changes exactly when the image sources do, and only then is the
image rebuilt.
"""

from __future__ import annotations

import atexit
import hashlib
import shutil
import tempfile
import zipfile
from functools import cache
from pathlib import Path

__all__ = ["IMAGE_DIR", "build_image_source", "image_source", "source_digest"]

#: The sources shipped in the package.
IMAGE_DIR = Path(__file__).parent / "image"
_EPOCH = (1980, 1, 1, 0, 0, 0)


def build_image_source(source: Path, target: Path) -> Path:
    """Zip ``source`` into ``target`` reproducibly; scripts keep their execute bit."""
    files = sorted(p for p in source.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            info = zipfile.ZipInfo(path.relative_to(source).as_posix(), date_time=_EPOCH)
            mode = 0o755 if path.suffix == ".sh" else 0o644
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return target


def source_digest(path: Path) -> str:
    """sha256 of a file (what triggers a rebuild)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


@cache
def image_source() -> Path:
    """The package's image sources, zipped once per process into a private temporary directory."""
    directory = Path(tempfile.mkdtemp(prefix="pcluster-pulumi-image-"))
    atexit.register(shutil.rmtree, directory, True)
    return build_image_source(IMAGE_DIR, directory / "job-image.zip")
