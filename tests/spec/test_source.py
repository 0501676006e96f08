"""One rule decides what a config source is: a Path or a one-line str is a path, a str with a
newline is YAML text, a ClusterSpec is used as it is; problems always name the real file."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from pcluster_pulumi.spec.loader import load_spec
from pcluster_pulumi.spec.problems import SpecError
from pcluster_pulumi.spec.source import (
    MAX_CONFIG_BYTES,
    ConfigText,
    is_path_source,
    read_config_stream,
    resolve_source,
)

from .conftest import MINIMAL


@pytest.mark.parametrize("name", ["clustr", "cluster.YAML", "configs/c.yaml.j2", "c.yml", "a b.txt"])
def test_a_one_line_string_is_a_path_whatever_its_suffix(tmp_path: Path, name: str) -> None:
    assert is_path_source(name)
    with pytest.raises(SpecError) as caught:
        load_spec(str(tmp_path / name))
    hint = "(YAML text must contain a newline; a one-line string is read as a path)"
    assert str(caught.value) == f"{tmp_path / name}: no such file {hint}"


def test_a_path_with_an_unusual_suffix_is_read(tmp_path: Path) -> None:
    path = tmp_path / "cluster.YAML.j2"
    path.write_text(MINIMAL)
    assert load_spec(str(path)).head_node.instance_type == "t3.medium"
    assert load_spec(path).head_node.instance_type == "t3.medium"


def test_problems_of_a_file_name_the_file_not_string(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(MINIMAL.replace("t3.medium", "7"))
    with pytest.raises(SpecError) as caught:
        load_spec(str(path))
    assert caught.value.source == str(path)
    assert str(caught.value).startswith(f"{path}:4:17: HeadNode.InstanceType:")


def test_text_with_a_newline_is_yaml_and_reported_as_string() -> None:
    with pytest.raises(SpecError) as caught:
        load_spec(MINIMAL.replace("t3.medium", "7"))
    assert caught.value.source == "<string>"


def test_a_directory_is_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as caught:
        load_spec(tmp_path)
    assert str(caught.value) == f"{tmp_path}: is a directory, not a cluster config file"


def test_an_unreadable_file_is_one_sentence(tmp_path: Path) -> None:
    path = tmp_path / "secret.yaml"
    path.write_text(MINIMAL)
    path.chmod(0)
    try:
        path.open("rb").close()
    except PermissionError:
        pass
    else:
        pytest.skip("running as root: permissions do not apply")
    with pytest.raises(SpecError, match="permission denied"):
        load_spec(path)


def test_a_cluster_spec_is_used_as_it_is() -> None:
    spec = load_spec(MINIMAL)
    assert resolve_source(spec) is spec
    assert load_spec(spec) is spec


def test_something_else_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="not int"):
        resolve_source(3)  # type: ignore[arg-type]


def test_inline_text_is_returned_with_its_name() -> None:
    assert resolve_source(MINIMAL) == ConfigText(MINIMAL, "<string>")


def test_not_utf8_names_the_first_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("Image:\n  Os: alinux2023 # é\n".encode("latin-1"))
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert str(caught.value) == f"{path}: not UTF-8 text (byte 27)"


def test_a_file_over_the_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    with path.open("wb") as fh:
        fh.truncate(MAX_CONFIG_BYTES + 1)  # sparse: nothing to parse, only the size counts
    with pytest.raises(SpecError, match=r"at most 2,097,152 bytes \(2 MiB\)"):
        load_spec(path)


def test_a_stream_over_the_limit_is_refused() -> None:
    with pytest.raises(SpecError, match="more than 2,097,152 bytes"):
        read_config_stream(io.BytesIO(b"#" * (MAX_CONFIG_BYTES + 1)))
