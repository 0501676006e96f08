"""Directory users (``DirectoryService``): sssd.conf, rendered on each node at boot.

sssd resolves users and groups from the AD/LDAP domain and authenticates them; PAM creates
their home directory at first login (``pam_mkhomedir``) and, with ``GenerateSshKeysForUsers``,
a script gives each user an SSH key pair so they can reach compute nodes without a password.
The domain properties follow ParallelCluster's cookbook, so a config tuned for it behaves
the same: AD schema, id mapping, ldaps assumed when ``DomainAddr`` names no scheme, a search
base derived from ``DomainName`` when it is a DNS name, and ``AdditionalSssdConfigs`` merged
last (it may override any property, as in ParallelCluster).

The bind password is the one secret: only the head node reads it (Secrets Manager or SSM,
with its own role, whose IMDS users cannot reach), and hands it to compute and login nodes
through the root-only shared directory, as it does the munge key. Users on compute and login
nodes can reach those nodes' instance credentials, so those roles are never given the secret.
The password goes into sssd.conf (mode 0600) and nowhere else: not user data, not a log line.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pcluster_pulumi.contract.access import DirectoryService

__all__ = [
    "SSSD_CONF",
    "domain_properties",
    "ldap_search_base",
    "ldap_uris",
    "read_password",
    "render_sssd_conf",
    "write_private",
]

SSSD_CONF = Path("/etc/sssd/sssd.conf")
#: A DomainName that is a DNS name (``corp.example.com``) rather than an LDAP DN.
_FQDN = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$")


def ldap_search_base(domain_name: str) -> str:
    """``corp.example.com`` → ``DC=corp,DC=example,DC=com``; a DN is used as it is."""
    if _FQDN.match(domain_name):
        return ",".join(f"DC={part}" for part in domain_name.split("."))
    return domain_name


def ldap_uris(domain_addr: str) -> str:
    """``DomainAddr`` (comma-separated) as sssd's ``ldap_uri``: ldaps unless a scheme is given."""
    uris = []
    for address in (a.strip() for a in domain_addr.split(",")):
        if address:
            uris.append(address if "://" in address else f"ldaps://{address}")
    return ",".join(uris)


def _value(value: Any) -> str:
    """sssd's spelling of a value: booleans as True/False, everything else as text."""
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


def domain_properties(directory: DirectoryService, password: str) -> dict[str, str]:
    """The ``[domain/default]`` section, in ParallelCluster's order, user settings merged last."""
    if "\n" in password or "\r" in password:
        raise ValueError("the directory bind password must be a single line")
    props: dict[str, Any] = {
        "id_provider": "ldap",
        "ldap_schema": "AD",
        "ldap_uri": ldap_uris(directory.domain_addr),
        "ldap_search_base": ldap_search_base(directory.domain_name),
        "ldap_default_bind_dn": directory.domain_read_only_user,
        "ldap_default_authtok": password,
        "ldap_tls_reqcert": directory.ldap_tls_req_cert,
        "cache_credentials": True,
        "default_shell": "/bin/bash",
        "fallback_homedir": "/home/%u",
        "ldap_id_mapping": True,
        "ldap_referrals": False,
        "use_fully_qualified_names": False,
    }
    if directory.ldap_tls_ca_cert:
        props["ldap_tls_cacert"] = directory.ldap_tls_ca_cert
    if directory.ldap_access_filter:
        props["access_provider"] = "ldap"
        props["ldap_access_filter"] = directory.ldap_access_filter
    props.update(directory.additional_sssd_configs)
    return {key: _value(value) for key, value in props.items()}


def render_sssd_conf(directory: DirectoryService, password: str) -> str:
    """The whole sssd.conf: one LDAP domain, the nss/pam/ssh responders."""
    sections: list[tuple[str, Mapping[str, str]]] = [
        ("domain/default", domain_properties(directory, password)),
        (
            "sssd",
            {
                "config_file_version": "2",
                "services": "nss, pam, ssh",
                "domains": "default",
                "full_name_format": "%1$s",
            },
        ),
        ("nss", {"filter_users": "nobody,root", "filter_groups": "nobody,root"}),
        ("pam", {"offline_credentials_expiration": "7"}),
    ]
    lines = ["# sssd.conf rendered by pcluster-pulumi from DirectoryService; root-only (holds a secret)."]
    for title, values in sections:
        lines.append(f"\n[{title}]")
        lines.extend(f"{key} = {value}" for key, value in values.items())
    return "\n".join(lines) + "\n"


def read_password(arn: str, secretsmanager: Any, ssm: Any) -> str:
    """The bind password behind ``PasswordSecretArn``: a Secrets Manager secret or an SSM parameter."""
    if ":secretsmanager:" in arn:
        return str(secretsmanager.get_secret_value(SecretId=arn)["SecretString"]).strip()
    if ":ssm:" in arn and ":parameter/" in arn:
        # ``parameter/name`` is the name ``name``; ``parameter/a/b`` the hierarchical ``/a/b``.
        rest = arn.split(":parameter/", 1)[1]
        name = f"/{rest}" if "/" in rest else rest
        return str(ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]).strip()
    raise ValueError(f"unsupported PasswordSecretArn {arn!r}: expected a Secrets Manager or SSM ARN")


def write_private(path: Path, text: str) -> None:
    """Write a root-only file atomically (sssd refuses a config others can read)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.new")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)
