"""How people reach the cluster, in the runtime configuration: login pools, directory, DCV.

The ``access`` section of the runtime document (``login_pools``, ``directory_service`` and
``head_dcv``), read by the login bootstrap, ``node/sssd.py`` and ``node/dcv.py``. They carry what a
node cannot find out by itself: the pool a login node belongs to and how long its users are
warned before it leaves, the directory's address and bind user (the password stays in
Secrets Manager or SSM: only its ARN is here), and on which nodes DCV listens on which port.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pcluster_pulumi.contract.config_reader import ConfigError, Reader
from pcluster_pulumi.contract.custom_actions import CustomActions

__all__ = [
    "DEFAULT_DCV_PORT",
    "LAUNCH_HOOK",
    "LDAP_TLS_REQCERT",
    "TERMINATE_HOOK",
    "Access",
    "DcvSettings",
    "DirectoryService",
    "LoginPool",
]

DEFAULT_DCV_PORT = 8443
#: Lifecycle hook names on every login pool's Auto Scaling group (created by ``cluster/login_nodes.py``,
#: completed by ``node/login.py``).
LAUNCH_HOOK = "pcluster-pulumi-launching"
TERMINATE_HOOK = "pcluster-pulumi-terminating"
#: sssd's ``ldap_tls_reqcert`` values (``DirectoryService.LdapTlsReqCert``).
LDAP_TLS_REQCERT = ("never", "allow", "try", "demand", "hard")


@dataclass(frozen=True)
class DcvSettings:
    """DCV on one kind of node: the HTTPS port the server listens on."""

    port: int = DEFAULT_DCV_PORT

    @classmethod
    def read(cls, r: Reader) -> DcvSettings:
        return cls(port=r.integer("port", DEFAULT_DCV_PORT, minimum=1024))


@dataclass(frozen=True)
class LoginPool:
    """One ``LoginNodes.Pools[]`` entry as its nodes need it."""

    name: str
    #: The Auto Scaling group whose lifecycle hooks the node answers (``<cluster>-<pool>``).
    auto_scaling_group: str
    #: ``GracetimePeriod`` in minutes: how long users are warned before the node terminates.
    gracetime_minutes: int = 10
    dcv: DcvSettings | None = None
    custom_actions: CustomActions = field(default_factory=CustomActions)

    @classmethod
    def read(cls, r: Reader) -> LoginPool:
        dcv = r.opt_section("dcv")
        return cls(
            name=r.string("name"),
            auto_scaling_group=r.string("auto_scaling_group"),
            gracetime_minutes=r.integer("gracetime_minutes", 10, minimum=1),
            dcv=DcvSettings.read(dcv) if dcv else None,
            custom_actions=CustomActions.read(r.opt_section("custom_actions")),
        )


@dataclass(frozen=True)
class DirectoryService:
    """``DirectoryService``: an AD/LDAP domain the nodes resolve users from through sssd."""

    domain_name: str
    domain_addr: str
    password_secret_arn: str
    domain_read_only_user: str
    ldap_tls_ca_cert: str | None = None
    ldap_tls_req_cert: str = "hard"
    ldap_access_filter: str | None = None
    generate_ssh_keys_for_users: bool = True
    additional_sssd_configs: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def read(cls, r: Reader) -> DirectoryService:
        arn = r.string("password_secret_arn")
        if not (":secretsmanager:" in arn or ":ssm:" in arn):
            raise ConfigError(f"{r.path}.password_secret_arn: expected a Secrets Manager or SSM ARN")
        return cls(
            domain_name=r.string("domain_name"),
            domain_addr=r.string("domain_addr"),
            password_secret_arn=arn,
            domain_read_only_user=r.string("domain_read_only_user"),
            ldap_tls_ca_cert=r.opt_str("ldap_tls_ca_cert"),
            ldap_tls_req_cert=r.choice("ldap_tls_req_cert", LDAP_TLS_REQCERT, "hard"),
            ldap_access_filter=r.opt_str("ldap_access_filter"),
            generate_ssh_keys_for_users=r.boolean("generate_ssh_keys_for_users", True),
            additional_sssd_configs=r.mapping("additional_sssd_configs"),
        )


@dataclass(frozen=True)
class Access:
    """The ``access`` section: every login pool, the directory, DCV on the head node."""

    login_pools: tuple[LoginPool, ...] = ()
    directory_service: DirectoryService | None = None
    #: DCV on the head node (``HeadNode.Dcv.Enabled``); None when off.
    head_dcv: DcvSettings | None = None

    @classmethod
    def read(cls, r: Reader) -> Access:
        directory = r.opt_section("directory_service")
        head_dcv = r.opt_section("head_dcv")
        access = cls(
            login_pools=tuple(LoginPool.read(item) for item in r.list_of("login_pools", minimum=0)),
            directory_service=DirectoryService.read(directory) if directory else None,
            head_dcv=DcvSettings.read(head_dcv) if head_dcv else None,
        )
        pools = [p.name for p in access.login_pools]
        if len(set(pools)) != len(pools):
            raise ConfigError(f"{r.path}.login_pools: pool names must be unique")
        return access

    def pool(self, name: str) -> LoginPool:
        """The login pool called name; KeyError when there is none."""
        for pool in self.login_pools:
            if pool.name == name:
                return pool
        raise KeyError(f"no login pool {name!r}")

    def dcv_for(self, role: str, pool: str | None = None) -> DcvSettings | None:
        """DCV settings of a node: the head node's, or its login pool's; None when DCV is off."""
        if role == "head":
            return self.head_dcv
        if role == "login" and pool is not None:
            return self.pool(pool).dcv
        return None
