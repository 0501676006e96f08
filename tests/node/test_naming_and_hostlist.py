"""Names and hostlists: what slurmctld, the launch templates and DNS agree on."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pcluster_pulumi.contract import names
from pcluster_pulumi.node import hostlist


def test_node_names_follow_parallelcluster_convention() -> None:
    assert names.static_node_name("q1", "c5", 3) == "q1-st-c5-3"
    assert names.dynamic_node_name("gpu-queue", "g4dn-x", 10) == "gpu-queue-dy-g4dn-x-10"


def test_derived_aws_names() -> None:
    assert names.launch_template_name("demo", "q1", "c5") == "demo-q1-c5"
    assert names.hosted_zone_domain("Demo") == "demo.pcluster."
    assert names.node_fqdn("q1-dy-c5-1", "demo.pcluster.") == "q1-dy-c5-1.demo.pcluster."
    assert names.nodes_table_name("demo") == "parallelcluster-slurm-demo"
    assert names.status_table_name("demo") == "parallelcluster-demo"
    assert names.accounting_database_name("my-cluster") == "my_cluster"


def test_parse_splits_queue_and_resource_with_dashes_at_the_first_marker() -> None:
    parsed = names.parse_node_name("gpu-queue-dy-g4dn-x-12")
    assert (parsed.queue, parsed.compute_resource, parsed.kind, parsed.index) == (
        "gpu-queue",
        "g4dn-x",
        "dynamic",
        12,
    )
    assert parsed.name == "gpu-queue-dy-g4dn-x-12"
    assert names.parse_node_name("q-st-c-1").is_static


@pytest.mark.parametrize(
    "name", ["login1", "q1-xx-c5-1", "q1-dy-c5-0", "q1-dy-c5-", "Q1-dy-c5-1", "q1-dy-c5-01"]
)
def test_parse_refuses_foreign_names(name: str) -> None:
    assert not names.is_node_name(name)
    with pytest.raises(ValueError, match="not a cluster node name"):
        names.parse_node_name(name)


def test_node_index_starts_at_one() -> None:
    with pytest.raises(ValueError):
        names.static_node_name("q", "c", 0)


def test_expand_ranges_lists_and_plain_names() -> None:
    assert hostlist.expand("q1-dy-c5-[1-3],q2-st-g4-1") == [
        "q1-dy-c5-1",
        "q1-dy-c5-2",
        "q1-dy-c5-3",
        "q2-st-g4-1",
    ]
    assert hostlist.expand("n[1,3,5-6]") == ["n1", "n3", "n5", "n6"]
    assert hostlist.expand("n[08-10]") == ["n08", "n09", "n10"]
    assert hostlist.expand("r[1-2]-n[1-2]") == ["r1-n1", "r1-n2", "r2-n1", "r2-n2"]
    assert hostlist.expand("") == []


@pytest.mark.parametrize("bad", ["n[1-", "n1]", "n[3-1]", "n[a-b]", "n[[1]]"])
def test_expand_rejects_what_slurm_rejects(bad: str) -> None:
    with pytest.raises(hostlist.HostlistError):
        hostlist.expand(bad)


def test_compress_builds_ranges_per_prefix_sorted() -> None:
    names = ["q1-dy-c5-10", "q1-dy-c5-2", "q1-dy-c5-1", "q1-dy-c5-3", "q2-st-g4-1", "q1-dy-c5-3"]
    assert hostlist.compress(names) == "q1-dy-c5-[1-3,10],q2-st-g4-1"
    assert hostlist.compress(["n08", "n09", "n10"]) == "n[08-10]"
    assert hostlist.compress(["login"]) == "login"


def test_chunked_compress_limits_names_per_chunk() -> None:
    names = [f"q-dy-c-{i}" for i in range(1, 1201)]
    chunks = hostlist.chunked_compress(names, 500)
    assert chunks == ["q-dy-c-[1-500]", "q-dy-c-[501-1000]", "q-dy-c-[1001-1200]"]


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["q1-dy-c5-", "q1-st-c5-", "gpu-dy-g-"]), st.integers(min_value=1, max_value=3000)
        ),
        max_size=200,
    )
)
def test_compress_then_expand_gives_back_the_same_set(pairs: list[tuple[str, int]]) -> None:
    names = {f"{prefix}{n}" for prefix, n in pairs}
    assert set(hostlist.expand(hostlist.compress(names))) == names
    assert len(hostlist.expand(hostlist.compress(names))) == len(names)
