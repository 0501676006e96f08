"""Slurm hostlist expressions (``q1-dy-c5-[1-10],q2-st-g4-1``) to names and back.

slurmctld hands the resume and suspend programs a hostlist, and ``scontrol`` takes one; long
node lists must stay compact on command lines. Implemented here (not by shelling out to
``scontrol show hostnames``) so the programs stay testable without Slurm and cost no fork.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_TRAILING_NUMBER = re.compile(r"^(?P<prefix>.*?)(?P<number>\d+)$")


class HostlistError(ValueError):
    """A hostlist expression that Slurm itself would reject."""


def expand(expression: str) -> list[str]:
    """All host names of an expression, in order, duplicates kept as Slurm does."""
    names: list[str] = []
    for item in _split_top_level(expression.strip()):
        names.extend(_expand_item(item))
    return names


def _split_top_level(expression: str) -> list[str]:
    """Split on commas that are not inside brackets."""
    items: list[str] = []
    depth = 0
    current: list[str] = []
    for char in expression:
        if char == "[":
            depth += 1
            if depth > 1:
                raise HostlistError(f"nested '[' in hostlist {expression!r}")
        elif char == "]":
            depth -= 1
            if depth < 0:
                raise HostlistError(f"unbalanced ']' in hostlist {expression!r}")
        if char == "," and depth == 0:
            items.append("".join(current))
            current = []
        else:
            current.append(char)
    if depth != 0:
        raise HostlistError(f"unbalanced '[' in hostlist {expression!r}")
    items.append("".join(current))
    return [item.strip() for item in items if item.strip()]


def _expand_item(item: str) -> list[str]:
    """Expand one comma-free item; several bracket groups multiply out left to right."""
    open_at = item.find("[")
    if open_at < 0:
        if "]" in item:
            raise HostlistError(f"unbalanced ']' in {item!r}")
        return [item]
    close_at = item.index("]", open_at)
    head, body, tail = item[:open_at], item[open_at + 1 : close_at], item[close_at + 1 :]
    tails = _expand_item(tail) if tail else [""]
    return [f"{head}{number}{rest}" for number in _expand_ranges(body, item) for rest in tails]


def _expand_ranges(body: str, item: str) -> list[str]:
    """``1-3,07-09`` → ['1','2','3','07','08','09'] keeping each range's zero padding."""
    numbers: list[str] = []
    for part in body.split(","):
        part = part.strip()
        low, sep, high = part.partition("-")
        if not low.isdigit() or (sep and not high.isdigit()):
            raise HostlistError(f"bad range {part!r} in {item!r}")
        if not sep:
            numbers.append(low)
            continue
        start, stop = int(low), int(high)
        if stop < start:
            raise HostlistError(f"descending range {part!r} in {item!r}")
        width = len(low) if low.startswith("0") else 0
        numbers.extend(str(n).zfill(width) for n in range(start, stop + 1))
    return numbers


def compress(names: Iterable[str]) -> str:
    """The shortest usual hostlist for names: ranges per prefix, duplicates dropped, sorted.

    Names are grouped by everything before their trailing number (and that number's zero
    padding); names without a trailing number are listed as they are.
    """
    groups: dict[tuple[str, int], set[int]] = {}
    plain: set[str] = set()
    numbered: list[tuple[str, str]] = []
    padded_widths: dict[str, set[int]] = {}
    for name in names:
        match = _TRAILING_NUMBER.match(name)
        if match is None:
            plain.add(name)
            continue
        numbered.append((match["prefix"], match["number"]))
        if match["number"].startswith("0") and len(match["number"]) > 1:
            padded_widths.setdefault(match["prefix"], set()).add(len(match["number"]))
    for prefix, digits in numbered:
        # "10" joins the "08", "09" group: same width, so same zero-padded range.
        width = len(digits) if len(digits) in padded_widths.get(prefix, ()) else 0
        groups.setdefault((prefix, width), set()).add(int(digits))
    parts = sorted(plain)
    for (prefix, width), numbers in sorted(groups.items()):
        ranges = _ranges(sorted(numbers))
        if len(ranges) == 1 and ranges[0][0] == ranges[0][1]:
            parts.append(f"{prefix}{str(ranges[0][0]).zfill(width)}")
            continue
        rendered = ",".join(
            str(low).zfill(width) if low == high else f"{str(low).zfill(width)}-{str(high).zfill(width)}"
            for low, high in ranges
        )
        parts.append(f"{prefix}[{rendered}]")
    return ",".join(parts)


def _ranges(numbers: list[int]) -> list[tuple[int, int]]:
    """Consecutive runs of sorted numbers as (low, high) pairs."""
    runs: list[tuple[int, int]] = []
    for number in numbers:
        if runs and number == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], number)
        else:
            runs.append((number, number))
    return runs


def chunked_compress(names: Iterable[str], max_names: int) -> list[str]:
    """Hostlists of at most max_names names each, for commands with argument limits."""
    ordered = sorted(set(names), key=_sort_key)
    return [compress(ordered[i : i + max_names]) for i in range(0, len(ordered), max_names)]


def _sort_key(name: str) -> tuple[str, int]:
    match = _TRAILING_NUMBER.match(name)
    return (match["prefix"], int(match["number"])) if match else (name, -1)
