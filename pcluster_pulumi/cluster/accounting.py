"""Slurm accounting: slurmdbd on the head node in front of a MySQL database, or an external slurmdbd.

Three cases, as the spec says:

- ``Database`` with ``Uri`` (ParallelCluster): nothing is created but the head node's right to
  read ``PasswordSecretArn`` (this is the one place that grants it) and, when the database's
  security group is known, an ingress rule from the head node on the database port
  (ParallelCluster leaves the rule to the user).
- ``Database`` without ``Uri`` (pcluster-pulumi extension): an Aurora MySQL Serverless v2
  cluster with one ``db.serverless`` instance, its subnet group, parameter group and security
  group (only the head node may connect). The master password lives in a secret RDS manages,
  storage is encrypted, the instance is never public, and ``DeletionPolicy`` decides deletion
  protection, retention and the final snapshot (``deletion.rds_cluster_args``).
- ``ExternalSlurmdbd``: slurmctld talks to that host and port; nothing is created.

``accounting_config`` gives the ``scheduler.accounting`` section of the node runtime
configuration (``node.config.Accounting``) for each case, through the one renderer
``runtime_config.accounting_section``. ``check_accounting`` is the pure refusal of what cannot be
built (``Cluster`` calls it before registering anything).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from pcluster_pulumi.cluster.deletion import policy_options
from pcluster_pulumi.cluster.storage.fsx import nested
from pcluster_pulumi.contract import names
from pcluster_pulumi.derive.deletion import rds_cluster_args
from pcluster_pulumi.derive.runtime_config import (
    DEFAULT_DATABASE_USER,
    MYSQL_PORT,
    accounting_section,
    parse_database_uri,
)
from pcluster_pulumi.spec.model import ClusterSpec, Database

__all__ = [
    "ManagedDatabase",
    "SlurmAccounting",
    "accounting_config",
    "accounting_mode",
    "check_accounting",
    "database_subnets",
    "secret_read_policy",
]

ENGINE = "aurora-mysql"
#: Pinned so a redeploy never upgrades the database; 3.08 is the first to scale Serverless v2 to 0 ACU.
ENGINE_VERSION = "8.0.mysql_aurora.3.08.0"
PARAMETER_FAMILY = "aurora-mysql8.0"
#: What ParallelCluster's serverless-database template sets for slurmdbd's long transactions.
PARAMETERS: list[Any] = [{"name": "innodb_lock_wait_timeout", "value": "900"}]
AUTO_PAUSE_SECONDS = 3600
BACKUP_RETENTION_DAYS = 7

Mode = Literal["existing", "managed", "external"]


@dataclass(frozen=True)
class ManagedDatabase:
    """Where the managed database answers, once it exists (plain values)."""

    host: str
    port: int
    secret_arn: str


def _database(spec: ClusterSpec) -> Database | None:
    settings = spec.scheduling.slurm_settings
    return settings.database if settings else None


def accounting_mode(spec: ClusterSpec) -> Mode | None:
    """Which accounting the spec asks for, or None."""
    settings = spec.scheduling.slurm_settings
    if settings is None:
        return None
    if settings.external_slurmdbd is not None:
        return "external"
    if settings.database is not None:
        return "existing" if settings.database.uri else "managed"
    return None


def accounting_config(
    spec: ClusterSpec, cluster_name: str, managed: ManagedDatabase | None = None
) -> dict[str, Any] | None:
    """The runtime configuration's ``scheduler.accounting`` (``runtime_config.accounting_section``).

    ``managed`` gives the endpoint and secret of the managed database; without it a managed
    spec raises, since slurmdbd cannot be configured before the database exists.
    """
    if accounting_mode(spec) == "managed" and managed is None:
        raise ValueError("the managed accounting database's endpoint is needed to configure slurmdbd")
    endpoint = (managed.host, managed.port, managed.secret_arn) if managed else None
    return accounting_section(spec, cluster_name, endpoint)


def check_accounting(spec: ClusterSpec, subnet_azs: Mapping[str, str]) -> None:
    """Raise ValueError (one sentence saying what to change) for accounting this spec cannot get.

    Pure, so ``Cluster`` can refuse such a spec before it registers any resource.
    """
    database = _database(spec)
    if accounting_mode(spec) != "managed" or database is None:
        return
    if database.password_secret_arn:
        raise ValueError(
            "Scheduling.SlurmSettings.Database.PasswordSecretArn needs a Uri: the managed database's "
            "password is created and rotated by RDS; remove PasswordSecretArn or give Uri"
        )
    database_subnets(spec, subnet_azs)


def database_subnets(spec: ClusterSpec, subnet_azs: Mapping[str, str]) -> list[str]:
    """Subnets of the managed database: ``Database.SubnetIds``, else one per AZ (head node's first).

    RDS needs two availability zones; a ValueError says how to provide them.
    """
    database = _database(spec)
    if database is not None and database.subnet_ids:
        return list(database.subnet_ids)
    candidates = [spec.head_node.networking.subnet_id]
    for queue in spec.scheduling.slurm_queues or ():
        candidates += queue.networking.subnet_ids
    by_az: dict[str, str] = {}
    for subnet in candidates:
        by_az.setdefault(subnet_azs[subnet], subnet)
    if len(by_az) < 2:
        raise ValueError(
            "the managed accounting database needs subnets in two availability zones, but the cluster's "
            f"subnets are all in {', '.join(sorted(by_az))}: set Scheduling.SlurmSettings.Database.SubnetIds "
            "or give Database.Uri of an existing database"
        )
    return list(by_az.values())


def secret_read_policy(secret_arn: str) -> str:
    """IAM policy document letting the head node read the database password (and nothing else)."""
    statement = {
        "Sid": "SlurmDbPassword",
        "Effect": "Allow",
        "Action": "secretsmanager:GetSecretValue",
        "Resource": secret_arn,
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


class SlurmAccounting(pulumi.ComponentResource):
    """Accounting resources of one cluster; ``config`` is the runtime configuration's section."""

    config: pulumi.Output[dict[str, Any] | None]

    def __init__(
        self,
        name: str,
        spec: ClusterSpec,
        *,
        cluster_name: str,
        vpc_id: str,
        subnet_azs: Mapping[str, str],
        head_security_groups: Mapping[str, pulumi.Input[str]],
        head_role_name: pulumi.Input[str] | None = None,
        database_security_group_id: str | None = None,
        tags: Mapping[str, str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``head_security_groups`` maps a stable key to each head node group id;
        ``head_role_name`` is the head node's role when the cluster created it (None: the user's
        own role must allow reading the secret); ``database_security_group_id`` is the group of an
        existing database that should admit the head node."""
        super().__init__("pcluster:accounting:SlurmAccounting", name, None, opts)
        self.mode = accounting_mode(spec)
        self._name = name
        self._tags = dict(tags or {})
        self._head_groups = head_security_groups
        self.database: aws.rds.Cluster | None = None
        self.instance: aws.rds.ClusterInstance | None = None
        self.security_group: aws.ec2.SecurityGroup | None = None
        self.secret_arn: pulumi.Output[str] | None = None
        database = _database(spec)
        check_accounting(spec, subnet_azs)
        if self.mode == "managed" and database is not None:
            managed = self._managed(spec, cluster_name, database, vpc_id, subnet_azs)
            self.config = managed.apply(lambda m: accounting_config(spec, cluster_name, m))
        else:
            if self.mode == "existing" and database is not None:
                self.secret_arn = pulumi.Output.from_input(str(database.password_secret_arn))
                if database_security_group_id:
                    self._admit_head_node(
                        database_security_group_id, parse_database_uri(str(database.uri))[1]
                    )
            self.config = pulumi.Output.from_input(accounting_config(spec, cluster_name))
        self.secret_policy: aws.iam.RolePolicy | None = None
        if self.secret_arn is not None and head_role_name is not None:
            self.secret_policy = aws.iam.RolePolicy(
                f"{name}-secret-read",
                role=head_role_name,
                policy=self.secret_arn.apply(secret_read_policy),
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs({"config": self.config})

    def _admit_head_node(
        self, group_id: pulumi.Input[str], port: int, opts: pulumi.ResourceOptions | None = None
    ) -> list[aws.vpc.SecurityGroupIngressRule]:
        """Ingress on the database port from each head node group into ``group_id``."""
        return [
            aws.vpc.SecurityGroupIngressRule(
                f"{self._name}-from-{key}",
                security_group_id=group_id,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                referenced_security_group_id=head_group,
                description="MySQL from the head node (slurmdbd)",
                opts=opts or pulumi.ResourceOptions(parent=self),
            )
            for key, head_group in self._head_groups.items()
        ]

    def _managed(
        self,
        spec: ClusterSpec,
        cluster_name: str,
        database: Database,
        vpc_id: str,
        subnet_azs: Mapping[str, str],
    ) -> pulumi.Output[ManagedDatabase]:
        name, policy = self._name, database.deletion_policy
        keep = policy_options(policy, self)
        identifier = f"{cluster_name.lower()}-slurmdbd"
        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=vpc_id,
            description=f"Slurm accounting database of cluster {cluster_name}",
            revoke_rules_on_delete=True,
            tags={**self._tags, "Name": identifier},
            opts=keep,
        )
        self._admit_head_node(self.security_group.id, MYSQL_PORT)
        subnets: Sequence[str] = database_subnets(spec, subnet_azs)
        subnet_group = aws.rds.SubnetGroup(
            f"{name}-subnets",
            subnet_ids=list(subnets),
            description=f"Slurm accounting database of cluster {cluster_name}",
            tags=self._tags,
            opts=keep,
        )
        parameters = aws.rds.ClusterParameterGroup(
            f"{name}-parameters",
            family=PARAMETER_FAMILY,
            description="slurmdbd settings (long lock waits for large purges)",
            parameters=PARAMETERS,
            tags=self._tags,
            opts=keep,
        )
        scaling: dict[str, Any] = {
            "min_capacity": database.min_capacity,
            "max_capacity": database.max_capacity,
        }
        if database.min_capacity == 0:
            scaling["seconds_until_auto_pause"] = AUTO_PAUSE_SECONDS
        # Typed nested arguments (scaling, engine enums) go through one plain mapping.
        cluster_args: dict[str, Any] = {
            "cluster_identifier": identifier,
            "engine": ENGINE,
            "engine_mode": "provisioned",
            "engine_version": ENGINE_VERSION,
            "database_name": database.database_name or names.accounting_database_name(cluster_name),
            "master_username": database.user_name or DEFAULT_DATABASE_USER,
            "manage_master_user_password": True,
            "storage_encrypted": True,
            "port": MYSQL_PORT,
            "db_subnet_group_name": subnet_group.name,
            "db_cluster_parameter_group_name": parameters.name,
            "vpc_security_group_ids": [self.security_group.id],
            "serverlessv2_scaling_configuration": scaling,
            "backup_retention_period": BACKUP_RETENTION_DAYS,
            "copy_tags_to_snapshot": True,
            "tags": self._tags,
            **rds_cluster_args(policy, identifier),
        }
        self.database = aws.rds.Cluster(f"{name}-cluster", **cluster_args, opts=keep)
        instance_args: dict[str, Any] = {
            "identifier": f"{identifier}-1",
            "cluster_identifier": self.database.id,
            "instance_class": "db.serverless",
            "engine": ENGINE,
            "engine_version": self.database.engine_version,
            "db_subnet_group_name": subnet_group.name,
            "publicly_accessible": False,
            "tags": self._tags,
        }
        self.instance = aws.rds.ClusterInstance(f"{name}-instance", **instance_args, opts=keep)
        self.secret_arn = self.database.master_user_secrets.apply(lambda s: str(nested(s, 0, "secret_arn")))
        # The endpoint is only usable once the instance exists: wait for it.
        return pulumi.Output.all(
            self.database.endpoint, self.database.port, self.secret_arn, self.instance.id
        ).apply(lambda v: ManagedDatabase(host=str(v[0]), port=int(v[1] or MYSQL_PORT), secret_arn=str(v[2])))
