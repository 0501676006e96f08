"""Which launch requests a resume makes, per ``ScalingStrategy`` (pure: no AWS, no Slurm).

- ``all-or-nothing``: one atomic request per job and compute resource (EC2 launches all or
  none); a job that still misses a node anywhere gives back what it got.
- ``greedy-all-or-nothing``: one best-effort request per compute resource for everything
  (fewest calls, most capacity), then jobs that did not get every node give theirs back.
- ``best-effort``: one best-effort request per compute resource; every instance is kept.

Nodes slurmctld resumes without a job (keeper power-ups, admins) are always best-effort.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pcluster_pulumi.contract import names
from pcluster_pulumi.node import hostlist


@dataclass(frozen=True)
class LaunchGroup:
    """Nodes of one compute resource launched by one request (split into API batches later)."""

    queue: str
    compute_resource: str
    nodes: tuple[str, ...]
    all_or_nothing: bool


@dataclass(frozen=True)
class ResumePlan:
    """The requests to make, and the node sets that must come up whole (jobs)."""

    groups: tuple[LaunchGroup, ...]
    atomic_units: tuple[tuple[str, ...], ...]


def read_resume_file(path: str | None) -> list[list[str]]:
    """Node lists per job from slurmctld's ``SLURM_RESUME_FILE`` (empty when absent/unreadable).

    Two formats exist: Slurm 23.02+ writes ``{"all_nodes_resume": …, "jobs": [{"job_id": …,
    "nodes_resume": …, "nodes_alloc": …}]}``; Slurm 22.05 (Debian 12's, and any AMI without
    ParallelCluster's Slurm) writes ``{"all_nodes": …, "jobs": [{"job_id": …, "nodes": …}]}``.
    A job's nodes to resume are ``nodes_resume``, else its allocation (``nodes_alloc``/``nodes``).
    """
    if not path:
        return []
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return []
    jobs = []
    for job in data.get("jobs", []) if isinstance(data, dict) else []:
        if not isinstance(job, dict):
            continue
        nodes = job.get("nodes_resume") or job.get("nodes_alloc") or job.get("nodes")
        if isinstance(nodes, str) and nodes:
            jobs.append(hostlist.expand(nodes))
    return jobs


def plan(nodes: list[str], jobs: list[list[str]], strategy: str) -> ResumePlan:
    """Group the nodes to resume into launch requests for the given scaling strategy."""
    wanted = list(dict.fromkeys(nodes))
    wanted_set = set(wanted)
    claimed: set[str] = set()
    job_units: list[tuple[str, ...]] = []
    for job in jobs:
        unit = tuple(n for n in dict.fromkeys(job) if n in wanted_set and n not in claimed)
        if unit:
            job_units.append(unit)
            claimed.update(unit)
    leftovers = [n for n in wanted if n not in claimed]
    if strategy == "best-effort":
        return ResumePlan(tuple(_per_resource([n for u in job_units for n in u] + leftovers, False)), ())
    if strategy == "greedy-all-or-nothing":
        return ResumePlan(
            tuple(_per_resource([n for u in job_units for n in u] + leftovers, False)), tuple(job_units)
        )
    groups = [group for unit in job_units for group in _per_resource(list(unit), True)]
    groups.extend(_per_resource(leftovers, False))
    return ResumePlan(tuple(groups), tuple(job_units))


def _per_resource(nodes: list[str], all_or_nothing: bool) -> list[LaunchGroup]:
    """Split nodes by (queue, compute resource), keeping their order inside each group."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for node in nodes:
        parsed = names.parse_node_name(node)
        grouped.setdefault((parsed.queue, parsed.compute_resource), []).append(node)
    return [LaunchGroup(q, cr, tuple(members), all_or_nothing) for (q, cr), members in grouped.items()]
