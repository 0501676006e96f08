"""Every AWS resource a config refers to, with the key path that names it.

Collected once, before any call, so each kind of resource is looked up in one batched call
(all subnets in one DescribeSubnets, all instance types in one DescribeInstanceTypes, ...)
however many queues the config has.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from pcluster_pulumi.spec.problems import KeyPath
from pcluster_pulumi.spec.validators.base import ConfigView, Node, as_list

__all__ = ["Ref", "Refs", "collect_refs"]

EVENTS = ("OnNodeStart", "OnNodeConfigured", "OnNodeUpdated")


@dataclass(frozen=True)
class Ref:
    """A value naming an AWS resource, and where the config says it."""

    path: KeyPath
    value: str


@dataclass
class Refs:
    """The resources of a config by kind; ``uses`` maps an AMI ref to the instance types booting it."""

    key_names: list[Ref] = field(default_factory=list)
    instance_types: list[Ref] = field(default_factory=list)
    #: each instance type ref with the subnets its nodes launch in
    placements: list[tuple[Ref, tuple[str, ...]]] = field(default_factory=list)
    amis: list[tuple[Ref, tuple[str, ...]]] = field(default_factory=list)
    subnets: list[Ref] = field(default_factory=list)
    head_subnet: str | None = None
    queue_subnets: list[tuple[KeyPath, list[Ref]]] = field(default_factory=list)
    security_groups: list[Ref] = field(default_factory=list)
    efa_types: list[tuple[Ref, tuple[str, ...]]] = field(default_factory=list)
    hosted_zones: list[Ref] = field(default_factory=list)
    roles: list[Ref] = field(default_factory=list)
    instance_profiles: list[Ref] = field(default_factory=list)
    policies: list[Ref] = field(default_factory=list)
    s3_urls: list[Ref] = field(default_factory=list)
    secrets: list[Ref] = field(default_factory=list)
    volumes: list[Ref] = field(default_factory=list)
    snapshots: list[Ref] = field(default_factory=list)
    efs: list[Ref] = field(default_factory=list)
    fsx: list[Ref] = field(default_factory=list)
    kms_keys: list[Ref] = field(default_factory=list)
    fsx_backups: list[Ref] = field(default_factory=list)
    elastic_ips: list[Ref] = field(default_factory=list)
    munge_keys: list[Ref] = field(default_factory=list)
    bucket_uris: list[Ref] = field(default_factory=list)

    def values(self, kind: str) -> list[str]:
        """Distinct values of one kind, in config order."""
        refs: list[Ref] = getattr(self, kind)
        return list(dict.fromkeys(ref.value for ref in refs))


def _str(node: Node, *keys: str | int) -> str | None:
    value = node.get(*keys)
    return value if isinstance(value, str) and value else None


def _ref(node: Node, *keys: str | int) -> Iterator[Ref]:
    value = _str(node, *keys)
    if value:
        yield Ref(node.at(*keys), value)


def _cr_types(cr: Node) -> list[Ref]:
    out = list(_ref(cr, "InstanceType"))
    for index, _ in enumerate(as_list(cr.get("Instances"))):
        out.extend(_ref(cr, "Instances", index, "InstanceType"))
    return out


def _nodes(view: ConfigView) -> Iterator[Node]:
    yield view.head_node
    yield from view.slurm_queues()
    yield from view.login_pools()
    yield from view.batch_queues()


def _network(refs: Refs, owner: Node) -> None:
    net = owner.child("Networking")
    for key in ("SecurityGroups", "AdditionalSecurityGroups"):
        for index, _ in enumerate(as_list(net.get(key))):
            refs.security_groups.extend(_ref(net, key, index))
    iam = owner.child("Iam")
    refs.roles.extend(_ref(iam, "InstanceRole"))
    refs.instance_profiles.extend(_ref(iam, "InstanceProfile"))
    for index, _ in enumerate(as_list(iam.get("AdditionalIamPolicies"))):
        refs.policies.extend(_ref(iam, "AdditionalIamPolicies", index, "Policy"))
    actions = owner.child("CustomActions")
    for event in EVENTS:
        urls = list(_ref(actions, event, "Script"))
        for index, _ in enumerate(as_list(actions.get(event, "Sequence"))):
            urls.extend(_ref(actions, event, "Sequence", index, "Script"))
        refs.s3_urls.extend(u for u in urls if u.value.startswith("s3://"))


def _place(refs: Refs, types: list[Ref], subnets: list[str]) -> None:
    refs.placements.extend((ref, tuple(subnets)) for ref in types)


def _ami(refs: Refs, owner: Node, types: list[Ref], default_ami: str | None) -> None:
    """The AMI ``owner`` boots (its own ``Image.CustomAmi``, else the cluster's) and its types."""
    own = _str(owner, "Image", "CustomAmi")
    if own or default_ami:
        path = owner.at("Image", "CustomAmi") if own else ("Image", "CustomAmi")
        refs.amis.append((Ref(path, own or default_ami or ""), tuple(t.value for t in types)))


def collect_refs(view: ConfigView) -> Refs:
    """Every reference of the config, grouped by kind."""
    refs = Refs()
    root, head = view.root, view.head_node
    default_ami = _str(root, "Image", "CustomAmi")
    refs.key_names.extend(_ref(head, "Ssh", "KeyName"))
    head_types = list(_ref(head, "InstanceType"))
    refs.instance_types.extend(head_types)
    _place(refs, head_types, [r.value for r in _ref(head, "Networking", "SubnetId")])
    _ami(refs, head, head_types, default_ami)
    refs.head_subnet = _str(head, "Networking", "SubnetId")
    refs.subnets.extend(_ref(head, "Networking", "SubnetId"))
    for queue in view.slurm_queues():
        types = [t for cr in queue.items("ComputeResources") for t in _cr_types(cr)]
        refs.instance_types.extend(types)
        _ami(refs, queue, types, default_ami)
        ids = as_list(queue.get("Networking", "SubnetIds"))
        subnets = [r for i in range(len(ids)) for r in _ref(queue, "Networking", "SubnetIds", i)]
        refs.subnets.extend(subnets)
        refs.queue_subnets.append((queue.at("Networking", "SubnetIds"), subnets))
        _place(refs, types, [r.value for r in subnets])
        for cr in queue.items("ComputeResources"):
            if cr.get("Efa", "Enabled") is True:
                efa = Ref(cr.at("Efa", "Enabled"), "true")
                refs.efa_types.append((efa, tuple(t.value for t in _cr_types(cr))))
    for pool in view.login_pools():
        types = list(_ref(pool, "InstanceType"))
        refs.instance_types.extend(types)
        _ami(refs, pool, types, default_ami)
        ids = as_list(pool.get("Networking", "SubnetIds"))
        pool_subnets = [r for i in range(len(ids)) for r in _ref(pool, "Networking", "SubnetIds", i)]
        refs.subnets.extend(pool_subnets)
        _place(refs, types, [r.value for r in pool_subnets])
    for queue in view.batch_queues():
        for index, _ in enumerate(as_list(queue.get("Networking", "SubnetIds"))):
            refs.subnets.extend(_ref(queue, "Networking", "SubnetIds", index))
    for owner in _nodes(view):
        _network(refs, owner)
    settings = view.scheduling.child("SlurmSettings")
    refs.hosted_zones.extend(_ref(settings, "Dns", "HostedZoneId"))
    refs.secrets.extend(_ref(settings, "Database", "PasswordSecretArn"))
    refs.secrets.extend(_ref(settings, "MungeKeySecretArn"))
    refs.munge_keys.extend(_ref(settings, "MungeKeySecretArn"))
    eip = head.get("Networking", "ElasticIp")
    if isinstance(eip, str) and eip.lower() not in ("true", "false"):  # a public IP to attach
        refs.elastic_ips.append(Ref(head.at("Networking", "ElasticIp"), eip))
    refs.secrets.extend(_ref(root, "DirectoryService", "PasswordSecretArn"))
    for storage in view.shared_storage():
        refs.volumes.extend(_ref(storage, "EbsSettings", "VolumeId"))
        refs.snapshots.extend(_ref(storage, "EbsSettings", "SnapshotId"))
        refs.efs.extend(_ref(storage, "EfsSettings", "FileSystemId"))
        refs.fsx.extend(_ref(storage, "FsxLustreSettings", "FileSystemId"))
        for block in ("EbsSettings", "EfsSettings", "FsxLustreSettings"):
            refs.kms_keys.extend(_ref(storage, block, "KmsKeyId"))
        lustre = storage.child("FsxLustreSettings")
        refs.fsx_backups.extend(_ref(lustre, "BackupId"))
        refs.bucket_uris.extend(_ref(lustre, "ImportPath"))
        refs.bucket_uris.extend(_ref(lustre, "ExportPath"))
        for index, _ in enumerate(as_list(lustre.get("DataRepositoryAssociations"))):
            refs.bucket_uris.extend(_ref(lustre, "DataRepositoryAssociations", index, "DataRepositoryPath"))
    return refs
