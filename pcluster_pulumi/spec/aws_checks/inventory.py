"""Batched, cached answers from AWS about the resources a config refers to.

Each kind is fetched on first use, all of its ids at once (filters on DescribeSubnets,
DescribeSecurityGroups, DescribeImages, ...; up to 100 instance types per
DescribeInstanceTypes), so the number of API calls grows with the kinds of resource a
config uses, not with its number of queues. APIs with no batch form (IAM, S3 objects,
secrets, EFS) cost one call per distinct id, and ids repeat little in real configs.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import botocore.exceptions

from pcluster_pulumi.spec.aws_checks.refs import Refs
from pcluster_pulumi.spec.aws_checks.session import AwsSession, AwsUnavailable, error_code

__all__ = ["Inventory"]

NOT_FOUND = (
    "NoSuchEntity",
    "NotFoundException",
    "NotFound",
    "404",
    "NoSuchKey",
    "NoSuchBucket",
    "ResourceNotFoundException",
    "FileSystemNotFound",
    "NoSuchHostedZone",
    "BackupNotFound",
)


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _not_found(exc: BaseException) -> bool:
    code = error_code(exc)
    return any(code.endswith(suffix) or code == suffix for suffix in NOT_FOUND)


class Inventory:
    """What AWS says about the config's resources; every method is one batched lookup."""

    def __init__(self, aws: AwsSession, refs: Refs) -> None:
        self.aws = aws
        self.refs = refs

    def _call(self, service: str, operation: str, **kwargs: Any) -> Any:
        try:
            return getattr(self.aws.client(service), operation)(**kwargs)
        except botocore.exceptions.NoCredentialsError:
            raise AwsUnavailable(
                "no AWS credentials found: configure them (aws configure, AWS_PROFILE, ...)"
            ) from None
        except botocore.exceptions.EndpointConnectionError as exc:
            raise AwsUnavailable(f"cannot reach AWS: {exc}") from None

    def _pages(self, service: str, operation: str, key: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        paginator = self.aws.client(service).get_paginator(operation)
        try:
            for page in paginator.paginate(**kwargs):
                yield from page.get(key, [])
        except botocore.exceptions.EndpointConnectionError as exc:
            raise AwsUnavailable(f"cannot reach AWS: {exc}") from None

    def _filtered(
        self, service: str, operation: str, key: str, name: str, ids: list[str]
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for chunk in _chunks(ids, 200):
            out.extend(self._pages(service, operation, key, Filters=[{"Name": name, "Values": chunk}]))
        return out

    @functools.cached_property
    def key_pairs(self) -> set[str]:
        """Names of the region's key pairs (one DescribeKeyPairs lists them all)."""
        if not self.refs.key_names:
            return set()
        pairs = self._call("ec2", "describe_key_pairs").get("KeyPairs", [])
        return {p["KeyName"] for p in pairs}

    @functools.cached_property
    def zone_offers(self) -> set[tuple[str, str]]:
        """(instance type, availability zone) pairs of the config's types offered in the region."""
        types = self.refs.values("instance_types")
        if not types:
            return set()
        offers = self._pages(
            "ec2",
            "describe_instance_type_offerings",
            "InstanceTypeOfferings",
            LocationType="availability-zone",
            Filters=[{"Name": "instance-type", "Values": types}],
        )
        return {(o["InstanceType"], o["Location"]) for o in offers}

    @property
    def offered_types(self) -> set[str]:
        """Instance types of the config offered in some zone of the region."""
        return {instance_type for instance_type, _ in self.zone_offers}

    @functools.cached_property
    def instance_types(self) -> dict[str, dict[str, Any]]:
        """DescribeInstanceTypes of every offered type of the config (and of EFA/AMI checks)."""
        wanted = [t for t in self.refs.values("instance_types") if t in self.offered_types]
        out: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(wanted, 100):
            for info in self._call("ec2", "describe_instance_types", InstanceTypes=chunk)["InstanceTypes"]:
                out[info["InstanceType"]] = info
        return out

    def architectures(self, instance_type: str) -> tuple[str, ...]:
        """Architectures an instance type supports (empty when unknown)."""
        info = self.instance_types.get(instance_type, {})
        return tuple(info.get("ProcessorInfo", {}).get("SupportedArchitectures", ()))

    @functools.cached_property
    def images(self) -> dict[str, dict[str, Any]]:
        """The custom AMIs of the config that exist, by id."""
        ids = list(dict.fromkeys(ref.value for ref, _ in self.refs.amis))
        found = self._filtered("ec2", "describe_images", "Images", "image-id", ids) if ids else []
        return {image["ImageId"]: image for image in found}

    @functools.cached_property
    def subnets(self) -> dict[str, dict[str, Any]]:
        """The subnets of the config that exist, by id."""
        ids = self.refs.values("subnets")
        found = self._filtered("ec2", "describe_subnets", "Subnets", "subnet-id", ids) if ids else []
        return {subnet["SubnetId"]: subnet for subnet in found}

    @functools.cache  # noqa: B019 - one inventory per validation run
    def vpc_dns(self, vpc_id: str) -> tuple[bool, bool]:
        """(DNS support, DNS hostnames) of a VPC: nodes find each other by name."""
        values = []
        for attribute in ("enableDnsSupport", "enableDnsHostnames"):
            answer = self._call("ec2", "describe_vpc_attribute", VpcId=vpc_id, Attribute=attribute)
            key = attribute[0].upper() + attribute[1:]
            values.append(bool(answer.get(key, {}).get("Value")))
        return values[0], values[1]

    @functools.cached_property
    def security_groups(self) -> dict[str, dict[str, Any]]:
        """The security groups of the config that exist, by id."""
        ids = self.refs.values("security_groups")
        found = (
            self._filtered("ec2", "describe_security_groups", "SecurityGroups", "group-id", ids)
            if ids
            else []
        )
        return {group["GroupId"]: group for group in found}

    @functools.cached_property
    def volumes(self) -> dict[str, dict[str, Any]]:
        """The existing EBS volumes of the config, by id."""
        ids = self.refs.values("volumes")
        found = self._filtered("ec2", "describe_volumes", "Volumes", "volume-id", ids) if ids else []
        return {volume["VolumeId"]: volume for volume in found}

    @functools.cached_property
    def snapshots(self) -> dict[str, dict[str, Any]]:
        """The EBS snapshots of the config that exist, by id."""
        ids = self.refs.values("snapshots")
        found = self._filtered("ec2", "describe_snapshots", "Snapshots", "snapshot-id", ids) if ids else []
        return {snapshot["SnapshotId"]: snapshot for snapshot in found}

    @functools.cached_property
    def fsx(self) -> dict[str, dict[str, Any]]:
        """The existing FSx file systems of the config, by id (one call)."""
        ids = self.refs.values("fsx")
        if not ids:
            return {}
        try:
            found = self._call("fsx", "describe_file_systems", FileSystemIds=ids).get("FileSystems", [])
        except botocore.exceptions.ClientError as exc:
            if not _not_found(exc):
                raise
            found = []  # AWS refuses the whole batch when one id is missing: ask one by one
            for fs_id in ids:
                found.extend(self.one_fsx(fs_id))
        return {fs["FileSystemId"]: fs for fs in found}

    def one_fsx(self, fs_id: str) -> list[dict[str, Any]]:
        """One FSx file system, or nothing when it does not exist."""
        try:
            answer = self._call("fsx", "describe_file_systems", FileSystemIds=[fs_id])
        except botocore.exceptions.ClientError as exc:
            if _not_found(exc):
                return []
            raise
        return list(answer.get("FileSystems", []))

    @functools.cache  # noqa: B019 - one inventory per validation run
    def exists(self, service: str, operation: str, **kwargs: Any) -> dict[str, Any] | None:
        """The answer of a Get/Describe/Head call, or None when the resource does not exist.
        ``Filters`` may be given as hashable ((name, value), ...) pairs (the answers are cached)."""
        if "Filters" in kwargs:
            kwargs["Filters"] = [{"Name": name, "Values": [value]} for name, value in kwargs["Filters"]]
        try:
            answer: dict[str, Any] = self._call(service, operation, **kwargs)
        except botocore.exceptions.ClientError as exc:
            if _not_found(exc):
                return None
            raise
        return answer
