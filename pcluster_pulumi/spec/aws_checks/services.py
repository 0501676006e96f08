"""Checks of other services: Route 53 hosted zone, IAM, S3 scripts, secrets, existing storage."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator

from pcluster_pulumi.spec.aws_checks.base import aws_validator
from pcluster_pulumi.spec.aws_checks.inventory import Inventory
from pcluster_pulumi.spec.validators.base import ConfigView, Finding


def _name(arn: str) -> str:
    """The last path part of an ARN (``…:role/path/name`` → ``name``), or the value itself."""
    return arn.rsplit("/", 1)[-1] if arn.startswith("arn:") else arn


@aws_validator("HostedZoneValidator")
def hosted_zone(view: ConfigView, aws: Inventory) -> Iterator[Finding]:
    """``Dns.HostedZoneId`` is a private zone associated with the cluster's VPC."""
    head_vpc = aws.subnets.get(aws.refs.head_subnet or "", {}).get("VpcId")
    for ref in aws.refs.hosted_zones:
        zone = aws.exists("route53", "get_hosted_zone", Id=ref.value)
        if zone is None:
            yield Finding(ref.path, f"The hosted zone '{ref.value}' does not exist.")
            continue
        if not zone.get("HostedZone", {}).get("Config", {}).get("PrivateZone"):
            yield Finding(
                ref.path, f"The hosted zone '{ref.value}' is public; the cluster needs a private one."
            )
        vpcs = {v.get("VPCId") for v in zone.get("VPCs", [])}
        if head_vpc and head_vpc not in vpcs:
            yield Finding(
                ref.path,
                f"The hosted zone '{ref.value}' is not associated with the cluster's VPC {head_vpc}; "
                "associate it (aws route53 associate-vpc-with-hosted-zone).",
            )


@aws_validator("RoleValidator")
def roles_exist(view: ConfigView, aws: Inventory) -> Iterator[Finding]:
    """Every ``InstanceRole`` exists."""
    for ref in aws.refs.roles:
        if aws.exists("iam", "get_role", RoleName=_name(ref.value)) is None:
            yield Finding(ref.path, f"The IAM role '{ref.value}' does not exist.")


@aws_validator("InstanceProfileValidator")
def instance_profiles_exist(view: ConfigView, aws: Inventory) -> Iterator[Finding]:
    """Every ``InstanceProfile`` exists."""
    for ref in aws.refs.instance_profiles:
        if aws.exists("iam", "get_instance_profile", InstanceProfileName=_name(ref.value)) is None:
            yield Finding(ref.path, f"The IAM instance profile '{ref.value}' does not exist.")


@aws_validator("AdditionalIamPolicyValidator")
def policies_exist(view: ConfigView, aws: Inventory) -> Iterator[Finding]:
    """Every ``AdditionalIamPolicies[].Policy`` exists."""
    for ref in aws.refs.policies:
        if aws.exists("iam", "get_policy", PolicyArn=ref.value) is None:
            yield Finding(ref.path, f"The IAM policy '{ref.value}' does not exist.")


@aws_validator("UrlValidator")
def scripts_exist(view: ConfigView, aws: Inventory) -> Iterator[Finding]:
    """Every ``s3://`` custom action script exists and can be read (nodes download it at boot)."""
    for ref in aws.refs.s3_urls:
        bucket, _, key = ref.value.removeprefix("s3://").partition("/")
        if aws.exists("s3", "head_object", Bucket=bucket, Key=key) is None:
            yield Finding(ref.path, f"The script {ref.value} does not exist (S3 HeadObject found nothing).")


@aws_validator("PasswordSecretArnValidator")
def secrets_exist(view: ConfigView, aws: Inventory) -> Iterator[Finding]:
    """The secrets of the accounting database, the directory service and the munge key exist."""
    for ref in aws.refs.secrets:
        if aws.exists("secretsmanager", "describe_secret", SecretId=ref.value) is None:
            yield Finding(ref.path, f"The secret '{ref.value}' does not exist in {aws.aws.region}.")


@aws_validator("SharedEbsVolumeIdValidator")
def ebs_volumes_available(view: ConfigView, aws: Inventory) -> Iterator[Finding]:
    """An existing EBS volume exists, is available (not attached elsewhere) and is in the head
    node's availability zone."""
    head_zone = aws.subnets.get(aws.refs.head_subnet or "", {}).get("AvailabilityZone")
    for ref in aws.refs.volumes:
        volume = aws.volumes.get(ref.value)
        if volume is None:
            yield Finding(ref.path, f"The EBS volume '{ref.value}' does not exist in {aws.aws.region}.")
        elif volume.get("State") != "available":
            yield Finding(ref.path, f"The EBS volume '{ref.value}' is {volume.get('State')}, not available.")
        elif head_zone and volume.get("AvailabilityZone") != head_zone:
            yield Finding(
                ref.path,
                f"The EBS volume '{ref.value}' is in {volume.get('AvailabilityZone')}, but the head node is "
                f"in {head_zone}: a volume attaches only in its own zone.",
            )


@aws_validator("EbsVolumeSizeSnapshotValidator")
def ebs_snapshots_exist(view: ConfigView, aws: Inventory) -> Iterator[Finding]:
    """A ``SnapshotId`` names an existing, completed snapshot."""
    for ref in aws.refs.snapshots:
        snapshot = aws.snapshots.get(ref.value)
        if snapshot is None:
            yield Finding(ref.path, f"The EBS snapshot '{ref.value}' does not exist in {aws.aws.region}.")
        elif snapshot.get("State") not in (None, "completed"):
            yield Finding(
                ref.path, f"The EBS snapshot '{ref.value}' is {snapshot.get('State')}, not completed."
            )


NFS_PORT = 2049


def _allows(permissions: list[dict[str, object]], port: int) -> bool:
    """Whether some rule lets TCP ``port`` through (all traffic, or a TCP range holding it)."""
    for rule in permissions:
        protocol = rule.get("IpProtocol")
        low, high = rule.get("FromPort", 0), rule.get("ToPort", 65535)
        if protocol == "-1" or (
            protocol == "tcp" and isinstance(low, int) and isinstance(high, int) and low <= port <= high
        ):
            return True
    return False


@aws_validator("EfsIdValidator")
def efs_exists(view: ConfigView, aws: Inventory) -> Iterator[Finding]:
    """An existing EFS file system exists and has a mount target in the head node's zone whose
    security groups let NFS (TCP 2049) in and out."""
    head_zone = aws.subnets.get(aws.refs.head_subnet or "", {}).get("AvailabilityZone")
    for ref in aws.refs.efs:
        if aws.exists("efs", "describe_file_systems", FileSystemId=ref.value) is None:
            yield Finding(ref.path, f"The EFS file system '{ref.value}' does not exist in {aws.aws.region}.")
            continue
        targets = (aws.exists("efs", "describe_mount_targets", FileSystemId=ref.value) or {}).get(
            "MountTargets", []
        )
        target = next((t for t in targets if t.get("AvailabilityZoneName") == head_zone), None)
        if head_zone and target is None:
            yield Finding(
                ref.path,
                f"The EFS file system '{ref.value}' has no mount target in {head_zone}, the head node's "
                "zone; create one there.",
            )
            continue
        if target is None:
            continue
        answer = aws.exists(
            "efs", "describe_mount_target_security_groups", MountTargetId=target["MountTargetId"]
        )
        groups = [
            group
            for group_id in (answer or {}).get("SecurityGroups", [])
            for group in (
                aws.exists("ec2", "describe_security_groups", Filters=(("group-id", group_id),)) or {}
            ).get("SecurityGroups", [])
        ]
        inbound = any(_allows(g.get("IpPermissions", []), NFS_PORT) for g in groups)
        outbound = any(_allows(g.get("IpPermissionsEgress", []), NFS_PORT) for g in groups)
        if groups and not (inbound and outbound):
            yield Finding(
                ref.path,
                f"The security groups of the mount target of '{ref.value}' in {head_zone} do not allow "
                f"{'inbound' if not inbound else 'outbound'} NFS traffic (TCP {NFS_PORT}); the nodes could "
                "not mount it. Add a rule for port 2049.",
            )


@aws_validator("ExistingFsxNetworkingValidator")
def fsx_exists_in_vpc(view: ConfigView, aws: Inventory) -> Iterator[Finding]:
    """An existing FSx for Lustre file system exists, in the cluster's VPC."""
    head_vpc = aws.subnets.get(aws.refs.head_subnet or "", {}).get("VpcId")
    for ref in aws.refs.fsx:
        fs = aws.fsx.get(ref.value)
        if fs is None:
            yield Finding(ref.path, f"The FSx file system '{ref.value}' does not exist in {aws.aws.region}.")
        elif head_vpc and fs.get("VpcId") and fs["VpcId"] != head_vpc:
            yield Finding(
                ref.path,
                f"The FSx file system '{ref.value}' is in {fs['VpcId']}, not in the cluster's VPC "
                f"{head_vpc}.",
            )


@aws_validator("KmsKeyValidator")
def kms_keys_exist(view: ConfigView, aws: Inventory) -> Iterator[Finding]:
    """Every ``KmsKeyId`` of shared storage names an existing KMS key."""
    for ref in aws.refs.kms_keys:
        if aws.exists("kms", "describe_key", KeyId=ref.value) is None:
            yield Finding(ref.path, f"The KMS key '{ref.value}' does not exist in {aws.aws.region}.")


@aws_validator("S3BucketUriValidator")
def lustre_buckets_exist(view: ConfigView, aws: Inventory) -> Iterator[Finding]:
    """FSx for Lustre ``ImportPath``/``ExportPath``/data repository paths are ``s3://`` URIs of
    buckets that exist and can be reached."""
    for ref in aws.refs.bucket_uris:
        if not ref.value.startswith("s3://"):
            yield Finding(ref.path, f"'{ref.value}' is not an s3:// URI (s3://BUCKET or s3://BUCKET/PREFIX).")
            continue
        bucket = ref.value.removeprefix("s3://").split("/", 1)[0]
        if aws.exists("s3", "head_bucket", Bucket=bucket) is None:
            yield Finding(ref.path, f"The S3 bucket '{bucket}' does not exist or cannot be reached.")


@aws_validator("ElasticIpValidator")
def elastic_ip_exists(view: ConfigView, aws: Inventory) -> Iterator[Finding]:
    """An ``ElasticIp`` given as an address is an Elastic IP of the account in the region."""
    for ref in aws.refs.elastic_ips:
        found = aws.exists("ec2", "describe_addresses", Filters=(("public-ip", ref.value),))
        if not (found or {}).get("Addresses"):
            yield Finding(
                ref.path, f"The Elastic IP {ref.value} is not allocated in this account in {aws.aws.region}."
            )


# The munge key must be base64 of 32 to 1024 bytes (ParallelCluster's bounds, in bits).
MUNGE_MIN_BITS, MUNGE_MAX_BITS = 256, 8192


@aws_validator("MungeKeySecretSizeAndBase64Validator")
def munge_key_content(view: ConfigView, aws: Inventory) -> Iterator[Finding]:
    """``MungeKeySecretArn`` holds base64 text of a 256-8192-bit key (munged refuses anything else)."""
    for ref in aws.refs.munge_keys:
        secret = aws.exists("secretsmanager", "get_secret_value", SecretId=ref.value)
        if secret is None:
            continue  # PasswordSecretArnValidator reports a missing secret
        text = str(secret.get("SecretString") or "")
        try:
            bits = len(base64.b64decode(text, validate=True)) * 8
        except (binascii.Error, ValueError):
            yield Finding(ref.path, f"The munge key in '{ref.value}' is not base64 text.")
            continue
        if not MUNGE_MIN_BITS <= bits <= MUNGE_MAX_BITS:
            yield Finding(
                ref.path,
                f"The munge key in '{ref.value}' is {bits} bits; it must be {MUNGE_MIN_BITS} to "
                f"{MUNGE_MAX_BITS} bits.",
            )


@aws_validator("FsxBackupIdValidator")
def fsx_backups_exist(view: ConfigView, aws: Inventory) -> Iterator[Finding]:
    """A Lustre ``BackupId`` names an existing FSx backup (the file system is restored from it)."""
    for ref in aws.refs.fsx_backups:
        answer = aws.exists("fsx", "describe_backups", BackupIds=(ref.value,))
        if not (answer or {}).get("Backups"):
            yield Finding(ref.path, f"The FSx backup '{ref.value}' does not exist in {aws.aws.region}.")
