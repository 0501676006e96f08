"""The Cluster component's gatekeeping: what it refuses, what it warns about, what it exposes."""

from __future__ import annotations

import pytest

from pcluster_pulumi.cluster.cluster import UnsupportedSpecError, check_supported, deferred_features
from pcluster_pulumi.offline import plan
from pcluster_pulumi.spec.loader import load_spec

from .conftest import CORPUS, EXAMPLES, MINIMAL

QUEUE_NET = "      Networking:\n        SubnetIds:\n"


def test_a_plain_slurm_cluster_has_nothing_deferred() -> None:
    assert deferred_features(load_spec(MINIMAL)) == []


def test_settings_not_deployed_yet_are_each_named() -> None:
    spec = load_spec(CORPUS / "valid" / "it_basic_essential_features-pcluster.config.yaml")
    messages = deferred_features(spec)
    assert [m.split(" ", 1)[0] for m in messages] == ["LoginNodes:", "CustomActions"]


@pytest.mark.parametrize("example", ["slurm-storage.yaml", "slurm-accounting.yaml"])
def test_shared_storage_and_managed_accounting_are_deployed_not_deferred(example: str) -> None:
    spec = load_spec(EXAMPLES / example)
    assert spec.shared_storage and deferred_features(spec) == []


def test_proxy_is_named_as_not_configured_on_nodes() -> None:
    text = MINIMAL.replace(
        QUEUE_NET,
        "      Networking:\n        Proxy:\n          HttpProxyAddress: https://proxy:8080\n"
        "        SubnetIds:\n",
    )
    assert any(m.startswith("Networking.Proxy") for m in deferred_features(load_spec(text)))


@pytest.mark.parametrize("name", ["1cluster", "has_underscore", "x" * 61])
def test_invalid_cluster_names_are_refused(name: str) -> None:
    with pytest.raises(UnsupportedSpecError, match="invalid cluster name"):
        check_supported(load_spec(MINIMAL), name)


def test_a_spec_region_the_provider_does_not_deploy_to_is_refused() -> None:
    from pcluster_pulumi import Cluster
    from pcluster_pulumi.cluster.facts_offline import OfflineFacts, cluster_facts

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
    from pcluster_pulumi.cluster.facts_offline import cluster_facts

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
