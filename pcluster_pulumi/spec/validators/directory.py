"""Directory service (AD/LDAP through SSSD) rules."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pcluster_pulumi.spec.problems import Level
from pcluster_pulumi.spec.validators._read import get_str
from pcluster_pulumi.spec.validators.base import ConfigView, Finding, Node, validator

SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
FQDN_RE = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\Z")
LDAP_DN_RE = re.compile(r"^(DC|dc)=[A-Za-z0-9_-]+(,(DC|dc)=[A-Za-z0-9_-]+)*\Z")
SECURE_REQCERT = ("hard", "demand")
# SSSD options ParallelCluster sets and users may not change, with the only accepted value.
RESERVED_SSSD = {"id_provider": "ldap"}
TLS_OFF_OPTION = "ldap_auth_disable_tls_never_use_in_production"


def _directory(view: ConfigView) -> Node:
    return view.root.child("DirectoryService")


@validator("DomainAddrValidator")
def domain_addr(view: ConfigView) -> Iterator[Finding]:
    """Warn unless each ``DomainAddr`` uses ``ldaps://``: plain ``ldap`` sends passwords in the
    clear (and SSSD refuses it unless TLS is explicitly turned off), and an address without a
    scheme is taken as ldaps."""
    directory = _directory(view)
    addresses = get_str(directory, "DomainAddr")
    if not addresses:
        return
    path = directory.at("DomainAddr")
    sssd = directory.child("AdditionalSssdConfigs")
    for address in (part.strip() for part in addresses.split(",") if part.strip()):
        match = SCHEME_RE.match(address)
        scheme = match.group(1).lower() if match else None
        if scheme is None:
            yield Finding(path, f"No protocol in DomainAddr '{address}'; ldaps is assumed.", Level.WARNING)
        elif scheme not in ("ldaps", "ldap"):
            yield Finding(
                path,
                f"Unsupported protocol '{scheme}' in DomainAddr '{address}'; use ldaps (or ldap).",
                Level.WARNING,
            )
        elif scheme == "ldap":
            tls_off = str(sssd.get(TLS_OFF_OPTION, default="false")).lower() == "true"
            hint = "" if tls_off else f" With ldap, AdditionalSssdConfigs must set '{TLS_OFF_OPTION}: true'."
            yield Finding(
                path,
                f"DomainAddr '{address}' uses ldap; ldaps is strongly recommended for security.{hint}",
                Level.WARNING,
            )


@validator("DomainNameValidator")
def domain_name(view: ConfigView) -> Iterator[Finding]:
    """``DomainName`` is a fully qualified domain name (corp.example.com) or an LDAP
    distinguished name (DC=corp,DC=example,DC=com)."""
    directory = _directory(view)
    name = get_str(directory, "DomainName")
    if name and not (FQDN_RE.match(name) or LDAP_DN_RE.match(name)):
        yield Finding(
            directory.at("DomainName"),
            f"Unsupported DomainName '{name}'. Use a fully qualified domain name (corp.example.com) or an "
            "LDAP distinguished name (DC=corp,DC=example,DC=com).",
        )


@validator("LdapTlsReqCertValidator")
def ldap_tls_req_cert(view: ConfigView) -> Iterator[Finding]:
    """Warn unless ``LdapTlsReqCert`` is ``hard`` or ``demand``: other values accept unverified
    server certificates."""
    directory = _directory(view)
    if view.root.get("DirectoryService") is None:
        return
    value = get_str(directory, "LdapTlsReqCert", default="hard")
    if value is not None and value not in SECURE_REQCERT:
        yield Finding(
            directory.at("LdapTlsReqCert"),
            f"LdapTlsReqCert is '{value}', which accepts unverified certificates; use hard or demand.",
            Level.WARNING,
        )


@validator("AdditionalSssdConfigsValidator")
def additional_sssd_configs(view: ConfigView) -> Iterator[Finding]:
    """``AdditionalSssdConfigs`` may not change ``id_provider`` (must stay ``ldap``), nor
    ``access_provider`` when ``LdapAccessFilter`` is set (it then must be ``ldap``)."""
    directory = _directory(view)
    sssd = directory.child("AdditionalSssdConfigs")
    reserved = dict(RESERVED_SSSD)
    if directory.get("LdapAccessFilter") is not None:
        reserved["access_provider"] = "ldap"
    for key, allowed in reserved.items():
        if key in sssd.data and sssd.data[key] != allowed:
            why = " when LdapAccessFilter is set" if key == "access_provider" else ""
            yield Finding(
                sssd.at(key),
                f"AdditionalSssdConfigs cannot set '{key}' to '{sssd.data[key]}'{why}; the only allowed "
                f"value is '{allowed}'.",
            )
