"""Where nodes fetch things from: custom action scripts and the HTTP proxy.

ParallelCluster's UrlValidator also checks that a script exists (HeadObject / HTTP HEAD), which
needs AWS; the static part kept here is the form of the URL, so a typo fails at ``validate``
instead of at a node's boot, where it would power the node off.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

from pcluster_pulumi.contract.custom_actions import EVENT_KEYS, script_url_problem
from pcluster_pulumi.spec.problems import Level
from pcluster_pulumi.spec.validators._read import get_str
from pcluster_pulumi.spec.validators.base import ConfigView, Finding, Node, validator

#: The events as the config spells them (OnNodeStart, OnNodeConfigured, OnNodeUpdated).
EVENTS = tuple(EVENT_KEYS.values())


def _owners(view: ConfigView) -> Iterator[Node]:
    """Every section that may hold CustomActions: the head node, queues and login pools."""
    yield view.head_node
    yield from view.slurm_queues()
    yield from view.login_pools()


def _scripts(view: ConfigView) -> Iterator[Node]:
    """Each custom action (Script+Args, or each step of a Sequence) with its path."""
    for owner in _owners(view):
        actions = owner.child("CustomActions")
        for event in EVENTS:
            action = actions.child(event)
            if "Script" in action.data:
                yield action
            yield from action.items("Sequence")


@validator("UrlValidator")
def script_urls(view: ConfigView) -> Iterator[Finding]:
    """Custom action scripts are ``s3://BUCKET/KEY`` or ``https://HOST/PATH`` URLs."""
    for action in _scripts(view):
        url = get_str(action, "Script")
        if url is not None and (problem := script_url_problem(url)):
            yield Finding(action.at("Script"), problem + ".")


@validator("ProxyAddressValidator")
def proxy_address(view: ConfigView) -> Iterator[Finding]:
    """``Proxy.HttpProxyAddress`` is a URL such as ``http://proxy.example.com:3128``: nodes export
    it as ``http_proxy``/``https_proxy``, which most tools read only in that form."""
    owners = [view.head_node.child("Networking")]
    owners += [queue.child("Networking") for queue in view.slurm_queues()]
    owners += [pool.child("Networking") for pool in view.login_pools()]
    for networking in owners:
        address = get_str(networking, "Proxy", "HttpProxyAddress")
        if address is None:
            continue
        parts = urlsplit(address)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            yield Finding(
                networking.at("Proxy", "HttpProxyAddress"),
                f"'{address}' is not an http:// or https:// proxy URL (for example http://proxy.example.com:3128).",
                Level.WARNING,
            )
