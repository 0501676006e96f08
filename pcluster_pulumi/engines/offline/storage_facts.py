"""Plausible state of existing storage for offline plans and tests (no AWS is called).

``SharedStorage`` *reads* existing EFS and FSx file systems, volumes and caches (``Resource.get``) to
learn their DNS names, mount names and paths. Under pulumi mocks a read reaches
``Mocks.new_resource`` with ``resource_id`` set; ``read_state`` answers it the way the FSx API
would describe that resource, deterministically from its id, so an offline plan of a config
that mounts existing storage yields a complete mount table. ``computed_outputs`` adds what AWS
computes for the storage and database resources the cluster creates (DNS names, mount names,
the RDS endpoint and managed secret), which the mount table and slurmdbd configuration read.
"""

from __future__ import annotations

import zlib
from typing import Any

__all__ = ["OPENZFS_PARENT", "computed_outputs", "read_state"]

#: Existing OpenZFS volumes are planned as children of this one, itself a child of the root volume.
OPENZFS_PARENT = "fsvol-0000000000000000a"
_ROOT = "fsvol-00000000000000000"


def _hex(text: str, width: int = 17) -> str:
    digest = f"{zlib.crc32(text.encode()):08x}" * 3
    return digest[:width]


def read_state(
    type_token: str, resource_id: str, region: str = "us-east-1", account: str = "123456789012"
) -> dict[str, Any] | None:
    """Wire-form (camelCase) state of an existing storage resource, or None for other types."""
    fsx = f"fsx.{region}.amazonaws.com"
    if type_token == "aws:efs/fileSystem:FileSystem":
        return {"id": resource_id, "dnsName": f"{resource_id}.efs.{region}.amazonaws.com"}
    if type_token == "aws:fsx/lustreFileSystem:LustreFileSystem":
        return {"id": resource_id, "dnsName": f"{resource_id}.{fsx}", "mountName": _hex(resource_id, 8)}
    if type_token == "aws:fsx/fileCache:FileCache":
        return {
            "id": resource_id,
            "dnsName": f"{resource_id}.{fsx}",
            "lustreConfigurations": [{"mountName": _hex(resource_id, 8)}],
        }
    if type_token == "aws:fsx/ontapVolume:OntapVolume":
        return {
            "id": resource_id,
            "fileSystemId": f"fs-{_hex(resource_id)}",
            "storageVirtualMachineId": f"svm-{_hex(resource_id)}",
            "junctionPath": f"/{resource_id.replace('-', '_')}",
        }
    if type_token == "aws:fsx/ontapStorageVirtualMachine:OntapStorageVirtualMachine":
        dns = f"{resource_id}.fs-{_hex(resource_id)}.{fsx}"
        return {"id": resource_id, "endpoints": [{"nfs": [{"dnsName": dns, "ipAddresses": ["10.0.0.10"]}]}]}
    if type_token == "aws:fsx/openZfsVolume:OpenZfsVolume":
        file_system = f"fs-{_hex(resource_id)}"
        if resource_id == _ROOT:
            return {
                "id": resource_id,
                "name": "fsx",
                "arn": f"arn:aws:fsx:{region}:{account}:volume/{file_system}/{resource_id}",
            }
        parent = _ROOT if resource_id == OPENZFS_PARENT else OPENZFS_PARENT
        return {
            "id": resource_id,
            "name": f"vol{_hex(resource_id, 4)}",
            "parentVolumeId": parent,
            "arn": f"arn:aws:fsx:{region}:{account}:volume/{file_system}/{resource_id}",
        }
    if type_token == "aws:fsx/openZfsFileSystem:OpenZfsFileSystem":
        return {"id": resource_id, "dnsName": f"{resource_id}.{fsx}"}
    return None


def computed_outputs(
    type_token: str, resource_id: str, region: str = "us-east-1", account: str = "123456789012"
) -> dict[str, Any]:
    """Wire-form outputs AWS computes for a created storage or database resource ({} for others)."""
    dns = f"{resource_id}.{region}.example.internal"
    if type_token == "aws:efs/fileSystem:FileSystem":
        return {"dnsName": dns}
    if type_token == "aws:fsx/lustreFileSystem:LustreFileSystem":
        return {"dnsName": dns, "mountName": _hex(resource_id, 8)}
    if type_token == "aws:fsx/openZfsFileSystem:OpenZfsFileSystem":
        return {"dnsName": dns, "rootVolumeId": f"{resource_id}-root"}
    if type_token == "aws:fsx/ontapStorageVirtualMachine:OntapStorageVirtualMachine":
        return {"endpoints": [{"nfs": [{"dnsName": dns}]}]}
    if type_token == "aws:rds/cluster:Cluster":
        secret = f"arn:aws:secretsmanager:{region}:{account}:secret:rds!cluster-{_hex(resource_id, 8)}"
        return {
            "endpoint": dns,
            "port": 3306,
            "masterUserSecrets": [{"secretArn": secret, "secretStatus": "active"}],
        }
    if type_token in (
        "aws:rds/subnetGroup:SubnetGroup",
        "aws:rds/clusterParameterGroup:ClusterParameterGroup",
    ):
        return {"name": resource_id}
    return {}
