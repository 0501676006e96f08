"""IAM rules."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pcluster_pulumi.spec.validators._read import get_str
from pcluster_pulumi.spec.validators.base import ConfigView, Finding, validator

IAM_CHARS = r"[a-zA-Z0-9_.,+@=-]"
PATH_PREFIX_RE = re.compile(rf"^(/{IAM_CHARS}+)+/")
NAME_PREFIX_RE = re.compile(rf"^{IAM_CHARS}+\Z")
MAX_NAME_PREFIX = 30
MAX_PATH = 512


def split_prefix(prefix: str) -> tuple[str, str]:
    """Split ``/path/name-`` into the IAM path (up to the last slash) and the name prefix."""
    cut = prefix.rfind("/") + 1
    return prefix[:cut], prefix[cut:]


@validator("IamResourcePrefixValidator")
def resource_prefix(view: ConfigView) -> Iterator[Finding]:
    """``Iam.ResourcePrefix`` is an IAM path (``/team/``), a name prefix (``team-``) or both
    (``/team/team-``); the name prefix is at most 30 characters so role names fit IAM's limit,
    the path at most 512."""
    path = ("Iam", "ResourcePrefix")
    prefix = get_str(view.root, *path)
    if not prefix:
        return
    if not (PATH_PREFIX_RE.match(prefix) or NAME_PREFIX_RE.match(prefix)):
        yield Finding(
            path,
            f"Unsupported ResourcePrefix '{prefix}'. Use an IAM path such as /team/, a name prefix such as "
            "team- (letters, digits and _.,+@=-), or both: /team/team-.",
        )
    iam_path, name = split_prefix(prefix)
    if len(name) > MAX_NAME_PREFIX:
        yield Finding(
            path,
            f"The name prefix '{name}' of ResourcePrefix is {len(name)} characters; at most "
            f"{MAX_NAME_PREFIX}.",
        )
    if len(iam_path) > MAX_PATH:
        yield Finding(
            path, f"The IAM path of ResourcePrefix is {len(iam_path)} characters; at most {MAX_PATH}."
        )
