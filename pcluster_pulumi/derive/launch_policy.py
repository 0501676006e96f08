"""The head node's right to launch compute nodes: from this cluster's launch templates only.

EC2 authorises every resource a launch touches. This document allows the launch template
resources by id; allows creating instances, volumes and interfaces only when the request uses
one of those templates (``ec2:LaunchTemplate``); lists the subnets, security groups, placement
groups, capacity reservations and AMIs a launch may use by ARN; allows tagging only as part of
the launch; and passes only the compute roles, only to EC2. Pure, like ``policies.py``: ids
that exist only after deployment are parameters.
"""

from __future__ import annotations

from collections.abc import Sequence

from pcluster_pulumi.derive.context import ClusterContext
from pcluster_pulumi.derive.iam_policies import Statement, capacity_targets, one

__all__ = ["LAUNCH_ACTIONS", "fleet_statements"]

#: Launch actions; CreateFleet authorises each instance as RunInstances would.
LAUNCH_ACTIONS = ("ec2:RunInstances", "ec2:CreateFleet")


def fleet_statements(
    ctx: ClusterContext,
    *,
    launch_template_ids: Sequence[str],
    security_group_ids: Sequence[str],
    image_ids: Sequence[str],
    placement_group_names: Sequence[str],
    role_arns: Sequence[str],
) -> list[Statement]:
    """The head node's right to launch compute nodes: only from this cluster's launch templates."""
    facts = ctx.facts
    templates = sorted({facts.arn("ec2", f"launch-template/{i}") for i in launch_template_ids})
    if not templates:
        return []
    subnets = sorted({s for q in ctx.spec.queues for s in q.networking.subnet_ids})
    spot = any(q.capacity_type == "SPOT" for q in ctx.spec.queues)
    created = ["instance/*", "volume/*", "network-interface/*"] + (
        ["spot-instances-request/*"] if spot else []
    )
    used = [f"subnet/{s}" for s in subnets] + [f"security-group/{g}" for g in sorted(set(security_group_ids))]
    used += [f"placement-group/{p}" for p in sorted(set(placement_group_names))]
    reservations = capacity_targets(ctx)
    used += [f"capacity-reservation/{r}" for r in sorted({r for r, _ in reservations if r})]
    groups = sorted({g for _, g in reservations if g})
    if groups:  # the reservations in a resource group are only known to EC2 at launch
        used.append("capacity-reservation/*")
    used_arns = [facts.arn("ec2", u) for u in used] + [facts.arn("ec2", "fleet/*")]
    used_arns += [facts.arn("ec2", f"image/{i}", account=False) for i in sorted(set(image_ids))]
    out: list[Statement] = [
        {
            "Sid": "LaunchTemplates",
            "Effect": "Allow",
            "Action": list(LAUNCH_ACTIONS),
            "Resource": one(templates),
        },
        {
            "Sid": "LaunchFromClusterTemplatesOnly",
            "Effect": "Allow",
            "Action": list(LAUNCH_ACTIONS),
            "Resource": [facts.arn("ec2", c) for c in created],
            "Condition": {"ArnEquals": {"ec2:LaunchTemplate": templates}},
        },
        {
            "Sid": "LaunchIntoClusterNetwork",
            "Effect": "Allow",
            "Action": list(LAUNCH_ACTIONS),
            "Resource": used_arns,
        },
        {
            "Sid": "TagLaunchedResources",
            "Effect": "Allow",
            "Action": "ec2:CreateTags",
            "Resource": [facts.arn("ec2", c) for c in [*created, "fleet/*"]],
            "Condition": {"StringEquals": {"ec2:CreateAction": ["CreateFleet", "RunInstances"]}},
        },
    ]
    if groups:
        out.append(
            {
                "Sid": "CapacityReservationGroups",
                "Effect": "Allow",
                "Action": "resource-groups:ListGroupResources",
                "Resource": one(groups),
            }
        )
    if role_arns:
        out.append(
            {
                "Sid": "PassComputeRoles",
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": one(sorted(set(role_arns))),
                "Condition": {"StringEquals": {"iam:PassedToService": ctx.facts.ec2_principal}},
            }
        )
    return out
