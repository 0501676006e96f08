"""Validators that ask AWS (``validate --aws`` and the pre-flight of ``preview``/``up``).

ParallelCluster checks a config against the account before creating anything: the key pair
exists, instance types are offered, AMIs fit them, subnets and security groups exist in one
VPC, the hosted zone, IAM resources, scripts, secrets and existing storage exist. These run
the same checks under the same names and levels, batched (``inventory``), and report the
same located findings as the static validators. A check the caller may not perform
(AccessDenied) becomes a WARNING naming the permission, never a crash.
"""

from __future__ import annotations

from collections.abc import Collection

import botocore.exceptions

from pcluster_pulumi.spec.aws_checks import ec2, services  # noqa: F401  (imported to register)
from pcluster_pulumi.spec.aws_checks.base import AWS_REGISTRY
from pcluster_pulumi.spec.aws_checks.inventory import Inventory
from pcluster_pulumi.spec.aws_checks.refs import collect_refs
from pcluster_pulumi.spec.aws_checks.session import AwsSession, AwsUnavailable, error_code, resolve_region
from pcluster_pulumi.spec.problems import Level
from pcluster_pulumi.spec.validators.base import ConfigView, Finding

__all__ = ["AWS_REGISTRY", "AwsChecks", "AwsSession", "AwsUnavailable", "resolve_region"]


class AwsChecks:
    """Run every AWS validator not suppressed over a config (``loader.validate_text(extra=...)``).

    The region is the config's ``Region``, else ``region`` (``--region``), else the
    environment's; ``session.calls`` counts the API calls once it ran."""

    def __init__(self, region: str | None = None, suppressed: Collection[str] = ()) -> None:
        self.region = region
        self.skip = {name.removeprefix("type:") for name in suppressed}
        self.session: AwsSession | None = None

    @property
    def total_calls(self) -> int:
        """AWS API calls made (0 before the checks ran)."""
        return self.session.total_calls if self.session else 0

    def __call__(self, view: ConfigView) -> list[tuple[str, Finding]]:
        """(validator name, finding) pairs; raises ``AwsUnavailable`` when AWS cannot be asked."""
        if "ALL" in self.skip:
            return []
        config_region = view.root.get("Region")
        region = resolve_region(config_region if isinstance(config_region, str) else None, self.region)
        self.session = AwsSession(region)
        inventory = Inventory(self.session, collect_refs(view))
        results: list[tuple[str, Finding]] = []
        for name, entry in AWS_REGISTRY.items():
            if name in self.skip:
                continue
            try:
                found = list(entry.check(view, inventory))
            except botocore.exceptions.ClientError as exc:
                code = error_code(exc) or "error"
                operation = getattr(exc, "operation_name", "a call")
                message = f"{name} could not check the config: {operation} was refused ({code})"
                found = [Finding((), message, Level.WARNING)]
            results.extend((name, finding) for finding in found)
        return results
