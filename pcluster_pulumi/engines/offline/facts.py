"""Plausible AWS facts for offline ``plan``: what the mocked invokes answer, and the facts file.

Without an AWS account, ``plan`` still needs the facts ``facts.py`` reads with invokes. These
are the documented defaults (docs/components.md): account ``123456789012``, region
``us-east-1`` (or the spec's ``Region``), every subnet in VPC ``vpc-0123456789abcdef0`` with
AZs ``a``, ``b``, ``c``… handed out in the order subnets are first looked up, official AMIs with
a stable fake id, and instance types from a small catalog of real values, or else derived from
the type name (size → vCPUs, family letter → memory per vCPU, ``g`` after the generation →
arm64, ``n`` → EFA at large sizes, ``d`` → instance store). A facts YAML file overrides any of
it; its entries are merged over these defaults key by key, so one line can fix one number.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pcluster_pulumi.derive.facts import (
    AmiFacts,
    ClusterFacts,
    InstanceTypeFacts,
    SubnetFacts,
    ami_lookups,
    facts_request,
)
from pcluster_pulumi.spec.model import ClusterSpec
from pcluster_pulumi.spec.problems import SpecError, shorten
from pcluster_pulumi.spec.source import read_config_file
from pcluster_pulumi.spec.yaml_limits import check_limits

__all__ = ["FactsFileError", "OfflineFacts", "cluster_facts", "instance_type_facts", "load_facts_file"]

DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"
DEFAULT_VPC = "vpc-0123456789abcdef0"
DEFAULT_RESERVATION_TYPE = "c5.xlarge"

_SIZE_VCPUS = {
    "nano": 2, "micro": 2, "small": 2, "medium": 2, "large": 2, "xlarge": 4, "2xlarge": 8, "3xlarge": 12,
    "4xlarge": 16, "6xlarge": 24, "8xlarge": 32, "9xlarge": 36, "12xlarge": 48, "16xlarge": 64,
    "18xlarge": 72, "24xlarge": 96, "32xlarge": 128, "48xlarge": 192, "metal": 96,
}  # fmt: skip
_GIB_PER_VCPU = {"c": 2, "m": 4, "r": 8, "x": 16, "z": 8, "i": 8, "d": 8, "g": 4, "t": 2, "h": 4, "p": 8}
_EFA_SIZES = {"9xlarge", "16xlarge", "18xlarge", "24xlarge", "32xlarge", "48xlarge", "metal"}
_FAMILY = re.compile(r"^(?P<series>[a-z]+)(?P<gen>\d+)(?P<attrs>[a-z-]*)$")

#: Real DescribeInstanceTypes values for the types the examples and tests use most.
CATALOG: dict[str, dict[str, Any]] = {
    "t3.micro": {"vcpus": 2, "memory_mib": 1024, "default_cores": 1, "threads_per_core": 2},
    "t3.medium": {"vcpus": 2, "memory_mib": 4096, "default_cores": 1, "threads_per_core": 2},
    "c5.large": {"vcpus": 2, "memory_mib": 4096, "default_cores": 1, "threads_per_core": 2},
    "c5.xlarge": {"vcpus": 4, "memory_mib": 8192, "default_cores": 2, "threads_per_core": 2},
    "c5.2xlarge": {"vcpus": 8, "memory_mib": 16384, "default_cores": 4, "threads_per_core": 2},
    "c5n.18xlarge": {"vcpus": 72, "memory_mib": 196608, "default_cores": 36, "threads_per_core": 2,
                     "efa_supported": True},
    "c6i.xlarge": {"vcpus": 4, "memory_mib": 8192, "default_cores": 2, "threads_per_core": 2},
    "c6i.2xlarge": {"vcpus": 8, "memory_mib": 16384, "default_cores": 4, "threads_per_core": 2},
    "m5.xlarge": {"vcpus": 4, "memory_mib": 16384, "default_cores": 2, "threads_per_core": 2},
    "m5.2xlarge": {"vcpus": 8, "memory_mib": 32768, "default_cores": 4, "threads_per_core": 2},
    "m6i.2xlarge": {"vcpus": 8, "memory_mib": 32768, "default_cores": 4, "threads_per_core": 2},
    "r5.xlarge": {"vcpus": 4, "memory_mib": 32768, "default_cores": 2, "threads_per_core": 2},
    "hpc6a.48xlarge": {"vcpus": 96, "memory_mib": 393216, "default_cores": 96, "threads_per_core": 1,
                       "efa_supported": True},
    "hpc7g.16xlarge": {"vcpus": 64, "memory_mib": 131072, "default_cores": 64, "threads_per_core": 1,
                       "efa_supported": True, "architectures": ["arm64"]},
    "c7g.xlarge": {"vcpus": 4, "memory_mib": 8192, "default_cores": 4, "threads_per_core": 1,
                   "architectures": ["arm64"]},
    "g4dn.xlarge": {"vcpus": 4, "memory_mib": 16384, "default_cores": 2, "threads_per_core": 2,
                    "gpu_count": 1, "gpu_type": "t4", "instance_store_disks": 1},
    "g5.xlarge": {"vcpus": 4, "memory_mib": 16384, "default_cores": 2, "threads_per_core": 2,
                  "gpu_count": 1, "gpu_type": "a10g", "instance_store_disks": 1},
    "p4d.24xlarge": {"vcpus": 96, "memory_mib": 1179648, "default_cores": 48, "threads_per_core": 2,
                     "gpu_count": 8, "gpu_type": "a100", "efa_supported": True, "max_network_cards": 4,
                     "instance_store_disks": 8},
    "p5.48xlarge": {"vcpus": 192, "memory_mib": 2097152, "default_cores": 96, "threads_per_core": 2,
                    "gpu_count": 8, "gpu_type": "h100", "efa_supported": True, "max_network_cards": 32,
                    "instance_store_disks": 8},
}  # fmt: skip

INSTANCE_KEYS = (
    "vcpus", "memory_mib", "default_cores", "threads_per_core", "gpu_count", "gpu_type", "efa_supported",
    "max_network_cards", "architectures", "instance_store_disks",
)  # fmt: skip
_TOP_KEYS = {
    "region": str, "account_id": str, "partition": str, "dns_suffix": str, "subnets": dict,
    "instance_types": dict, "amis": dict, "hosted_zones": dict, "instance_profiles": dict,
    "elastic_ips": dict, "capacity_reservations": dict,
}  # fmt: skip
_SUBNET_KEYS = ("vpc_id", "availability_zone", "internet_gateway")
_AMI_KEYS = ("image_id", "architecture", "root_device_name", "name")
_RESERVATION_KEYS = ("instance_type", "availability_zone")


class FactsFileError(ValueError):
    """A facts file that cannot be used; the message names the file and the key."""


def instance_type_facts(instance_type: str, override: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Catalog facts for a type, or facts derived from its name; ``override`` wins key by key."""
    facts = dict(CATALOG.get(instance_type) or _derived(instance_type))
    facts.update(override or {})
    return facts


def _derived(instance_type: str) -> dict[str, Any]:
    family, _, size = instance_type.partition(".")
    match = _FAMILY.match(family)
    series = match["series"] if match else family[:1]
    attrs = match["attrs"] if match else ""
    arm = bool(match) and attrs.startswith("g")
    vcpus = _SIZE_VCPUS.get(size, 4)
    threads = 1 if arm or series == "hpc" else 2
    efa = series in ("hpc", "p", "trn") or ("n" in attrs and size in _EFA_SIZES)
    disks = (1 if vcpus <= 16 else 2) if "d" in attrs else 0
    return {
        "vcpus": vcpus,
        "memory_mib": vcpus * _GIB_PER_VCPU.get(series[:1], 4) * 1024,
        "default_cores": max(1, vcpus // threads),
        "threads_per_core": threads,
        "efa_supported": efa,
        "architectures": ["arm64"] if arm else ["x86_64"],
        "instance_store_disks": disks,
    }


def _hex(text: str, width: int = 17) -> str:
    return f"{zlib.crc32(text.encode()):08x}{zlib.crc32(text[::-1].encode()):08x}{'0' * width}"[:width]


@dataclass
class OfflineFacts:
    """The answers of the mocked invokes, with the file's overrides applied."""

    region: str = DEFAULT_REGION
    account_id: str = DEFAULT_ACCOUNT
    partition: str | None = None
    dns_suffix: str | None = None
    subnets: dict[str, dict[str, Any]] = field(default_factory=dict)
    instance_types: dict[str, dict[str, Any]] = field(default_factory=dict)
    amis: dict[str, dict[str, Any]] = field(default_factory=dict)
    hosted_zones: dict[str, str] = field(default_factory=dict)
    instance_profiles: dict[str, str] = field(default_factory=dict)
    elastic_ips: dict[str, str] = field(default_factory=dict)
    capacity_reservations: dict[str, dict[str, Any]] = field(default_factory=dict)
    _azs: dict[str, str] = field(default_factory=dict, repr=False)

    def partition_facts(self) -> tuple[str, str]:
        """(partition, DNS suffix) of the region, unless the file fixed them."""
        if self.region.startswith("cn-"):
            default = ("aws-cn", "amazonaws.com.cn")
        elif self.region.startswith("us-gov-"):
            default = ("aws-us-gov", "amazonaws.com")
        else:
            default = ("aws", "amazonaws.com")
        return self.partition or default[0], self.dns_suffix or default[1]

    def subnet(self, subnet_id: str) -> dict[str, Any]:
        """A subnet's VPC and AZ (new subnets get the next AZ letter); private unless the file says
        ``internet_gateway: true`` (a login pool's load balancer is then internet-facing)."""
        given = self.subnets.get(subnet_id, {})
        if subnet_id not in self._azs:
            self._azs[subnet_id] = f"{self.region}{'abcdef'[len(self._azs) % 6]}"
        return {
            "vpc_id": DEFAULT_VPC,
            "availability_zone": self._azs[subnet_id],
            "internet_gateway": False,
            **given,
        }

    def ami(self, key: str, architecture: str, os_name: str | None) -> dict[str, Any]:
        """An AMI for a key (``ami-…`` or ``official:<os>:<arch>``)."""
        root = "/dev/xvda" if not os_name or os_name.startswith("alinux") else "/dev/sda1"
        image = key if key.startswith("ami-") else f"ami-{_hex(key)}"
        name = None if key.startswith("ami-") else f"aws-parallelcluster-{os_name}-hvm-{architecture}"
        return {"image_id": image, "architecture": architecture, "root_device_name": root, "name": name,
                **self.amis.get(key, {})}  # fmt: skip

    def instance_profile_role(self, profile: str, partition: str) -> str:
        """ARN of the role inside an existing instance profile."""
        return self.instance_profiles.get(profile) or f"arn:{partition}:iam::{self.account_id}:role/{profile}"

    def elastic_ip(self, public_ip: str) -> str:
        """Allocation id of an existing Elastic IP."""
        return self.elastic_ips.get(public_ip) or f"eipalloc-{_hex(public_ip)}"

    def capacity_reservation(self, reservation_id: str) -> dict[str, Any]:
        """An existing capacity reservation's instance type and AZ (the file's, else a plausible one)."""
        return {"instance_type": DEFAULT_RESERVATION_TYPE, "availability_zone": f"{self.region}a",
                **self.capacity_reservations.get(reservation_id, {})}  # fmt: skip


def _check_keys(where: str, data: Mapping[str, Any], allowed: tuple[str, ...] | set[str]) -> None:
    for key in data:
        if key not in allowed:
            raise FactsFileError(
                f"{where}: unknown key {key!r}; expected one of {', '.join(sorted(allowed))}"
            )


def load_facts_file(path: str | Path) -> OfflineFacts:
    """Read a facts YAML file; unknown keys and wrong shapes are refused with the key's path."""
    # start-up: YAML loads only when a facts file is given.
    import yaml

    source = str(path)
    try:
        text = read_config_file(path).text  # size limit, UTF-8, one sentence naming the file
    except SpecError as exc:
        raise FactsFileError(str(exc)) from None
    limit = check_limits(text)  # alias bombs and recursion, before safe_load expands them
    if limit is not None:
        raise FactsFileError(f"{source}:{limit.line}:{limit.column}: {limit.message}")
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        raise FactsFileError(f"{where}: invalid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise FactsFileError(f"{source}: the facts file must be a mapping")
    _check_keys(source, data, set(_TOP_KEYS))
    if isinstance(data.get("account_id"), int):  # YAML reads an unquoted account number as an int
        data["account_id"] = f"{data['account_id']:012d}"
    for key, kind in _TOP_KEYS.items():
        if key in data and not isinstance(data[key], kind):
            raise FactsFileError(f"{source}: {key}: expected a {'mapping' if kind is dict else 'string'}")
    nested = {"subnets": _SUBNET_KEYS, "instance_types": INSTANCE_KEYS, "amis": _AMI_KEYS,
              "capacity_reservations": _RESERVATION_KEYS}  # fmt: skip
    for section, keys in nested.items():
        for name, entry in (data.get(section) or {}).items():
            if not isinstance(entry, dict):
                raise FactsFileError(f"{source}: {section}.{name}: expected a mapping")
            _check_keys(f"{source}: {section}.{name}", entry, keys)
            _check_types(f"{source}: {section}.{name}", entry)
    return OfflineFacts(**{k: v for k, v in data.items()})


#: The type of each nested facts value (anything not listed is a string).
_VALUE_KINDS: dict[str, tuple[type, ...]] = {
    "vcpus": (int,), "memory_mib": (int,), "default_cores": (int,), "threads_per_core": (int,),
    "gpu_count": (int,), "max_network_cards": (int,), "instance_store_disks": (int,),
    "efa_supported": (bool,), "architectures": (list,), "internet_gateway": (bool,),
}  # fmt: skip
_KIND_NAMES = {int: "a whole number", bool: "true or false", list: "a list", str: "a string"}


def _check_types(where: str, entry: Mapping[str, Any]) -> None:
    """Each value has the type its invoke answer needs (a wrong one would fail deep in Pulumi)."""
    for key, value in entry.items():
        kinds = _VALUE_KINDS.get(key, (str,))
        wrong = not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds)
        if wrong or (key == "architectures" and not all(isinstance(a, str) for a in value)):
            raise FactsFileError(
                f"{where}.{key}: expected {_KIND_NAMES[kinds[0]]}"
                + (" of strings" if key == "architectures" else "")
                + f", got {type(value).__name__} {shorten(repr(value))}"
            )


def cluster_facts(spec: ClusterSpec, offline: OfflineFacts | None = None) -> ClusterFacts:
    """The ``ClusterFacts`` the mocked invokes would yield, built directly (no Pulumi needed).

    For unit tests of the planning functions, and for programs that pass ``facts=`` to
    ``Cluster`` to skip the invokes.
    """
    offline = offline or OfflineFacts(region=spec.region or DEFAULT_REGION)
    request = facts_request(spec)
    partition, suffix = offline.partition_facts()
    types = {}
    for name in request.instance_types:
        raw = instance_type_facts(name, offline.instance_types.get(name))
        raw["architectures"] = tuple(raw.get("architectures", ("x86_64",)))
        types[name] = InstanceTypeFacts(instance_type=name, **raw)
    amis = {}
    for key, (arch, _custom) in ami_lookups(spec, types).items():
        found = offline.ami(key, arch, spec.image.os)
        amis[key] = AmiFacts(
            found["image_id"], found["architecture"], found["root_device_name"], found["name"]
        )
    subnets = {}
    for subnet_id in request.subnets:
        found = offline.subnet(subnet_id)
        public = subnet_id in request.login_subnets and bool(found["internet_gateway"])
        subnets[subnet_id] = SubnetFacts(subnet_id, found["vpc_id"], found["availability_zone"], public)
    zones = {}
    if request.hosted_zone_id:
        zones[request.hosted_zone_id] = offline.hosted_zones.get(request.hosted_zone_id, "example.com.")
    return ClusterFacts(
        region=offline.region,
        account_id=offline.account_id,
        partition=partition,
        dns_suffix=suffix,
        subnets=subnets,
        instance_types=types,
        amis=amis,
        hosted_zones=zones,
        instance_profile_roles={
            p: offline.instance_profile_role(p, partition) for p in request.instance_profiles
        },
        elastic_ips={request.elastic_ip: offline.elastic_ip(request.elastic_ip)}
        if request.elastic_ip
        else {},
    )
