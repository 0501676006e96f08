"""Where nodes fetch from: custom action script URLs and the HTTP proxy address."""

from __future__ import annotations

import pytest

from pcluster_pulumi.spec.problems import Level

from .conftest import QUEUE

ERROR, WARNING = Level.ERROR, Level.WARNING


@pytest.mark.parametrize("url", ["s3://bucket/scripts/start.sh", "https://example.com/start.sh"])
def test_s3_object_and_https_scripts_are_accepted(slurm, where, url: str) -> None:
    slurm["HeadNode"]["CustomActions"] = {"OnNodeStart": {"Script": url, "Args": ["-v"]}}
    assert where(slurm, "UrlValidator") == []


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/start.sh",
        "ftp://example.com/x.sh",
        "file:///tmp/x.sh",
        "s3://bucket",
        "s3://b/dir/",
    ],
)
def test_scripts_a_node_cannot_fetch_are_errors(slurm, where, url: str) -> None:
    slurm["HeadNode"]["CustomActions"] = {"OnNodeConfigured": {"Script": url}}
    assert where(slurm, "UrlValidator") == [
        (("HeadNode", "CustomActions", "OnNodeConfigured", "Script"), ERROR)
    ]


def test_each_step_of_a_queue_sequence_is_checked(slurm, where) -> None:
    queue = slurm["Scheduling"]["SlurmQueues"][0]
    queue["CustomActions"] = {
        "OnNodeStart": {"Sequence": [{"Script": "s3://b/ok.sh"}, {"Script": "s3://b"}]},
    }
    path = (*QUEUE, "CustomActions", "OnNodeStart", "Sequence", 1, "Script")
    assert where(slurm, "UrlValidator") == [(path, ERROR)]


@pytest.mark.parametrize(
    ("address", "level"),
    [("http://proxy.example.com:3128", None), ("https://10.0.0.5:8080", None), ("proxy:3128", WARNING)],
)
def test_proxy_address_is_an_http_url(slurm, where, address: str, level: Level | None) -> None:
    slurm["HeadNode"]["Networking"]["Proxy"] = {"HttpProxyAddress": address}
    expected = [] if level is None else [(("HeadNode", "Networking", "Proxy", "HttpProxyAddress"), level)]
    assert where(slurm, "ProxyAddressValidator") == expected
