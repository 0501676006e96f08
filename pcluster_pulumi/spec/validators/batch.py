"""AWS Batch rules (as ParallelCluster 3.15, the last release with the awsbatch scheduler)."""

from __future__ import annotations

from collections.abc import Iterator

from pcluster_pulumi.spec.validators._read import get_int, is_set, name_of
from pcluster_pulumi.spec.validators._storage import FSX_FAMILY, storages
from pcluster_pulumi.spec.validators.base import ConfigView, Finding, validator

DEFAULT_MIN_VCPUS = 0
DEFAULT_MAX_VCPUS = 10


@validator("AwsBatchComputeResourceSizeValidator")
def batch_vcpus(view: ConfigView) -> Iterator[Finding]:
    """``MinvCpus`` <= ``DesiredvCpus`` <= ``MaxvCpus`` (desired defaults to the minimum), the
    bounds of the Batch compute environment."""
    for queue in view.batch_queues():
        for cr in queue.items("ComputeResources"):
            low = get_int(cr, "MinvCpus", default=DEFAULT_MIN_VCPUS)
            high = get_int(cr, "MaxvCpus", default=DEFAULT_MAX_VCPUS)
            desired = get_int(cr, "DesiredvCpus", default=low)
            where = f"compute resource '{name_of(cr)}'"
            if low is not None and desired is not None and desired < low:
                yield Finding(
                    cr.at("DesiredvCpus"),
                    f"DesiredvCpus ({desired}) of {where} is below MinvCpus ({low}); it must be between "
                    "MinvCpus and MaxvCpus.",
                )
            if high is not None and desired is not None and desired > high:
                yield Finding(
                    cr.at("DesiredvCpus") if is_set(cr, "DesiredvCpus") else cr.at("MinvCpus"),
                    f"DesiredvCpus ({desired}) of {where} is above MaxvCpus ({high}); it must be between "
                    "MinvCpus and MaxvCpus.",
                )
            if low is not None and high is not None and high < low:
                yield Finding(
                    cr.at("MaxvCpus") if is_set(cr, "MaxvCpus") else cr.at("MinvCpus"),
                    f"MaxvCpus ({high}) of {where} is below MinvCpus ({low}); MaxvCpus must be greater than "
                    "or equal to MinvCpus.",
                )


@validator("AwsBatchFsxValidator")
def batch_fsx(view: ConfigView) -> Iterator[Finding]:
    """FSx file systems and File Caches can't be mounted in AWS Batch jobs."""
    if view.scheduler != "awsbatch":
        return
    for storage in storages(view, *FSX_FAMILY):
        yield Finding(
            storage.node.at("StorageType"),
            f"{storage.kind} storage '{name_of(storage.node)}' is not supported with the awsbatch "
            "scheduler; use Ebs or Efs shared storage instead.",
        )
