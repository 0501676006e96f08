"""What the generated schema adds to the reference key table.

- ParallelCluster 3.16.1 differences from the October 2024 table (added/removed keys, OS list);
- custom-action ``Sequence`` (in the marshmallow schema, absent from the table);
- concrete defaults (conditional defaults such as gp3 IOPS are left to the model);
- sections that default to ``{}`` so the typed model always has them;
- pcluster-pulumi extensions, marked ``x-pcluster-pulumi: true``.
"""

from __future__ import annotations

from typing import Any

OS_3_16 = ["alinux2023", "ubuntu2204", "ubuntu2404", "rhel8", "rocky8", "rhel9", "rocky9"]
OS_ALL = ["alinux2", *OS_3_16]  # alinux2 stays for awsbatch, judged by 3.15
LT_ID = r"^lt-[0-9a-z]{8}$|^lt-[0-9a-z]{17}$"

REMOVED = {"LoginNodes.Pools.Ssh.KeyName"}
SUBNET_ID = r"^subnet-[0-9a-z]{8}$|^subnet-[0-9a-z]{17}$"

# Creation extension for FSx for ONTAP / OpenZFS: single-AZ deployment types only (multi-AZ ones
# need route-table management the cluster does not own), and the throughputs each generation takes.
ONTAP_DEPLOYMENTS = ["SINGLE_AZ_1", "SINGLE_AZ_2"]
ONTAP_THROUGHPUT_1 = [128, 256, 512, 1024, 2048, 4096]
ONTAP_THROUGHPUT_2 = [384, 768, 1536, 3072, 6144]
OPENZFS_DEPLOYMENTS = ["SINGLE_AZ_1", "SINGLE_AZ_2", "SINGLE_AZ_HA_1", "SINGLE_AZ_HA_2"]
OPENZFS_THROUGHPUT_1 = [64, 128, 256, 512, 1024, 2048, 3072, 4096]
OPENZFS_THROUGHPUT_2 = [160, 320, 384, 640, 768, 1280, 1536, 2560, 3072, 3840, 5120, 7680, 10240]
ONTAP_CREATE_KEYS = [
    "DeploymentType",
    "StorageCapacity",
    "ThroughputCapacity",
    "VolumeSize",
    "JunctionPath",
    "StorageEfficiencyEnabled",
    "KmsKeyId",
    "DeletionPolicy",
]
OPENZFS_CREATE_KEYS = [
    "DeploymentType",
    "StorageCapacity",
    "ThroughputCapacity",
    "DataCompressionType",
    "StorageCapacityQuota",
    "KmsKeyId",
    "DeletionPolicy",
]

ADDED: list[dict[str, str]] = [
    {"path": "DevSettings.AmiSearchFilters.NamePrefix", "type": "String", "policy": "UNSUPPORTED"},
    {"path": "DevSettings.EfaInterfaceType", "type": "String", "policy": "UNSUPPORTED"},
    {
        "path": "DevSettings.Timeouts.ComputeInstanceInfoTimeout",
        "type": "Integer",
        "allowed": "range[1,None]",
        "policy": "SUPPORTED",
    },
    {
        "path": "HeadNode.SharedStorageEfsSettings",
        "type": "HeadNodeSharedStorageEfsSettings",
        "policy": "UNSUPPORTED",
    },
    {"path": "HeadNode.SharedStorageEfsSettings.Encrypted", "type": "Boolean", "policy": "UNSUPPORTED"},
    {
        "path": "Scheduling.SlurmQueues.ComputeResources.LaunchTemplateOverrides",
        "type": "LaunchTemplateOverrides",
        "policy": "QUEUE_UPDATE_STRATEGY",
    },
    {
        "path": "Scheduling.SlurmQueues.ComputeResources.LaunchTemplateOverrides.LaunchTemplateId",
        "type": "String",
        "req": "REQ",
        "allowed": "regex " + LT_ID,
        "policy": "QUEUE_UPDATE_STRATEGY",
    },
    {
        "path": "Scheduling.SlurmQueues.ComputeResources.LaunchTemplateOverrides.Version",
        "type": "Integer",
        "allowed": "range[1,None]",
        "policy": "QUEUE_UPDATE_STRATEGY",
    },
    # Extension: a managed Aurora MySQL Serverless v2 accounting database when Database has no Uri.
    {
        "path": "Scheduling.SlurmSettings.Database.DeletionPolicy",
        "type": "String",
        "allowed": "one of Delete,Retain,Snapshot",
        "policy": "UNSUPPORTED",
        "ext": "1",
    },
    {
        "path": "Scheduling.SlurmSettings.Database.MinCapacity",
        "type": "Float",
        "allowed": "range[0,256]",
        "policy": "SUPPORTED",
        "ext": "1",
    },
    {
        "path": "Scheduling.SlurmSettings.Database.MaxCapacity",
        "type": "Float",
        "allowed": "range[1,256]",
        "policy": "SUPPORTED",
        "ext": "1",
    },
    {
        "path": "Scheduling.SlurmSettings.Database.SubnetIds",
        "type": "list[String (regex " + SUBNET_ID + ")]",
        "allowed": "len[2,None]",
        "policy": "UNSUPPORTED",
        "ext": "1",
    },
    # Extension: a new FSx for NetApp ONTAP file system + SVM + volume when FsxOntapSettings has no VolumeId.
    *(
        {"path": f"SharedStorage.FsxOntapSettings.{key}", "policy": "UNSUPPORTED", **row, "ext": "1"}
        for key, row in {
            "DeploymentType": {"type": "String", "allowed": "one of " + ",".join(ONTAP_DEPLOYMENTS)},
            "StorageCapacity": {"type": "Integer", "allowed": "range[1024,1048576]", "policy": "SUPPORTED"},
            "ThroughputCapacity": {
                "type": "Integer",
                "allowed": "one of " + ",".join(map(str, sorted({*ONTAP_THROUGHPUT_1, *ONTAP_THROUGHPUT_2}))),
                "policy": "SUPPORTED",
            },
            "VolumeSize": {"type": "Integer", "allowed": "range[1,307200]", "policy": "SUPPORTED"},
            "JunctionPath": {"type": "String", "allowed": r"regex ^/[A-Za-z0-9_./-]{0,254}$"},
            "StorageEfficiencyEnabled": {"type": "Boolean", "policy": "SUPPORTED"},
            "KmsKeyId": {"type": "String"},
            "DeletionPolicy": {
                "type": "String",
                "allowed": "one of Delete,Retain,Snapshot",
                "policy": "SUPPORTED",
            },
        }.items()
    ),
    # Extension: a new FSx for OpenZFS file system + volume when FsxOpenZfsSettings has no VolumeId.
    *(
        {"path": f"SharedStorage.FsxOpenZfsSettings.{key}", "policy": "UNSUPPORTED", **row, "ext": "1"}
        for key, row in {
            "DeploymentType": {"type": "String", "allowed": "one of " + ",".join(OPENZFS_DEPLOYMENTS)},
            "StorageCapacity": {"type": "Integer", "allowed": "range[64,524288]", "policy": "SUPPORTED"},
            "ThroughputCapacity": {
                "type": "Integer",
                "allowed": "one of "
                + ",".join(map(str, sorted({*OPENZFS_THROUGHPUT_1, *OPENZFS_THROUGHPUT_2}))),
                "policy": "SUPPORTED",
            },
            "DataCompressionType": {
                "type": "String",
                "allowed": "one of NONE,ZSTD,LZ4",
                "policy": "SUPPORTED",
            },
            "StorageCapacityQuota": {"type": "Integer", "allowed": "range[1,None]", "policy": "SUPPORTED"},
            "KmsKeyId": {"type": "String"},
            "DeletionPolicy": {
                "type": "String",
                "allowed": "one of Delete,Retain,Snapshot",
                "policy": "SUPPORTED",
            },
        }.items()
    ),
]

CUSTOM_ACTION_PATHS = [
    f"{owner}.CustomActions.{event}"
    for owner, events in (
        ("HeadNode", ("OnNodeStart", "OnNodeConfigured", "OnNodeUpdated")),
        ("Scheduling.SlurmQueues", ("OnNodeStart", "OnNodeConfigured")),
        ("LoginNodes.Pools", ("OnNodeStart", "OnNodeConfigured", "OnNodeUpdated")),
    )
    for event in events
]


def patch_rows(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """Apply the 3.16.1 differences and add the keys the table lacks, parents before children."""
    out = []
    for row in rows:
        if row["path"] in REMOVED:
            continue
        row = dict(row)
        if row["path"] == "Image.Os":
            row["allowed"] = "one of " + ",".join(OS_ALL)
        if row["path"] == "Scheduling.SlurmQueues.AllocationStrategy":
            row["allowed"] += ",prioritized,capacity-optimized-prioritized"  # added after the table
        if row["path"] == "Scheduling.SlurmSettings.Database.Uri":
            row["req"] = ""  # extension: no Uri -> managed database
        if row["path"] in (
            "Scheduling.SlurmSettings.Database.UserName",
            "Scheduling.SlurmSettings.Database.PasswordSecretArn",
        ):
            row["req"] = ""  # required together with Uri (see EXTRA)
        if row["path"] in (
            "SharedStorage.FsxOntapSettings.VolumeId",
            "SharedStorage.FsxOpenZfsSettings.VolumeId",
        ):
            row["req"] = ""  # extension: VolumeId, or the creation keys (see EXTRA)
        out.append(row)
        if row["path"] in CUSTOM_ACTION_PATHS:
            seq = row["path"] + ".Sequence"
            out.append(
                {
                    "path": seq,
                    "type": "list[CustomActionStep]",
                    "req": "",
                    "allowed": "",
                    "policy": row["policy"],
                }
            )
            out.append(
                {
                    "path": seq + ".Script",
                    "type": "String",
                    "req": "REQ",
                    "allowed": "",
                    "policy": row["policy"],
                }
            )
            out.append(
                {
                    "path": seq + ".Args",
                    "type": "list[String]",
                    "req": "",
                    "allowed": "",
                    "policy": row["policy"],
                }
            )
    for extra in ADDED:
        row = {"req": "", "allowed": "", **extra}
        index = max(
            i
            for i, r in enumerate(out)
            if row["path"].startswith(r["path"] + ".") or r["path"] == row["path"].rsplit(".", 1)[0]
        )
        out.insert(
            index
            + 1
            + sum(1 for r in out[index + 1 :] if r["path"].startswith(row["path"].rsplit(".", 1)[0] + ".")),
            row,
        )
    return out


DEFAULTS: dict[str, Any] = {
    "HeadNode.DisableSimultaneousMultithreading": False,
    "HeadNode.Ssh.AllowedIps": "0.0.0.0/0",
    "HeadNode.LocalStorage.RootVolume.VolumeType": "gp3",
    "HeadNode.LocalStorage.RootVolume.Encrypted": True,
    "HeadNode.LocalStorage.RootVolume.DeleteOnTermination": True,
    "HeadNode.LocalStorage.EphemeralVolume.MountDir": "/scratch",
    "HeadNode.SharedStorageType": "Ebs",
    "HeadNode.Dcv.Enabled": False,
    "HeadNode.Dcv.Port": 8443,
    "HeadNode.Dcv.AllowedIps": "0.0.0.0/0",
    "HeadNode.Iam.S3Access.EnableWriteAccess": False,
    "HeadNode.Imds.Secured": True,
    "Scheduling.ScalingStrategy": "all-or-nothing",
    "Scheduling.SlurmSettings.ScaledownIdletime": 10,
    "Scheduling.SlurmSettings.Dns.DisableManagedDns": False,
    "Scheduling.SlurmSettings.Dns.UseEc2Hostnames": False,
    "Scheduling.SlurmSettings.QueueUpdateStrategy": "COMPUTE_FLEET_STOP",
    "Scheduling.SlurmSettings.EnableMemoryBasedScheduling": False,
    "Scheduling.SlurmSettings.ExternalSlurmdbd.Port": 6819,
    "Scheduling.SlurmSettings.Database.DeletionPolicy": "Snapshot",
    "Scheduling.SlurmSettings.Database.MinCapacity": 0.5,
    "Scheduling.SlurmSettings.Database.MaxCapacity": 4,
    "Scheduling.SlurmQueues.CapacityType": "ONDEMAND",
    "Scheduling.SlurmQueues.ComputeSettings.LocalStorage.RootVolume.Encrypted": True,
    "Scheduling.SlurmQueues.ComputeSettings.LocalStorage.RootVolume.VolumeType": "gp3",
    "Scheduling.SlurmQueues.ComputeSettings.LocalStorage.EphemeralVolume.MountDir": "/scratch",
    "Scheduling.SlurmQueues.Iam.S3Access.EnableWriteAccess": False,
    "Scheduling.SlurmQueues.CustomSlurmSettings": {},
    "Scheduling.SlurmQueues.JobExclusiveAllocation": False,
    "Scheduling.SlurmQueues.ComputeResources.MaxCount": 10,
    "Scheduling.SlurmQueues.ComputeResources.MinCount": 0,
    "Scheduling.SlurmQueues.ComputeResources.Efa.Enabled": False,
    "Scheduling.SlurmQueues.ComputeResources.Efa.GdrSupport": False,
    "Scheduling.SlurmQueues.ComputeResources.DisableSimultaneousMultithreading": False,
    "Scheduling.SlurmQueues.ComputeResources.CustomSlurmSettings": {},
    "Scheduling.SlurmQueues.ComputeResources.StaticNodePriority": 1,
    "Scheduling.SlurmQueues.ComputeResources.DynamicNodePriority": 1000,
    "Scheduling.AwsBatchQueues.CapacityType": "ONDEMAND",
    "Scheduling.AwsBatchQueues.ComputeResources.MaxvCpus": 10,
    "Scheduling.AwsBatchQueues.ComputeResources.MinvCpus": 0,
    "SharedStorage.EbsSettings.VolumeType": "gp3",
    "SharedStorage.EbsSettings.Size": 40,
    "SharedStorage.EbsSettings.Encrypted": True,
    "SharedStorage.EbsSettings.Raid.NumberOfVolumes": 2,
    "SharedStorage.EbsSettings.DeletionPolicy": "Delete",
    "SharedStorage.EfsSettings.Encrypted": False,
    "SharedStorage.EfsSettings.PerformanceMode": "generalPurpose",
    "SharedStorage.EfsSettings.ThroughputMode": "bursting",
    "SharedStorage.EfsSettings.DeletionPolicy": "Delete",
    "SharedStorage.EfsSettings.EncryptionInTransit": False,
    "SharedStorage.EfsSettings.IamAuthorization": False,
    "SharedStorage.FsxLustreSettings.DeletionPolicy": "Delete",
    "SharedStorage.FsxOntapSettings.DeploymentType": "SINGLE_AZ_1",
    "SharedStorage.FsxOntapSettings.StorageEfficiencyEnabled": True,
    "SharedStorage.FsxOntapSettings.DeletionPolicy": "Delete",
    "SharedStorage.FsxOpenZfsSettings.DeploymentType": "SINGLE_AZ_1",
    "SharedStorage.FsxOpenZfsSettings.DataCompressionType": "LZ4",
    "SharedStorage.FsxOpenZfsSettings.DeletionPolicy": "Delete",
    "SharedStorage.FsxLustreSettings.DataRepositoryAssociations.BatchImportMetaDataOnCreate": False,
    "SharedStorage.FsxLustreSettings.DataRepositoryAssociations.ImportedFileChunkSize": 1024,
    "Monitoring.DetailedMonitoring": False,
    "Monitoring.Logs.CloudWatch.Enabled": True,
    "Monitoring.Logs.CloudWatch.RetentionInDays": 180,
    "Monitoring.Logs.CloudWatch.DeletionPolicy": "Retain",
    "Monitoring.Logs.Rotation.Enabled": True,
    "Monitoring.Dashboards.CloudWatch.Enabled": True,
    "Monitoring.Alarms.Enabled": True,
    "AdditionalPackages.IntelSoftware.IntelHpcPlatform": False,
    "DirectoryService.LdapTlsReqCert": "hard",
    "DirectoryService.GenerateSshKeysForUsers": True,
    "DirectoryService.AdditionalSssdConfigs": {},
    "Imds.ImdsSupport": "v2.0",
    "DevSettings.Timeouts.HeadNodeBootstrapTimeout": 1800,
    "DevSettings.Timeouts.ComputeNodeBootstrapTimeout": 1800,
    "DevSettings.ComputeStartupTimeMetricEnabled": False,
    "DeploymentSettings.DisableSudoAccessForDefaultUser": False,
    "DeploymentSettings.DefaultUserHome": "Shared",
    "LoginNodes.Pools.GracetimePeriod": 10,
    "LoginNodes.Pools.Dcv.Enabled": False,
    "LoginNodes.Pools.Dcv.Port": 8443,
    "LoginNodes.Pools.Dcv.AllowedIps": "0.0.0.0/0",
}

# Titles that would otherwise name two different structures.
TITLES = {"HeadNode.Imds": "HeadNodeImds"}

# Sections that exist (with their defaults) even when the user leaves them out.
MATERIALIZED = [
    "HeadNode.Ssh",
    "HeadNode.LocalStorage",
    "HeadNode.LocalStorage.RootVolume",
    "HeadNode.LocalStorage.EphemeralVolume",
    "HeadNode.Imds",
    "Scheduling.SlurmQueues.ComputeSettings",
    "Scheduling.SlurmQueues.ComputeSettings.LocalStorage",
    "Scheduling.SlurmQueues.ComputeSettings.LocalStorage.RootVolume",
    "Scheduling.SlurmQueues.ComputeSettings.LocalStorage.EphemeralVolume",
    "Monitoring",
    "Monitoring.Logs",
    "Monitoring.Logs.CloudWatch",
    "Monitoring.Logs.Rotation",
    "Monitoring.Dashboards",
    "Monitoring.Dashboards.CloudWatch",
    "Monitoring.Alarms",
    "Imds",
    "DevSettings",
    "DevSettings.Timeouts",
    "DeploymentSettings",
]

SCRIPT_OR_SEQUENCE = {"oneOf": [{"required": ["Script"]}, {"required": ["Sequence"]}]}
# ParallelCluster takes any value here (a Raw field) and checks it against AWS later.
ELASTIC_IP = {"type": ["boolean", "string"]}

STORAGE_TYPES = ["Ebs", "Efs", "FsxLustre", "FsxOntap", "FsxOpenZfs", "FileCache"]
EXISTING_ONLY = {"FsxOntap", "FsxOpenZfs", "FileCache"}  # their settings name the existing resource


def _storage_settings_match() -> list[dict[str, Any]]:
    """Only the ``<StorageType>Settings`` block that matches ``StorageType`` may appear."""
    rules = []
    for kind in STORAGE_TYPES:
        then: dict[str, Any] = {
            "not": {"anyOf": [{"required": [f"{other}Settings"]} for other in STORAGE_TYPES if other != kind]}
        }
        if kind in EXISTING_ONLY:
            then["required"] = [f"{kind}Settings"]
        rules.append(
            {
                "if": {"properties": {"StorageType": {"const": kind}}, "required": ["StorageType"]},
                "then": then,
            }
        )
    return rules


def _volume_or_creation(
    create_keys: list[str], gen2: str, throughput: tuple[list[int], list[int]]
) -> dict[str, Any]:
    """Extension rule for FSx ONTAP / OpenZFS settings: ``VolumeId`` mounts an existing volume and
    forbids the creation keys; without it a new file system is created and ``StorageCapacity`` is
    required. ``ThroughputCapacity`` must be one the deployment type's generation offers."""
    generation_2 = {"properties": {"DeploymentType": {"pattern": gen2}}, "required": ["DeploymentType"]}
    return {
        "allOf": [
            {
                "if": {"required": ["VolumeId"]},
                "then": {"not": {"anyOf": [{"required": [key]} for key in create_keys]}},
                "else": {"required": ["StorageCapacity"]},
            },
            {
                "if": generation_2,
                "then": {"properties": {"ThroughputCapacity": {"enum": throughput[1]}}},
                "else": {"properties": {"ThroughputCapacity": {"enum": throughput[0]}}},
            },
        ]
    }


# Extra schema keywords merged into the node at a path ("" is the root).
EXTRA: dict[str, dict[str, Any]] = {
    "SharedStorage": {"allOf": _storage_settings_match()},
    "SharedStorage.FsxOntapSettings": _volume_or_creation(
        ONTAP_CREATE_KEYS, "_2$", (ONTAP_THROUGHPUT_1, ONTAP_THROUGHPUT_2)
    ),
    "SharedStorage.FsxOpenZfsSettings": _volume_or_creation(
        OPENZFS_CREATE_KEYS, "_2$", (OPENZFS_THROUGHPUT_1, OPENZFS_THROUGHPUT_2)
    ),
    **{p: {"required": {"drop": ["Script"]}, **SCRIPT_OR_SEQUENCE} for p in CUSTOM_ACTION_PATHS},
    "HeadNode.Networking.ElasticIp": ELASTIC_IP,
    "Scheduling.SlurmSettings.Database": {
        "dependentRequired": {"Uri": ["UserName", "PasswordSecretArn"]},
    },
    "Scheduling.SlurmSettings.Database.DeletionPolicy": {"x-pcluster-pulumi": True},
    "Scheduling.SlurmSettings.Database.MinCapacity": {"x-pcluster-pulumi": True},
    "Scheduling.SlurmSettings.Database.MaxCapacity": {"x-pcluster-pulumi": True},
    "": {
        "allOf": [
            {
                "if": {
                    "properties": {"Scheduling": {"properties": {"Scheduler": {"const": "slurm"}}}},
                    "required": ["Scheduling"],
                },
                "then": {
                    "properties": {
                        "Image": {"properties": {"Os": {"enum": OS_3_16}}},
                        "DevSettings": {"not": {"required": ["AwsBatchCliPackage"]}},
                        "Scheduling": {
                            "required": ["SlurmQueues"],
                            "not": {
                                "anyOf": [
                                    {"required": ["AwsBatchQueues"]},
                                    {"required": ["AwsBatchSettings"]},
                                ]
                            },
                        },
                    }
                },
            },
            {
                "if": {
                    "properties": {"Scheduling": {"properties": {"Scheduler": {"const": "awsbatch"}}}},
                    "required": ["Scheduling"],
                },
                "then": {
                    "properties": {
                        "Scheduling": {
                            "required": ["AwsBatchQueues"],
                            "not": {
                                "anyOf": [{"required": ["SlurmQueues"]}, {"required": ["SlurmSettings"]}]
                            },
                        },
                    }
                },
            },
        ]
    },
}

# Descriptions for keys that descriptions.tsv (one row per reference key) does not carry.
DESCRIPTION_SUFFIXES = {
    ".Sequence": "Several scripts to run in order for this event, each with its own Args; "
    "use instead of Script/Args.",
    ".Sequence.Script": "URL (s3:// or https://) of one script of the sequence.",
    ".Sequence.Args": "Arguments passed to that script.",
}
DESCRIPTIONS = {
    "Scheduling.SlurmSettings.Database.DeletionPolicy": (
        "pcluster-pulumi extension, only when Database has no Uri (a managed database is created): Delete, "
        "Retain, or Snapshot (default) — a final snapshot is taken before the database is deleted."
    ),
    "Scheduling.SlurmSettings.Database.MinCapacity": (
        "pcluster-pulumi extension: minimum Aurora Serverless v2 capacity (ACUs) of the managed accounting "
        "database. Default 0.5."
    ),
    "Scheduling.SlurmSettings.Database.MaxCapacity": (
        "pcluster-pulumi extension: maximum Aurora Serverless v2 capacity (ACUs) of the managed accounting "
        "database. Default 4."
    ),
    "Scheduling.SlurmSettings.Database.SubnetIds": (
        "pcluster-pulumi extension: subnets (in at least two availability zones) of the managed accounting "
        "database. Default: one subnet per availability zone among the head node's and the queues' subnets."
    ),
    **{
        f"SharedStorage.{block}.{key}": f"pcluster-pulumi extension, only without VolumeId (a new {what} is "
        + text
        for block, what in (
            ("FsxOntapSettings", "FSx for NetApp ONTAP file system, SVM and volume"),
            ("FsxOpenZfsSettings", "FSx for OpenZFS file system and volume"),
        )
        for key, text in {
            "DeploymentType": "created): single-AZ deployment type. Default SINGLE_AZ_1.",
            "StorageCapacity": "created; required then): SSD storage capacity of the file system in GiB.",
            "ThroughputCapacity": "created): throughput capacity in MB/s; must be one the deployment type's "
            "generation offers. Default: the smallest of that generation.",
            "KmsKeyId": "created): KMS key encrypting the file system; default the AWS managed key.",
            "DeletionPolicy": "created): Delete (default), Retain (kept after the cluster is deleted) or "
            "Snapshot (a final backup is taken before deletion).",
        }.items()
    },
    "SharedStorage.FsxOntapSettings.VolumeSize": (
        "pcluster-pulumi extension, only without VolumeId: size of the new volume in GiB. Default: the file "
        "system's StorageCapacity."
    ),
    "SharedStorage.FsxOntapSettings.JunctionPath": (
        "pcluster-pulumi extension, only without VolumeId: where the new volume is mounted in the SVM's "
        "namespace (the NFS export path). Default: / followed by the storage Name."
    ),
    "SharedStorage.FsxOntapSettings.StorageEfficiencyEnabled": (
        "pcluster-pulumi extension, only without VolumeId: deduplication, compression and compaction on the "
        "new volume. Default true."
    ),
    "SharedStorage.FsxOpenZfsSettings.DataCompressionType": (
        "pcluster-pulumi extension, only without VolumeId: compression of the new volume: NONE, ZSTD or LZ4 "
        "(default)."
    ),
    "SharedStorage.FsxOpenZfsSettings.StorageCapacityQuota": (
        "pcluster-pulumi extension, only without VolumeId: quota of the new volume in GiB. Default: no quota "
        "(the file system's capacity)."
    ),
}
