"""The few template tags a spec's SQL may use; anything else is rejected rather than handed to dbt/Jinja.

Product SQL may use ``{{ product('x') }}``, ``{{ this }}`` and ``{% if is_incremental() %}`` /
``{% else %}`` / ``{% endif %}``; quality SQL only ``{{ product('x') }}`` and ``{{ this }}``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}|\{\{|\{%", re.DOTALL)
_PRODUCT = re.compile(r"^\{\{\s*product\s*\(\s*(['\"])(?P<name>[^'\"]*)\1\s*\)\s*\}\}$")
_THIS = re.compile(r"^\{\{\s*this\s*\}\}$")
_INCREMENTAL = re.compile(r"^\{%-?\s*(?:if\s+is_incremental\s*\(\s*\)|else|endif)\s*-?%\}$")
_LEADING_COMMENTS = re.compile(r"^(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/|\{#.*?#\})*", re.DOTALL)
_FIRST_WORD = re.compile(r"[A-Za-z]+")

PRODUCT_TEMPLATE_HINT = "refer to other products as {{ product('name') }}"


@dataclass(frozen=True)
class TemplateRef:
    """One ``{{ product('name') }}`` found in SQL text, with its character offset."""

    name: str
    offset: int


@dataclass(frozen=True)
class TemplateIssue:
    """Something wrong in SQL text, with its character offset, a message and a fix."""

    offset: int
    message: str
    fix: str


def scan_sql(sql: str, *, product_sql: bool) -> tuple[list[TemplateRef], list[TemplateIssue]]:
    """Find product references and unsupported template tags in ``sql``.

    ``product_sql`` is True for a product's own SQL (which may use the incremental tags) and False
    for a quality rule's SQL.
    """
    refs: list[TemplateRef] = []
    issues: list[TemplateIssue] = []
    for match in _TAG.finditer(sql):
        tag = match.group(0)
        product = _PRODUCT.fullmatch(tag)
        if product is not None:
            refs.append(TemplateRef(product.group("name"), match.start()))
        elif not (
            _THIS.fullmatch(tag) or tag.startswith("{#") or (product_sql and _INCREMENTAL.fullmatch(tag))
        ):
            issues.append(TemplateIssue(match.start(), f"unsupported template {_short(tag)}", _fix_for(tag)))
    return refs, issues


def statement_issue(sql: str) -> TemplateIssue | None:
    """A product's SQL must be one SELECT (or WITH ... SELECT) without a trailing semicolon."""
    start = _LEADING_COMMENTS.match(sql)
    offset = start.end() if start else 0
    word = _FIRST_WORD.match(sql, offset)
    if word is None or word.group(0).lower() not in ("select", "with"):
        found = f"'{word.group(0)}'" if word else "no statement"
        return TemplateIssue(
            offset, f"SQL must be one SELECT query, found {found}", "start it with select or with"
        )
    stripped = sql.rstrip()
    if stripped.endswith(";"):
        return TemplateIssue(len(stripped) - 1, "SQL ends with ';'", "remove the trailing semicolon")
    return None


def _fix_for(tag: str) -> str:
    if re.search(r"\b(ref|source)\s*\(", tag):
        return PRODUCT_TEMPLATE_HINT + " instead of dbt's ref()/source()"
    if tag in ("{{", "{%"):
        return "close the tag, e.g. {{ product('name') }}"
    return PRODUCT_TEMPLATE_HINT + "; other templating is not allowed"


def _short(tag: str, limit: int = 60) -> str:
    flat = " ".join(tag.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
