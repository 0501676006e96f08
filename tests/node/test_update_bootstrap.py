"""The head node writes its own bootstrap files from the node package: the same as user data would carry."""

from __future__ import annotations

import json
from pathlib import Path

from pcluster_pulumi.cluster.user_data import head_loader_user_data
from pcluster_pulumi.contract.bootstrap import render_user_data
from pcluster_pulumi.contract.config import NodeConfig
from pcluster_pulumi.node.update_bootstrap import main, write_boot_files

from .factories import config_dict

KEY = "pcluster-pulumi/demo/config/node-config.json"


def head_root(tmp_path: Path, proxy: str | None) -> tuple[Path, list[dict[str, str]], Path]:
    """A head node's file system right after cloud-init wrote the loader's user data."""
    config = NodeConfig.from_dict(
        config_dict(bucket="b", node_package_key="pcluster-pulumi/demo/node/pcluster-pulumi-node.tar.gz")
    )
    full = render_user_data(config, "head", KEY, proxy=proxy)
    root = tmp_path / "root"
    for entry in json.loads(head_loader_user_data(full).split("\n", 1)[1])["write_files"]:
        target = root / entry["path"].lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(entry["content"])
    config_path = tmp_path / "node-config.json"
    config_path.write_text(config.to_json())
    return root, json.loads(full.split("\n", 1)[1])["write_files"], config_path


def test_the_files_written_are_those_the_full_user_data_carries(tmp_path: Path) -> None:
    root, expected, config_path = head_root(tmp_path, proxy="http://proxy:3128")
    written = write_boot_files(root, str(config_path))
    settings = {"/etc/pcluster-pulumi/bootstrap.env", "/etc/pcluster-pulumi/proxy.env"}
    assert sorted("/" + str(p.relative_to(root)) for p in written) == sorted(
        e["path"] for e in expected if e["path"] not in settings
    )
    for entry in expected:
        target = root / entry["path"].lstrip("/")
        assert target.read_text() == entry["content"], entry["path"]
        if entry["path"] not in settings:
            assert oct(target.stat().st_mode & 0o777) == oct(int(entry["permissions"], 8)), entry["path"]
    keeper_unit = root / "etc/systemd/system/pcluster-pulumi-keeper.service.d/pcluster-pulumi-proxy.conf"
    assert keeper_unit.read_text() == "[Service]\nEnvironmentFile=/etc/pcluster-pulumi/proxy.env\n"


def test_main_refuses_a_node_of_another_role(tmp_path: Path) -> None:
    root, _, _ = head_root(tmp_path, proxy=None)
    env = root / "etc/pcluster-pulumi/bootstrap.env"
    env.write_text(env.read_text().replace("ROLE=head", "ROLE=compute"))
    assert main(["head", "--root", str(root)]) == 2
