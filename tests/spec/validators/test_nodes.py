"""Head node and login node rules, and OS/instance-type pairings."""

from __future__ import annotations

from pcluster_pulumi.spec.problems import Level

from .conftest import CR, at

ERROR, WARNING = Level.ERROR, Level.WARNING
POOL = {
    "Name": "login",
    "InstanceType": "t3.micro",
    "Count": 1,
    "Networking": {"SubnetIds": ["subnet-12345678"]},
}


def test_awsbatch_with_default_secured_imds_is_an_error(awsbatch, where) -> None:
    del awsbatch["HeadNode"]["Imds"]
    assert where(awsbatch, "HeadNodeImdsValidator") == [(("HeadNode", "Imds", "Secured"), ERROR)]


def test_awsbatch_with_imds_secured_false_is_accepted_and_slurm_may_secure_it(awsbatch, slurm, where) -> None:
    slurm["HeadNode"]["Imds"] = {"Secured": True}
    assert where(awsbatch, "HeadNodeImdsValidator") == []
    assert where(slurm, "HeadNodeImdsValidator") == []


def test_login_nodes_with_awsbatch_are_an_error(awsbatch, slurm, where) -> None:
    awsbatch["LoginNodes"] = {"Pools": [dict(POOL)]}
    slurm["LoginNodes"] = {"Pools": [dict(POOL)]}
    assert where(awsbatch, "LoginNodesSchedulerValidator") == [(("LoginNodes",), ERROR)]
    assert where(slurm, "LoginNodesSchedulerValidator") == []


def test_shared_storage_efs_settings_without_efs_shared_storage_type_is_an_error(slurm, where) -> None:
    slurm["HeadNode"]["SharedStorageEfsSettings"] = {"Encrypted": True}
    assert where(slurm, "SharedStorageEfsSettingsValidator") == [
        (("HeadNode", "SharedStorageEfsSettings"), ERROR)
    ]
    slurm["HeadNode"]["SharedStorageType"] = "Efs"
    assert where(slurm, "SharedStorageEfsSettingsValidator") == []


def test_head_node_without_a_key_pair_is_a_warning(slurm, where) -> None:
    del slurm["HeadNode"]["Ssh"]
    assert where(slurm, "KeyPairValidator") == [(("HeadNode", "Ssh", "KeyName"), WARNING)]


def test_dcv_open_to_the_world_is_a_warning_and_a_restricted_cidr_is_not(slurm, where) -> None:
    slurm["HeadNode"]["Dcv"] = {"Enabled": True}
    assert where(slurm, "DcvValidator") == [(("HeadNode", "Dcv", "AllowedIps"), WARNING)]
    slurm["HeadNode"]["Dcv"]["AllowedIps"] = "10.0.0.0/16"
    assert where(slurm, "DcvValidator") == []


def test_dcv_on_a_micro_login_node_is_a_warning(slurm, where) -> None:
    slurm["LoginNodes"] = {"Pools": [dict(POOL, Dcv={"Enabled": True, "AllowedIps": "10.0.0.0/16"})]}
    assert where(slurm, "DcvValidator") == [(("LoginNodes", "Pools", 0, "InstanceType"), WARNING)]


def test_disabled_dcv_is_not_checked(slurm, where) -> None:
    slurm["HeadNode"]["Dcv"] = {"Enabled": False}
    assert where(slurm, "DcvValidator") == []


def test_micro_instance_with_ubuntu_is_a_warning(slurm, where) -> None:
    slurm["Image"]["Os"] = "ubuntu2204"
    at(slurm, CR)["InstanceType"] = "t3.micro"
    assert where(slurm, "InstanceTypeOSCompatibleValidator") == [((*CR, "InstanceType"), WARNING)]


def test_micro_instance_with_amazon_linux_is_fine(slurm, where) -> None:
    slurm["HeadNode"]["InstanceType"] = "t3.micro"
    assert where(slurm, "InstanceTypeOSCompatibleValidator") == []


def test_p6e_gb200_with_rhel_is_an_error(slurm, where) -> None:
    slurm["Image"]["Os"] = "rhel9"
    at(slurm, CR).pop("InstanceType")
    at(slurm, CR)["Instances"] = [{"InstanceType": "p6e-gb200.36xlarge"}]
    path = (*CR, "Instances", 0, "InstanceType")
    assert where(slurm, "InstanceTypeOSCompatibleValidator") == [(path, ERROR)]
