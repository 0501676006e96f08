"""Head node and login node rules, and instance-type/OS pairings for every node."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pcluster_pulumi.spec.problems import KeyPath, Level
from pcluster_pulumi.spec.validators._read import get_bool, get_str
from pcluster_pulumi.spec.validators.base import ConfigView, Finding, Node, validator

SMALL_INSTANCE_RE = re.compile(r"micro|nano")
# Operating systems too heavy for micro/nano instance types.
OSES_NOT_FOR_SMALL_INSTANCES = ("ubuntu2204", "ubuntu2404", "rhel8", "rocky8", "rhel9", "rocky9")
# p6e-gb200 instances have no drivers for these operating systems.
OSES_NOT_FOR_P6E_GB200 = ("rhel8", "rocky8", "rhel9")
OSES_FOR_P6E_GB200 = ("alinux2023", "ubuntu2204", "ubuntu2404", "rocky9")
OPEN_TO_WORLD = "0.0.0.0/0"


@validator("HeadNodeImdsValidator")
def head_node_imds(view: ConfigView) -> Iterator[Finding]:
    """``HeadNode.Imds.Secured`` (true by default) only works with Slurm, so AWS Batch
    configs must set it to false explicitly."""
    path = ("HeadNode", "Imds", "Secured")
    if view.scheduler == "awsbatch" and get_bool(view.root, *path, default=True) is True:
        yield Finding(
            path,
            "IMDS Secured cannot be enabled with the awsbatch scheduler (it is enabled by default); set "
            "HeadNode.Imds.Secured to false.",
        )


@validator("LoginNodesSchedulerValidator")
def login_nodes_scheduler(view: ConfigView) -> Iterator[Finding]:
    """``LoginNodes`` exist only for Slurm clusters."""
    if view.root.get("LoginNodes") is not None and view.scheduler not in (None, "slurm"):
        yield Finding(
            ("LoginNodes",),
            f"LoginNodes are only supported with the slurm scheduler, not {view.scheduler}; remove the "
            "LoginNodes section or use Slurm.",
        )


@validator("SharedStorageEfsSettingsValidator")
def shared_storage_efs_settings(view: ConfigView) -> Iterator[Finding]:
    """``HeadNode.SharedStorageEfsSettings`` only applies when ``SharedStorageType`` is ``Efs``."""
    head = view.head_node
    storage_type = get_str(head, "SharedStorageType", default="Ebs")
    if head.get("SharedStorageEfsSettings") is not None and storage_type and storage_type.lower() != "efs":
        yield Finding(
            head.at("SharedStorageEfsSettings"),
            f"SharedStorageEfsSettings is set but HeadNode.SharedStorageType is {storage_type}; it can only "
            "be used when SharedStorageType is Efs.",
        )


@validator("KeyPairValidator")
def key_pair(view: ConfigView) -> Iterator[Finding]:
    """Warn when the head node has no SSH key: nobody can log in unless the AMI allows another way.
    (Whether the key exists is checked against AWS at deploy time.)"""
    if view.head_node.get("Ssh", "KeyName") is None:
        yield Finding(
            ("HeadNode", "Ssh", "KeyName"),
            "No key pair is set in HeadNode.Ssh.KeyName: you can't connect to the head node unless its AMI "
            "allows another way to log in.",
            Level.WARNING,
        )


def _dcv_nodes(view: ConfigView) -> Iterator[Node]:
    yield view.head_node
    yield from view.login_pools()


@validator("DcvValidator")
def dcv(view: ConfigView) -> Iterator[Finding]:
    """Warn when DCV is enabled on a micro/nano instance (too little memory) or open to the
    whole internet. (OS, architecture and GPU support need instance data and are checked later.)"""
    for node in _dcv_nodes(view):
        if get_bool(node, "Dcv", "Enabled") is not True:
            continue
        instance_type = get_str(node, "InstanceType")
        if instance_type and SMALL_INSTANCE_RE.search(instance_type):
            yield Finding(
                node.at("InstanceType"),
                f"Amazon DCV on instance type '{instance_type}' may make the instance unstable; use an "
                "instance type with at least 1.7 GB of memory.",
                Level.WARNING,
            )
        if get_str(node, "Dcv", "AllowedIps", default=OPEN_TO_WORLD) == OPEN_TO_WORLD:
            port = node.get("Dcv", "Port", default=8443)
            yield Finding(
                node.at("Dcv", "AllowedIps"),
                f"DCV port {port} is open to the world (0.0.0.0/0); restrict Dcv.AllowedIps to your own "
                "CIDR.",
                Level.WARNING,
            )


def _instance_types(view: ConfigView) -> Iterator[tuple[KeyPath, str]]:
    head_type = get_str(view.head_node, "InstanceType")
    if head_type:
        yield view.head_node.at("InstanceType"), head_type
    for _, cr in view.compute_resources():
        if cr_type := get_str(cr, "InstanceType"):
            yield cr.at("InstanceType"), cr_type
        for item in cr.items("Instances"):
            if item_type := get_str(item, "InstanceType"):
                yield item.at("InstanceType"), item_type
    for pool in view.login_pools():
        # ParallelCluster only checks pools that bring their own AMI.
        if pool.get("Image", "CustomAmi") is not None and (pool_type := get_str(pool, "InstanceType")):
            yield pool.at("InstanceType"), pool_type


@validator("InstanceTypeOSCompatibleValidator")
def instance_type_os(view: ConfigView) -> Iterator[Finding]:
    """The OS suits each instance type: warn for micro/nano with Ubuntu/RHEL/Rocky (too little
    memory); refuse p6e-gb200 with RHEL 8/9 or Rocky 8 (no driver support)."""
    os_name = get_str(view.root, "Image", "Os")
    if os_name is None:
        return
    for path, instance_type in _instance_types(view):
        if os_name in OSES_NOT_FOR_SMALL_INSTANCES and SMALL_INSTANCE_RE.search(instance_type):
            yield Finding(
                path,
                f"Instance type {instance_type} is not recommended with {os_name}; use an instance type "
                "with at least 1.7 GB of memory.",
                Level.WARNING,
            )
        if os_name in OSES_NOT_FOR_P6E_GB200 and instance_type.startswith("p6e-gb200"):
            yield Finding(
                path,
                f"Instance type {instance_type} is not supported with Os {os_name}; use one of: "
                f"{', '.join(OSES_FOR_P6E_GB200)}.",
            )
