"""Load-time rules of head node, queue and login pool sections: security groups, IAM, custom
actions, DCV and Image sections (R01-R03, R17, R30, R31)."""

from __future__ import annotations

from collections.abc import Iterator

from pcluster_pulumi.contract.custom_actions import EVENT_KEYS
from pcluster_pulumi.spec.rules.base import RuleFinding, configured, head_and_queues_and_pools, present, rule
from pcluster_pulumi.spec.validators.base import ConfigView, Node

IAM_EXCLUSIVE = ("InstanceRole", "InstanceProfile", "AdditionalIamPolicies")
ACTION_EVENTS = tuple(EVENT_KEYS.values())  # OnNodeStart, OnNodeConfigured, OnNodeUpdated


@rule("R01")
def security_groups(view: ConfigView) -> Iterator[RuleFinding]:
    """``SecurityGroups`` replaces the managed groups and ``AdditionalSecurityGroups`` adds to
    them: asking for both is contradictory (B09: AWS Batch queues too)."""
    for owner in head_and_queues_and_pools(view, batch=True):
        net = owner.child("Networking")
        if configured(net, "SecurityGroups") and configured(net, "AdditionalSecurityGroups"):
            yield RuleFinding(
                "R01",
                net.at("AdditionalSecurityGroups"),
                "SecurityGroups and AdditionalSecurityGroups can not be configured together: SecurityGroups "
                "replaces the security groups the cluster creates, AdditionalSecurityGroups adds to them. "
                "Keep one.",
                net.path,
            )


@rule("R02")
def iam_role_or_profile_or_policies(view: ConfigView) -> Iterator[RuleFinding]:
    """A node gets its permissions from one of: an instance role, an instance profile, or the
    managed role plus additional policies."""
    for owner in head_and_queues_and_pools(view):
        iam = owner.child("Iam")
        used = [key for key in IAM_EXCLUSIVE if configured(iam, key)]
        if len(used) > 1:
            yield RuleFinding(
                "R02",
                iam.path,
                f"{' and '.join(used)} can not be configured together: give an InstanceRole, an "
                "InstanceProfile, or AdditionalIamPolicies for the role the cluster creates "
                "(ParallelCluster: InstanceProfile, InstanceRole or AdditionalIamPolicies can not be "
                "configured together.)",
                iam.path,
            )


@rule("R03")
def s3_access_needs_managed_role(view: ConfigView) -> Iterator[RuleFinding]:
    """``S3Access`` adds statements to the role the cluster creates, so it cannot go with a
    role or profile of the user's (login pools have no ``S3Access``)."""
    owners = [view.head_node, *view.slurm_queues()] if present(view.root, "HeadNode") else []
    for owner in owners:
        iam = owner.child("Iam")
        if not configured(iam, "S3Access"):
            continue
        for key in ("InstanceRole", "InstanceProfile"):
            if configured(iam, key):
                yield RuleFinding(
                    "R03",
                    iam.at("S3Access"),
                    f"S3Access can not be configured when {key} is set: S3Access adds permissions to the "
                    f"role the cluster creates, and with {key} there is none. Grant the S3 access in your "
                    "role, or drop it.",
                    iam.path,
                )
                break


def _actions(view: ConfigView) -> Iterator[tuple[Node, str]]:
    if present(view.root, "HeadNode"):
        yield view.head_node.child("CustomActions"), "head"
    for queue in view.slurm_queues():
        yield queue.child("CustomActions"), "queue"
    for pool in view.login_pools():
        yield pool.child("CustomActions"), "pool"


@rule("R17")
def script_or_sequence(view: ConfigView) -> Iterator[RuleFinding]:
    """A custom action is either one ``Script`` (with ``Args``) or a ``Sequence`` of them."""
    for actions, _ in _actions(view):
        for event in ACTION_EVENTS:
            action = actions.data.get(event)
            if not isinstance(action, dict):
                continue  # absent, or the schema reports the wrong type
            if "Script" in action and "Sequence" in action:
                yield RuleFinding(
                    "R17",
                    actions.at(event),
                    "Both Script and Sequence fields are provided. Only one is allowed: give one Script "
                    "(with Args) or a Sequence of scripts.",
                    actions.at(event),
                )
            elif "Script" not in action and "Sequence" not in action:
                yield RuleFinding(
                    "R17",
                    actions.at(event),
                    "Either Script or Sequence field must be provided: give the URL of a Script, or a "
                    "Sequence of Script/Args steps.",
                    actions.at(event),
                )


@rule("R30")
def dcv_needs_enabled(view: ConfigView) -> Iterator[RuleFinding]:
    """A ``Dcv`` section must say ``Enabled`` (ParallelCluster's ``Dcv`` object requires it and
    crashes without it)."""
    owners = [view.head_node] if present(view.root, "HeadNode") else []
    for owner in [*owners, *view.login_pools()]:
        dcv = owner.data.get("Dcv")
        if isinstance(dcv, dict) and "Enabled" not in dcv:
            yield RuleFinding(
                "R30",
                owner.at("Dcv"),
                "the Dcv section needs 'Enabled: true' (or false); without it ParallelCluster refuses the "
                "config (Dcv.__init__() missing 1 required positional argument: 'enabled').",
                owner.at("Dcv"),
            )


@rule("R31")
def image_needs_custom_ami(view: ConfigView) -> Iterator[RuleFinding]:
    """A node-level ``Image`` section only exists to give a ``CustomAmi``; ParallelCluster
    crashes on one without it."""
    owners = [view.head_node] if present(view.root, "HeadNode") else []
    for owner in [*owners, *view.slurm_queues(), *view.login_pools()]:
        image = owner.data.get("Image")
        if isinstance(image, dict) and image.get("CustomAmi") is None:
            yield RuleFinding(
                "R31",
                owner.at("Image"),
                "this Image section has no CustomAmi, the only thing it sets: give CustomAmi or remove the "
                "section (ParallelCluster: missing 1 required positional argument: 'custom_ami').",
                owner.at("Image"),
            )
