"""Names that end up in SQL and table names: one rule, checked everywhere, so nothing is pasted raw."""

from __future__ import annotations

import re

IDENTIFIER_PATTERN = r"^[a-z][a-z0-9_]*$"
MAX_IDENTIFIER_LENGTH = 63
IDENTIFIER_HINT = "must be snake_case: lowercase letters, digits and underscores, starting with a letter"

_IDENTIFIER = re.compile(IDENTIFIER_PATTERN)


def is_identifier(text: object) -> bool:
    """True when ``text`` is a snake_case name of at most 63 characters (safe in SQL unquoted)."""
    return (
        isinstance(text, str)
        and len(text) <= MAX_IDENTIFIER_LENGTH
        and _IDENTIFIER.fullmatch(text) is not None
    )


def identifier_problem(text: str) -> tuple[str, str] | None:
    """Why ``text`` is not an identifier, as (message, fix); None when it is one."""
    if is_identifier(text):
        return None
    if len(text) > MAX_IDENTIFIER_LENGTH:
        return (
            f"'{_shorten(text)}' is {len(text)} characters long",
            f"use at most {MAX_IDENTIFIER_LENGTH} characters",
        )
    suggestion = snake_case(text)
    fix = IDENTIFIER_HINT + (f", e.g. '{suggestion}'" if suggestion else "")
    return f"'{_shorten(text)}' is not a valid name", fix


def snake_case(text: str) -> str:
    """A best-effort snake_case spelling of ``text`` for fix messages ('' when nothing usable is left)."""
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    cleaned = re.sub(r"[^a-z0-9]+", "_", words.lower()).strip("_")
    cleaned = re.sub(r"^[0-9_]+", "", cleaned)
    return cleaned[:MAX_IDENTIFIER_LENGTH] if cleaned else ""


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
