# ruff: noqa: E501  (resource tables read best one entry per line)
"""An AWS account in moto holding everything a cluster config refers to, and configs that use it."""

from __future__ import annotations

import base64
import copy
import urllib.request
from dataclasses import dataclass
from typing import Any

import boto3

REGION = "us-east-1"
SCRIPT = "#!/bin/sh\necho configured\n"


@dataclass
class World:
    """Ids of the resources ``build_world`` created."""

    vpc: str
    other_vpc: str
    subnet_a: str
    subnet_b: str
    subnet_a2: str
    subnet_e: str
    foreign_subnet: str
    security_group: str
    key_name: str
    ami_x86: str
    ami_arm: str
    role_arn: str
    profile_arn: str
    policy_arn: str
    bucket: str
    secret_arn: str
    volume: str
    snapshot: str
    efs: str
    hosted_zone: str
    kms_key: str
    elastic_ip: str
    munge_key_arn: str

    def config(self) -> dict[str, Any]:
        """A valid Slurm config using every resource of the world."""
        return copy.deepcopy(
            {
                "Region": REGION,
                "Image": {"Os": "alinux2023", "CustomAmi": self.ami_x86},
                "HeadNode": {
                    "InstanceType": "c5.xlarge",
                    "Networking": {"SubnetId": self.subnet_a, "AdditionalSecurityGroups": [self.security_group], "ElasticIp": self.elastic_ip},
                    "Ssh": {"KeyName": self.key_name},
                    "Iam": {"InstanceRole": self.role_arn},
                    "CustomActions": {"OnNodeConfigured": {"Script": f"s3://{self.bucket}/setup.sh"}},
                },
                "Scheduling": {
                    "Scheduler": "slurm",
                    "SlurmSettings": {
                        "MungeKeySecretArn": self.munge_key_arn,
                        "Dns": {"HostedZoneId": self.hosted_zone},
                        "Database": {
                            "Uri": "db.example.com:3306",
                            "UserName": "slurm",
                            "PasswordSecretArn": self.secret_arn,
                        },
                    },
                    "SlurmQueues": [
                        {
                            "Name": "compute",
                            "Networking": {"SubnetIds": [self.subnet_a, self.subnet_b]},
                            "Iam": {"AdditionalIamPolicies": [{"Policy": self.policy_arn}]},
                            "ComputeResources": [
                                {"Name": "flex", "Instances": [{"InstanceType": "c5.xlarge"}, {"InstanceType": "c5a.xlarge"}]},
                            ],
                        },
                        {
                            "Name": "efa",
                            "Networking": {"SubnetIds": [self.subnet_a], "PlacementGroup": {"Enabled": True}},
                            "Iam": {"InstanceProfile": self.profile_arn},
                            "ComputeResources": [
                                {"Name": "c5n", "InstanceType": "c5n.18xlarge", "Efa": {"Enabled": True}},
                            ],
                        },
                    ],
                },
                "SharedStorage": [
                    {"Name": "vol", "MountDir": "/vol", "StorageType": "Ebs", "EbsSettings": {"VolumeId": self.volume}},
                    {"Name": "snap", "MountDir": "/snap", "StorageType": "Ebs", "EbsSettings": {"SnapshotId": self.snapshot, "Size": 20, "KmsKeyId": self.kms_key}},
                    {"Name": "efs", "MountDir": "/efs", "StorageType": "Efs", "EfsSettings": {"FileSystemId": self.efs}},
                ],
            }
        )  # fmt: skip


def reset(url: str) -> None:
    """Forget every resource moto holds."""
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST")).close()


def build_world() -> World:
    """Create the resources of a World in the moto server the environment points at."""
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    for attribute in ("EnableDnsSupport", "EnableDnsHostnames"):
        ec2.modify_vpc_attribute(VpcId=vpc, **{attribute: {"Value": True}})
    other_vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]

    def subnet(vpc_id: str, cidr: str, zone: str) -> str:
        return str(
            ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]
        )

    group = ec2.create_security_group(GroupName="cluster", Description="cluster", VpcId=vpc)["GroupId"]
    ec2.create_key_pair(KeyName="admin")
    images = ec2.describe_images(Owners=["amazon"])["Images"]
    ami_x86 = next(i["ImageId"] for i in images if i.get("Architecture") == "x86_64")
    ami_arm = next(i["ImageId"] for i in images if i.get("Architecture") == "arm64")
    iam = boto3.client("iam", region_name=REGION)
    role = iam.create_role(RoleName="cluster-node", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    profile = iam.create_instance_profile(InstanceProfileName="cluster-profile")["InstanceProfile"]["Arn"]
    document = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}'
    policy = iam.create_policy(PolicyName="extra", PolicyDocument=document)
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="cluster-scripts")
    s3.put_object(Bucket="cluster-scripts", Key="setup.sh", Body=SCRIPT.encode())
    secret = boto3.client("secretsmanager", region_name=REGION).create_secret(Name="db", SecretString="pw")[
        "ARN"
    ]
    volume = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=50)["VolumeId"]
    snapshot = ec2.create_snapshot(VolumeId=volume)["SnapshotId"]
    subnet_a = subnet(vpc, "10.0.1.0/24", f"{REGION}a")
    efs = boto3.client("efs", region_name=REGION)
    fs_id = efs.create_file_system(CreationToken="shared")["FileSystemId"]
    nfs = ec2.create_security_group(GroupName="nfs", Description="NFS from the cluster", VpcId=vpc)["GroupId"]
    rule = {"IpProtocol": "tcp", "FromPort": 2049, "ToPort": 2049, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}
    ec2.authorize_security_group_ingress(GroupId=nfs, IpPermissions=[rule])
    efs.create_mount_target(FileSystemId=fs_id, SubnetId=subnet_a, SecurityGroups=[nfs])
    zone = boto3.client("route53", region_name=REGION).create_hosted_zone(
        Name="cluster.internal",
        CallerReference="cluster",
        HostedZoneConfig={"Comment": "cluster", "PrivateZone": True},
        VPC={"VPCRegion": REGION, "VPCId": vpc},
    )["HostedZone"]["Id"]
    return World(
        vpc=vpc,
        other_vpc=other_vpc,
        subnet_a=subnet_a,
        subnet_b=subnet(vpc, "10.0.2.0/24", f"{REGION}b"),
        subnet_a2=subnet(vpc, "10.0.3.0/24", f"{REGION}a"),
        subnet_e=subnet(vpc, "10.0.5.0/24", f"{REGION}e"),  # moto offers few types there (no c5)
        foreign_subnet=subnet(other_vpc, "10.1.1.0/24", f"{REGION}c"),
        security_group=group,
        key_name="admin",
        ami_x86=ami_x86,
        ami_arm=ami_arm,
        role_arn=role,
        profile_arn=profile,
        policy_arn=policy["Policy"]["Arn"],
        bucket="cluster-scripts",
        secret_arn=secret,
        volume=volume,
        snapshot=snapshot,
        efs=fs_id,
        hosted_zone=zone.rsplit("/", 1)[-1],
        kms_key=boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"],
        elastic_ip=ec2.allocate_address(Domain="vpc")["PublicIp"],
        munge_key_arn=secret_with("munge", base64.b64encode(bytes(range(64))).decode()),
    )


def secret_with(name: str, text: str) -> str:
    """ARN of a new Secrets Manager secret holding ``text``."""
    return str(
        boto3.client("secretsmanager", region_name=REGION).create_secret(Name=name, SecretString=text)["ARN"]
    )
