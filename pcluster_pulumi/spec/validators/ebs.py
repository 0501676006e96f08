"""EBS volume rules for shared EBS storage and for head node and queue root volumes:
size, IOPS and throughput limits per volume type."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from pcluster_pulumi.spec.problems import KeyPath, Level
from pcluster_pulumi.spec.validators._read import get_int, get_str, is_set, name_of
from pcluster_pulumi.spec.validators._storage import storages
from pcluster_pulumi.spec.validators.base import ConfigView, Finding, Node, validator

SIZE_BOUNDS = {
    "standard": (1, 1024),
    "io1": (4, 16384),
    "io2": (4, 65536),
    "gp2": (1, 16384),
    "gp3": (1, 16384),
    "st1": (500, 16384),
    "sc1": (500, 16384),
}
IOPS_BOUNDS = {"io1": (100, 64000), "io2": (100, 256000), "gp3": (3000, 16000)}
MAX_IOPS_PER_GIB = {"io1": 50, "io2": 1000, "gp3": 500}
DEFAULT_IOPS = {"io1": 100, "io2": 100, "gp3": 3000}
GP3_THROUGHPUT = (125, 1000)
# gp3 throughput (MiB/s) may be at most IOPS / 4; integer arithmetic keeps huge values exact.
GP3_IOPS_PER_THROUGHPUT = 4
DEFAULT_SHARED_SIZE = 40
# Beyond this many compute nodes the head node's network becomes the bottleneck of shared EBS.
EBS_NODE_LIMIT = 100


@dataclass(frozen=True)
class Volume:
    """An EBS volume the config describes, with what is known of its size."""

    node: Node
    size: int | None  # None when the AMI decides (root volumes) or the value is malformed
    label: str

    @property
    def volume_type(self) -> str | None:
        """The volume type, gp3 by default."""
        return get_str(self.node, "VolumeType", default="gp3")

    @property
    def iops(self) -> int | None:
        """The provisioned IOPS, with the per-type default."""
        return get_int(self.node, "Iops", default=DEFAULT_IOPS.get(self.volume_type or ""))

    def path(self, key: str, *fallbacks: str) -> KeyPath:
        """The path of ``key``, or of the first fallback the user wrote when ``key`` is absent."""
        for candidate in (key, *fallbacks):
            if is_set(self.node, candidate):
                return self.node.at(candidate)
        return self.node.at(key)


def volumes(view: ConfigView) -> Iterator[Volume]:
    """Shared EBS volumes, then the head node's and each queue's root volume."""
    for storage in storages(view, "Ebs"):
        size = get_int(storage.settings, "Size", default=DEFAULT_SHARED_SIZE)
        yield Volume(storage.settings, size, f"shared storage '{name_of(storage.node)}'")
    root = view.head_node.child("LocalStorage", "RootVolume")
    yield Volume(root, get_int(root, "Size"), "the head node root volume")
    for queue in view.slurm_queues():
        root = queue.child("ComputeSettings", "LocalStorage", "RootVolume")
        yield Volume(root, get_int(root, "Size"), f"the root volume of queue '{name_of(queue)}'")


@validator("EbsVolumeTypeSizeValidator")
def volume_size(view: ConfigView) -> Iterator[Finding]:
    """The volume size is within the bounds of its type: gp2/gp3 1-16384 GiB, io1 4-16384,
    io2 4-65536, st1/sc1 500-16384, standard 1-1024."""
    for volume in volumes(view):
        bounds = SIZE_BOUNDS.get(volume.volume_type or "")
        if volume.size is None or bounds is None:
            continue
        low, high = bounds
        path = volume.path("Size", "VolumeType")
        if volume.size > high:
            yield Finding(path, f"The size of {volume.volume_type} volumes can not exceed {high} GiB.")
        elif volume.size < low:
            yield Finding(path, f"The size of {volume.volume_type} volumes must be at least {low} GiB.")


@validator("EbsVolumeThroughputValidator")
def gp3_throughput(view: ConfigView) -> Iterator[Finding]:
    """gp3 throughput is between 125 and 1000 MiB/s."""
    low, high = GP3_THROUGHPUT
    for volume in volumes(view):
        throughput = get_int(volume.node, "Throughput", default=low)
        if volume.volume_type == "gp3" and throughput is not None and not low <= throughput <= high:
            yield Finding(
                volume.path("Throughput"),
                f"Throughput of {volume.label} is {throughput}; it must be between {low} MB/s and {high} "
                "MB/s for gp3 volumes.",
            )


@validator("EbsVolumeThroughputIopsValidator")
def gp3_throughput_per_iops(view: ConfigView) -> Iterator[Finding]:
    """gp3 throughput (MiB/s) is at most 0.25 x its IOPS."""
    for volume in volumes(view):
        throughput = get_int(volume.node, "Throughput", default=GP3_THROUGHPUT[0])
        iops = volume.iops
        if volume.volume_type != "gp3" or throughput is None or iops is None:
            continue
        if throughput * GP3_IOPS_PER_THROUGHPUT > iops:
            yield Finding(
                volume.path("Throughput"),
                f"Throughput {throughput} of {volume.label} is more than 0.25 x its IOPS ({iops}); raise "
                f"Iops to at least {throughput * GP3_IOPS_PER_THROUGHPUT} or lower Throughput.",
            )


@validator("EbsVolumeIopsValidator")
def volume_iops(view: ConfigView) -> Iterator[Finding]:
    """IOPS are within the range of the volume type (io1 100-64000, io2 100-256000, gp3
    3000-16000) and its per-GiB ratio (50, 1000, 500); other types take no IOPS."""
    for volume in volumes(view):
        kind, iops = volume.volume_type, volume.iops
        if kind is None or not iops:
            continue
        path = volume.path("Iops")
        if kind not in IOPS_BOUNDS:
            yield Finding(path, f"Iops is not supported for {kind} volumes ({volume.label}); remove it.")
            continue
        low, high = IOPS_BOUNDS[kind]
        ratio = MAX_IOPS_PER_GIB[kind]
        if not low <= iops <= high:
            yield Finding(
                path,
                f"Iops of {volume.label} is {iops}; it must be between {low} and {high} for {kind} volumes.",
            )
        elif volume.size is not None and volume.size > 0 and iops > volume.size * ratio:
            yield Finding(
                path,
                f"Iops {iops} of {volume.label} is more than {ratio} per GiB of its {volume.size} GiB; "
                f"lower Iops to at most {volume.size * ratio} or enlarge the volume.",
            )


@validator("SharedEbsPerformanceBottleNeckValidator")
def shared_ebs_bottleneck(view: ConfigView) -> Iterator[Finding]:
    """Warn when shared EBS serves more than 100 compute nodes: it is exported by the head node,
    whose network bandwidth then limits every job; EFS or FSx scale better."""
    first = next(storages(view, "Ebs"), None)
    if first is None:
        return
    total = 0
    for _, cr in view.compute_resources():
        total += get_int(cr, "MaxCount", default=10) or 0
    if total > EBS_NODE_LIMIT:
        yield Finding(
            first.node.at("StorageType"),
            f"Shared EBS storage is exported by the head node to up to {total} compute nodes; the head "
            "node's network bandwidth will limit performance. Consider EFS or FSx for data the compute "
            "nodes use.",
            Level.WARNING,
        )
