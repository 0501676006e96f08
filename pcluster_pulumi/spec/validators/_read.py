"""Typed reads of config values that never raise.

Validators also run on configs the schema refused, so every value may have any type.
The rule everywhere: an absent key reads as ParallelCluster's default, a key of the
wrong type reads as ``None`` ("unknown") so the check that needs it is skipped and
only the schema reports the type error.
"""

from __future__ import annotations

from typing import Any

from pcluster_pulumi.spec.validators.base import ConfigView, Node, as_list


def is_set(node: Node, *keys: str | int) -> bool:
    """Whether the key exists with a non-null value."""
    return node.get(*keys) is not None


def get_int(node: Node, *keys: str | int, default: int | None = None) -> int | None:
    """An integer value (booleans are not integers here), the default when absent."""
    value = node.get(*keys)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def get_bool(node: Node, *keys: str | int, default: bool | None = None) -> bool | None:
    """A boolean value, the default when absent."""
    value = node.get(*keys)
    if value is None:
        return default
    return value if isinstance(value, bool) else None


def get_str(node: Node, *keys: str | int, default: str | None = None) -> str | None:
    """A string value, the default when absent."""
    value = node.get(*keys)
    if value is None:
        return default
    return value if isinstance(value, str) else None


def get_strs(node: Node, *keys: str | int) -> list[str]:
    """The strings of a list value (other items are skipped)."""
    return [item for item in as_list(node.get(*keys)) if isinstance(item, str)]


def name_of(node: Node, fallback: str = "<unnamed>") -> str:
    """The ``Name`` of a queue, compute resource, pool or storage, for messages."""
    name = node.get("Name")
    return name if isinstance(name, str) else fallback


CAPACITY_TYPES = ("ONDEMAND", "SPOT", "CAPACITY_BLOCK")


def capacity_type(queue: Node) -> str:
    """The queue's capacity type, upper case; anything unknown reads as ONDEMAND, as in ParallelCluster."""
    value = queue.get("CapacityType")
    upper = value.upper() if isinstance(value, str) else ""
    return upper if upper in CAPACITY_TYPES else "ONDEMAND"


def queue_subnets(queue: Node) -> list[str]:
    """The subnet ids a queue lists, in order, duplicates kept."""
    return get_strs(queue, "Networking", "SubnetIds")


def is_multi_subnet(queue: Node) -> bool:
    """Whether the queue spans several subnets.

    ParallelCluster asks EC2 whether the subnets lie in more than one AZ; it also refuses
    two subnets of one queue in the same AZ, so in an accepted config "more than one
    distinct subnet" and "more than one AZ" are the same thing.
    """
    return len(set(queue_subnets(queue))) > 1


def all_queues(view: ConfigView) -> list[Node]:
    """Every queue of either scheduler (a config normally has only one kind)."""
    return [*view.slurm_queues(), *view.batch_queues()]


def lower_key(key: Any) -> str | None:
    """A mapping key in lower case, or None when it is not a string."""
    return key.lower() if isinstance(key, str) else None
