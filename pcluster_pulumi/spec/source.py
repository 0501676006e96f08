"""Where a cluster config comes from: one rule for "path, YAML text or ready spec", and safe reads.

Every entry point (``load_spec``, the ``Cluster`` component, ``ClusterStack``, the offline
``plan``, the CLI) takes the same kinds of source, so one function decides what a source is:

- a ``ClusterSpec`` is used as it is;
- a ``pathlib.Path`` (any ``os.PathLike``) is a path;
- a ``str`` with a newline is YAML text (every cluster config has more than one line);
- any other ``str`` is a path, whatever its suffix (``cluster.YAML``, ``c.yaml.j2``, ``clustr``).

Reads refuse, before parsing, anything a cluster config never is: a file larger than
``MAX_CONFIG_BYTES`` or bytes that are not UTF-8. Each refusal is one ``SpecError`` whose
single problem names the file (``FILE: not UTF-8 text (byte N)``), never a traceback.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from pcluster_pulumi.spec.model import ClusterSpec
from pcluster_pulumi.spec.problems import Problem, SpecError, shorten

# A ParallelCluster config with 50 queues of 50 compute resources (its maxima) is a few
# hundred KiB; 2 MiB leaves ample room and keeps a hostile file from costing minutes.
MAX_CONFIG_BYTES = 2 * 1024 * 1024
INLINE_NAME = "<string>"
STDIN_NAME = "<stdin>"

SpecSource = str | os.PathLike[str] | ClusterSpec


@dataclass(frozen=True)
class ConfigText:
    """YAML text and the name problems are reported under (the file's path as given)."""

    text: str
    name: str
    path: Path | None = None


def is_path_source(source: str | os.PathLike[str]) -> bool:
    """The one rule: a PathLike or a str without a newline is a path; a str with one is YAML text."""
    return isinstance(source, os.PathLike) or "\n" not in source


def _refuse(name: str, message: str) -> SpecError:
    return SpecError([Problem("", message)], name)


def decode_utf8(data: bytes, name: str) -> str:
    """The text of ``data``; bytes that are not UTF-8 are refused naming the first bad byte
    (counted from 1, as ``cmp`` does)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _refuse(name, f"not UTF-8 text (byte {exc.start + 1})") from None


def _too_large(size: int) -> str:
    return (
        f"the file is {size:,} bytes; a cluster config may be at most {MAX_CONFIG_BYTES:,} bytes "
        f"({MAX_CONFIG_BYTES // (1024 * 1024)} MiB)"
    )


def read_config_file(path: str | os.PathLike[str]) -> ConfigText:
    """Read a config file; missing, a directory, unreadable, too large or not UTF-8 is one
    sentence naming the file."""
    name = os.fspath(path)
    file = Path(name)
    try:
        if file.is_dir():
            raise _refuse(name, "is a directory, not a cluster config file")
        size = file.stat().st_size
        if size > MAX_CONFIG_BYTES:
            raise _refuse(name, _too_large(size))
        with file.open("rb") as fh:
            data = fh.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        hint = " (YAML text must contain a newline; a one-line string is read as a path)"
        raise _refuse(shorten(name, 200), "no such file" + hint) from None
    except PermissionError:
        raise _refuse(name, "cannot read the file: permission denied") from None
    except OSError as exc:
        raise _refuse(name, f"cannot read the file: {exc.strerror or exc}") from None
    if len(data) > MAX_CONFIG_BYTES:  # grew since stat, or a pipe/device
        raise _refuse(name, _too_large(len(data)))
    return ConfigText(decode_utf8(data, name), name, file)


def read_config_stream(stream: BinaryIO, name: str = STDIN_NAME) -> ConfigText:
    """Read a config from a byte stream (standard input), with the same limits as a file."""
    data = stream.read(MAX_CONFIG_BYTES + 1)
    if len(data) > MAX_CONFIG_BYTES:
        raise _refuse(name, f"more than {MAX_CONFIG_BYTES:,} bytes; a cluster config is never that large")
    return ConfigText(decode_utf8(data, name), name)


def config_text(source: str | os.PathLike[str]) -> ConfigText:
    """The YAML text of a path or inline-text source (see the module rule)."""
    if is_path_source(source):
        return read_config_file(source)
    text = str(source)
    if len(text.encode("utf-8", "surrogatepass")) > MAX_CONFIG_BYTES:
        raise _refuse(INLINE_NAME, _too_large(len(text.encode("utf-8", "surrogatepass"))))
    return ConfigText(text, INLINE_NAME)


def resolve_source(source: SpecSource) -> ClusterSpec | ConfigText:
    """A ready ``ClusterSpec`` as it is, else the config's text and name; raises ``SpecError``
    for an unreadable source and ``TypeError`` for something that is no source at all."""
    if isinstance(source, ClusterSpec):
        return source
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(
            f"a cluster config source is a path, YAML text or a ClusterSpec, not {type(source).__name__}"
        )
    return config_text(source)
