"""The boot steps around storage: the shared directories, the VPC networks from instance
metadata, and the accounting database password in either secret format."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest

from pcluster_pulumi.contract.config import ENV_VAR, NodeConfig
from pcluster_pulumi.contract.slurm_layout import SlurmLayout
from pcluster_pulumi.node import imds
from pcluster_pulumi.node.aws import Clients
from pcluster_pulumi.node.boot_steps import accounting_password, database_password, main
from pcluster_pulumi.node.slurm_files import render_slurmdbd_conf

from .factories import config_dict
from .mount_tables import full_mounts, internal_efs_mounts


def write_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **extra: Any) -> Path:
    path = tmp_path / "node-config.json"
    path.write_text(json.dumps(config_dict(**extra)))
    monkeypatch.setenv(ENV_VAR, str(path))
    return path


@pytest.mark.parametrize("mounts", [full_mounts, internal_efs_mounts], ids=["exported", "internal-efs"])
def test_shared_dir_step_prints_parallelclusters_dirs_from_the_mount_table(
    mounts: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_config(tmp_path, monkeypatch, mounts=mounts())
    assert main(["shared-dir", "compute"]) == 0
    assert main(["shared-dir", "login"]) == 0
    assert capsys.readouterr().out.split() == [
        "/opt/parallelcluster/shared",
        "/opt/parallelcluster/shared_login_nodes",
    ]


def test_shared_dir_step_fails_clearly_without_the_internal_dirs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_config(tmp_path, monkeypatch)
    assert main(["shared-dir", "compute"]) == 1
    assert (
        "expected exactly one directory the head node shares with compute nodes only"
        in capsys.readouterr().err
    )


def test_storage_step_reports_a_bad_entry_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_config(tmp_path, monkeypatch, mounts=[{"mount_dir": "/x", "kind": "ebs", "source": "/dev/sdf"}])
    assert main(["storage", "head"]) == 1
    assert capsys.readouterr().err == (
        "storage setup failed: $.mounts[0].volumes: an ebs entry needs at least one volume\n"
    )


def test_storage_step_with_nothing_for_the_role_touches_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    mounts = [m for m in full_mounts() if m["roles"] == ["head"] and m["kind"] == "local"]
    write_config(tmp_path, monkeypatch, mounts=mounts)
    assert main(["storage", "compute"]) == 0
    assert capsys.readouterr().out == ""


# -- instance metadata ---------------------------------------------------------------------


class _Metadata(BaseHTTPRequestHandler):
    """IMDSv2: a PUT for a token, then GETs that must carry it."""

    token = "t0ken"
    answers = {
        "/latest/meta-data/mac": "0e:12:34:56:78:9a",
        "/latest/meta-data/network/interfaces/macs/0e:12:34:56:78:9a/vpc-ipv4-cidr-blocks": (
            "10.0.0.0/16\n100.64.0.0/16"
        ),
    }

    def do_PUT(self) -> None:
        ok = self.path == "/latest/api/token" and self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
        self._reply(200 if ok else 400, self.token if ok else "")

    def do_GET(self) -> None:
        if self.headers.get("X-aws-ec2-metadata-token") != self.token:
            self._reply(401, "")
        elif self.path in self.answers:
            self._reply(200, self.answers[self.path])
        else:
            self._reply(404, "")

    def _reply(self, status: int, body: str) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def metadata(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Metadata)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    endpoint = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv(imds.ENDPOINT_ENV, endpoint)
    yield endpoint
    server.shutdown()
    server.server_close()


def test_exports_go_to_every_cidr_block_of_the_vpc(metadata: str) -> None:
    assert imds.vpc_cidr_blocks() == ["10.0.0.0/16", "100.64.0.0/16"]


def test_metadata_that_does_not_answer_is_a_clear_error(metadata: str) -> None:
    with pytest.raises(imds.MetadataError, match="instance metadata 'nothing' unavailable: HTTP Error 404"):
        imds.get("nothing", attempts=1)


# -- the accounting database password ------------------------------------------------------


@pytest.mark.parametrize(
    ("secret", "password"),
    [
        ('{"username": "clusteradmin", "password": "s3cr=t{x}"}', "s3cr=t{x}"),
        ("plain-Pa55word", "plain-Pa55word"),
        ("plain-Pa55word\n", "plain-Pa55word"),
        ("{not json", "{not json"),
        ('"quoted"', '"quoted"'),
    ],
)
def test_the_password_is_read_from_rds_json_or_a_bare_secret(secret: str, password: str) -> None:
    assert database_password(secret) == password


def test_a_json_secret_without_a_password_is_refused() -> None:
    with pytest.raises(ValueError, match="without a 'password' string"):
        database_password('{"username": "admin"}')


@pytest.mark.parametrize(
    "secret_string",
    ['{"username": "clusteradmin", "password": "from-rds"}', "from-rds"],
    ids=["rds-managed", "user-secret"],
)
def test_slurmdbd_conf_gets_the_password_of_either_secret(moto: None, secret_string: str) -> None:
    arn = boto3.client("secretsmanager", region_name="us-east-1").create_secret(
        Name="db", SecretString=secret_string
    )["ARN"]
    accounting = {
        "kind": "database",
        "host": "db.example",
        "user_name": "clusteradmin",
        "password_secret_arn": arn,
    }
    config = NodeConfig.from_dict(config_dict(scheduler={"accounting": accounting}))
    password = accounting_password(Clients("us-east-1"), config)
    assert password == "from-rds"
    text = render_slurmdbd_conf(config, SlurmLayout(controller_hostname="head"), password)
    assert "StoragePass=from-rds\n" in text
    assert accounting_password(Clients("us-east-1"), NodeConfig.from_dict(config_dict())) is None
