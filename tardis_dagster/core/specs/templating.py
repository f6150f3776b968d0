"""What the validator asks of a spec's SQL: only the platform's own template tags, and one read-only query.

Product SQL may use `{{ product('x') }}`, `{{ this }}` and `{% if is_incremental() %}` / `{% else %}` /
`{% endif %}`; quality SQL only `{{ product('x') }}` and `{{ this }}` (`core.sql.template`). The SQL
with its tags replaced by placeholder tables must then be one query reading nothing but those
placeholders (`core.sql.guard`): no DML/DDL/commands, no `raw.*`, no direct `std.x`.
"""

from __future__ import annotations

import re

from tardis_dagster.core.sql import guard
from tardis_dagster.core.sql.template import PRODUCT_HINT, THIS_PLACEHOLDER, SqlIssue, TemplateRef, scan

TemplateIssue = SqlIssue
PRODUCT_TEMPLATE_HINT = PRODUCT_HINT

__all__ = ["PRODUCT_TEMPLATE_HINT", "TemplateIssue", "TemplateRef", "query_issues", "scan_sql"]


def scan_sql(sql: str, *, product_sql: bool) -> tuple[list[TemplateRef], list[TemplateIssue]]:
    """Find product references and unsupported template tags in `sql`.

    `product_sql` is True for a product's own SQL (which may use the incremental tags) and False for a
    quality rule's SQL.
    """
    found = scan(sql, product_sql=product_sql)
    return found.refs, found.issues


def query_issues(sql: str, *, product_sql: bool) -> list[TemplateIssue]:
    """Every problem of `sql`: refused template tags, else what makes it more than one read-only query.

    Each incremental branch (the full build and the incremental run) is checked as its own query.
    """
    found = scan(sql, product_sql=product_sql)
    if found.issues:
        return found.issues  # the parser would only repeat them as syntax errors
    judge = guard.allowed_tables([*found.rendered.products, THIS_PLACEHOLDER])
    # A parser message quotes the rendered text: show the user's tags, not the placeholders.
    tags = {
        placeholder: f"{{{{ product('{name}') }}}}" for placeholder, name in found.rendered.products.items()
    }
    tags[THIS_PLACEHOLDER] = "{{ this }}"
    pattern = re.compile("|".join(rf"\b{re.escape(p)}\b" for p in sorted(tags, key=len, reverse=True)))
    issues: list[TemplateIssue] = []
    for variant in found.rendered.variants:
        for issue in guard.read_only_issues(variant, judge):
            shown = SqlIssue(issue.offset, pattern.sub(lambda m: tags[m.group(0)], issue.message), issue.fix)
            if shown not in issues:
                issues.append(shown)
    return issues
