"""Names and counts: queue, compute resource, login pool and storage names, their
uniqueness, and how many of each a cluster may have."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pcluster_pulumi.spec.problems import KeyPath
from pcluster_pulumi.spec.validators._read import get_str, name_of
from pcluster_pulumi.spec.validators._storage import storages
from pcluster_pulumi.spec.validators.base import ConfigView, Finding, Node, as_list, validator

NAME_RE = re.compile(r"^[a-z][a-z0-9\-]*\Z")
NAME_MAX = 25
# Storage names become tag values, so they follow the tag-value character set.
STORAGE_NAME_RE = re.compile(r"^([\w\+\-\=\.\_\:\@/]{0,256})\Z")
STORAGE_NAME_MAX = 30
RESERVED_NAME = "default"

MAX_SLURM_QUEUES = 50
MAX_CRS_PER_QUEUE = 50
MAX_CRS_PER_CLUSTER = 50
MAX_LOGIN_POOLS = 10


def _named(view: ConfigView) -> Iterator[Node]:
    """Every node whose Name follows the queue-name rule: queues, compute resources, login pools."""
    for queue in [*view.slurm_queues(), *view.batch_queues()]:
        yield queue
        yield from queue.items("ComputeResources")
    yield from view.login_pools()


def _length_and_reserved(path: KeyPath, name: str, max_length: int) -> Iterator[Finding]:
    """The two rules every user-given name shares: a length limit and the reserved ``default``."""
    if len(name) > max_length:
        yield Finding(path, f"Invalid name '{name}'. Name can be at most {max_length} chars long.")
    if name == RESERVED_NAME:
        yield Finding(path, f"'{RESERVED_NAME}' is reserved and cannot be used as a name; choose another.")


@validator("NameValidator")
def names(view: ConfigView) -> Iterator[Finding]:
    """Queue, compute resource and login pool names match ``^[a-z][a-z0-9-]*$``, are at most
    25 characters and are not ``default``: they become Slurm partition and node names and
    parts of AWS resource names."""
    for node in _named(view):
        name = get_str(node, "Name")
        if name is None:
            continue
        path = node.at("Name")
        if not NAME_RE.match(name):
            yield Finding(
                path,
                f"Invalid name '{name}'. Name must begin with a letter and only contain lowercase letters, "
                "digits and hyphens.",
            )
        yield from _length_and_reserved(path, name, NAME_MAX)


def _duplicates(entries: list[tuple[KeyPath, str]], what: str, rule: str) -> Iterator[Finding]:
    """A finding at each repeat of a value already seen earlier in ``entries``."""
    seen: set[str] = set()
    for path, value in entries:
        if value in seen:
            yield Finding(path, f"{what} '{value}' is used more than once; {rule}.")
        seen.add(value)


def _names(nodes: Iterator[Node]) -> list[tuple[KeyPath, str]]:
    return [(node.at("Name"), name) for node in nodes if (name := get_str(node, "Name")) is not None]


@validator("DuplicateNameValidator")
def duplicate_names(view: ConfigView) -> Iterator[Finding]:
    """Names are unique: queues in the cluster, compute resources in a queue, login pools,
    shared storage entries, and the existing file systems/volumes they mount."""
    yield from _duplicates(_names(view.slurm_queues()), "Queue name", "queue names must be unique")
    yield from _duplicates(_names(view.batch_queues()), "Queue name", "queue names must be unique")
    for queue in [*view.slurm_queues(), *view.batch_queues()]:
        yield from _duplicates(
            _names(queue.items("ComputeResources")),
            "Compute resource name",
            "compute resource names must be unique within a queue",
        )
    yield from _duplicates(_names(view.login_pools()), "Login pool name", "pool names must be unique")
    yield from _duplicates(
        _names(view.shared_storage()), "Shared storage name", "shared storage names must be unique"
    )
    ids = [(s.settings.at(s.id_key), sid) for s in storages(view) if (sid := s.existing_id) is not None]
    yield from _duplicates(
        ids,
        "Shared storage ID",
        "each existing file system or volume can be mounted only once",
    )


def _too_many(path: KeyPath, count: int, limit: int, what: str) -> Iterator[Finding]:
    if count > limit:
        yield Finding(path, f"There are {count} {what}; ParallelCluster supports at most {limit}.")


@validator("MaxCountValidator")
def max_counts(view: ConfigView) -> Iterator[Finding]:
    """At most 50 Slurm queues, 50 compute resources per queue and per cluster, and 10 login
    node pools (the limits of ParallelCluster's templates and node daemons)."""
    queues_path = ("Scheduling", "SlurmQueues")
    queues = list(view.slurm_queues())
    yield from _too_many(
        queues_path, len(as_list(view.root.get(*queues_path))), MAX_SLURM_QUEUES, "SlurmQueues"
    )
    total = 0
    for queue in queues:
        count = len(as_list(queue.get("ComputeResources")))
        total += count
        yield from _too_many(
            queue.at("ComputeResources"),
            count,
            MAX_CRS_PER_QUEUE,
            f"ComputeResources in queue '{name_of(queue)}'",
        )
    yield from _too_many(queues_path, total, MAX_CRS_PER_CLUSTER, "ComputeResources in the cluster")
    pools_path = ("LoginNodes", "Pools")
    yield from _too_many(
        pools_path, len(as_list(view.root.get(*pools_path))), MAX_LOGIN_POOLS, "LoginNodes pools"
    )


def _storage_named(view: ConfigView) -> Iterator[Node]:
    yield from view.shared_storage()
    for storage in storages(view, "FsxLustre"):
        yield from storage.settings.items("DataRepositoryAssociations")


INTERNAL_EFS_NAME = "internal_pcluster_shared"


@validator("SharedStorageNameValidator")
def shared_storage_names(view: ConfigView) -> Iterator[Finding]:
    """Shared storage (and FSx data repository association) names are valid tag values
    (letters, digits and ``+ - = . _ : @ /``), at most 30 characters and not ``default``:
    they are written into resource tags."""
    for node in _storage_named(view):
        name = get_str(node, "Name")
        if name is None:
            continue
        path = node.at("Name")
        if not STORAGE_NAME_RE.match(name):
            yield Finding(
                path,
                f"Invalid shared storage name '{name}'. Allowed characters are letters, digits and '+' '-' "
                "'=' '.' '_' ':' '@' '/'.",
            )
        yield from _length_and_reserved(path, name, STORAGE_NAME_MAX)
        if name == INTERNAL_EFS_NAME and view.head_node.get("SharedStorageType") == "Efs":
            yield Finding(
                path,
                f"'{INTERNAL_EFS_NAME}' names the internal EFS that HeadNode.SharedStorageType: Efs "
                "creates; choose another name.",
            )
