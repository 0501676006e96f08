"""Cluster-wide rules: the cluster name, region, scheduler and OS choices, and settings
that must agree across all queues."""

from __future__ import annotations

from collections.abc import Iterator

from pcluster_pulumi.contract.names import (
    CLUSTER_NAME_MAX,
    CLUSTER_NAME_MAX_WITH_ACCOUNTING,
    is_valid_cluster_name,
)
from pcluster_pulumi.spec.problems import KeyPath, Level
from pcluster_pulumi.spec.validators._read import get_bool, get_str, get_strs, name_of
from pcluster_pulumi.spec.validators._storage import storages
from pcluster_pulumi.spec.validators.base import ConfigView, Finding, validator

SUPPORTED_SCHEDULERS = ("slurm", "awsbatch")
# AWS Batch (ParallelCluster 3.15) runs only on Amazon Linux. Slurm's OS list is enforced by
# the JSON Schema, as ParallelCluster 3.16.1 enforces it in its schema.
OS_BY_SCHEDULER = {"awsbatch": ("alinux2", "alinux2023")}
# No official ParallelCluster AMI is published for these.
OSES_WITHOUT_OFFICIAL_AMI = ("rocky8", "rocky9")

# The regions ParallelCluster ships in its bundled ``supported-regions`` list.
SUPPORTED_REGIONS = frozenset(
    [
        "af-south-1",
        "ap-east-1",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-south-1",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-3",
        "ap-southeast-5",
        "ap-southeast-7",
        "ca-central-1",
        "cn-north-1",
        "cn-northwest-1",
        "eu-central-1",
        "eu-north-1",
        "eu-south-1",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "il-central-1",
        "me-south-1",
        "sa-east-1",
        "us-east-1",
        "us-east-2",
        "us-iso-east-1",
        "us-iso-west-1",
        "us-isob-east-1",
        "us-gov-east-1",
        "us-gov-west-1",
        "us-west-1",
        "us-west-2",
    ]
)

# Region prefixes where a feature is unavailable (features absent here are available everywhere).
UNSUPPORTED_FEATURE_REGIONS = {
    "AWS Batch scheduler": ("ap-northeast-3", "ap-southeast-5", "ap-southeast-7", "us-iso"),
    "FileCache": ("us-iso",),
    "FSx ONTAP": ("us-iso-w",),
    "FSx OpenZfs": ("us-iso",),
}
FEATURE_OF_STORAGE = {"FileCache": "FileCache", "FsxOntap": "FSx ONTAP", "FsxOpenZfs": "FSx OpenZfs"}


def _uses_slurm_accounting(view: ConfigView) -> bool:
    settings = view.scheduling.child("SlurmSettings")
    return settings.get("Database") is not None or settings.get("ExternalSlurmdbd") is not None


@validator("ClusterNameValidator")
def cluster_name(view: ConfigView) -> Iterator[Finding]:
    """The cluster name starts with a letter, has only letters, digits and hyphens, and is at
    most 60 characters (40 with Slurm accounting): it names the stack and, with accounting,
    the Slurm database tables, whose names have a length limit."""
    name = view.cluster_name
    if name is None:
        return
    limit = CLUSTER_NAME_MAX_WITH_ACCOUNTING if _uses_slurm_accounting(view) else CLUSTER_NAME_MAX
    if is_valid_cluster_name(name, limit):
        return
    why = " when Slurm accounting (Database or ExternalSlurmdbd) is configured" if limit < 60 else ""
    yield Finding(
        (),
        f"Invalid cluster name '{name}'. A cluster name must start with a letter, contain only letters, "
        f"digits and hyphens, and be at most {limit} characters long{why}.",
    )


@validator("RegionValidator")
def region(view: ConfigView) -> Iterator[Finding]:
    """``Region`` is one ParallelCluster supports; elsewhere its AMIs and services are missing."""
    value = get_str(view.root, "Region")
    if value is not None and value not in SUPPORTED_REGIONS:
        yield Finding(
            ("Region",),
            f"Region '{value}' is not supported by ParallelCluster. Supported regions: "
            f"{', '.join(sorted(SUPPORTED_REGIONS))}.",
        )


@validator("SchedulerValidator")
def scheduler(view: ConfigView) -> Iterator[Finding]:
    """The scheduler is ``slurm`` or ``awsbatch``; nothing else can be deployed."""
    value = view.scheduler
    if value is not None and value not in SUPPORTED_SCHEDULERS:
        yield Finding(
            ("Scheduling", "Scheduler"),
            f"Scheduler '{value}' is not supported. Supported schedulers are: "
            f"{', '.join(SUPPORTED_SCHEDULERS)}.",
        )


@validator("SchedulerOsValidator")
def scheduler_os(view: ConfigView) -> Iterator[Finding]:
    """``Image.Os`` is supported by the scheduler: AWS Batch only runs on Amazon Linux 2 or 2023."""
    os_name = get_str(view.root, "Image", "Os")
    allowed = OS_BY_SCHEDULER.get(view.scheduler or "")
    if os_name is not None and allowed is not None and os_name not in allowed:
        yield Finding(
            ("Image", "Os"),
            f"The {view.scheduler} scheduler does not support Os '{os_name}'. Supported operating systems: "
            f"{', '.join(allowed)}.",
        )


@validator("OsCustomAmiValidator")
def os_custom_ami(view: ConfigView) -> Iterator[Finding]:
    """Rocky Linux needs ``Image.CustomAmi``: ParallelCluster publishes no official Rocky AMI."""
    os_name = get_str(view.root, "Image", "Os")
    if os_name in OSES_WITHOUT_OFFICIAL_AMI and view.root.get("Image", "CustomAmi") is None:
        yield Finding(
            ("Image", "Os"),
            f"ParallelCluster has no official AMI for {os_name}: set Image.CustomAmi to an AMI you built "
            "with 'pcluster build-image' (see "
            "https://docs.aws.amazon.com/parallelcluster/latest/ug/building-custom-ami-v3.html).",
        )


@validator("SchedulerDisableSudoAccessForDefaultUserValidator")
def disable_sudo_with_batch(view: ConfigView) -> Iterator[Finding]:
    """``DisableSudoAccessForDefaultUser`` is only for Slurm: AWS Batch nodes need the default user's sudo."""
    path = ("DeploymentSettings", "DisableSudoAccessForDefaultUser")
    if view.scheduler == "awsbatch" and view.root.get(*path) is True:
        yield Finding(
            path,
            "DisableSudoAccessForDefaultUser is not supported with the awsbatch scheduler; remove it or "
            "set it to false.",
        )


@validator("FeatureRegionValidator")
def feature_region(view: ConfigView) -> Iterator[Finding]:
    """Features the config uses (AWS Batch, FileCache, FSx ONTAP/OpenZFS) are available in
    ``Region``; some regions lack those services."""
    region_name = get_str(view.root, "Region")
    if region_name is None:
        return
    used: list[tuple[str, KeyPath]] = []
    if view.scheduler == "awsbatch":
        used.append(("AWS Batch scheduler", ("Scheduling", "Scheduler")))
    for storage in storages(view, *FEATURE_OF_STORAGE):
        used.append((FEATURE_OF_STORAGE[storage.kind], storage.node.at("StorageType")))
    for feature, path in used:
        if region_name.startswith(UNSUPPORTED_FEATURE_REGIONS.get(feature, ("\0",))):
            yield Finding(
                path,
                f"{feature} is not supported in region '{region_name}'; remove it or deploy the cluster in "
                "another region.",
            )


@validator("IntelHpcOsValidator")
def intel_hpc_os(view: ConfigView) -> Iterator[Finding]:
    """``IntelHpcPlatform`` needs centos7, which ParallelCluster no longer supports, so it can't
    be enabled."""
    path = ("AdditionalPackages", "IntelSoftware", "IntelHpcPlatform")
    if view.root.get(*path) is True:
        yield Finding(
            path,
            "IntelHpcPlatform requires Image.Os centos7, which is no longer a supported operating system; "
            "set IntelHpcPlatform to false.",
        )


@validator("MixedSecurityGroupOverwriteValidator")
def mixed_security_groups(view: ConfigView) -> Iterator[Finding]:
    """Warn when some nodes replace the managed security groups (``SecurityGroups``) and others
    keep them: the replaced groups must then be opened to the managed ones by hand."""
    if view.scheduler != "slurm":
        return
    head_path: KeyPath = ("HeadNode", "Networking", "SecurityGroups")
    head_custom = bool(get_strs(view.root, *head_path))
    custom = [q for q in view.slurm_queues() if get_strs(q, "Networking", "SecurityGroups")]
    managed = [q for q in view.slurm_queues() if not get_strs(q, "Networking", "SecurityGroups")]
    if head_custom and managed:
        path = head_path
    elif not head_custom and custom:
        path = custom[0].at("Networking", "SecurityGroups")
    else:
        return
    yield Finding(
        path,
        "Some cluster nodes replace ParallelCluster's security groups (SecurityGroups) while others use "
        "the managed ones. Make sure all nodes can reach each other, or use AdditionalSecurityGroups "
        "instead of replacing the managed security groups.",
        Level.WARNING,
    )


@validator("RootVolumeEncryptionConsistencyValidator")
def root_volume_encryption(view: ConfigView) -> Iterator[Finding]:
    """Warn when queues disagree on root volume encryption: a Service Control Policy that
    enforces encryption would then break only some queues."""
    queues = list(view.slurm_queues())
    if not queues:
        return
    key = ("ComputeSettings", "LocalStorage", "RootVolume", "Encrypted")
    first = queues[0]
    reference = get_bool(first, *key, default=True)
    for queue in queues[1:]:
        encrypted = get_bool(queue, *key, default=True)
        if reference is not None and encrypted is not None and encrypted != reference:
            yield Finding(
                queue.at(*key),
                f"The root volume of queue '{name_of(queue)}' has Encrypted: {str(encrypted).lower()} but "
                f"queue '{name_of(first)}' has Encrypted: {str(reference).lower()}; this may break a "
                "Service Control Policy that enforces encryption. Use the same setting on every queue.",
                Level.WARNING,
            )
