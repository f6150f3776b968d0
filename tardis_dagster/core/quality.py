"""A spec's `quality:` rules as Spark SQL, run after publishing against the product's published table.

Each rule becomes one `RuleSQL`: the query that measures it and, for rules about rows, a query that
samples up to `SAMPLE_ROWS` failing rows. Three measures:

- `rows` (not_null, unique, accepted_values, range): `check_sql` returns one row with `failing_rows`;
  the rule passes when it is 0.
- `aggregate` (row_count, freshness): `check_sql` returns one row with a boolean `passed` and the
  observed values (row count; newest value and its age).
- `query` (sql): the user's SELECT, rendered; it passes when it returns 0 (one numeric value), or,
  when it returns rows, when it returns none.

The SQL stays valid on Spark 3.5 (EMR) and 4.1. Identifiers come from validated specs and are quoted
anyway; literal values are escaped.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from tardis_dagster.core import naming
from tardis_dagster.core.jobs_io import CheckSeverity, Measure, RuleSQL
from tardis_dagster.core.specs import DataProduct, QualityRule
from tardis_dagster.core.sql import lineage, template

SAMPLE_ROWS = 10
KEY_ROWS_COLUMN = "_rows_with_key"  # not a valid spec identifier, so it cannot clash with a column

_TEMPLATE = re.compile(
    r"\{\{\s*(?:this|product\s*\(\s*(['\"])(?P<name>[^'\"]*)\1\s*\))\s*\}\}|\{#.*?#\}", re.S
)
# `select count(*) from <rest>`: the rows counted are `select * from <rest>`, so they can be sampled.
_COUNT_QUERY = re.compile(
    r"^\s*select\s+count\s*\(\s*(?:\*|1)\s*\)(?:\s+(?:as\s+)?\w+)?\s+from\s+(?P<rest>.+?)\s*$",
    re.IGNORECASE | re.DOTALL,
)


def published_table(product: DataProduct, prefix: str = "") -> str:
    """`std.<name>` or `mart.<name>`: the table `{{ product('<name>') }}` and the quality rules read
    (in the namespace `<prefix><layer>` under a `tardis test` prefix)."""
    return naming.published_table(product.name, product.source.kind, prefix)


def quote_identifier(name: str) -> str:
    """Backtick-quote an identifier for Spark SQL."""
    return "`" + name.replace("`", "``") + "`"


def quote_table(table: str) -> str:
    """Quote `namespace.table` part by part."""
    return ".".join(quote_identifier(part) for part in table.split("."))


def sql_literal(value: str | int | float | bool) -> str:
    """A Spark SQL literal; strings escaped for Spark's default (backslash-escaping) parser."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value} cannot be a SQL literal")
        # Whole numbers as integers so DECIMAL columns compare exactly (no double rounding).
        return str(int(value)) if value.is_integer() else repr(value)
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def compile_rules(
    product: DataProduct, resolve_product: Callable[[str], str] | None = None, prefix: str = ""
) -> list[RuleSQL]:
    """Every quality rule of `product`, compiled against its published table (under `prefix`).

    `resolve_product(name)` gives the table of `{{ product('name') }}` in `sql` rules.
    """
    return [compile_rule(rule, product, resolve_product, prefix) for rule in product.quality]


def compile_rule(
    rule: QualityRule,
    product: DataProduct,
    resolve_product: Callable[[str], str] | None = None,
    prefix: str = "",
) -> RuleSQL:
    """One rule of `product` as `RuleSQL` against `published_table(product, prefix)`."""
    table = quote_table(published_table(product, prefix))
    severity: CheckSeverity = "WARN" if rule.severity == "warn" else "ERROR"
    measure: Measure
    sample: str | None = None
    if rule.row_count is not None:
        measure, check = "aggregate", row_count_sql(table, rule.row_count.min, rule.row_count.max)
    elif rule.freshness is not None:
        column = product.column(rule.freshness.column)
        is_date = column is not None and column.data_type.name == "date"
        measure = "aggregate"
        check = freshness_sql(table, rule.freshness.column, rule.freshness.max_age_seconds, is_date=is_date)
    elif rule.unique is not None:
        measure = "rows"
        check, sample = unique_count_sql(table, rule.unique), unique_sample_sql(table, rule.unique)
    elif rule.sql is not None:
        measure = "query"
        check = render_rule_sql(rule.sql, published_table(product, prefix), resolve_product)
        sample = count_query_sample_sql(check)
    else:
        measure = "rows"
        where = failing_predicate(rule, product)
        check = f"SELECT COUNT(*) AS failing_rows FROM {table} WHERE {where}"
        sample = f"SELECT * FROM {table} WHERE {where} LIMIT {SAMPLE_ROWS}"
    return RuleSQL(
        name=rule.check_name,
        kind=rule.kind,
        severity=severity,
        measure=measure,
        check_sql=check,
        sample_sql=sample,
        description=rule.description or describe_rule(rule),
    )


def failing_predicate(rule: QualityRule, product: DataProduct) -> str:
    """The WHERE condition selecting a row that breaks a not_null, accepted_values or range rule."""
    if rule.not_null is not None:
        return " OR ".join(f"{quote_identifier(c)} IS NULL" for c in rule.not_null)
    if rule.accepted_values is not None:
        name = rule.accepted_values.column
        column = product.column(name)
        as_text = column is not None and column.data_type.name == "string"
        values = ", ".join(sql_literal(_text(v) if as_text else v) for v in rule.accepted_values.values)
        return f"{quote_identifier(name)} IS NOT NULL AND {quote_identifier(name)} NOT IN ({values})"
    if rule.range is not None:
        column = quote_identifier(rule.range.column)
        bounds = []
        if rule.range.min is not None:
            bounds.append(f"{column} < {sql_literal(rule.range.min)}")
        if rule.range.max is not None:
            bounds.append(f"{column} > {sql_literal(rule.range.max)}")
        return f"{column} IS NOT NULL AND ({' OR '.join(bounds)})"
    raise ValueError(f"a {rule.kind} rule has no row predicate")


def row_count_sql(table: str, minimum: int | None, maximum: int | None) -> str:
    """One row: `row_count` and whether it lies within [minimum, maximum]."""
    conditions = []
    if minimum is not None:
        conditions.append(f"COUNT(*) >= {int(minimum)}")
    if maximum is not None:
        conditions.append(f"COUNT(*) <= {int(maximum)}")
    passed = " AND ".join(conditions) or "TRUE"
    return f"SELECT COUNT(*) AS row_count, ({passed}) AS passed FROM {table}"


def freshness_sql(table: str, column: str, max_age_seconds: int, *, is_date: bool = False) -> str:
    """One row: the newest value, its age in seconds, the allowed age, and whether it is fresh enough.

    A date stands for its whole day, so its age counts from the end of that day. An empty table or
    an all-null column is not fresh.
    """
    quoted = quote_identifier(column)
    reference = f"date_add(MAX({quoted}), 1)" if is_date else f"MAX({quoted})"
    return (
        "SELECT newest, age_seconds, max_age_seconds, "
        "COALESCE(age_seconds <= max_age_seconds, FALSE) AS passed FROM ("
        f"SELECT MAX({quoted}) AS newest, "
        f"unix_timestamp(current_timestamp()) - unix_timestamp({reference}) AS age_seconds, "
        f"CAST({int(max_age_seconds)} AS BIGINT) AS max_age_seconds FROM {table}) AS freshness"
    )


def _key_present(columns: list[str]) -> str:
    return " AND ".join(f"{quote_identifier(c)} IS NOT NULL" for c in columns)


def unique_count_sql(table: str, columns: list[str]) -> str:
    """Rows sharing their key with another row; rows with a null key column are left to not_null."""
    keys = ", ".join(quote_identifier(c) for c in columns)
    return (
        "SELECT COALESCE(SUM(key_rows), 0) AS failing_rows FROM ("
        f"SELECT COUNT(*) AS key_rows FROM {table} WHERE {_key_present(columns)} "
        f"GROUP BY {keys} HAVING COUNT(*) > 1) AS duplicated"
    )


def unique_sample_sql(table: str, columns: list[str]) -> str:
    """Up to SAMPLE_ROWS duplicated rows, grouped by key, with how many rows share the key."""
    keys = ", ".join(quote_identifier(c) for c in columns)
    return (
        f"SELECT * FROM (SELECT *, COUNT(*) OVER (PARTITION BY {keys}) AS {KEY_ROWS_COLUMN} "
        f"FROM {table} WHERE {_key_present(columns)}) AS keyed "
        f"WHERE {KEY_ROWS_COLUMN} > 1 ORDER BY {keys} LIMIT {SAMPLE_ROWS}"
    )


def render_rule_sql(sql: str, this_table: str, resolve_product: Callable[[str], str] | None = None) -> str:
    """A `sql` rule with `{{ this }}` and `{{ product('x') }}` replaced by quoted tables, comments dropped."""

    def substitute(match: re.Match[str]) -> str:
        if match.group(0).startswith("{#"):
            return ""
        name = match.group("name")
        if name is None:
            return quote_table(this_table)
        if resolve_product is None:
            raise ValueError(f"no table known for product '{name}'")
        return quote_table(resolve_product(name))

    return _TEMPLATE.sub(substitute, sql).strip()


def count_query_sample_sql(rendered: str) -> str | None:
    """For `select count(*) from <rest>`, the query sampling the rows it counts; else None."""
    match = _COUNT_QUERY.match(rendered)
    if match is None:
        return None
    # The newline keeps a trailing `--` comment from swallowing the closing parenthesis.
    return f"SELECT * FROM (SELECT * FROM {match.group('rest')}\n) AS failing LIMIT {SAMPLE_ROWS}"


def pii_columns(product: DataProduct, lookup: Callable[[str], DataProduct | None]) -> list[str]:
    """The columns of `product`'s published table that carry PII, by lineage, not only by flag.

    Its `pii: true` columns, and for a SQL product every column its SQL derives from a PII column of
    the products it reads (followed through their SQL in turn). `lookup(name)` finds a product; when
    the lineage cannot be followed (an unknown product, SQL the parser cannot follow), every column
    counts as PII.
    """
    return sorted(_pii_columns(product, lookup, frozenset()))


def _pii_columns(
    product: DataProduct, lookup: Callable[[str], DataProduct | None], seen: frozenset[str]
) -> set[str]:
    flagged = {c.name for c in product.schema_ if c.pii}
    sql = product.sql_text if product.source.kind == "sql" else None
    if sql is None:
        return flagged
    everything = flagged | {c.name for c in product.schema_}
    if product.name in seen:
        return everything  # a cycle (refused at validation): unsure
    found = template.scan(sql, product_sql=True)
    columns: dict[str, list[str]] = {}
    pii: dict[str, list[str]] = {}
    for placeholder, name in found.rendered.products.items():
        upstream = lookup(name)
        if upstream is None:
            return everything
        columns[placeholder] = [c.name for c in upstream.schema_]
        pii[placeholder] = sorted(_pii_columns(upstream, lookup, seen | {product.name}))
    columns[template.THIS_PLACEHOLDER] = [c.name for c in product.schema_]
    pii[template.THIS_PLACEHOLDER] = sorted(flagged)
    derived: set[str] = set()
    for variant in found.rendered.variants:
        names = lineage.pii_output_names(variant, columns, pii)
        if names is None:
            return everything
        derived |= names
    return flagged | {c.name for c in product.schema_ if c.name.lower() in derived}


def read_tables(
    product: DataProduct, lookup: Callable[[str], DataProduct | None], prefix: str = ""
) -> dict[str, list[str]]:
    """The tables `product`'s quality rules may read (its own and those their SQL names, under
    `prefix`), with PII columns."""
    tables = {published_table(product, prefix): pii_columns(product, lookup)}
    for rule in product.quality:
        if rule.sql is None:
            continue
        for ref in template.scan(rule.sql, product_sql=False).refs:
            other = lookup(ref.name)
            if other is not None:
                tables[published_table(other, prefix)] = pii_columns(other, lookup)
    return tables


def describe_rule(rule: QualityRule) -> str:
    """A one-line description of what the rule demands, for the check's description."""
    if rule.row_count is not None:
        bounds = [
            f"at least {rule.row_count.min}" if rule.row_count.min is not None else "",
            f"at most {rule.row_count.max}" if rule.row_count.max is not None else "",
        ]
        return "Row count " + " and ".join(b for b in bounds if b) + "."
    if rule.freshness is not None:
        return f"Newest {rule.freshness.column} is at most {rule.freshness.max_age} old."
    if rule.not_null is not None:
        return f"No nulls in {', '.join(rule.not_null)}."
    if rule.unique is not None:
        return f"{', '.join(rule.unique)} unique" + (" together." if len(rule.unique) > 1 else ".")
    if rule.accepted_values is not None:
        values = ", ".join(_text(v) for v in rule.accepted_values.values)
        return f"{rule.accepted_values.column} is one of: {values}."
    if rule.range is not None:
        low = "-inf" if rule.range.min is None else _text(rule.range.min)
        high = "+inf" if rule.range.max is None else _text(rule.range.max)
        return f"{rule.range.column} within [{low}, {high}]."
    return "Custom SQL; passes when it returns 0."


def _text(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
