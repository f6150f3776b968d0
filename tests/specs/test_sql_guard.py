"""Spec SQL is one read-only query over products, checked with a real parser at validation.

A table of quality-rule and SQL-product texts: the accepted ones load without problems, every refused
one gives exactly one problem at the offending token (file:line:col inside the YAML block scalar, or
inside the `.sql` file), with its message.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tardis_dagster.core.specs import load_catalog

ORDERS = """\
apiVersion: tardis/v1
kind: DataProduct
name: orders
version: 1.0.0
description: Orders.
owner: {tribe: consumer, squad: checkout, contact: "#checkout-data"}
source:
  files: {uri: ./drops/, format: csv}
load: {type: append}
schema:
  - {name: order_id, type: string, required: true}
  - {name: email, type: string, pii: true}
  - {name: total, type: int}
quality:
  - sql: |
      SQL
"""
QUALITY_LINE = 16  # the line of SQL above; block scalar content starts at column 7
FACTS = """\
apiVersion: tardis/v1
kind: DataProduct
name: order_facts
version: 1.0.0
description: Facts.
owner: {tribe: consumer, squad: checkout, contact: "#checkout-data"}
source:
  sql: |
    SQL
load: {type: full}
schema:
  - {name: order_id, type: string}
"""
FACTS_LINE = 9  # content starts at column 5

RAW = "raw tables are read only by the platform's own jobs"
# (SQL, the text the problem points at or None when accepted, the message)
QUALITY_CASES = [
    ("select count(*) from {{ this }} where total < 0", None, None),
    ("with x as (select * from {{ this }}) select count(*) from x where total < 0", None, None),
    (
        "(select order_id from {{ this }}) union all (select order_id from {{ product('orders') }})",
        None,
        None,
    ),
    ("select order_id from {{ this }} except select order_id from {{ this }} where total > 0", None, None),
    ("select * from {{ this }} -- {# a comment the platform drops #}", None, None),
    ("select count(*) from range(3)", None, None),
    (
        "with x as (select 1) delete from {{ this }}",
        "delete",
        "DELETE is not allowed: SQL here only reads",
    ),
    ("delete from {{ this }} where total < 0", "delete", "DELETE is not allowed: SQL here only reads"),
    (
        "insert into {{ this }} select * from {{ this }}",
        "insert",
        "INSERT is not allowed: SQL here only reads",
    ),
    ("update {{ this }} set total = 0", "update", "UPDATE is not allowed: SQL here only reads"),
    (
        "merge into {{ this }} t using {{ this }} s on t.order_id = s.order_id when matched then delete",
        "merge",
        "MERGE is not allowed: SQL here only reads",
    ),
    ("drop table {{ this }}", "drop", "DROP is not allowed: SQL here only reads"),
    ("truncate table {{ this }}", "truncate", "TRUNCATE is not allowed: SQL here only reads"),
    ("create table x as select * from {{ this }}", "create", "CREATE is not allowed: SQL here only reads"),
    ("alter table {{ this }} add columns (x int)", "alter", "ALTER is not allowed: SQL here only reads"),
    ("set spark.sql.ansi.enabled=false", "set", "SET is not allowed: SQL here only reads"),
    ("use raw", "use", "USE is not allowed: SQL here only reads"),
    ("cache table {{ this }}", "cache", "CACHE is not allowed: SQL here only reads"),
    ("refresh table {{ this }}", "refresh", "REFRESH is not allowed: SQL here only reads"),
    ("add jar /tmp/x.jar", "add", "the command ADD JAR is not allowed: SQL here only reads"),
    ("msck repair table x", "msck", "the command MSCK REPAIR is not allowed: SQL here only reads"),
    (
        "call system.rollback_to_snapshot('x', 1)",
        "call",
        "the command CALL is not allowed: SQL here only reads",
    ),
    (
        "explain select * from {{ this }}",
        "explain",
        "the command EXPLAIN is not allowed: SQL here only reads",
    ),
    (
        "select count(*) from {{ this }}; drop table {{ this }}",
        "drop",
        "SQL holds more than one statement",
    ),
    ("select count(*) from {{ this }};", ";", "SQL ends with ';'"),
    (
        "select transform(order_id) using 'rm -rf /' as (x) from {{ this }}",
        "transform",
        "TRANSFORM ... USING (a script) is not allowed: SQL here only reads",
    ),
    (
        "select reflect('java.lang.System', 'exit', 0)",
        "reflect",
        "function reflect() is not allowed (it calls Java code)",
    ),
    ("select * from read_files('/etc/passwd')", "read_files", "table function read_files() is not allowed"),
    ("select * from parquet.`/tmp/x`", "parquet", "table 'parquet./tmp/x' reads files directly"),
    ("select * from json.`s3://bucket/x`", "json", "table 'json.s3://bucket/x' reads files directly"),
    (
        "select 1 where exists (select 1 from raw.orders)",
        "raw",
        "table 'raw.orders' is not allowed: raw tables are read only by the platform's own jobs",
    ),
    (
        "with x as (select * from raw.orders) select count(*) from {{ this }}",
        "raw",
        "table 'raw.orders' is not allowed: raw tables are read only by the platform's own jobs",
    ),
    (
        "select count(*) from spark_catalog.raw.orders",
        "spark_catalog",
        "table 'spark_catalog.raw.orders' is not allowed: " + RAW,
    ),
    (
        "select * from (with x as (select 1) select * from x) a, x",
        "$x",
        "table 'x' is not a product this SQL may read",
    ),
    ("select /*+ broadcast(t) */ count(*) from {{ this }} t", None, None),
    ("select transform(array(1), x -> x + 1), filter(array(1), x -> x > 0)", None, None),
    (
        "select count(*) from raw.orders where email is not null",
        "raw",
        "table 'raw.orders' is not allowed: raw tables are read only by the platform's own jobs",
    ),
    (
        "select count(*) from {{ this }} t join (select * from raw.orders) r using (order_id)",
        "raw.",
        "table 'raw.orders' is not allowed: raw tables are read only by the platform's own jobs",
    ),
    ("select count(*) from std.orders", "std", "table 'std.orders' is read directly, not as a product"),
    ("select count(*) from orders", "orders", "table 'orders' is not a product this SQL may read"),
    (
        "select count(*) from {{ this }} where (",
        "(",
        "SQL cannot be parsed: Required keyword: 'this' missing for Paren (near '(')",
    ),
    ("select {{ env_var('HOME') }}", "{{", "unsupported template {{ env_var('HOME') }}"),
    (
        "select count(*) from {{ this }} where email = 'x",
        "'x",
        "SQL cannot be read: a quote (') is not closed",
    ),
    ("select count(*) from {{ this }} /* note", "/*", "SQL cannot be read: a /* comment is not closed"),
    ("select " + "(" * 3000 + "1" + ")" * 3000, "select", "SQL is nested too deeply to read"),
    ("select 1 {% if true %}", "{%", "unsupported template {% if true %}"),
]
PRODUCT_CASES = [
    ("select order_id from {{ product('orders') }}", None, None),
    (
        "select order_id from {{ product('orders') }}\n"
        "{% if is_incremental() %}where order_id > (select max(order_id) from {{ this }}){% endif %}",
        None,
        None,
    ),
    (
        "select order_id from {{ product('orders') }} {% if is_incremental() %}; delete from x{% endif %}",
        "delete",
        "SQL holds more than one statement",
    ),
    (
        "select order_id from raw.orders",
        "raw",
        "table 'raw.orders' is not allowed: raw tables are read only by the platform's own jobs",
    ),
    ("select order_id from std.orders", "std", "table 'std.orders' is read directly, not as a product"),
    (
        "with d as (delete from {{ product('orders') }}) select 1",
        "delete",
        "DELETE is not allowed: SQL here only reads",
    ),
    ("select order_id from {{ product('orders') }} {# note #}", "{#", "unsupported template {# note #}"),
    ("select order_id from {{ product('orders') }} {#", "{#", "unsupported template {#"),
    (
        "select {{ config(materialized='view') }} 1",
        "{{",
        "unsupported template {{ config(materialized='view') }}",
    ),
    ("select * from {{ ref('orders') }}", "{{", "unsupported template {{ ref('orders') }}"),
    (
        "{{ run_query('drop table std.orders') }} select 1",
        "{{",
        "unsupported template {{ run_query('drop table std.orders') }}",
    ),
    ("{% set x = 1 %} select 1", "{%", "unsupported template {% set x = 1 %}"),
]


def _problems(root: Path) -> list[tuple[str, int, int, str]]:
    catalog = load_catalog([root])
    return [(p.path.name, p.line, p.col, p.message) for p in catalog.problems]


def _expected(sql: str, token: str | None, message: str | None, file: str, line: int, indent: int) -> list:
    if token is None:
        return []
    # The last occurrence for tokens that also appear earlier (the second statement, a closing paren).
    last = token in ("drop", "(") or token.startswith("$")
    token = token.removeprefix("$")
    offset = sql.lower().rindex(token.lower()) if last else sql.lower().index(token.lower())
    before = sql[:offset]
    return [
        (
            file,
            line + before.count("\n"),
            indent + len(before.rsplit("\n", 1)[-1]),
            message,
        )
    ]


@pytest.mark.parametrize(("sql", "token", "message"), QUALITY_CASES, ids=[c[0][:40] for c in QUALITY_CASES])
def test_quality_sql(tmp_path: Path, sql: str, token: str | None, message: str | None) -> None:
    (tmp_path / "orders.yaml").write_text(ORDERS.replace("SQL", sql))
    assert _problems(tmp_path) == _expected(sql, token, message, "orders.yaml", QUALITY_LINE, 7)


@pytest.mark.parametrize(("sql", "token", "message"), PRODUCT_CASES, ids=[c[0][:40] for c in PRODUCT_CASES])
def test_product_sql(tmp_path: Path, sql: str, token: str | None, message: str | None) -> None:
    (tmp_path / "orders.yaml").write_text(
        ORDERS.replace("SQL", "select count(*) from {{ this }} where total < 0")
    )
    (tmp_path / "order_facts.yaml").write_text(FACTS.replace("SQL", sql.replace("\n", "\n    ")))
    assert _problems(tmp_path) == _expected(sql, token, message, "order_facts.yaml", FACTS_LINE, 5)


@pytest.mark.parametrize(
    ("sql", "token", "message"), PRODUCT_CASES[2:6], ids=[c[0][:40] for c in PRODUCT_CASES[2:6]]
)
def test_product_sql_file(tmp_path: Path, sql: str, token: str | None, message: str | None) -> None:
    (tmp_path / "orders.yaml").write_text(
        ORDERS.replace("SQL", "select count(*) from {{ this }} where total < 0")
    )
    facts = FACTS.replace("  sql: |\n    SQL", "  sql_file: facts.sql")
    (tmp_path / "order_facts.yaml").write_text(facts)
    (tmp_path / "facts.sql").write_text("-- facts\n" + sql + "\n")
    assert _problems(tmp_path) == _expected(sql, token, message, "facts.sql", 2, 1)


def test_the_demo_specs_sql_is_accepted() -> None:
    # The shipped demo specs use CTEs, windows, joins, anti joins and {{ product() }} / {{ this }}.
    from tardis_dagster.core.specs.templating import query_issues

    root = Path(__file__).resolve().parents[2] / "product_specs"
    texts = [p.read_text() for p in root.rglob("*.sql")]
    assert texts and all(query_issues(t, product_sql=True) == [] for t in texts)
