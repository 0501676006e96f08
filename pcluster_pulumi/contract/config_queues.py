"""Queues and compute resources in the runtime configuration (see ``config.py``).

Split from the top-level document because this is the part the resume program and the
slurm.conf renderer walk most: instance facts, node counts, launch templates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pcluster_pulumi.contract.config_reader import ConfigError, Reader
from pcluster_pulumi.contract.custom_actions import QUEUE_EVENTS, CustomActions

CAPACITY_TYPES = ("ONDEMAND", "SPOT", "CAPACITY_BLOCK")
LAUNCH_APIS = ("run-instances", "create-fleet")


@dataclass(frozen=True)
class InstanceFacts:
    """What Slurm must know about an instance type (resolved at deploy time, not on the node)."""

    instance_type: str
    vcpus: int
    memory_mib: int
    threads_per_core: int = 1
    gpu_count: int = 0
    gpu_type: str | None = None
    efa: bool = False

    @property
    def cores(self) -> int:
        """Physical cores: what Slurm may use when simultaneous multithreading is disabled."""
        return max(1, self.vcpus // max(1, self.threads_per_core))

    @classmethod
    def read(cls, r: Reader) -> InstanceFacts:
        return cls(
            instance_type=r.string("instance_type"),
            vcpus=r.integer("vcpus", minimum=1),
            memory_mib=r.integer("memory_mib", minimum=1),
            threads_per_core=r.integer("threads_per_core", 1, minimum=1),
            gpu_count=r.integer("gpu_count", 0, minimum=0),
            gpu_type=r.opt_str("gpu_type"),
            efa=r.boolean("efa", False),
        )


@dataclass(frozen=True)
class ComputeResource:
    """One compute resource: a launch template, its instance types, and its node counts."""

    name: str
    instances: tuple[InstanceFacts, ...]
    launch_template_name: str
    max_count: int
    min_count: int = 0
    launch_template_id: str | None = None
    api: str = "run-instances"
    spot_price: float | None = None
    static_node_priority: int = 1
    dynamic_node_priority: int = 1000
    schedulable_memory_mib: int | None = None
    disable_simultaneous_multithreading: bool = False
    efa_enabled: bool = False
    custom_slurm_settings: dict[str, Any] = field(default_factory=dict)

    @property
    def dynamic_count(self) -> int:
        """Nodes Slurm powers up on demand (MaxCount - MinCount)."""
        return self.max_count - self.min_count

    @property
    def vcpus(self) -> int:
        """CPUs Slurm schedules on a node: the smallest type, so any type can run any job."""
        if self.disable_simultaneous_multithreading:
            return min(facts.cores for facts in self.instances)
        return min(facts.vcpus for facts in self.instances)

    @property
    def memory_mib(self) -> int:
        """Memory of the smallest instance type, in MiB."""
        return min(facts.memory_mib for facts in self.instances)

    @property
    def gpu_count(self) -> int:
        """GPUs per node (the smallest type's count)."""
        return min(facts.gpu_count for facts in self.instances)

    @property
    def instance_types(self) -> tuple[str, ...]:
        """All instance type names, in the spec's order (CreateFleet overrides follow it)."""
        return tuple(facts.instance_type for facts in self.instances)

    @classmethod
    def read(cls, r: Reader) -> ComputeResource:
        instances = tuple(InstanceFacts.read(item) for item in r.list_of("instances", minimum=1))
        resource = cls(
            name=r.string("name"),
            instances=instances,
            launch_template_name=r.string("launch_template_name"),
            launch_template_id=r.opt_str("launch_template_id"),
            min_count=r.integer("min_count", 0, minimum=0),
            max_count=r.integer("max_count", minimum=1),
            api=r.choice("api", LAUNCH_APIS, "create-fleet" if len(instances) > 1 else "run-instances"),
            spot_price=r.opt_float("spot_price"),
            static_node_priority=r.integer("static_node_priority", 1, minimum=1),
            dynamic_node_priority=r.integer("dynamic_node_priority", 1000, minimum=1),
            schedulable_memory_mib=r.opt_int("schedulable_memory_mib"),
            disable_simultaneous_multithreading=r.boolean("disable_simultaneous_multithreading", False),
            efa_enabled=r.boolean("efa_enabled", False),
            custom_slurm_settings=r.mapping("custom_slurm_settings"),
        )
        if resource.min_count > resource.max_count:
            raise ConfigError(
                f"{r.path}: min_count {resource.min_count} exceeds max_count {resource.max_count}"
            )
        if resource.api == "run-instances" and len(instances) != 1:
            raise ConfigError(f"{r.path}.api: run-instances launches exactly one instance type")
        return resource


@dataclass(frozen=True)
class Queue:
    """A Slurm partition and how its instances are bought (capacity type, allocation strategy)."""

    name: str
    subnet_ids: tuple[str, ...]
    compute_resources: tuple[ComputeResource, ...]
    capacity_type: str = "ONDEMAND"
    allocation_strategy: str = "lowest-price"
    job_exclusive_allocation: bool = False
    custom_slurm_settings: dict[str, Any] = field(default_factory=dict)
    #: The queue's OnNodeStart / OnNodeConfigured scripts (its compute nodes run them at boot).
    custom_actions: CustomActions = field(default_factory=CustomActions)
    #: ``ComputeSettings.LocalStorage.EphemeralVolume.MountDir`` (instance store, when the type has it).
    ephemeral_mount_dir: str = "/scratch"

    def compute_resource(self, name: str) -> ComputeResource:
        """The compute resource called name; KeyError when the queue has none."""
        for resource in self.compute_resources:
            if resource.name == name:
                return resource
        raise KeyError(f"queue {self.name!r} has no compute resource {name!r}")

    @classmethod
    def read(cls, r: Reader) -> Queue:
        return cls(
            name=r.string("name"),
            subnet_ids=tuple(r.str_list("subnet_ids", minimum=1)),
            compute_resources=tuple(
                ComputeResource.read(i) for i in r.list_of("compute_resources", minimum=1)
            ),
            capacity_type=r.choice("capacity_type", CAPACITY_TYPES, "ONDEMAND"),
            allocation_strategy=r.string("allocation_strategy", "lowest-price"),
            job_exclusive_allocation=r.boolean("job_exclusive_allocation", False),
            custom_slurm_settings=r.mapping("custom_slurm_settings"),
            custom_actions=CustomActions.read(r.opt_section("custom_actions"), QUEUE_EVENTS),
            ephemeral_mount_dir=r.string("ephemeral_mount_dir", "/scratch"),
        )
