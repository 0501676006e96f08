"""Runtime configurations for node tests, built the way the Pulumi renderer will build them."""

from __future__ import annotations

from typing import Any

from pcluster_pulumi.contract import names
from pcluster_pulumi.contract.config import NodeConfig


def facts(instance_type: str, vcpus: int = 2, memory_mib: int = 4096, **extra: Any) -> dict[str, Any]:
    """One instance type's facts."""
    return {"instance_type": instance_type, "vcpus": vcpus, "memory_mib": memory_mib, **extra}


def compute_resource(
    cluster: str, queue: str, name: str, types: list[dict[str, Any]], max_count: int = 10, **extra: Any
) -> dict[str, Any]:
    """A compute resource whose launch template follows the naming convention."""
    return {
        "name": name,
        "instances": types,
        "launch_template_name": names.launch_template_name(cluster, queue, name),
        "max_count": max_count,
        **extra,
    }


def config_dict(
    cluster: str = "demo", queues: list[dict[str, Any]] | None = None, **extra: Any
) -> dict[str, Any]:
    """A complete runtime configuration document (one on-demand queue unless given)."""
    if queues is None:
        queues = [
            {
                "name": "q1",
                "subnet_ids": ["subnet-1"],
                "compute_resources": [
                    compute_resource(cluster, "q1", "c5", [facts("c5.large")], max_count=4)
                ],
            }
        ]
    document: dict[str, Any] = {
        "format_version": 1,
        "cluster_name": cluster,
        "region": "us-east-1",
        "head_node": {"private_ip": "10.0.0.10"},
        "tables": {
            "nodes_table": names.nodes_table_name(cluster),
            "status_table": names.status_table_name(cluster),
        },
        "queues": queues,
    }
    document.update(extra)
    return document


def make_config(**kwargs: Any) -> NodeConfig:
    """config_dict parsed into the typed form."""
    return NodeConfig.from_dict(config_dict(**kwargs))
