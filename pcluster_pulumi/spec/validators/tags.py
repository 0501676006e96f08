"""Tag rules: what the cluster, queue and compute-resource tags add up to on a compute node.
(Reserved and duplicate keys are load-time rules R08/R09, in ``spec/rules/misc.py``.)"""

from __future__ import annotations

from collections.abc import Iterator

from pcluster_pulumi.spec.problems import Level
from pcluster_pulumi.spec.validators._read import name_of
from pcluster_pulumi.spec.validators.base import ConfigView, Finding, Node, as_dict, as_list, validator

RESERVED_PREFIX = "parallelcluster:"
RESERVED_EXCEPTION = "parallelcluster:custom_resource"
# EC2 allows 50 tags; ParallelCluster keeps 10 for its own.
MAX_TAGS = 40


def _tag_keys(owner: Node) -> list[tuple[int, str]]:
    """(index, key) of each tag in ``owner.Tags`` with a string key."""
    keys = []
    for index, tag in enumerate(as_list(owner.get("Tags"))):
        key = as_dict(tag).get("Key")
        if isinstance(key, str):
            keys.append((index, key))
    return keys


def _owners(view: ConfigView) -> Iterator[Node]:
    yield view.root
    for queue in view.slurm_queues():
        yield queue
        yield from queue.items("ComputeResources")


@validator("ComputeResourceTagsValidator")
def compute_resource_tags(view: ConfigView) -> Iterator[Finding]:
    """Compute nodes carry the cluster, queue and compute-resource tags merged (the more specific
    level wins): warn when keys overlap, and refuse more than 40 distinct keys (EC2's limit of
    50 minus the tags ParallelCluster adds)."""
    cluster_keys = {key for _, key in _tag_keys(view.root)}
    for queue in view.slurm_queues():
        queue_keys = {key for _, key in _tag_keys(queue)}
        queue_name = name_of(queue)
        crs = list(queue.items("ComputeResources"))
        if crs and (shadowed := sorted(cluster_keys & queue_keys)):
            yield Finding(
                queue.at("Tags"),
                f"Tag keys {shadowed} of queue '{queue_name}' are also cluster Tags; the queue's values "
                "override the cluster's on its compute nodes.",
                Level.WARNING,
            )
        for cr in crs:
            cr_keys = {key for _, key in _tag_keys(cr)}
            shadowed = sorted(cr_keys & (cluster_keys | queue_keys))
            if shadowed:
                yield Finding(
                    cr.at("Tags"),
                    f"Tag keys {shadowed} of compute resource '{name_of(cr)}' in queue '{queue_name}' are "
                    "also set on its queue or the cluster; the compute resource's values override them.",
                    Level.WARNING,
                )
            total = len(cluster_keys | queue_keys | cr_keys)
            if total > MAX_TAGS:
                yield Finding(
                    cr.at("Tags") if cr_keys else cr.path,
                    f"Compute resource '{name_of(cr)}' in queue '{queue_name}' gets {total} distinct tags "
                    f"from the cluster, its queue and itself; at most {MAX_TAGS} are allowed.",
                )
