"""Column lineage of check SQL: which output columns carry a value derived from a PII column.

Decided by sqlglot's parser (Spark dialect) over the tables' real column lists, never by names: an
alias, an expression, a CTE, a subquery, a join or a `*` of a PII column is PII; an unknown function or
an unresolvable column is masked too (when unsure, mask); a count is not a value of its argument.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tardis_dagster.core.quality import pii_columns, read_tables
from tardis_dagster.core.specs import load_catalog
from tardis_dagster.core.sql.lineage import pii_output_names, pii_outputs

COLUMNS = {"std.orders": ["order_id", "email", "total"], "std.customers": ["customer_id", "phone", "city"]}
PII = {"std.orders": ["email"], "std.customers": ["phone"]}

CASES = [
    ("alias", "select email as contact from std.orders where total > 1", [True]),
    ("expression", "select lower(email), total from std.orders", [True, False]),
    ("concat", "select concat(order_id, '-', email) as k, order_id from std.orders", [True, False]),
    ("hash", "select sha2(email, 256) as h from std.orders", [True]),
    ("case", "select case when total > 1 then email else 'none' end as c from std.orders", [True]),
    ("cte", "with c as (select email as e, total from std.orders) select e, total from c", [True, False]),
    (
        "subquery",
        "select x.a, x.t from (select upper(email) a, total t from std.orders) x",
        [True, False],
    ),
    ("scalar subquery", "select (select max(email) from std.orders) as m, 1 as one", [True, False]),
    (
        "join",
        "select o.order_id, c.phone as p, c.city from std.orders o "
        "join std.customers c on o.order_id = c.customer_id",
        [False, True, False],
    ),
    ("star", "select * from std.orders", [False, True, False]),
    (
        "star of a join",
        "select o.*, c.* from std.orders o join std.customers c on 1 = 1",
        [False, True, False, False, True, False],
    ),
    ("star through a cte", "with c as (select * from std.customers) select * from c", [False, True, False]),
    ("union", "select order_id from std.orders union all select email from std.orders", [True]),
    ("unknown function", "select mystery_udf(order_id), order_id from std.orders", [True, False]),
    ("unresolvable column", "select no_such_column from std.orders", [True]),
    ("table of unknown pii", "select * from std.elsewhere", [True]),
    (
        "counts carry no value",
        "select count(*), count(email), count(distinct email) from std.orders",
        [False] * 3,
    ),
    ("a filter is not an output", "select order_id from std.orders where email like '%@x'", [False]),
    (
        "window inputs count",
        "select row_number() over (partition by email order by total) r from std.orders",
        [True],
    ),
]


@pytest.mark.parametrize(("sql", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_lineage(sql: str, expected: list[bool]) -> None:
    assert pii_outputs(sql, COLUMNS, PII) == expected


def test_sql_that_is_not_one_query_has_no_lineage() -> None:
    assert pii_outputs("delete from std.orders", COLUMNS, PII) is None
    assert pii_outputs("select from where", COLUMNS, PII) is None


def test_output_names() -> None:
    assert pii_output_names("select email as contact, total from std.orders", COLUMNS, PII) == {"contact"}


PRODUCT = """\
apiVersion: tardis/v1
kind: DataProduct
name: {name}
version: 1.0.0
description: Lineage test.
owner: {{tribe: consumer, squad: checkout, contact: "#checkout-data"}}
source:
  {source}
load: {{type: full}}
schema:
{schema}
quality:
  - row_count: {{min: 1}}
"""


def _write(root: Path, name: str, source: str, schema: list[str], quality: str = "") -> None:
    text = PRODUCT.format(name=name, source=source, schema="".join(f"  - {c}\n" for c in schema))
    (root / f"{name}.yaml").write_text(text + quality)


def test_a_sql_products_pii_follows_its_sql_upstream(tmp_path: Path) -> None:
    # `contact` is not flagged, but order_contacts derives it from orders.email: PII by lineage, also
    # for a product reading order_contacts in turn; a check naming both gets both tables' PII.
    _write(
        tmp_path,
        "orders",
        "files: {uri: ./drops/, format: csv}",
        ["{name: order_id, type: string}", "{name: email, type: string, pii: true}"],
    )
    _write(
        tmp_path,
        "order_contacts",
        "sql: \"select order_id, lower(email) as contact from {{ product('orders') }}\"",
        ["{name: order_id, type: string}", "{name: contact, type: string}"],
    )
    _write(
        tmp_path,
        "contact_counts",
        "sql: \"select contact, count(*) as n from {{ product('order_contacts') }} group by contact\"",
        ["{name: contact, type: string}", "{name: n, type: bigint}"],
        "  - sql: \"select count(*) from {{ this }} t join {{ product('orders') }} o\"\n",
    )
    catalog = load_catalog([tmp_path])
    assert not catalog.problems, [str(p) for p in catalog.problems]
    by_name = {p.name: p for p in catalog.products}
    assert pii_columns(by_name["order_contacts"], by_name.get) == ["contact"]
    assert pii_columns(by_name["contact_counts"], by_name.get) == ["contact"]
    assert read_tables(by_name["contact_counts"], by_name.get) == {
        "mart.contact_counts": ["contact"],
        "std.orders": ["email"],
    }
