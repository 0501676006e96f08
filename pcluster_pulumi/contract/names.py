"""Names every layer derives from the cluster spec: Slurm nodes, launch templates, DNS, tables, tags.

These are pure functions so the Pulumi components (which create the launch templates, the
hosted zone and the tables) and the node programs (which launch and track instances by those
names) can never disagree. Formats follow AWS ParallelCluster so existing habits and scripts
(``squeue``, ``sinfo`` patterns, DNS lookups) keep working.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

NodeKind = Literal["static", "dynamic"]

#: Tag keys put on every compute instance by its launch template; the keeper finds the
#: cluster's fleet with them.
TAG_CLUSTER_NAME = "parallelcluster:cluster-name"
TAG_NODE_TYPE = "parallelcluster:node-type"
TAG_QUEUE_NAME = "parallelcluster:queue-name"
TAG_COMPUTE_RESOURCE_NAME = "parallelcluster:compute-resource-name"
NODE_TYPE_COMPUTE = "Compute"
NODE_TYPE_HEAD = "HeadNode"
NODE_TYPE_LOGIN = "LoginNode"

#: Id of the item holding the compute-fleet status in the status table.
COMPUTE_FLEET_ITEM_ID = "COMPUTE_FLEET"

_KIND_MARK = {"static": "st", "dynamic": "dy"}
_NODE_RE = re.compile(
    r"^(?P<queue>[a-z][a-z0-9-]*?)-(?P<mark>st|dy)-(?P<cr>[a-z][a-z0-9-]*)-(?P<index>[1-9][0-9]*)$"
)


def static_node_name(queue: str, compute_resource: str, index: int) -> str:
    """Slurm name of the index-th (1-based) static node of a compute resource."""
    return _node_name(queue, compute_resource, index, "static")


def dynamic_node_name(queue: str, compute_resource: str, index: int) -> str:
    """Slurm name of the index-th (1-based) dynamic node of a compute resource."""
    return _node_name(queue, compute_resource, index, "dynamic")


def _node_name(queue: str, compute_resource: str, index: int, kind: NodeKind) -> str:
    if index < 1:
        raise ValueError(f"node index must be >= 1, got {index}")
    return f"{queue}-{_KIND_MARK[kind]}-{compute_resource}-{index}"


def node_name_prefix(queue: str, compute_resource: str, kind: NodeKind) -> str:
    """The part of a node name before its index, e.g. ``q1-dy-c5-`` (used for hostlist ranges)."""
    return f"{queue}-{_KIND_MARK[kind]}-{compute_resource}-"


@dataclass(frozen=True, order=True)
class NodeName:
    """A parsed Slurm node name: which queue and compute resource it belongs to, and its kind."""

    queue: str
    compute_resource: str
    kind: NodeKind
    index: int

    @property
    def name(self) -> str:
        """The node name this was parsed from."""
        return _node_name(self.queue, self.compute_resource, self.index, self.kind)

    @property
    def is_static(self) -> bool:
        """Static nodes (MinCount) are kept up by the keeper; dynamic ones come and go with jobs."""
        return self.kind == "static"


def parse_node_name(name: str) -> NodeName:
    """Split ``<queue>-<st|dy>-<cr>-<n>`` into its parts; raise ValueError for foreign names.

    Queue and compute resource names may themselves contain dashes, but never the ``-st-`` /
    ``-dy-`` markers (the spec's validators forbid them), so the first marker splits the name.
    """
    match = _NODE_RE.match(name)
    if match is None:
        raise ValueError(f"{name!r} is not a cluster node name (<queue>-st|dy-<compute resource>-<n>)")
    kind: NodeKind = "static" if match["mark"] == "st" else "dynamic"
    return NodeName(match["queue"], match["cr"], kind, int(match["index"]))


def is_node_name(name: str) -> bool:
    """True for names the cluster's node programs manage (custom NodeName lines are left alone)."""
    return _NODE_RE.match(name) is not None


def launch_template_name(cluster: str, queue: str, compute_resource: str) -> str:
    """EC2 launch template of a compute resource; resume launches by this name at ``$Latest``."""
    return f"{cluster}-{queue}-{compute_resource}"


def hosted_zone_domain(cluster: str) -> str:
    """Private Route 53 zone of the cluster (lower case, trailing dot), e.g. ``demo.pcluster.``."""
    return f"{cluster.lower()}.pcluster."


def node_fqdn(node: str, domain: str) -> str:
    """DNS name of a node's A record inside the cluster zone (always with the trailing dot)."""
    return f"{node}.{domain.rstrip('.')}."


def status_table_name(cluster: str) -> str:
    """DynamoDB table holding the compute-fleet status item (``update-compute-fleet`` writes it)."""
    return f"parallelcluster-{cluster}"


def nodes_table_name(cluster: str) -> str:
    """DynamoDB table mapping Slurm node name (``Id``) to ``InstanceId`` (GSI ``InstanceId``)."""
    return f"parallelcluster-slurm-{cluster}"


def slurm_cluster_name(cluster: str) -> str:
    """Slurm's ``ClusterName`` (Slurm lower-cases it anyway; accounting keys on it)."""
    return cluster.lower()


def accounting_database_name(cluster: str) -> str:
    """Default accounting ``StorageLoc`` when the spec names none: dashes are not valid there."""
    return cluster.replace("-", "_")


#: A cluster name names the stack, tags, tables and DNS zone: a letter, then letters, digits, hyphens.
CLUSTER_NAME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9-]*\Z")
CLUSTER_NAME_MAX = 60
#: With Slurm accounting the name also prefixes the database's tables, whose names are limited.
CLUSTER_NAME_MAX_WITH_ACCOUNTING = 40


def is_valid_cluster_name(name: str, limit: int = CLUSTER_NAME_MAX) -> bool:
    """The one cluster-name rule every entry point (validator, CLI, component) applies."""
    return bool(CLUSTER_NAME_RE.match(name)) and len(name) <= limit


def cluster_name_rule(limit: int = CLUSTER_NAME_MAX) -> str:
    """The rule in words, for messages."""
    return (
        "a cluster name must start with a letter, contain only letters, digits and hyphens, "
        f"and be at most {limit} characters long"
    )


#: The Pulumi project every cluster stack belongs to (the repository's ``Pulumi.yaml`` says the same).
PROJECT = "pcluster-pulumi"

#: Default login user of each OS (ParallelCluster's ``cluster_user``); ``ec2-user`` elsewhere.
_OS_USER = {
    "ubuntu2004": "ubuntu",
    "ubuntu2204": "ubuntu",
    "ubuntu2404": "ubuntu",
    "rocky8": "rocky",
    "rocky9": "rocky",
}


def default_user(os_name: str | None) -> str:
    """The OS's default user: who ``ssh`` logs in as and who owns the cluster's shared dirs."""
    return _OS_USER.get(str(os_name), "ec2-user")
