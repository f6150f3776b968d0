"""The one shape every validation finding takes: file, line, column, field, what is wrong, how to fix it."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Problem:
    """One finding in one file, printed as ``path:line:col: field: message (fix)``.

    ``line`` and ``col`` are 1-based; ``path`` is the path as the user gave it (relative stays relative).
    """

    path: Path
    line: int
    col: int
    field: str
    message: str
    fix: str

    def __str__(self) -> str:
        text = f"{self.path}:{self.line}:{self.col}: {self.field}: {self.message} ({self.fix})"
        return text.translate(_ONE_LINE) if _UNSAFE.search(text) else text


# Messages quote what the user wrote; a newline there would split one problem into two lines, and
# control or bidi-override characters could disguise it in a terminal: print them escaped.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")
_ONE_LINE = {
    code: ascii(chr(code))[1:-1]
    for code in [
        *range(0x20),
        *range(0x7F, 0xA0),
        *range(0x200B, 0x2010),
        *range(0x2028, 0x202F),
        *range(0x2066, 0x206A),
        0xFEFF,
    ]
}


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """Return the candidate closest to ``word`` when one is close enough to be a likely typo."""
    # 0.7: close enough for typos ('shedule'), far enough not to suggest unrelated names.
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.7)
    return matches[0] if matches else None


def suggestion(word: str, candidates: Iterable[str], *, what: str = "") -> str:
    """A fix text: ``did you mean 'x'?`` for a likely typo, otherwise the list of allowed values."""
    options = sorted(set(candidates))
    close = did_you_mean(word, options)
    if close is not None:
        return f"did you mean '{close}'?"
    if not options:
        return f"no {what or 'values'} are defined"
    listed = ", ".join(options[:12]) + (", ..." if len(options) > 12 else "")
    return f"use one of: {listed}" if not what else f"known {what}: {listed}"
