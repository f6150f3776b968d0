"""A SQL product's schema: the query's result schema, as Spark analyses it on the local platform.

The query is checked by the spec SQL guard first (one read-only query over products,
`core/specs/templating.py`), then each `{{ product('x') }}` becomes x's published table. When that
table does not exist locally yet, an empty view with x's contract columns stands in for it, so the
schema is known before any data has landed. `spark.sql(q).schema` only analyses the query; a few
rows are read for PII proposals only when every input is a real table. Columns derived from an
upstream PII column (column lineage) are proposed as PII.
"""

from __future__ import annotations

import re
from typing import Any

from tardis_dagster.core.sql import lineage
from tardis_dagster.core.sql.template import scan
from tardis_dagster.tooling.scaffold.existing import Existing
from tardis_dagster.tooling.scaffold.inferred_schema import (
    InferenceError,
    InferredColumn,
    InferredSchema,
    column_name,
    spark_type_to_spec,
)

SAMPLE_ROWS = 200
_VIEW_PREFIX = "__tardis_new_"


def infer_sql(sql: str, existing: Existing, spark: Any) -> InferredSchema:
    """The result columns of ``sql`` (already checked by `answer_rules.sql_findings`)."""
    found = scan(sql, product_sql=True)
    text = found.rendered.variants[0]  # the full build: what a first run computes
    tables: dict[str, str] = {}
    contract_views = []
    for placeholder, name in found.rendered.products.items():
        upstream = existing.products[name]
        if spark.catalog.tableExists(upstream.table):
            tables[placeholder] = upstream.table
        else:
            view = _VIEW_PREFIX + name
            ddl = ", ".join(f"`{c.name}` {c.data_type.spark_ddl}" for c in upstream.product.schema_)
            spark.createDataFrame([], ddl).createOrReplaceTempView(view)
            tables[placeholder] = view
            contract_views.append(name)
    pattern = re.compile(
        "|".join(rf"\b{re.escape(p)}\b" for p in sorted(tables, key=len, reverse=True)) or "$^"
    )
    query = pattern.sub(lambda match: tables[match.group(0)], text)
    try:
        frame = spark.sql(query)
        schema = frame.schema
        rows = frame.limit(SAMPLE_ROWS).collect() if not contract_views else []
    except Exception as error:  # Spark's analysis error names the column or table
        raise InferenceError(
            f"Spark cannot analyse the query: {_first_line(error)}", "fix the query", "sql"
        ) from None
    columns = []
    for index, spark_field in enumerate(schema.fields):
        name = column_name(spark_field.name)
        if name != spark_field.name:
            raise InferenceError(
                f"output column '{spark_field.name}' is not a valid column name",
                f"give it an alias: ... as {name or 'a_name'}",
                "sql",
            )
        samples = [row[index] for row in rows if isinstance(row[index], str | int | float)]
        columns.append(
            InferredColumn(
                name, spark_type_to_spec(spark_field.dataType), not spark_field.nullable, name, samples
            )
        )
    _mark_pii_lineage(columns, query, tables, found.rendered.products, existing)
    result = InferredSchema(columns)
    inputs = ", ".join(
        f"{name} ({'contract only, no table yet' if name in contract_views else _table(existing, name)})"
        for name in sorted(set(found.rendered.products.values()))
    )
    result.notes.append(f"Spark analysed the query over {inputs}")
    return result


def _mark_pii_lineage(
    columns: list[InferredColumn],
    query: str,
    tables: dict[str, str],
    products: dict[str, str],
    existing: Existing,
) -> None:
    table_columns = {}
    pii = {}
    for placeholder, name in products.items():
        contract = existing.products[name].product
        table_columns[tables[placeholder]] = contract.column_names
        pii[tables[placeholder]] = [c.name for c in contract.schema_ if c.pii]
    derived = lineage.pii_output_names(query, table_columns, pii)
    for column in columns:
        # Unsure lineage (None) proposes nothing here; the platform still masks conservatively later.
        column.pii_lineage = derived is not None and column.name in derived


def _table(existing: Existing, name: str) -> str:
    return existing.products[name].table


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    first = text.splitlines()[0] if text else type(error).__name__
    return first[:300]
