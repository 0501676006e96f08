"""What every component of one cluster shares: its name, spec, AWS facts and tags.

Components receive one ``ClusterContext`` instead of a dozen loose arguments, so adding a
fact (say, a new instance-type attribute) never changes every constructor signature. It is
plain data: building it needs no Pulumi, which is what lets the pure planning functions
(security-group rules, IAM documents, launch-template inputs) be tested on their own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pcluster_pulumi.contract import names
from pcluster_pulumi.derive.facts import AmiFacts, ClusterFacts, InstanceTypeFacts, ami_key
from pcluster_pulumi.spec.model import ClusterSpec, SlurmComputeResource, SlurmQueue

__all__ = ["ClusterContext", "merge_tags"]


def merge_tags(*layers: Mapping[str, str] | Iterable[object] | None) -> dict[str, str]:
    """Later layers win: cluster < queue < compute resource, as ParallelCluster merges them.

    Each layer is a mapping or a sequence of spec ``Tag`` objects (``.key`` / ``.value``).
    """
    merged: dict[str, str] = {}
    for layer in layers:
        if layer is None:
            continue
        if isinstance(layer, Mapping):
            merged.update({str(k): str(v) for k, v in layer.items()})
        else:
            merged.update({str(t.key): str(t.value) for t in layer})  # type: ignore[attr-defined]
    return merged


@dataclass(frozen=True)
class ClusterContext:
    """One cluster's name, validated spec and resolved AWS facts."""

    name: str
    spec: ClusterSpec
    facts: ClusterFacts

    @property
    def tags(self) -> dict[str, str]:
        """Tags on every resource: the spec's ``Tags`` plus the cluster-name tag the node code keys on."""
        return merge_tags(self.spec.tags, {names.TAG_CLUSTER_NAME: self.name})

    def node_tags(self, node_type: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """Tags for a node (and its volumes) of a type: ``HeadNode``, ``Compute`` or ``LoginNode``."""
        return merge_tags(self.tags, {names.TAG_NODE_TYPE: node_type}, extra)

    @property
    def cluster_user(self) -> str:
        """The OS's default user, who owns the cluster's shared home."""
        return names.default_user(self.spec.image.os)

    @property
    def head_subnet(self) -> str:
        """The head node's subnet id."""
        return str(self.spec.head_node.networking.subnet_id)

    @property
    def vpc_id(self) -> str:
        """The cluster's VPC: the one the head node's subnet is in."""
        return self.facts.subnet(self.head_subnet).vpc_id

    @property
    def head_availability_zone(self) -> str:
        """The head node's AZ (where shared EBS volumes must be created)."""
        return self.facts.subnet(self.head_subnet).availability_zone

    def instance_types_of(self, cr: SlurmComputeResource) -> tuple[InstanceTypeFacts, ...]:
        """Facts of every instance type a compute resource may launch, in the spec's order."""
        if not cr.instance_types:
            raise ValueError(
                f"compute resource {cr.name!r} names no InstanceType or Instances; pcluster-pulumi "
                "needs the instance type even when a capacity reservation fixes it"
            )
        return tuple(self.facts.instance_type(t) for t in cr.instance_types)

    def head_ami(self) -> AmiFacts:
        """The head node's AMI: ``HeadNode.Image.CustomAmi``, ``Image.CustomAmi`` or the official one."""
        head = self.spec.head_node
        custom = (head.image.custom_ami if head.image else None) or self.spec.image.custom_ami
        arch = self.facts.instance_type(head.instance_type).architecture
        return self.facts.amis[ami_key(self.spec.image.os, arch, custom)]

    def queue_ami(self, queue: SlurmQueue) -> AmiFacts:
        """A queue's AMI: the queue's ``Image.CustomAmi``, ``Image.CustomAmi`` or the official one."""
        custom = (queue.image.custom_ami if queue.image else None) or self.spec.image.custom_ami
        types = [t for cr in queue.compute_resources or () for t in cr.instance_types]
        arch = self.facts.instance_type(types[0]).architecture if types else "x86_64"
        return self.facts.amis[ami_key(self.spec.image.os, arch, custom)]

    @property
    def http_tokens(self) -> str:
        """IMDS token mode for every node: ``required`` (IMDSv2) unless ``Imds.ImdsSupport`` is v1.0."""
        return "optional" if self.spec.imds.imds_support == "v1.0" else "required"
