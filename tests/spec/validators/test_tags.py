"""Tag rules: reserved/duplicate keys and the merged tags of a compute node."""

from __future__ import annotations

from pcluster_pulumi.spec.problems import Level

from .conftest import CR, QUEUE, at


def _tags(*keys: str) -> list[dict[str, str]]:
    return [{"Key": key, "Value": "v"} for key in keys]


def test_compute_resource_tag_overriding_a_cluster_tag_is_a_warning(slurm, where) -> None:
    slurm["Tags"] = _tags("team")
    at(slurm, CR)["Tags"] = _tags("team")
    assert where(slurm, "ComputeResourceTagsValidator") == [((*CR, "Tags"), Level.WARNING)]


def test_queue_tag_overriding_a_cluster_tag_is_a_warning_on_the_queue(slurm, where) -> None:
    slurm["Tags"] = _tags("team")
    at(slurm, QUEUE)["Tags"] = _tags("team")
    assert where(slurm, "ComputeResourceTagsValidator") == [((*QUEUE, "Tags"), Level.WARNING)]


def test_more_than_40_merged_tags_on_a_compute_resource_is_an_error(slurm, where) -> None:
    slurm["Tags"] = _tags(*(f"c{i}" for i in range(20)))
    at(slurm, QUEUE)["Tags"] = _tags(*(f"q{i}" for i in range(15)))
    at(slurm, CR)["Tags"] = _tags(*(f"r{i}" for i in range(5)))
    assert where(slurm, "ComputeResourceTagsValidator") == []
    at(slurm, CR)["Tags"].append({"Key": "one-too-many", "Value": "v"})
    assert where(slurm, "ComputeResourceTagsValidator") == [((*CR, "Tags"), Level.ERROR)]
