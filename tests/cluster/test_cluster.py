"""The Cluster component's gatekeeping: what it refuses, what it warns about, what it exposes."""

from __future__ import annotations

import base64
import json

import pytest

from pcluster_pulumi.cluster.cluster import UnsupportedSpecError, check_supported, deferred_features
from pcluster_pulumi.engines.offline.plan import plan
from pcluster_pulumi.spec.loader import load_spec
from pcluster_pulumi.spec.problems import SpecError

from .conftest import CORPUS, EXAMPLES, MINIMAL, named

QUEUE_NET = "      Networking:\n        SubnetIds:\n"


def test_a_plain_slurm_cluster_has_nothing_deferred() -> None:
    assert deferred_features(load_spec(MINIMAL)) == []


def test_login_pools_and_directory_users_are_deployed_without_warning() -> None:
    for config in ("it_basic_essential_features", "it_ad_integration"):
        assert deferred_features(load_spec(CORPUS / "valid" / f"{config}-pcluster.config.yaml")) == []


def test_custom_actions_run_at_boot_but_on_node_updated_is_named_as_not_run() -> None:
    boot = MINIMAL.replace(
        "HeadNode:\n",
        "HeadNode:\n  CustomActions:\n    OnNodeStart:\n      Script: s3://b/start.sh\n"
        "    OnNodeConfigured:\n      Sequence:\n        - Script: https://example.com/a.sh\n",
        1,
    )
    assert deferred_features(load_spec(boot)) == []
    updated = MINIMAL.replace(
        "HeadNode:\n", "HeadNode:\n  CustomActions:\n    OnNodeUpdated:\n      Script: s3://b/up.sh\n", 1
    )
    assert [m.split(" ", 1)[0] for m in deferred_features(load_spec(updated))] == [
        "HeadNode.CustomActions.OnNodeUpdated"
    ]


@pytest.mark.parametrize("url", ["ftp://host/x.sh", "s3://bucket-only", "s3://b/prefix/", "http://h/x.sh"])
def test_custom_action_scripts_nodes_cannot_fetch_are_refused(url: str) -> None:
    text = MINIMAL.replace(
        QUEUE_NET, f"      CustomActions:\n        OnNodeStart:\n          Script: {url}\n" + QUEUE_NET
    )
    with pytest.raises(SpecError, match=r"neither s3:// nor https://|names no object"):
        load_spec(text)  # validate refuses it; the component guards it again:
    with pytest.raises(
        UnsupportedSpecError,
        match=r"queue 'q1' CustomActions: Script '.*' (is neither s3://|names no object)",
    ):
        check_supported(load_spec(text, suppress_validators=["UrlValidator"]), "demo")


@pytest.mark.parametrize("example", ["slurm-storage.yaml", "slurm-accounting.yaml"])
def test_shared_storage_and_managed_accounting_are_deployed_not_deferred(example: str) -> None:
    spec = load_spec(EXAMPLES / example)
    assert spec.shared_storage and deferred_features(spec) == []


def test_proxies_reach_the_head_node_and_only_the_queue_that_sets_one(plan_of) -> None:  # type: ignore[no-untyped-def]
    second = MINIMAL[MINIMAL.index("    - Name: q1") :].replace("q1", "q2")
    text = (
        MINIMAL.replace(
            "HeadNode:\n  InstanceType: t3.medium\n  Networking:\n",
            "HeadNode:\n  InstanceType: t3.medium\n  Networking:\n    Proxy:\n"
            "      HttpProxyAddress: http://head-proxy:3128\n",
        ).replace(
            QUEUE_NET,
            "      Networking:\n        Proxy:\n          HttpProxyAddress: http://q1-proxy:8080\n"
            "        SubnetIds:\n",
        )
        + second
    )
    spec = load_spec(text)
    assert deferred_features(spec) == []
    result = plan_of(text)

    def proxy_env(user_data: str) -> str | None:
        files = json.loads(user_data.split("\n", 1)[1])["write_files"]
        return next((f["content"] for f in files if f["path"] == "/etc/pcluster-pulumi/proxy.env"), None)

    head = proxy_env(named(result, "demo-head-node-instance").inputs["userData"])
    assert head is not None and "https_proxy=http://head-proxy:3128\n" in head
    assert "no_proxy=localhost,127.0.0.1,169.254.169.254,169.254.169.253,demo.pcluster\n" in head
    q1, q2 = (
        proxy_env(base64.b64decode(named(result, f"demo-queues-{q}-c5").inputs["userData"]).decode())
        for q in ("q1", "q2")
    )
    assert q1 is not None and "http_proxy=http://q1-proxy:8080\n" in q1
    assert q2 is None


@pytest.mark.parametrize("name", ["1cluster", "has_underscore", "x" * 61])
def test_invalid_cluster_names_are_refused(name: str) -> None:
    with pytest.raises(UnsupportedSpecError, match="invalid cluster name"):
        check_supported(load_spec(MINIMAL), name)


def test_a_spec_region_the_provider_does_not_deploy_to_is_refused() -> None:
    from pcluster_pulumi import Cluster
    from pcluster_pulumi.engines.offline.facts import OfflineFacts, cluster_facts

    spec = load_spec(MINIMAL + "Region: eu-west-1\n")
    elsewhere = cluster_facts(spec, OfflineFacts(region="us-east-1"))

    def program(spec, name, region):  # type: ignore[no-untyped-def]
        Cluster(name, spec, facts=elsewhere)

    with pytest.raises(
        UnsupportedSpecError, match="Region is eu-west-1 but the AWS provider deploys to us-east-1"
    ):
        plan(spec, "demo", program=program)


def test_given_facts_skip_every_invoke() -> None:
    from pcluster_pulumi import Cluster
    from pcluster_pulumi.engines.offline.facts import cluster_facts

    spec = load_spec(MINIMAL)
    facts = cluster_facts(spec)

    def program(spec, name, region):  # type: ignore[no-untyped-def]
        import pulumi

        def no_invokes(*args, **kwargs):  # type: ignore[no-untyped-def]
            raise AssertionError("an invoke was made although facts were given")

        original = pulumi.runtime.invoke
        pulumi.runtime.invoke = no_invokes
        try:
            Cluster(name, spec, facts=facts)
        finally:
            pulumi.runtime.invoke = original

    result = plan(spec, "demo", program=program)
    assert any(r.type == "aws:ec2/instance:Instance" for r in result.resources)
