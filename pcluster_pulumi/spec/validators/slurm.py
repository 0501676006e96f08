"""Slurm settings rules: custom slurm.conf settings, accounting (Database or an external
slurmdbd) and the munge key."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

from pcluster_pulumi.contract.slurm_settings import (
    ACCOUNTING_DENY,
    CLUSTER_DENY,
    COMPUTE_RESOURCE_DENY,
    QUEUE_DENY,
)
from pcluster_pulumi.spec.problems import KeyPath, Level
from pcluster_pulumi.spec.validators._read import get_str, lower_key
from pcluster_pulumi.spec.validators.base import ConfigView, Finding, Node, as_list, validator

# slurm.conf parameters ParallelCluster writes itself, per level (compared case-insensitively).
# One list serves this validator and the node runtime, which enforces it again when rendering.
DENIED_CLUSTER_SETTINGS = CLUSTER_DENY
DENIED_ACCOUNTING_SETTINGS = ACCOUNTING_DENY
DENIED_QUEUE_SETTINGS = QUEUE_DENY
DENIED_CR_SETTINGS = COMPUTE_RESOURCE_DENY
RESERVED_NODE_NAME_PARTS = ("-st-", "-dy-")
DEFAULT_DATABASE_PORT = 3306


def _settings(view: ConfigView) -> Node:
    return view.scheduling.child("SlurmSettings")


def _denied(mapping: Node, denied: frozenset[str], level: str, why: str = "") -> Iterator[Finding]:
    for key in mapping.data:
        if lower_key(key) in denied:
            yield Finding(
                mapping.at(key),
                f"The custom Slurm setting '{key}' is not allowed at {level} level{why}: ParallelCluster "
                "manages it. Remove it; other slurm.conf parameters are allowed.",
            )


@validator("CustomSlurmSettingsValidator")
def custom_slurm_settings(view: ConfigView) -> Iterator[Finding]:
    """``CustomSlurmSettings`` don't override the slurm.conf parameters ParallelCluster manages,
    at cluster, queue or compute resource level (nor the accounting ones when ``Database`` is
    set). Multi-key entries (custom NodeName/PartitionName lines) are not checked."""
    settings = _settings(view)
    with_database = settings.get("Database") is not None
    for entry in settings.items("CustomSlurmSettings"):
        if len(entry.data) > 1:
            continue
        yield from _denied(entry, DENIED_CLUSTER_SETTINGS, "SlurmConf")
        if with_database:
            yield from _denied(
                entry, DENIED_ACCOUNTING_SETTINGS, "SlurmConf", " when SlurmSettings.Database is set"
            )
    for queue in view.slurm_queues():
        yield from _denied(queue.child("CustomSlurmSettings"), DENIED_QUEUE_SETTINGS, "Queue")
        for cr in queue.items("ComputeResources"):
            yield from _denied(cr.child("CustomSlurmSettings"), DENIED_CR_SETTINGS, "ComputeResource")


@validator("CustomSlurmNodeNamesValidator")
def custom_node_names(view: ConfigView) -> Iterator[Finding]:
    """Custom Slurm nodes (``NodeName`` entries in cluster ``CustomSlurmSettings``) don't contain
    ``-st-`` or ``-dy-``: those mark nodes ParallelCluster manages, whose daemons would act on them."""
    for entry in _settings(view).items("CustomSlurmSettings"):
        for key, value in entry.data.items():
            if lower_key(key) != "nodename" or not isinstance(value, str):
                continue
            if any(part in value for part in RESERVED_NODE_NAME_PARTS):
                yield Finding(
                    entry.at(key),
                    f"Custom Slurm node name '{value}' contains '-st-' or '-dy-', which are reserved for "
                    "nodes managed by ParallelCluster; rename the node.",
                )


@validator("CustomSlurmSettingsIncludeFileOnlyValidator")
def include_file_only(view: ConfigView) -> Iterator[Finding]:
    """``CustomSlurmSettingsIncludeFile`` and inline ``CustomSlurmSettings`` are mutually exclusive."""
    settings = _settings(view)
    if as_list(settings.get("CustomSlurmSettings")) and settings.get("CustomSlurmSettingsIncludeFile"):
        yield Finding(
            settings.at("CustomSlurmSettingsIncludeFile"),
            "CustomSlurmSettings and CustomSlurmSettingsIncludeFile cannot be used together under "
            "SlurmSettings; keep one of them.",
        )


@validator("ExternalSlurmdbdVsDatabaseIncompatibility")
def slurmdbd_vs_database(view: ConfigView) -> Iterator[Finding]:
    """Accounting uses either ``Database`` (a slurmdbd on the head node) or ``ExternalSlurmdbd``, not both."""
    settings = _settings(view)
    if settings.get("Database") is not None and settings.get("ExternalSlurmdbd") is not None:
        yield Finding(
            settings.at("ExternalSlurmdbd"),
            "Database and ExternalSlurmdbd cannot both be set in SlurmSettings; keep one of them.",
        )


@validator("ExternalSlurmdbdRequiresCustomMungeKey")
def slurmdbd_needs_munge_key(view: ConfigView) -> Iterator[Finding]:
    """An external slurmdbd needs ``MungeKeySecretArn``: the cluster and slurmdbd must share a munge key."""
    settings = _settings(view)
    if settings.get("ExternalSlurmdbd") is not None and settings.get("MungeKeySecretArn") is None:
        yield Finding(
            settings.at("MungeKeySecretArn"),
            "ExternalSlurmdbd is set, so MungeKeySecretArn is required (the munge key shared with the "
            "slurmdbd).",
        )


@validator("ExternalSlurmdbdTrafficNotEncrypted")
def slurmdbd_traffic(view: ConfigView) -> Iterator[Finding]:
    """Warn that traffic to an external slurmdbd is not encrypted."""
    settings = _settings(view)
    if settings.get("ExternalSlurmdbd") is not None:
        yield Finding(
            settings.at("ExternalSlurmdbd"),
            "Traffic between the cluster and the external slurmdbd is not encrypted; run them in a trusted "
            "network.",
            Level.WARNING,
        )


def _uri_problem(uri: str) -> tuple[str, Level] | None:
    """What is wrong with a ``host[:port]`` database address, or None."""
    if uri.startswith("/"):
        return f"Invalid URI '{uri}': remove the leading '/'; use host[:port].", Level.ERROR
    scheme_end = uri.find("://")
    if scheme_end > 0:
        return (
            f"Invalid URI '{uri}': do not give a scheme ('{uri[:scheme_end]}://'); use host[:port].",
            Level.ERROR,
        )
    try:
        parts = urlsplit("//" + uri)
        port = parts.port
    except ValueError as exc:
        return f"Invalid URI '{uri}': {exc}; use host[:port].", Level.ERROR
    if not parts.netloc:
        return f"Invalid URI '{uri}': no host found; use host[:port].", Level.ERROR
    if port is None:
        return f"No port in URI '{uri}'; port {DEFAULT_DATABASE_PORT} is assumed.", Level.INFO
    return None


@validator("DatabaseUriValidator")
def database_uri(view: ConfigView) -> Iterator[Finding]:
    """``Database.Uri`` is ``host[:port]`` without a scheme or leading slash; without a port
    3306 (MySQL) is assumed."""
    path: KeyPath = ("Scheduling", "SlurmSettings", "Database", "Uri")
    uri = get_str(view.root, *path)
    if uri and (problem := _uri_problem(uri)):
        message, level = problem
        yield Finding(path, message, level)


@validator("ManagedDatabaseValidator")
def managed_database(view: ConfigView) -> Iterator[Finding]:
    """``Database`` without ``Uri`` is pcluster-pulumi's managed Aurora database, whose master
    password RDS creates and keeps in its own secret: ``PasswordSecretArn`` only goes with a
    ``Uri`` (a database you run). ``UserName`` names the managed database's master user."""
    database = _settings(view).child("Database")
    if not database.data or get_str(database, "Uri") or database.get("PasswordSecretArn") is None:
        return
    yield Finding(
        database.at("PasswordSecretArn"),
        "PasswordSecretArn is set but Uri is not: without Uri pcluster-pulumi creates the accounting "
        "database and RDS manages its password. Set Uri to use your own database, or remove "
        "PasswordSecretArn.",
    )


@validator("ArnServiceAndResourceValidator")
def munge_key_arn(view: ConfigView) -> Iterator[Finding]:
    """``MungeKeySecretArn`` is the ARN of a Secrets Manager secret
    (``arn:<partition>:secretsmanager:<region>:<account>:secret:<name>``)."""
    settings = _settings(view)
    arn = get_str(settings, "MungeKeySecretArn")
    if arn is None:
        return
    parts = arn.split(":")
    if len(parts) < 7 or parts[0] != "arn" or parts[2] != "secretsmanager" or parts[5] != "secret":
        yield Finding(
            settings.at("MungeKeySecretArn"),
            f"MungeKeySecretArn '{arn}' is not a Secrets Manager secret ARN; expected "
            "arn:<partition>:secretsmanager:<region>:<account>:secret:<name>.",
        )
