"""Fixtures of the AWS Batch tests: a moto server on 127.0.0.1 for the ``awsb*`` commands.

moto's Batch backend (not the Docker-free "simple" one) is used on purpose: without a Docker
daemon its jobs fail as soon as they would start a container, but a job waiting on a dependency
stays ``PENDING`` until it is terminated, which is what ``awsbkill`` needs to act on.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator

import pytest

from tests.integration.processes import start_moto

REGION = "us-east-1"


@pytest.fixture(scope="module")
def moto_batch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a fresh moto server, with the environment's AWS settings pointing at it."""
    root = tmp_path_factory.mktemp("moto-batch")
    daemon, port = start_moto(root)
    url = f"http://127.0.0.1:{port}"
    with pytest.MonkeyPatch.context() as env:
        for key in ("AWS_PROFILE", "AWS_REGION", "AWS_SESSION_TOKEN"):
            env.delenv(key, raising=False)
        env.setenv("AWS_ENDPOINT_URL", url)
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("AWS_DEFAULT_REGION", REGION)
        try:
            urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST")).close()
            yield url
        finally:
            daemon.stop()
