"""Generic conversion between YAML-keyed data and the generated frozen dataclasses."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar, NamedTuple, TypeVar

T = TypeVar("T", bound="SpecNode")


class FieldSpec(NamedTuple):
    """How one dataclass field maps to its YAML key, and how to convert its value."""

    attr: str
    key: str
    kind: str  # scalar | object | objects | dict | dicts | scalars
    cls: str | None


def _freeze(value: Any) -> Any:
    """Make nested free-form mappings (CustomSlurmSettings, ...) read-only like the dataclasses."""
    if isinstance(value, dict):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


#: Every model class by name, filled as the generated model defines them (so building nested
#: objects needs no import of the generated module, which imports this one).
_BY_NAME: dict[str, type[SpecNode]] = {}


class SpecNode:
    """Base of every model class: YAML-keyed ``from_dict`` / ``to_dict``."""

    FIELDS: ClassVar[tuple[FieldSpec, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _BY_NAME[cls.__name__] = cls

    @classmethod
    def from_dict(cls: type[T], data: Mapping[str, Any]) -> T:
        """Build from YAML-keyed data that already passed the schema (defaults applied)."""
        kwargs: dict[str, Any] = {}
        for f in cls.FIELDS:
            if f.key not in data or data[f.key] is None:
                continue
            value = data[f.key]
            if f.kind == "object":
                value = _BY_NAME[f.cls or ""].from_dict(value)
            elif f.kind == "objects":
                value = tuple(_BY_NAME[f.cls or ""].from_dict(v) for v in value)
            elif f.kind in ("dict", "dicts", "scalars"):
                value = _freeze(value)
            kwargs[f.attr] = value
        return cls(**kwargs)

    def to_dict(self) -> dict[str, Any]:
        """YAML-keyed plain data (absent keys left out), e.g. to store with a stack or diff."""
        out: dict[str, Any] = {}
        for f in self.FIELDS:
            value = getattr(self, f.attr)
            if value is None:
                continue
            if f.kind == "object":
                value = value.to_dict()
            elif f.kind == "objects":
                value = [v.to_dict() for v in value]
            else:
                value = _thaw(value)
            out[f.key] = value
        return out
