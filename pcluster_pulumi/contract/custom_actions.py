"""Custom actions as the runtime document states them: events, scripts and their URL form.

ParallelCluster runs ``OnNodeStart`` before a node is configured, ``OnNodeConfigured`` once it
is, and ``OnNodeUpdated`` on the head node after an update. Each is one script with arguments
or a sequence of them, fetched from ``s3://`` or ``https://``. The deploy side grants a node's
role exactly the objects named here, and the node fetches and runs them (``node/custom_actions``),
so both read the events and the URL form from this one module.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from pcluster_pulumi.contract.config_reader import ConfigError, Reader

__all__ = [
    "EVENTS",
    "EVENT_KEYS",
    "QUEUE_EVENTS",
    "SCHEMES",
    "Action",
    "CustomActions",
    "script_url_problem",
    "split_s3_url",
]

#: Runtime-config keys of the events, in the order a node meets them.
EVENTS = ("on_node_start", "on_node_configured", "on_node_updated")
#: Queues have no OnNodeUpdated in ParallelCluster (compute nodes are replaced, not updated).
QUEUE_EVENTS = EVENTS[:2]
#: The ParallelCluster key of each event, for messages a user recognises.
EVENT_KEYS = {
    "on_node_start": "OnNodeStart",
    "on_node_configured": "OnNodeConfigured",
    "on_node_updated": "OnNodeUpdated",
}
SCHEMES = ("s3://", "https://")


@dataclass(frozen=True)
class Action:
    """One script and the arguments it is run with."""

    script: str
    args: tuple[str, ...] = ()

    @classmethod
    def read(cls, r: Reader) -> Action:
        script = r.string("script")
        problem = script_url_problem(script)
        if problem:
            raise ConfigError(f"{r.path}.script: {problem}")
        return cls(script=script, args=tuple(r.strings("args")))


@dataclass(frozen=True)
class CustomActions:
    """The scripts of each event (empty tuples: nothing to run)."""

    on_node_start: tuple[Action, ...] = ()
    on_node_configured: tuple[Action, ...] = ()
    on_node_updated: tuple[Action, ...] = ()

    @classmethod
    def read(cls, r: Reader | None, events: Sequence[str] = EVENTS) -> CustomActions:
        """Read the events; one not allowed here (a queue's ``on_node_updated``) must be empty."""
        if r is None:
            return cls()
        found = {event: tuple(Action.read(i) for i in r.list_of(event, minimum=0)) for event in EVENTS}
        for event, actions in found.items():
            if actions and event not in events:
                raise ConfigError(f"{r.path}.{event}: not run here (only {', '.join(events)})")
        r.finish()
        return cls(**found)

    def of(self, event: str) -> tuple[Action, ...]:
        """The scripts of one event (``on_node_start`` …); KeyError for an unknown event."""
        if event not in EVENTS:
            raise KeyError(f"unknown custom action event {event!r}")
        actions: tuple[Action, ...] = getattr(self, event)
        return actions

    def urls(self) -> list[str]:
        """Every script URL, in event order (what the node's role must be able to read)."""
        return [a.script for event in EVENTS for a in self.of(event)]

    def __bool__(self) -> bool:
        return any(self.of(event) for event in EVENTS)


def split_s3_url(url: str, where: str = "script") -> tuple[str, str]:
    """``s3://bucket/key`` → (bucket, key); ConfigError when either part is missing."""
    bucket, _, key = url.removeprefix("s3://").partition("/")
    if not bucket or not key or key.endswith("/"):
        raise ConfigError(f"{where}: {url!r} must name an object: s3://BUCKET/KEY")
    return bucket, key


def script_url_problem(url: str) -> str | None:
    """Why a node could not fetch a script from ``url``, or None when its form is right.

    The one rule for the validator (UrlValidator's static part), the component and the node.
    """
    parts = urlsplit(url)
    if parts.scheme == "s3":
        if not parts.netloc or not parts.path.strip("/") or parts.path.endswith("/"):
            return f"'{url}' names no object: use s3://BUCKET/KEY"
        return None
    if parts.scheme == "https":
        return None if parts.netloc else f"'{url}' has no host: use https://HOST/PATH"
    return (
        f"'{url}' is neither s3:// nor https://: nodes fetch custom action scripts only from S3 or over HTTPS"
    )
