"""How ``--help`` shows what an option takes: a metavar that means something, or nothing.

typer 0.27+ prints the Python type beside every option (``<str>``, ``<int>``, and ``<bool>``
beside flags, which take no value at all); older versions print click's ``TEXT`` / ``INTEGER``.
Neither teaches anything. ``apply()`` makes every version print the option's metavar when it
has one (``REGION``, ``SECONDS``), its name in capitals otherwise (``--status`` → ``STATUS``),
nothing for a flag, and nothing beside an argument (its name column already shows it).
"""

from __future__ import annotations

from typing import Any

import typer.core

__all__ = ["apply"]


def _option_label(self: Any, ctx: Any) -> str | None:
    if self.metavar is not None:
        return str(self.metavar) or None
    if getattr(self, "is_flag", False) or getattr(self, "count", False):
        return None
    label = str(self.name or "value").upper()
    return f"{label}..." if getattr(self, "multiple", False) else label


def _argument_label(self: Any, ctx: Any) -> str | None:
    return None


def apply() -> None:
    """Install the labels on typer's parameter classes (idempotent; a no-op where absent)."""
    option = getattr(typer.core, "TyperOption", None)
    argument = getattr(typer.core, "TyperArgument", None)
    if option is not None and hasattr(option, "display_type_rich"):
        option.display_type_rich = _option_label
    if argument is not None and hasattr(argument, "display_type_rich"):
        argument.display_type_rich = _argument_label
