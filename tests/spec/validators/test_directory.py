"""Directory service (AD/LDAP through SSSD) rules."""

from __future__ import annotations

from typing import Any

import pytest

from pcluster_pulumi.spec.problems import Level

ERROR, WARNING = Level.ERROR, Level.WARNING
DS = ("DirectoryService",)


def _directory(config: dict[str, Any], **values: Any) -> dict[str, Any]:
    base = {
        "DomainName": "corp.example.com",
        "DomainAddr": "ldaps://corp.example.com",
        "PasswordSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:pw",
        "DomainReadOnlyUser": "cn=ReadOnly,dc=corp,dc=example,dc=com",
    }
    config["DirectoryService"] = {**base, **values}
    return config["DirectoryService"]


def test_ldaps_domain_address_is_accepted(slurm, where) -> None:
    _directory(slurm, DomainAddr="ldaps://a.corp.example.com,ldaps://b.corp.example.com")
    assert where(slurm, "DomainAddrValidator") == []


@pytest.mark.parametrize("addr", ["ldap://corp.example.com", "corp.example.com", "http://corp.example.com"])
def test_plain_ldap_missing_or_unknown_protocol_is_a_warning(slurm, where, addr: str) -> None:
    _directory(slurm, DomainAddr=addr)
    assert where(slurm, "DomainAddrValidator") == [((*DS, "DomainAddr"), WARNING)]


def test_ldap_warning_explains_the_tls_option_unless_it_is_set(slurm, findings) -> None:
    directory = _directory(slurm, DomainAddr="ldap://corp.example.com")
    [finding] = findings(slurm, "DomainAddrValidator")
    assert "ldap_auth_disable_tls_never_use_in_production" in finding.message
    directory["AdditionalSssdConfigs"] = {"ldap_auth_disable_tls_never_use_in_production": True}
    [finding] = findings(slurm, "DomainAddrValidator")
    assert "ldap_auth_disable_tls_never_use_in_production" not in finding.message


@pytest.mark.parametrize("name", ["corp.example.com", "DC=corp,DC=example,DC=com", "corp"])
def test_fqdn_or_ldap_dn_domain_name_is_accepted(slurm, where, name: str) -> None:
    _directory(slurm, DomainName=name)
    assert where(slurm, "DomainNameValidator") == []


@pytest.mark.parametrize("name", ["corp example", "OU=x,DC=corp", "corp..com"])
def test_other_domain_name_formats_are_an_error(slurm, where, name: str) -> None:
    _directory(slurm, DomainName=name)
    assert where(slurm, "DomainNameValidator") == [((*DS, "DomainName"), ERROR)]


def test_ldap_tls_req_cert_other_than_hard_or_demand_is_a_warning(slurm, where) -> None:
    directory = _directory(slurm)
    assert where(slurm, "LdapTlsReqCertValidator") == []  # hard by default
    directory["LdapTlsReqCert"] = "never"
    assert where(slurm, "LdapTlsReqCertValidator") == [((*DS, "LdapTlsReqCert"), WARNING)]


def test_sssd_id_provider_cannot_be_overridden(slurm, where) -> None:
    _directory(slurm, AdditionalSssdConfigs={"id_provider": "ad", "debug_level": "0x1ff"})
    path = (*DS, "AdditionalSssdConfigs", "id_provider")
    assert where(slurm, "AdditionalSssdConfigsValidator") == [(path, ERROR)]


def test_sssd_access_provider_must_stay_ldap_with_an_access_filter(slurm, where) -> None:
    directory = _directory(slurm, AdditionalSssdConfigs={"access_provider": "permit"})
    assert where(slurm, "AdditionalSssdConfigsValidator") == []
    directory["LdapAccessFilter"] = "memberOf=cn=hpc"
    path = (*DS, "AdditionalSssdConfigs", "access_provider")
    assert where(slurm, "AdditionalSssdConfigsValidator") == [(path, ERROR)]
