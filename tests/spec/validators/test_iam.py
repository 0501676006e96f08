"""IAM resource prefix rules."""

from __future__ import annotations

import pytest

from pcluster_pulumi.spec.problems import Level

ERROR = Level.ERROR


@pytest.mark.parametrize("prefix", ["/path-prefix/name-prefix-", "/team/", "team-", "/a/b/c/", "x" * 30])
def test_iam_resource_prefix_path_and_or_name_is_accepted(slurm, where, prefix: str) -> None:
    slurm["Iam"] = {"ResourcePrefix": prefix}
    assert where(slurm, "IamResourcePrefixValidator") == []


@pytest.mark.parametrize(
    "prefix", ["team prefix", "team/", "/", "x" * 31, "/p/" + "x" * 31, "/" + "p" * 512 + "/"]
)
def test_malformed_or_too_long_iam_resource_prefix_is_an_error(slurm, where, prefix: str) -> None:
    slurm["Iam"] = {"ResourcePrefix": prefix}
    assert where(slurm, "IamResourcePrefixValidator") == [(("Iam", "ResourcePrefix"), ERROR)]
