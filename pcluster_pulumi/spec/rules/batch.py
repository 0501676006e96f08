"""Load-time rules of the awsbatch scheduler, as ParallelCluster 3.15.1 applies them (B04,
B10, B11; the queue/settings exclusions B01-B03 and lengths B05-B08 are in the schema)."""

from __future__ import annotations

from collections.abc import Iterator

from pcluster_pulumi.spec.rules.base import RuleFinding, present, rule
from pcluster_pulumi.spec.validators.base import ConfigView


@rule("B04")
def not_with_batch(view: ConfigView) -> Iterator[RuleFinding]:
    """Intel HPC Platform, ``OnNodeUpdated`` and ``DirectoryService`` need Slurm's head node
    tooling; ParallelCluster names the first one found."""
    if view.scheduler != "awsbatch":
        return
    checks = (
        ("IntelSoftware", ("AdditionalPackages", "IntelSoftware", "IntelHpcPlatform"), True),
        ("OnNodeUpdated", ("HeadNode", "CustomActions", "OnNodeUpdated"), None),
        ("DirectoryService", ("DirectoryService",), None),
    )
    for name, path, wanted in checks:
        value = view.root.get(*path)
        if (value is True) if wanted else (value is not None):
            yield RuleFinding(
                "B04",
                path,
                f"The use of the {name} configuration is not supported when using awsbatch as the scheduler.",
                (),
            )
            return


@rule("B10")
def no_login_nodes_with_batch(view: ConfigView) -> Iterator[RuleFinding]:
    """Login nodes are a Slurm feature (ParallelCluster 3.15 crashes on them with awsbatch)."""
    if view.scheduler == "awsbatch" and present(view.root, "LoginNodes"):
        yield RuleFinding(
            "B10",
            ("LoginNodes",),
            "LoginNodes are only supported with the slurm scheduler, not awsbatch: remove the LoginNodes "
            "section.",
            (),
        )


@rule("B11")
def batch_queue_has_compute_resources(view: ConfigView) -> Iterator[RuleFinding]:
    """An AWS Batch queue needs its (single) compute resource."""
    for queue in view.batch_queues():
        if queue.data.get("ComputeResources") is None:
            yield RuleFinding(
                "B11",
                queue.at("ComputeResources"),
                "required key 'ComputeResources' is missing: an AWS Batch queue needs exactly one compute "
                "resource.",
                queue.path,
            )
