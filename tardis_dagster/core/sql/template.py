"""The few template tags spec SQL may use, found and replaced by placeholder tables for the parser.

Product SQL may use `{{ product('x') }}`, `{{ this }}` and exactly `{% if is_incremental() %}`,
`{% else %}`, `{% endif %}` (an incremental product's filter); quality SQL only `{{ product('x') }}`
and `{{ this }}` (and `{# comments #}`, which the platform drops: quality SQL never reaches Jinja).
Anything else in product SQL (`{{ env_var(..) }}`, `{{ config(..) }}`, other `{% %}`, `{# #}`) would
be rendered by dbt's Jinja, so it is refused. Placeholders are padded to the tag's length so a
parser's offsets are offsets into the spec's own text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A lone `{{`, `{%` or `{#` (unterminated) is a tag too: Jinja would fail on it or swallow the rest.
_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}|\{\{|\{%|\{#", re.DOTALL)
_PRODUCT = re.compile(r"\{\{\s*product\s*\(\s*(['\"])(?P<name>[^'\"]*)\1\s*\)\s*\}\}")
_THIS = re.compile(r"\{\{\s*this\s*\}\}")
_IF = re.compile(r"\{%-?\s*if\s+is_incremental\s*\(\s*\)\s*-?%\}")
_ELSE = re.compile(r"\{%-?\s*else\s*-?%\}")
_ENDIF = re.compile(r"\{%-?\s*endif\s*-?%\}")

THIS_PLACEHOLDER = "__this"
PRODUCT_HINT = "refer to other products as {{ product('name') }}"


@dataclass(frozen=True)
class TemplateRef:
    """One `{{ product('name') }}` found in SQL text, with its character offset."""

    name: str
    offset: int


@dataclass(frozen=True)
class SqlIssue:
    """Something wrong in SQL text: the character offset, what is wrong and how to fix it."""

    offset: int
    message: str
    fix: str


@dataclass(frozen=True)
class Rendered:
    """SQL text with its tags replaced, same length as the original (so offsets agree).

    `variants` holds one text per incremental branch (the full build and the incremental run), or
    just one; `products` maps each placeholder table to the product it stands for.
    """

    variants: tuple[str, ...]
    products: dict[str, str]


@dataclass(frozen=True)
class Scan:
    """What `scan` found: product references, refused tags, and the placeholder rendering."""

    refs: list[TemplateRef]
    issues: list[SqlIssue]
    rendered: Rendered


def scan(sql: str, *, product_sql: bool) -> Scan:
    """Find product references and refused tags in `sql` and render it with placeholder tables.

    `product_sql` is True for a product's own SQL (which may use the incremental tags) and False for
    a quality rule's SQL.
    """
    refs: list[TemplateRef] = []
    issues: list[SqlIssue] = []
    products: dict[str, str] = {}
    placeholders: dict[str, str] = {}
    text = list(sql)
    # Spans to blank per variant: the if-branch in the full build, the else-branch in the increment.
    full_drop: list[tuple[int, int]] = []
    incremental_drop: list[tuple[int, int]] = []
    branch: tuple[str, int] | None = None  # ("if" | "else", offset where the branch's text starts)
    for match in _TAG.finditer(sql):
        tag, start, end = match.group(0), match.start(), match.end()
        product = _PRODUCT.fullmatch(tag)
        if product is not None:
            name = product.group("name")
            refs.append(TemplateRef(name, start))
            table = placeholders.setdefault(name, f"__p{len(placeholders)}")
            products[table] = name
            _put(text, start, end, table)
        elif _THIS.fullmatch(tag):
            _put(text, start, end, THIS_PLACEHOLDER)
        elif not product_sql and tag.startswith("{#") and tag.endswith("#}") and len(tag) >= 4:
            _put(text, start, end, "")  # quality SQL never reaches Jinja: the platform drops comments
        elif product_sql and _IF.fullmatch(tag):
            if branch is not None:
                issues.append(SqlIssue(start, "nested {% if is_incremental() %}", "use one if block"))
            branch = ("if", end)
            _put(text, start, end, "")
        elif product_sql and (_ELSE.fullmatch(tag) or _ENDIF.fullmatch(tag)):
            is_else = _ELSE.fullmatch(tag) is not None
            if branch is None or (is_else and branch[0] == "else"):
                issues.append(
                    SqlIssue(start, f"{_short(tag)} without {{% if is_incremental() %}}", "remove it")
                )
            else:
                (full_drop if branch[0] == "if" else incremental_drop).append((branch[1], start))
                branch = ("else", end) if is_else else None
            _put(text, start, end, "")
        else:
            issues.append(SqlIssue(start, f"unsupported template {_short(tag)}", _fix_for(tag, product_sql)))
    if branch is not None:
        issues.append(SqlIssue(len(sql), "{% if is_incremental() %} is not closed", "add {% endif %}"))
    base = "".join(text)
    variants = (base,)
    if full_drop or incremental_drop:
        variants = (_blank(base, full_drop), _blank(base, incremental_drop))
    return Scan(refs, issues, Rendered(variants, products))


def _put(text: list[str], start: int, end: int, word: str) -> None:
    """Write `word` over text[start:end], padding with blanks (newlines kept, so lines stay put)."""
    for index in range(start, end):
        offset = index - start
        text[index] = word[offset] if offset < len(word) else ("\n" if text[index] == "\n" else " ")


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        _put(chars, start, end, "")
    return "".join(chars)


def _fix_for(tag: str, product_sql: bool) -> str:
    if re.search(r"\b(ref|source)\s*\(", tag):
        return PRODUCT_HINT + " instead of dbt's ref()/source()"
    if tag.startswith("{#"):
        return "write a SQL comment (-- ...) instead; Jinja comments are not allowed"
    if tag in ("{{", "{%"):
        return "close the tag, e.g. {{ product('name') }}"
    allowed = "{{ product('name') }}, {{ this }}" + (
        " and {% if is_incremental() %} ... {% endif %}" if product_sql else ""
    )
    allowed = allowed if product_sql else allowed.replace(", ", " and ")
    return f"only {allowed} are allowed; other templating is not"


def _short(tag: str, limit: int = 60) -> str:
    flat = " ".join(tag.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
