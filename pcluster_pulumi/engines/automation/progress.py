"""Progress of a Pulumi operation, fed by the engine's events.

A cluster takes 10-20 minutes to create; the user must see that it is moving and what it is
waiting on. ``Progress`` folds engine events (``ResourcePreEvent`` starts a step,
``ResOutputsEvent`` ends it, ``ResOpFailedEvent`` and error diagnostics fail it) into counts
and the set of operations in flight. Two views read it: a rich live panel when stdout is a
terminal, and one plain line per step when it is not (CI logs, ``| tee``). Plain lines use
the events' own timestamps, so a recorded event stream always renders the same text.

Events arrive on the Automation API's reader thread while rich redraws on its own, hence the
lock around the state.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import IO, Any

from pulumi import automation as auto
from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

__all__ = ["LiveView", "PlainView", "Progress", "Step", "expected_steps", "make_view"]

#: Operations that change nothing; they are neither counted nor shown.
_IDLE_OPS = {"same", "read", "refresh"}
_VERB = {
    "create": ("creating", "created"),
    "update": ("updating", "updated"),
    "delete": ("deleting", "deleted"),
    "replace": ("replacing", "replaced"),
    "create-replacement": ("creating replacement", "created replacement"),
    "delete-replaced": ("deleting replaced", "deleted replaced"),
    "import": ("importing", "imported"),
    "discard": ("forgetting", "forgot"),
}
_MARK = {"create": "+", "update": "~", "delete": "-", "replace": "+-", "create-replacement": "++"}
_HEADINGS = {"preview": "Previewing", "update": "Updating", "destroy": "Destroying", "refresh": "Refreshing"}
_COLOR_TAG = re.compile(r"<\{%[^%]*%\}>")


def expected_steps(change_summary: dict[Any, int] | None) -> int | None:
    """Steps an ``up`` will take, from its preview's change summary (``same`` excluded)."""
    if not change_summary:
        return None
    return sum(n for op, n in change_summary.items() if str(getattr(op, "value", op)) not in _IDLE_OPS)


def _name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def _line(stamp: str, op: str, verb: str, type_: str, name: str, tail: str = "") -> str:
    return f"{stamp} {_MARK.get(op, '*'):2} {verb:<9} {type_}  {name}{tail}"


def _clean(message: str) -> str:
    return " ".join(_COLOR_TAG.sub("", message).split())


@dataclass
class Step:
    """One resource operation the engine started."""

    urn: str
    op: str
    type: str
    started: float

    @property
    def name(self) -> str:
        """The resource's logical name (last part of its URN)."""
        return _name(self.urn)


@dataclass
class Progress:
    """The state of one operation (``preview``, ``update``, ``destroy``, ``refresh``)."""

    operation: str
    cluster: str
    expected: int | None = None
    clock: Callable[[], float] = time.time
    started: float = field(default=0.0)
    in_flight: dict[tuple[str, str], Step] = field(default_factory=dict)
    done: set[str] = field(default_factory=set)
    counts: Counter[str] = field(default_factory=Counter)
    planned: list[dict[str, str]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    summary: dict[str, int] | None = None
    duration: int | None = None
    _first_event: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.started = self.clock()

    @property
    def preview(self) -> bool:
        """A preview plans steps; nothing is in flight for real."""
        return self.operation == "preview"

    def elapsed(self, event: auto.EngineEvent | None = None) -> float:
        """Seconds since the start: by event timestamps when replaying, else by the clock."""
        if event is not None and event.timestamp:
            if self._first_event is None:
                self._first_event = float(event.timestamp)
            return float(event.timestamp) - self._first_event
        return self.clock() - self.started

    def handle(self, event: auto.EngineEvent) -> list[str]:
        """Fold one event into the state; return the plain lines that describe it."""
        with self._lock:
            return self._handle(event)

    def snapshot(self) -> tuple[int, list[Step], list[str], float]:
        """(done, steps in flight oldest first, warnings and failures, elapsed) for a view."""
        with self._lock:
            steps = sorted(self.in_flight.values(), key=lambda s: s.started)
            return len(self.done), steps, [*self.failures, *self.warnings], self.clock() - self.started

    def _handle(self, event: auto.EngineEvent) -> list[str]:
        at = self.elapsed(event)
        stamp = f"[{int(at) // 60:3d}:{int(at) % 60:02d}]"
        if event.resource_pre_event is not None:
            meta = event.resource_pre_event.metadata
            op = str(meta.op.value)
            if op in _IDLE_OPS:
                return []
            if self.preview or event.resource_pre_event.planning:
                self.planned.append({"op": op, "urn": meta.urn, "type": meta.type})
                self.counts[op] += 1
                return [_line(stamp, op, op, meta.type, _name(meta.urn))]
            self.in_flight[(meta.urn, op)] = Step(meta.urn, op, meta.type, self.clock())
            return [_line(stamp, op, _VERB.get(op, (op, op))[0], meta.type, _name(meta.urn))]
        if event.res_outputs_event is not None:
            meta = event.res_outputs_event.metadata
            op = str(meta.op.value)
            step = self.in_flight.pop((meta.urn, op), None)
            if op in _IDLE_OPS or self.preview or step is None:
                return []
            self.counts[op] += 1
            self.done.add(meta.urn)
            total = f"/{self.expected}" if self.expected else ""
            verb = _VERB.get(op, (op, op))[1]
            return [_line(stamp, op, verb, meta.type, step.name, f"  ({len(self.done)}{total})")]
        if event.res_op_failed_event is not None:
            meta = event.res_op_failed_event.metadata
            self.in_flight.pop((meta.urn, str(meta.op.value)), None)
            return [f"{stamp} x  failed    {meta.type}  {_name(meta.urn)}"]
        if event.diagnostic_event is not None:
            return self._diagnostic(event.diagnostic_event, stamp)
        if event.summary_event is not None:
            summary = event.summary_event
            self.summary = {str(getattr(k, "value", k)): int(v) for k, v in summary.resource_changes.items()}
            self.duration = summary.duration_seconds
            return [f"{stamp} {self.describe_summary()}"]
        if event.cancel_event is not None:
            return [f"{stamp} cancelled"]
        return []

    def _diagnostic(self, diag: auto.DiagnosticEvent, stamp: str) -> list[str]:
        if diag.severity not in ("error", "warning") or diag.ephemeral:
            return []
        message = _clean(diag.message)
        if not message:
            return []
        where = f"{_name(diag.urn)}: " if diag.urn and "pulumi:pulumi:Stack" not in diag.urn else ""
        text = f"{where}{message}"
        if diag.severity == "error":
            if text not in self.failures:
                self.failures.append(text)
            return [f"{stamp} x  error     {text}"]
        if text not in self.warnings:
            self.warnings.append(text)
        return [f"{stamp} !  warning   {text}"]

    def describe_summary(self) -> str:
        """``update of demo: 40 create, 2 update (1m30s)`` from the summary event."""
        changes = {op: n for op, n in (self.summary or {}).items() if op not in _IDLE_OPS and n}
        listed = ", ".join(f"{n} {op}" for op, n in sorted(changes.items())) or "no changes"
        unchanged = (self.summary or {}).get("same", 0)
        tail = f", {unchanged} unchanged" if unchanged else ""
        took = f" ({self.duration // 60}m{self.duration % 60:02d}s)" if self.duration else ""
        return f"{self.operation} of {self.cluster}: {listed}{tail}{took}"


class PlainView:
    """One line per step for logs; use as the ``on_event`` callback."""

    def __init__(self, progress: Progress, stream: IO[str]) -> None:
        self.progress = progress
        self.stream = stream

    def __call__(self, event: auto.EngineEvent) -> None:
        for line in self.progress.handle(event):
            self.stream.write(line + "\n")
        self.stream.flush()

    def __enter__(self) -> PlainView:
        what = "planning" if self.progress.preview else f"{self.progress.operation} of"
        self.stream.write(f"{what} cluster {self.progress.cluster}...\n")
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stream.flush()


class LiveView:
    """A live panel: a bar of resources done out of those to do, what is in flight, and for how long."""

    def __init__(self, progress: Progress, console: Console, max_rows: int = 8) -> None:
        self.progress = progress
        self.console = console
        self.max_rows = max_rows
        self._live = Live(console=console, refresh_per_second=4, get_renderable=self.render, transient=False)

    def __call__(self, event: auto.EngineEvent) -> None:
        for line in self.progress.handle(event):
            text = line.split("] ", 1)[-1]
            if text.startswith(("x ", "! ")):
                self._live.console.print(Text(text, style="red" if text.startswith("x") else "yellow"))

    def render(self) -> RenderableType:
        """The panel as it stands now."""
        done, steps, _, elapsed = self.progress.snapshot()
        p = self.progress
        head = Text.assemble((f"{_HEADINGS.get(p.operation, p.operation)} cluster {p.cluster}  ", "bold"))
        if p.preview:
            head.append(f"{len(p.planned)} planned")
        elif p.expected:
            head.append(f"{done}/{p.expected} resources  ")
        else:
            head.append(f"{done} resources done  ")
        clock = f"{int(elapsed) // 60}:{int(elapsed) % 60:02d}"
        head.append(f"{len(steps)} in flight  {clock} elapsed", style="dim")
        parts: list[RenderableType] = [head]
        if p.expected and not p.preview:
            parts.append(ProgressBar(total=p.expected, completed=min(done, p.expected), width=50))
        if steps:
            table = Table(show_header=False, box=None, padding=(0, 1))
            now = p.clock()
            for step in steps[: self.max_rows]:
                verb_ing = _VERB.get(step.op, (step.op, step.op))[0]
                table.add_row(verb_ing, step.type, step.name, f"{int(now - step.started)}s")
            if len(steps) > self.max_rows:
                table.add_row("", f"... and {len(steps) - self.max_rows} more", "", "")
            parts.append(table)
        return Group(*parts)

    def __enter__(self) -> LiveView:
        self._live.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._live.stop()
        if self.progress.summary is not None:
            self.console.print(self.progress.describe_summary())


def make_view(progress: Progress, console: Console) -> LiveView | PlainView:
    """The live panel on a terminal, plain lines otherwise."""
    if console.is_terminal and not console.is_dumb_terminal:
        return LiveView(progress, console)
    return PlainView(progress, console.file)
