"""Hand-written behaviour of the generated model classes (``<Title>Mixin`` is mixed into ``<Title>``).

Only derived, spec-only facts live here; anything needing AWS facts belongs to ``cluster/``.
"""

from __future__ import annotations

from typing import Any

from pcluster_pulumi.spec.naming import snake_case

__all__ = [
    "ClusterSpecMixin",
    "SharedStorageMixin",
    "SlurmComputeResourceMixin",
    "SlurmQueueMixin",
]


class SlurmComputeResourceMixin:
    """Derived facts about one Slurm compute resource."""

    instance_type: Any
    instances: Any
    min_count: int
    max_count: int

    @property
    def instance_types(self) -> tuple[str, ...]:
        """Every instance type this compute resource may launch (``InstanceType`` or ``Instances``)."""
        if self.instances:
            return tuple(i.instance_type for i in self.instances)
        return (self.instance_type,) if self.instance_type else ()

    @property
    def uses_fleet(self) -> bool:
        """True for flexible (``Instances``) resources, which launch with CreateFleet."""
        return bool(self.instances)

    @property
    def static_count(self) -> int:
        """Nodes that always run (MinCount)."""
        return self.min_count

    @property
    def dynamic_count(self) -> int:
        """Nodes launched on demand (MaxCount - MinCount)."""
        return max(self.max_count - self.min_count, 0)


class SlurmQueueMixin:
    """Derived facts about one Slurm queue."""

    networking: Any
    compute_resources: Any
    allocation_strategy: Any
    capacity_type: str

    @property
    def subnet_ids(self) -> tuple[str, ...]:
        """The queue's subnets (more than one makes it multi-AZ)."""
        return tuple(self.networking.subnet_ids)

    @property
    def effective_allocation_strategy(self) -> str | None:
        """ParallelCluster's default: lowest-price when a resource uses ``Instances`` (not CAPACITY_BLOCK)."""
        if self.allocation_strategy:
            return str(self.allocation_strategy)
        if self.capacity_type != "CAPACITY_BLOCK" and any(
            cr.instances for cr in self.compute_resources or ()
        ):
            return "lowest-price"
        return None


class SharedStorageMixin:
    """Derived facts about one shared storage entry."""

    storage_type: str

    @property
    def settings(self) -> Any:
        """The ``<StorageType>Settings`` block that matches ``StorageType`` (always present)."""
        return getattr(self, snake_case(f"{self.storage_type}Settings"))


class ClusterSpecMixin:
    """Whole-cluster facts."""

    scheduling: Any

    @property
    def queues(self) -> tuple[Any, ...]:
        """The Slurm queues (empty for AWS Batch)."""
        return tuple(self.scheduling.slurm_queues or ())

    @property
    def is_slurm(self) -> bool:
        """True when the scheduler is Slurm."""
        return bool(self.scheduling.scheduler == "slurm")
