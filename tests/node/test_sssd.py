"""sssd.conf for DirectoryService: what sssd itself accepts, and what the spec asks for.

Every corpus config with ``DirectoryService`` goes spec → runtime document → node reader →
sssd.conf, and Debian's ``sssctl config-check`` (sssd-tools, installed by .ci) must accept it.
"""

from __future__ import annotations

import configparser
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from moto import mock_aws

from pcluster_pulumi.contract.access import Access, DirectoryService
from pcluster_pulumi.contract.config_reader import ConfigError, Reader
from pcluster_pulumi.derive.access_config import access_section
from pcluster_pulumi.node.sssd import (
    domain_properties,
    ldap_search_base,
    ldap_uris,
    read_password,
    render_sssd_conf,
    write_private,
)
from pcluster_pulumi.spec.loader import load_spec

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "configs" / "pcluster" / "valid"
DIRECTORY_CONFIGS = sorted(
    p for p in CORPUS.glob("*.yaml") if "DirectoryService" in yaml.safe_load(p.read_text())
)
SSSCTL = shutil.which("sssctl") or "/usr/sbin/sssctl"
PASSWORD = "s3cr3t-P@ss word;#%"


def directory_of(spec_text_or_path: str | Path) -> DirectoryService:
    """The node's view of DirectoryService: rendered by the Pulumi side, read by the node's reader."""
    spec = load_spec(spec_text_or_path if isinstance(spec_text_or_path, str) else str(spec_text_or_path))
    section = access_section(spec, "demo")
    assert section is not None
    directory = Access.read(Reader(section, "$.access")).directory_service
    assert directory is not None
    return directory


def config_check(tmp_path: Path, text: str) -> subprocess.CompletedProcess[str]:
    """``sssctl config-check`` on a rendered file (its snippet dir must exist, as on a node)."""
    path = tmp_path / "sssd.conf"
    write_private(path, text)
    (tmp_path / "conf.d").mkdir(exist_ok=True)
    return subprocess.run([SSSCTL, "config-check", "-c", str(path)], capture_output=True, text=True)


def parsed(text: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(interpolation=None)
    parser.read_string(text)
    return parser


def with_directory(**directory: Any) -> str:
    base = {
        "DomainName": "corp.example.com",
        "DomainAddr": "ldaps://corp.example.com",
        "PasswordSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:pw-AbCdEf",
        "DomainReadOnlyUser": "cn=ReadOnly,ou=Users,dc=corp,dc=example,dc=com",
        **directory,
    }
    return yaml.safe_dump(
        {
            "Image": {"Os": "alinux2023"},
            "HeadNode": {"InstanceType": "t3.medium", "Networking": {"SubnetId": "subnet-0aaaaaaaaaaaaaaa0"}},
            "Scheduling": {
                "Scheduler": "slurm",
                "SlurmQueues": [
                    {
                        "Name": "q1",
                        "ComputeResources": [{"Name": "c", "InstanceType": "c5.xlarge", "MaxCount": 2}],
                        "Networking": {"SubnetIds": ["subnet-0bbbbbbbbbbbbbbb1"]},
                    }
                ],
            },
            "DirectoryService": base,
        }
    )


def test_the_corpus_has_directory_configs() -> None:
    assert DIRECTORY_CONFIGS, "no valid corpus config with DirectoryService"


@pytest.mark.parametrize("path", DIRECTORY_CONFIGS, ids=[p.stem for p in DIRECTORY_CONFIGS])
def test_sssctl_accepts_the_rendered_config_of_every_corpus_directory(path: Path, tmp_path: Path) -> None:
    text = render_sssd_conf(directory_of(path), PASSWORD)
    done = config_check(tmp_path, text)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Issues identified by validators: 0" in done.stdout


def test_sssctl_rejects_an_unknown_option_so_the_check_can_fail(tmp_path: Path) -> None:
    directory = directory_of(with_directory(AdditionalSssdConfigs={"no_such_option": "1"}))
    done = config_check(tmp_path, render_sssd_conf(directory, PASSWORD))
    assert done.returncode != 0
    assert "no_such_option" in done.stdout


def test_additional_sssd_configs_are_merged_last_and_override_ours(tmp_path: Path) -> None:
    directory = directory_of(
        with_directory(
            LdapTlsReqCert="hard",
            AdditionalSssdConfigs={
                "ldap_tls_reqcert": "never",
                "debug_level": "0x1ff",
                "cache_credentials": False,
            },
        )
    )
    text = render_sssd_conf(directory, PASSWORD)
    domain = parsed(text)["domain/default"]
    assert domain["ldap_tls_reqcert"] == "never"
    assert domain["debug_level"] == "0x1ff"
    assert domain["cache_credentials"] == "False"
    assert config_check(tmp_path, text).returncode == 0


def test_the_spec_sets_the_domain_as_parallelcluster_does() -> None:
    directory = directory_of(
        with_directory(
            DomainAddr="ldap://10.0.0.5, dc2.corp.example.com",
            LdapTlsCaCert="/etc/ssl/ad.pem",
            LdapTlsReqCert="demand",
            LdapAccessFilter="memberOf=cn=hpc,ou=Groups,dc=corp,dc=example,dc=com",
        )
    )
    domain = parsed(render_sssd_conf(directory, PASSWORD))["domain/default"]
    assert domain["id_provider"] == "ldap"
    assert domain["ldap_schema"] == "AD"
    assert domain["ldap_uri"] == "ldap://10.0.0.5,ldaps://dc2.corp.example.com"
    assert domain["ldap_search_base"] == "DC=corp,DC=example,DC=com"
    assert domain["ldap_default_bind_dn"] == "cn=ReadOnly,ou=Users,dc=corp,dc=example,dc=com"
    assert domain["ldap_default_authtok"] == PASSWORD
    assert domain["ldap_tls_cacert"] == "/etc/ssl/ad.pem"
    assert domain["ldap_tls_reqcert"] == "demand"
    assert domain["access_provider"] == "ldap"
    assert domain["ldap_access_filter"].startswith("memberOf=cn=hpc")
    assert domain["fallback_homedir"] == "/home/%u"


def test_no_access_filter_means_no_ldap_access_provider() -> None:
    domain = parsed(render_sssd_conf(directory_of(with_directory()), PASSWORD))["domain/default"]
    assert "access_provider" not in domain
    assert "ldap_tls_cacert" not in domain


def test_search_base_from_a_dns_name_or_a_dn_as_given() -> None:
    assert ldap_search_base("corp.example.com") == "DC=corp,DC=example,DC=com"
    assert ldap_search_base("DC=corp,DC=example,DC=com") == "DC=corp,DC=example,DC=com"
    assert ldap_uris("a.example.com,ldap://b") == "ldaps://a.example.com,ldap://b"


def test_a_multi_line_password_is_refused_rather_than_breaking_the_file() -> None:
    with pytest.raises(ValueError, match="single line"):
        domain_properties(directory_of(with_directory()), "line1\nline2")


def test_the_runtime_document_refuses_a_password_arn_of_another_service() -> None:
    section = {"directory_service": {**_raw_directory(), "password_secret_arn": "arn:aws:s3:::bucket/key"}}
    with pytest.raises(ConfigError, match="password_secret_arn"):
        Access.read(Reader(section, "$.access"))


def _raw_directory() -> dict[str, Any]:
    section = access_section(load_spec(with_directory()), "demo")
    assert section is not None
    return dict(section["directory_service"])


def test_the_written_file_is_readable_by_root_only(tmp_path: Path) -> None:
    path = tmp_path / "sssd" / "sssd.conf"
    write_private(path, "x = 1\n")
    assert path.stat().st_mode & 0o777 == 0o600


@mock_aws
def test_the_password_is_read_from_secrets_manager_or_ssm() -> None:
    secrets = boto3.client("secretsmanager", region_name="us-east-1")
    ssm = boto3.client("ssm", region_name="us-east-1")
    arn = secrets.create_secret(Name=f"ad-bind-{uuid.uuid4().hex}", SecretString=PASSWORD + "\n")["ARN"]
    unique = uuid.uuid4().hex  # the suite may share one moto server (AWS_ENDPOINT_URL)
    ssm.put_parameter(Name=f"/hpc/ad-bind-{unique}", Value="from-ssm", Type="SecureString")
    ssm.put_parameter(Name=f"flat-{unique}", Value="flat-value", Type="SecureString")
    assert read_password(arn, secrets, ssm) == PASSWORD
    ssm_arn = f"arn:aws:ssm:us-east-1:123456789012:parameter/hpc/ad-bind-{unique}"
    assert read_password(ssm_arn, secrets, ssm) == "from-ssm"
    flat = f"arn:aws:ssm:us-east-1:123456789012:parameter/flat-{unique}"
    assert read_password(flat, secrets, ssm) == "flat-value"
    with pytest.raises(ValueError, match="unsupported"):
        read_password("arn:aws:s3:::bucket", secrets, ssm)
