"""The validator contract: named checks over the config that each yield located findings.

Validators read the config as plain data (after scalar coercion and defaults), not the
typed model, because a finding must name the exact key path it is about and because
they also run on configs the schema refused (so ``validate`` shows everything at once).
Every accessor here therefore tolerates malformed input: a wrong type reads as empty.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pcluster_pulumi.spec.problems import KeyPath, Level


@dataclass(frozen=True)
class Finding:
    """What a validator reports: the key path it is about, a sentence, and a level."""

    path: KeyPath
    message: str
    level: Level = Level.ERROR


def as_dict(value: Any) -> dict[str, Any]:
    """The value if it is a mapping, else an empty one (the schema reports the type error)."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """The value if it is a list, else an empty one (the schema reports the type error)."""
    return value if isinstance(value, list) else []


@dataclass(frozen=True)
class Node:
    """A mapping inside the config together with the key path that leads to it."""

    path: KeyPath
    data: dict[str, Any]

    def get(self, *keys: str | int, default: Any = None) -> Any:
        """Walk nested keys; any missing or mistyped step yields ``default``."""
        cur: Any = self.data
        for key in keys:
            if isinstance(key, int):
                items = as_list(cur)
                if key >= len(items):
                    return default
                cur = items[key]
            else:
                if not isinstance(cur, dict) or key not in cur:
                    return default
                cur = cur[key]
        return cur if cur is not None else default

    def child(self, *keys: str | int) -> Node:
        """The mapping at ``keys`` (empty when absent) with its full path."""
        return Node(self.path + tuple(keys), as_dict(self.get(*keys)))

    def at(self, *keys: str | int) -> KeyPath:
        """The full key path of a key below this node, for a finding."""
        return self.path + tuple(keys)

    def items(self, key: str) -> Iterator[Node]:
        """Each mapping in the list under ``key``, with its indexed path."""
        for i, item in enumerate(as_list(self.data.get(key))):
            if isinstance(item, dict):
                yield Node((*self.path, key, i), item)


class ConfigView:
    """Read-only helpers over the whole config that most validators need."""

    def __init__(self, data: dict[str, Any], cluster_name: str | None = None) -> None:
        self.data = data
        self.root = Node((), data)
        self.cluster_name = cluster_name

    @property
    def scheduler(self) -> str | None:
        """``slurm`` or ``awsbatch`` (or whatever the user wrote)."""
        value = self.root.get("Scheduling", "Scheduler")
        return value if isinstance(value, str) else None

    @property
    def scheduling(self) -> Node:
        """The ``Scheduling`` section."""
        return self.root.child("Scheduling")

    @property
    def head_node(self) -> Node:
        """The ``HeadNode`` section."""
        return self.root.child("HeadNode")

    def slurm_queues(self) -> Iterator[Node]:
        """Each ``Scheduling.SlurmQueues[i]``."""
        return self.scheduling.items("SlurmQueues")

    def batch_queues(self) -> Iterator[Node]:
        """Each ``Scheduling.AwsBatchQueues[i]``."""
        return self.scheduling.items("AwsBatchQueues")

    def compute_resources(self) -> Iterator[tuple[Node, Node]]:
        """Each (queue, compute resource) pair of the Slurm queues."""
        for queue in self.slurm_queues():
            for cr in queue.items("ComputeResources"):
                yield queue, cr

    def shared_storage(self) -> Iterator[Node]:
        """Each ``SharedStorage[i]``."""
        return self.root.items("SharedStorage")

    def login_pools(self) -> Iterator[Node]:
        """Each ``LoginNodes.Pools[i]``."""
        return self.root.child("LoginNodes").items("Pools")


ValidatorFn = Callable[[ConfigView], Iterable[Finding]]


@dataclass(frozen=True)
class Validator:
    """A named static check; ``name`` is what ``--suppress-validators`` takes."""

    name: str
    check: ValidatorFn
    doc: str


REGISTRY: dict[str, Validator] = {}


def validator(name: str) -> Callable[[ValidatorFn], ValidatorFn]:
    """Register a check under ParallelCluster's validator class name."""

    def register(fn: ValidatorFn) -> ValidatorFn:
        if name in REGISTRY:
            raise ValueError(f"validator {name} registered twice")
        REGISTRY[name] = Validator(name=name, check=fn, doc=(fn.__doc__ or "").strip())
        return fn

    return register
