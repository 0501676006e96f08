"""A moto server on 127.0.0.1 for the AWS-backed validators, and a World built in it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.processes import start_moto

from .world import REGION, World, build_world, reset


@pytest.fixture(scope="session")
def moto_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A moto server for the session, with the environment pointing boto3 at it."""
    root: Path = tmp_path_factory.mktemp("moto-validators")
    daemon, port = start_moto(root)
    url = f"http://127.0.0.1:{port}"
    with pytest.MonkeyPatch.context() as env:
        for key in ("AWS_PROFILE", "AWS_REGION"):
            env.delenv(key, raising=False)
        env.setenv("AWS_ENDPOINT_URL", url)
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("AWS_DEFAULT_REGION", REGION)
        try:
            yield url
        finally:
            daemon.stop()


@pytest.fixture(scope="module")
def world(moto_url: str) -> World:
    """The account of the validator tests, built once per module (the tests only read it)."""
    reset(moto_url)
    return build_world()
