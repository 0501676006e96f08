"""The registry of AWS-backed validators, under ParallelCluster's class names and levels.

An AWS validator reads the config (``ConfigView``) and the batched answers of the
``Inventory``, and yields the same ``Finding`` as a static validator, so ``validate --aws``
prints one located line per problem and ``--suppress-validators`` takes the same names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pcluster_pulumi.spec.aws_checks.inventory import Inventory
from pcluster_pulumi.spec.validators.base import ConfigView, Finding

__all__ = ["AWS_REGISTRY", "AwsValidator", "aws_validator"]

AwsCheck = Callable[[ConfigView, Inventory], Iterable[Finding]]


@dataclass(frozen=True)
class AwsValidator:
    """A named check that needs AWS; ``name`` is what ``--suppress-validators`` takes."""

    name: str
    check: AwsCheck
    doc: str


AWS_REGISTRY: dict[str, AwsValidator] = {}


def aws_validator(name: str) -> Callable[[AwsCheck], AwsCheck]:
    """Register a check under ParallelCluster's validator class name."""

    def register(fn: AwsCheck) -> AwsCheck:
        if name in AWS_REGISTRY:
            raise ValueError(f"AWS validator {name} registered twice")
        AWS_REGISTRY[name] = AwsValidator(name, fn, (fn.__doc__ or "").strip())
        return fn

    return register
