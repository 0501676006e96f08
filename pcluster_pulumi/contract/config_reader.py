"""A strict reader for the runtime configuration JSON.

Errors carry the JSON path (``$.queues[0].compute_resources[1].max_count``) because the
document is machine-rendered: whoever reads the error is debugging the renderer, and the
path is what they need. Unknown keys are errors for the same reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

_MISSING = object()


class ConfigError(ValueError):
    """The runtime configuration is unreadable, incomplete or inconsistent."""


class Reader:
    """Typed access to one JSON object that remembers which keys were read."""

    def __init__(self, raw: Any, path: str) -> None:
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}: expected an object, got {type(raw).__name__}")
        self.raw: dict[str, Any] = raw
        self.path = path
        self._seen: set[str] = set()
        self._children: list[Reader] = []

    def _get(self, key: str, default: Any) -> Any:
        self._seen.add(key)
        value = self.raw.get(key, _MISSING)
        if value is _MISSING or (value is None and default is not _MISSING):
            if default is _MISSING:
                raise ConfigError(f"{self.path}.{key}: required key is missing")
            return default
        return value

    def _typed(self, key: str, default: Any, kinds: tuple[type, ...], label: str) -> Any:
        value = self._get(key, default)
        if value is None and default is None:
            return None
        if isinstance(value, bool) and bool not in kinds:
            raise ConfigError(f"{self.path}.{key}: expected {label}, got a boolean")
        if not isinstance(value, kinds):
            raise ConfigError(f"{self.path}.{key}: expected {label}, got {type(value).__name__}")
        return value

    def string(self, key: str, default: Any = _MISSING) -> str:
        """A required (or defaulted) non-empty string."""
        value = self._typed(key, default, (str,), "a string")
        if not value:
            raise ConfigError(f"{self.path}.{key}: must not be empty")
        return str(value)

    def opt_str(self, key: str) -> str | None:
        """A string or null/absent."""
        value = self._typed(key, None, (str,), "a string")
        return None if value is None else str(value)

    def integer(self, key: str, default: Any = _MISSING, minimum: int | None = None) -> int:
        """An integer, optionally bounded below."""
        value = self._typed(key, default, (int,), "an integer")
        if minimum is not None and value < minimum:
            raise ConfigError(f"{self.path}.{key}: must be >= {minimum}, got {value}")
        return int(value)

    def opt_int(self, key: str) -> int | None:
        """An integer or null/absent."""
        value = self._typed(key, None, (int,), "an integer")
        return None if value is None else int(value)

    def opt_float(self, key: str) -> float | None:
        """A number or null/absent."""
        value = self._typed(key, None, (int, float), "a number")
        return None if value is None else float(value)

    def boolean(self, key: str, default: Any = _MISSING) -> bool:
        """A JSON boolean (no truthy strings: the renderer must emit real booleans)."""
        return bool(self._typed(key, default, (bool,), "a boolean"))

    def choice(self, key: str, allowed: Sequence[str], default: Any = _MISSING) -> str:
        """A string from a closed set."""
        value = self.string(key, default)
        if value not in allowed:
            raise ConfigError(f"{self.path}.{key}: must be one of {', '.join(allowed)}, got {value!r}")
        return value

    def mapping(self, key: str) -> dict[str, Any]:
        """A free-form object (user Slurm settings); empty when absent."""
        return dict(self._typed(key, {}, (dict,), "an object"))

    def str_list(self, key: str, minimum: int = 0) -> list[str]:
        """A list of non-empty strings."""
        values = self._typed(key, [] if minimum == 0 else _MISSING, (list,), "a list")
        if len(values) < minimum or not all(isinstance(v, str) and v for v in values):
            raise ConfigError(f"{self.path}.{key}: expected at least {minimum} non-empty strings")
        return list(values)

    def strings(self, key: str) -> list[str]:
        """A list of strings that may be empty (script arguments are passed as they are)."""
        values = self._typed(key, [], (list,), "a list")
        if not all(isinstance(v, str) for v in values):
            raise ConfigError(f"{self.path}.{key}: expected a list of strings")
        return list(values)

    def section(self, key: str, required: bool = True) -> Reader:
        """A nested object, or an empty one (all defaults) when optional and absent."""
        value = self._get(key, _MISSING if required else {})
        child = Reader(value, f"{self.path}.{key}")
        self._children.append(child)
        return child

    def opt_section(self, key: str) -> Reader | None:
        """A nested object, or None when absent or null."""
        value = self._get(key, None)
        if value is None:
            return None
        child = Reader(value, f"{self.path}.{key}")
        self._children.append(child)
        return child

    def list_of(self, key: str, minimum: int) -> list[Reader]:
        """A list of objects, each with its own reader."""
        values = self._typed(key, [] if minimum == 0 else _MISSING, (list,), "a list")
        if len(values) < minimum:
            raise ConfigError(f"{self.path}.{key}: needs at least {minimum} item(s)")
        children = [Reader(value, f"{self.path}.{key}[{i}]") for i, value in enumerate(values)]
        self._children.extend(children)
        return children

    def finish(self, free_form: bool = False) -> None:
        """Refuse keys nobody read, here and in every nested reader that was opened."""
        unknown = sorted(set(self.raw) - self._seen)
        if unknown and not free_form:
            raise ConfigError(f"{self.path}: unknown key(s) {', '.join(unknown)}")
        for child in self._children:
            child.finish(free_form=not child._seen)
