"""Problems found in a cluster config, and the error that carries all of them at once.

Every stage of the spec pipeline (YAML, schema, validators) reports into the same
``Problem`` shape so that ``validate`` can print one located line per problem and a
caller can filter them by level or by the validator that found them.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

PathPart = str | int
KeyPath = tuple[PathPart, ...]
# Longest message, path or quoted value printed: a hostile file must not flood the terminal.
MAX_MESSAGE_CHARS = 500
MAX_VALUE_CHARS = 80


def shorten(text: str, limit: int = MAX_VALUE_CHARS) -> str:
    """``text`` cut to ``limit`` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[: max(limit - 20, 1)]}… ({len(text):,} characters)"


class Level(enum.IntEnum):
    """Severity of a problem; the numbers match ParallelCluster's (INFO 20 < WARNING 30 < ERROR 40)."""

    INFO = 20
    WARNING = 30
    ERROR = 40

    @classmethod
    def parse(cls, text: str) -> Level:
        """Read a level name case-insensitively, as ``--failure-level`` takes it."""
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(level.name for level in cls)
            raise ValueError(f"unknown level {text!r}: use one of {names}") from None


def format_path(path: Sequence[PathPart]) -> str:
    """Render a key path the way users read it: ``Scheduling.SlurmQueues[0].Name``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            name = shorten(str(part))
            out += f".{name}" if out else name
    return out


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth knowing) about a config, located in the user's file."""

    path: str
    message: str
    level: Level = Level.ERROR
    line: int | None = None
    column: int | None = None
    validator: str | None = None
    key_path: KeyPath = field(default=(), compare=False, repr=False)

    def as_dict(self) -> dict[str, object]:
        """The JSON shape ``validate --json`` prints."""
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "message": self.message,
            "level": self.level.name,
            "validator": self.validator,
        }

    def located(self, source: str) -> str:
        """``FILE:LINE:COL: PATH: message`` — one line, as compilers print it; a problem with
        the whole file (unreadable, not UTF-8) is ``FILE: message``."""
        if self.line is None and not self.path:
            return f"{source}: {self.message}"
        line = self.line if self.line is not None else 1
        col = self.column if self.column is not None else 1
        where = self.path or "<config>"
        prefix = "" if self.level is Level.ERROR else f"{self.level.name.lower()}: "
        return f"{source}:{line}:{col}: {where}: {prefix}{self.message}"


class SpecError(Exception):
    """Raised by ``load_spec`` when a config is refused; ``problems`` holds every problem found."""

    def __init__(self, problems: Iterable[Problem], source: str = "<string>") -> None:
        self.problems: list[Problem] = sorted(problems, key=_sort_key)
        self.source = source
        first = self.problems[0].located(source) if self.problems else "invalid cluster config"
        more = len(self.problems) - 1
        super().__init__(first + (f" (and {more} more problem{'s' * (more > 1)})" if more > 0 else ""))

    @property
    def errors(self) -> list[Problem]:
        """Only the problems at ERROR level."""
        return [p for p in self.problems if p.level is Level.ERROR]


def _sort_key(problem: Problem) -> tuple[int, int, str]:
    return (problem.line or 0, problem.column or 0, problem.path)
