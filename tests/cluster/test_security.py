"""Security invariants, checked on the whole plan of every example (and of the corpus configs).

IMDSv2 where configured; encryption at rest on every EBS volume, table, bucket, file system and
database (with the spec's ``KmsKeyId`` where it names one); the accounting database private and
reachable only from the head node; S3 public access blocked; no IAM ``Allow`` of ``*`` on ``*``;
no secret in user data; no ingress from a CIDR except SSH and DCV from the configured ``AllowedIps``.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from pcluster_pulumi.engines.offline.plan import Plan, Recorded, default_cluster_name

from .conftest import CORPUS, EXAMPLES, cached_plan, of_type, statements
from .test_corpus import AWSBATCH, SLURM

SPECS = [*sorted(EXAMPLES.glob("*.yaml")), *(CORPUS / f for f in (*SLURM, *AWSBATCH))]
IDS = [p.stem for p in SPECS]
BOOTSTRAP_SETTINGS = {"ROLE", "CLUSTER", "REGION", "BUCKET", "CONFIG_KEY", "PACKAGE_KEY", "HEAD_IP"}
#: FSx file systems, which AWS always encrypts at rest (there is no way to turn it off).
ALWAYS_ENCRYPTED_FSX = {
    "aws:fsx/lustreFileSystem:LustreFileSystem",
    "aws:fsx/ontapFileSystem:OntapFileSystem",
    "aws:fsx/openZfsFileSystem:OpenZfsFileSystem",
}
#: Created resources that hold a storage entry's data (tagged ``Name: <storage name>``).
STORAGE_TYPES = {"aws:ebs/volume:Volume", "aws:efs/fileSystem:FileSystem", *ALWAYS_ENCRYPTED_FSX}
SECRET_LOOKING = re.compile(
    r"(-----BEGIN [A-Z ]*PRIVATE KEY-----|AKIA[0-9A-Z]{16}|aws_secret_access_key|password\s*[=:])", re.I
)


def plan_and_spec(path: Path) -> tuple[Plan, dict[str, Any]]:
    return cached_plan(path, default_cluster_name(path)), yaml.safe_load(path.read_text())


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def user_data_texts(result: Plan) -> list[tuple[Recorded, str]]:
    out = []
    for res in of_type(result, "aws:ec2/launchTemplate:LaunchTemplate"):
        if "userData" in res.inputs:  # AWS Batch instances boot the ECS-optimised AMI as it is
            out.append((res, base64.b64decode(res.inputs["userData"]).decode()))
    for res in of_type(result, "aws:ec2/instance:Instance"):
        out.append((res, res.inputs["userData"]))
    return out


@pytest.mark.parametrize("path", SPECS, ids=IDS)
def test_imdsv2_is_required_on_every_node_unless_v1_is_configured(path: Path) -> None:
    result, spec = plan_and_spec(path)
    expected = "optional" if (spec.get("Imds") or {}).get("ImdsSupport") == "v1.0" else "required"
    nodes = [
        *of_type(result, "aws:ec2/launchTemplate:LaunchTemplate"),
        *of_type(result, "aws:ec2/instance:Instance"),
    ]
    assert nodes
    for res in nodes:
        assert res.inputs["metadataOptions"]["httpTokens"] == expected, res.name


@pytest.mark.parametrize("path", SPECS, ids=IDS)
def test_everything_stored_is_encrypted_at_rest(path: Path) -> None:
    result, _ = plan_and_spec(path)
    for res in of_type(result, "aws:ec2/launchTemplate:LaunchTemplate"):
        for mapping in res.inputs["blockDeviceMappings"]:
            if "ebs" in mapping:
                assert mapping["ebs"]["encrypted"] == "true", res.name
    for res in of_type(result, "aws:ec2/instance:Instance"):
        assert res.inputs["rootBlockDevice"]["encrypted"] is True
    for res in of_type(result, "aws:dynamodb/table:Table"):
        assert res.inputs["serverSideEncryption"]["enabled"] is True
    for res in of_type(result, "aws:ebs/volume:Volume") + of_type(result, "aws:efs/fileSystem:FileSystem"):
        assert res.inputs["encrypted"] is True, res.name
    for res in of_type(result, "aws:rds/cluster:Cluster"):
        assert res.inputs["storageEncrypted"] is True, res.name
    file_systems = [
        r for r in result.resources if r.type.startswith("aws:fsx/") and r.type.endswith("FileSystem")
    ]
    for res in file_systems:
        # FSx has no switch for encryption at rest: these types always encrypt (AWS or customer key).
        assert res.type in ALWAYS_ENCRYPTED_FSX, f"{res.name}: is {res.type} encrypted at rest?"


@pytest.mark.parametrize("path", SPECS, ids=IDS)
def test_a_kms_key_the_spec_names_encrypts_its_storage(path: Path) -> None:
    result, spec = plan_and_spec(path)
    stored = [r for r in result.resources if r.type in STORAGE_TYPES]
    for storage in spec.get("SharedStorage") or []:
        settings = next((v for k, v in storage.items() if k.endswith("Settings")), None) or {}
        mine = [r for r in stored if (r.inputs.get("tags") or {}).get("Name") == storage["Name"]]
        existing = {"VolumeId", "FileSystemId", "FileCacheId"} & set(settings)
        assert bool(mine) is not bool(existing or storage["StorageType"] == "FileCache"), storage["Name"]
        for res in mine:
            assert res.inputs.get("kmsKeyId") == settings.get("KmsKeyId"), (res.name, storage["Name"])


@pytest.mark.parametrize("path", SPECS, ids=IDS)
def test_the_accounting_database_is_private_and_reachable_only_from_the_head_node(path: Path) -> None:
    result, _ = plan_and_spec(path)
    for res in of_type(result, "aws:rds/clusterInstance:ClusterInstance"):
        assert res.inputs["publiclyAccessible"] is False, res.name
    head_groups = set(result.outputs["headSecurityGroupIds"])
    database_groups = {
        g for r in of_type(result, "aws:rds/cluster:Cluster") for g in r.inputs["vpcSecurityGroupIds"]
    }
    for res in of_type(result, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"):
        if res.inputs["securityGroupId"] in database_groups:
            assert res.inputs.get("referencedSecurityGroupId") in head_groups, res.name
            assert (res.inputs["ipProtocol"], res.inputs["fromPort"]) == ("tcp", res.inputs["toPort"]), (
                res.name
            )
    buckets = {r.urn.rsplit("::", 1)[1] + "-id" for r in of_type(result, "aws:s3/bucket:Bucket")}
    encrypted = {
        r.inputs["bucket"]
        for r in of_type(
            result, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
        )
    }
    assert buckets <= encrypted


@pytest.mark.parametrize("path", SPECS, ids=IDS)
def test_every_bucket_blocks_all_public_access(path: Path) -> None:
    result, _ = plan_and_spec(path)
    blocks = {
        r.inputs["bucket"]: r.inputs
        for r in of_type(result, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    }
    for bucket in of_type(result, "aws:s3/bucket:Bucket"):
        block = blocks[f"{bucket.name}-id"]
        flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
        assert all(block[f] is True for f in flags)


@pytest.mark.parametrize("path", SPECS, ids=IDS)
def test_no_iam_statement_allows_everything_on_everything(path: Path) -> None:
    result, _ = plan_and_spec(path)
    documents = [r for r, _ in statements(result)]
    assert documents
    for res, statement in statements(result):
        if statement["Effect"] != "Allow":
            continue
        actions, resources = as_list(statement["Action"]), as_list(statement["Resource"])
        assert not ("*" in actions and "*" in resources), (res.name, statement)
        assert not any(a == "*" or a.endswith(":*") for a in actions), (res.name, statement)
    for res in of_type(result, "aws:iam/rolePolicyAttachment:RolePolicyAttachment"):
        assert not res.inputs["policyArn"].endswith(("/AdministratorAccess", "/PowerUserAccess"))


@pytest.mark.parametrize("path", SPECS, ids=IDS)
def test_user_data_carries_no_secret(path: Path) -> None:
    result, _ = plan_and_spec(path)
    assert "[secret]" not in json.dumps([r.inputs.get("userData") for r, _ in user_data_texts(result)])
    for res, text in user_data_texts(result):
        assert not SECRET_LOOKING.search(text), res.name
        document = json.loads(text.split("\n", 1)[1])
        env = next(f["content"] for f in document["write_files"] if f["path"].endswith("/bootstrap.env"))
        expected = BOOTSTRAP_SETTINGS | ({"POOL"} if "ROLE=login" in env else set())
        assert {line.split("=", 1)[0] for line in env.splitlines()} == expected, res.name
    # Secrets the spec names, and those the cluster creates (the managed database's), by ARN.
    named = json.dumps(result.to_dict()["resources"]) + path.read_text()
    secret_arns = set(re.findall(r"arn:aws[\w-]*:secretsmanager:[^\s\"'\\]+", named))
    for _, text in user_data_texts(result):
        assert not any(arn in text for arn in secret_arns)


def allowed_ips(spec: dict[str, Any]) -> dict[int, set[str]]:
    """Port → the CIDRs / prefix lists the spec allows on it (SSH and DCV only)."""
    head = spec["HeadNode"]
    ssh = (head.get("Ssh") or {}).get("AllowedIps", "0.0.0.0/0")
    allowed: dict[int, set[str]] = {22: {ssh}}
    dcvs = [head.get("Dcv")] + [p.get("Dcv") for p in (spec.get("LoginNodes") or {}).get("Pools", [])]
    for pool in (spec.get("LoginNodes") or {}).get("Pools", []):
        allowed[22].add((pool.get("Ssh") or {}).get("AllowedIps", ssh))
    for dcv in dcvs:
        if dcv and dcv.get("Enabled"):
            allowed.setdefault(int(dcv.get("Port", 8443)), set()).add(dcv.get("AllowedIps", "0.0.0.0/0"))
    return allowed


@pytest.mark.parametrize("path", SPECS, ids=IDS)
def test_only_ssh_and_dcv_are_open_to_addresses_and_only_from_allowed_ips(path: Path) -> None:
    result, spec = plan_and_spec(path)
    allowed = allowed_ips(spec)
    for res in of_type(result, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"):
        source = res.inputs.get("cidrIpv4") or res.inputs.get("cidrIpv6") or res.inputs.get("prefixListId")
        if source is None:
            assert res.inputs["referencedSecurityGroupId"], res.name
            continue
        port = res.inputs["fromPort"]
        assert res.inputs["ipProtocol"] == "tcp" and res.inputs["toPort"] == port, res.name
        assert source in allowed.get(port, set()), (res.name, source, allowed)
    for res in of_type(result, "aws:ec2/securityGroup:SecurityGroup"):
        assert not res.inputs.get("ingress"), f"{res.name} has inline rules"


@pytest.mark.parametrize("path", SPECS, ids=IDS)
def test_login_load_balancers_only_pass_ssh_to_their_pools_nodes(path: Path) -> None:
    result, spec = plan_and_spec(path)
    pools = (spec.get("LoginNodes") or {}).get("Pools", [])
    balancer_groups = [
        r for r in of_type(result, "aws:ec2/securityGroup:SecurityGroup") if r.name.endswith("-lb-sg")
    ]
    assert len(balancer_groups) == len(pools)
    ids = {f"{r.name}-id" for r in balancer_groups}
    egress = [
        r
        for r in of_type(result, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
        if r.inputs["securityGroupId"] in ids
    ]
    assert len(egress) >= len(pools)
    for res in egress:
        assert (res.inputs["ipProtocol"], res.inputs["fromPort"], res.inputs["toPort"]) == ("tcp", 22, 22), (
            res.name
        )
        assert res.inputs.get("referencedSecurityGroupId") and not res.inputs.get("cidrIpv4"), res.name
    for res in of_type(result, "aws:lb/loadBalancer:LoadBalancer"):
        assert res.inputs["securityGroups"] and res.inputs["loadBalancerType"] == "network", res.name
