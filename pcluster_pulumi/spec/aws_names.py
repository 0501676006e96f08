"""Names of the AWS-backed validators, importable without boto3.

``--suppress-validators`` must accept them even when no AWS check runs (``validate``
without ``--aws``, ``plan``), and checking a name must not cost boto3's import time. A
test keeps this list equal to ``spec.aws_checks.AWS_REGISTRY``.
"""

from __future__ import annotations

AWS_VALIDATOR_NAMES = frozenset(
    {
        "AdditionalIamPolicyValidator",
        "EbsVolumeSizeSnapshotValidator",
        "EfaValidator",
        "EfsIdValidator",
        "ElasticIpValidator",
        "ExistingFsxNetworkingValidator",
        "FsxBackupIdValidator",
        "HostedZoneValidator",
        "InstanceProfileValidator",
        "InstanceTypeBaseAMICompatibleValidator",
        "InstanceTypeValidator",
        "KeyPairValidator",
        "KmsKeyValidator",
        "MungeKeySecretSizeAndBase64Validator",
        "PasswordSecretArnValidator",
        "QueueSubnetsValidator",
        "RoleValidator",
        "S3BucketUriValidator",
        "SecurityGroupsValidator",
        "SharedEbsVolumeIdValidator",
        "SubnetsValidator",
        "UrlValidator",
    }
)
