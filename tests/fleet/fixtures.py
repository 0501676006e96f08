"""Fixtures of the fleet and day-2 CLI tests: a moto server on 127.0.0.1 and clusters in it.

The server is started the way the integration tests start it (``tests/integration/processes``);
clients reach it through ``AWS_ENDPOINT_URL``, exactly as a user would point the CLI elsewhere.
``aws`` wipes it for a test that changes it; ``demo`` builds one cluster per module for the
tests that only read (building one takes a second or two).
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from pcluster_pulumi.contract.update_report import UpdateReport
from pcluster_pulumi.fleet.aws import AwsClients
from pcluster_pulumi.node.fleet_status import STATE_DIR_ENV
from tests.integration.processes import start_moto

from .world import REGION, World, build_cluster

#: The head node's report after applying version v7 of the runtime configuration.
APPLIED_V7 = UpdateReport(
    status="APPLIED",
    config_etag="etag-7",
    config_version_id="v7",
    applied_etag="etag-7",
    applied_version_id="v7",
    summary="queue gpu added",
    time="2026-12-01T10:00:00+00:00",
)


def reset(url: str) -> None:
    """Forget every resource moto holds."""
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST")).close()


def point_at(env: pytest.MonkeyPatch, url: str, state_dir: Path) -> None:
    """Fake credentials, the region, and every AWS client of the process sent to ``url``."""
    for key in ("AWS_PROFILE", "AWS_REGION"):
        env.delenv(key, raising=False)
    env.setenv("AWS_ENDPOINT_URL", url)
    env.setenv("AWS_ACCESS_KEY_ID", "testing")
    env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    env.setenv("AWS_DEFAULT_REGION", REGION)
    env.setenv(STATE_DIR_ENV, str(state_dir))


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a moto server running for the whole session."""
    daemon, port = start_moto(tmp_path_factory.mktemp("moto"))
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        daemon.stop()


@pytest.fixture
def aws_env(moto_server: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """The environment points at the server for this test only (nothing leaks into other tests)."""
    point_at(monkeypatch, moto_server, tmp_path / "keeper-state")
    return moto_server


@pytest.fixture
def aws(aws_env: str) -> str:
    """An empty moto for this test; returns its URL."""
    reset(aws_env)
    return aws_env


@pytest.fixture(scope="module")
def demo_world(moto_server: str, tmp_path_factory: pytest.TempPathFactory) -> World:
    """Cluster ``demo`` (and a ``demo-2`` next to it), built once for a module of read-only tests."""
    with pytest.MonkeyPatch.context() as env:
        point_at(env, moto_server, tmp_path_factory.mktemp("keeper-state"))
        reset(moto_server)
        build_cluster("demo-2", cidr="10.41.0.0/16", nodes=("q1-dy-c5-1",), login_count=0)
        return build_cluster("demo", head_update=APPLIED_V7)


@pytest.fixture
def demo(demo_world: World, aws_env: str) -> World:
    """``demo_world`` with the environment pointing at it for this test."""
    return demo_world


@pytest.fixture
def clients(aws_env: str) -> AwsClients:
    return AwsClients(REGION)
