"""Where each part of a spec file starts: the line of `source:`, of the third quality rule, of a hub in
`_model.yaml`, found by a few regular-expression scans of the text.

The catalog does not keep its YAML node trees (thousands of retained trees slow every collection),
and composing each file again costs ~0.4 ms (2 s at 5,000 specs); these scans take a few
microseconds. Block-style YAML, which specs are written in, starts every key of a mapping and every
item of a sequence on a line of its own at the block's indentation, which is all they rely on. A part
they cannot place falls back to the enclosing part, then to line 1: never an error.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

Loc = tuple[str | int, ...]

# Each pattern starts at the newline before its line (the text gets one in front of its first line):
# a literal first character lets the regex engine skip ahead instead of trying every position.
_TOP_KEY = re.compile(r"\n([A-Za-z_][\w-]*)[ \t]*:(?=[ \t\r\n])")
_ITEM = re.compile(r"\n( *)-(?=[ \t\r\n])")
_CHILD_KEY = re.compile(r"\n( +)([A-Za-z_][\w-]*)[ \t]*:(?=[ \t\r\n])")
# Sections whose items (quality rules; the model's hubs and links) or sub-keys' items (vault) are placed.
_ITEM_SECTIONS = ("quality", "hubs", "links")
_NESTED_SECTIONS = {"vault": ("hubs", "links", "satellites"), "source": ("kafka", "files", "sql", "sql_file")}


@dataclass(frozen=True)
class SpecLocations:
    """1-based line of the parts of a spec file, by location (`("quality", 2)`, `("vault", "hubs", 0)`)."""

    lines: dict[Loc, int] = field(default_factory=dict)

    def line(self, loc: Sequence[str | int]) -> int:
        """The line of `loc`, else of its nearest enclosing part that was found, else 1."""
        loc = tuple(loc)
        while loc:
            found = self.lines.get(loc)
            if found is not None:
                return found
            loc = loc[:-1]
        return 1


def scan(text: str) -> SpecLocations:
    """The top-level keys of `text`, the items of its list sections and of the vault's lists."""
    text = "\n" + text + "\n"
    lines: dict[Loc, int] = {}
    tops = [(m.group(1), m.start()) for m in _TOP_KEY.finditer(text)]
    for i, (key, start) in enumerate(tops):
        if (key,) in lines:
            continue  # a duplicate key is a spec problem the validator reports; keep the first
        end = tops[i + 1][1] if i + 1 < len(tops) else len(text)
        line = _line_at(text, start)
        lines[(key,)] = line
        if key in _ITEM_SECTIONS:
            for index, offset in enumerate(_items(text, start, end)):
                lines[(key, index)] = _line_at(text, offset, start, line)
        for child, child_start, child_end in _children(text, start, end, _NESTED_SECTIONS.get(key, ())):
            child_line = _line_at(text, child_start, start, line)
            lines[(key, child)] = child_line
            for index, offset in enumerate(_items(text, child_start, child_end)):
                lines[(key, child, index)] = _line_at(text, offset, child_start, child_line)
    return SpecLocations(lines)


def _line_at(text: str, offset: int, base: int = 0, base_line: int = 1) -> int:
    """The line of the match starting at `offset` (the newline before it), counted from `base`'s."""
    return base_line + text.count("\n", base, offset)


def _items(text: str, start: int, end: int) -> list[int]:
    """Offsets of the items of the block sequence between `start` and `end` (its first item's indent)."""
    found: list[int] = []
    indent: int | None = None
    for match in _ITEM.finditer(text, start, end):
        width = len(match.group(1))
        if indent is None:
            indent = width
        if width == indent:
            found.append(match.start())
    return found


def _children(text: str, start: int, end: int, names: Sequence[str]) -> list[tuple[str, int, int]]:
    """(key, start, end) of the direct child keys named `names` of the mapping between start and end."""
    if not names:
        return []
    keys = []
    indent: int | None = None
    for match in _CHILD_KEY.finditer(text, start, end):
        width = len(match.group(1))
        if indent is None:
            indent = width
        if width == indent:
            keys.append((match.group(2), match.start()))
    return [
        (key, offset, keys[i + 1][1] if i + 1 < len(keys) else end)
        for i, (key, offset) in enumerate(keys)
        if key in names
    ]


def read_locations(path: Path) -> SpecLocations:
    """The locations in the spec at `path`; none (everything on line 1) when it cannot be read."""
    try:
        return scan(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return SpecLocations()
