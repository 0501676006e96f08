"""Times as the day-2 commands read and print them: UTC ISO 8601, or "that long ago".

CloudWatch Logs counts milliseconds since the epoch; people type ``2026-12-01T10:00:00Z``,
``2026-12-01`` or ``2h`` (two hours ago). Naive times are UTC, as in ``pcluster``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

__all__ = ["from_millis", "iso", "parse_time", "to_millis"]

_AGO = re.compile(r"^(?P<n>\d+)\s*(?P<unit>s|m|h|d|w)$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def iso(value: datetime) -> str:
    """UTC ISO 8601 with a ``Z`` and whole seconds, the form every listing prints."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_millis(millis: int | float) -> str:
    """CloudWatch's epoch milliseconds as UTC ISO 8601 with milliseconds."""
    moment = datetime.fromtimestamp(millis / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def to_millis(value: datetime) -> int:
    """Epoch milliseconds of an aware datetime."""
    return int(value.timestamp() * 1000)


def parse_time(text: str, *, now: datetime | None = None) -> datetime:
    """``2026-12-01T10:00:00Z``, ``2026-12-01 10:00``, ``2026-12-01`` or ``90m`` / ``2h`` / ``1d`` ago.

    Raises ValueError with a sentence naming the accepted forms.
    """
    stripped = text.strip()
    ago = _AGO.match(stripped)
    if ago:
        delta = timedelta(**{_UNITS[ago["unit"]]: int(ago["n"])})
        return (now or datetime.now(UTC)) - delta
    try:
        moment = datetime.fromisoformat(stripped.replace("z", "Z"))
    except ValueError:
        raise ValueError(
            f"{text!r} is not a time: use ISO 8601 (2026-12-01T10:00:00Z, 2026-12-01) "
            "or a duration ago (30m, 2h, 1d)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
