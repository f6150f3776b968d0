"""Schema evolution of a published std table: follow the spec where it is safe, refuse where it is not.

Safe (applied): a new optional column (added in the spec's position), and the type widenings Iceberg
supports in place: int -> bigint, float -> double, decimal(p, s) -> decimal(p', s) with p' > p.
Refused (a clear error naming the column): a removed or renamed column, a new required column (rows
already published have no value), and any other type change (narrowing, or a change of kind).

A changed `load.partition_by` is applied by Iceberg partition evolution (`evolve_partitioning`): new
data is written in the new layout, data already written keeps its own and stays readable.
"""

from __future__ import annotations

import re

from pyspark.sql import SparkSession

from tardis_dagster.core.jobs_io import ContractColumn
from tardis_dagster.jobs.tables import quote

_DECIMAL = re.compile(r"decimal\((\d+),(\d+)\)")
_WIDENINGS = {("int", "bigint"), ("float", "double")}


class SchemaEvolutionError(ValueError):
    """The spec changed the published table's schema in a way that would break its readers."""


def normalized(spark_type: str) -> str:
    """A type as Spark's `simpleString` spells it: `DECIMAL(10, 2)` -> `decimal(10,2)`."""
    text = spark_type.lower().replace(" ", "")
    return {"integer": "int", "long": "bigint", "short": "smallint", "byte": "tinyint"}.get(text, text)


def is_widening(old: str, new: str) -> bool:
    """Whether Iceberg can promote a column from `old` to `new` without rewriting data."""
    if (old, new) in _WIDENINGS:
        return True
    old_d, new_d = _DECIMAL.fullmatch(old), _DECIMAL.fullmatch(new)
    return bool(old_d and new_d and old_d[2] == new_d[2] and int(new_d[1]) > int(old_d[1]))


def plan(table: str, published: list[tuple[str, str]], columns: list[ContractColumn]) -> list[str]:
    """The ALTER statements that bring `table` to the spec's columns; raises if any change is unsafe.

    `published` is the table's contract columns (name, type) in order; `columns` the spec's.
    """
    current = dict(published)
    wanted = {c.name: normalized(c.type) for c in columns}
    problems = [
        f"column '{name}' is published in {table} but no longer in the spec: removing or renaming a "
        "column breaks its readers; keep it (it may become optional) or publish a new major version "
        "under a new product name"
        for name in current
        if name not in wanted
    ]
    statements = []
    previous: str | None = None
    for column in columns:
        name, new = column.name, wanted[column.name]
        if name not in current:
            if column.required:
                problems.append(
                    f"new column '{name}' is required, but the rows already in {table} have no value "
                    "for it; add it with `required: false` first"
                )
            position = f"AFTER {quote(previous)}" if previous else "FIRST"
            statements.append(f"ALTER TABLE {table} ADD COLUMN {quote(name)} {column.type} {position}")
        elif current[name] != new:
            if is_widening(current[name], new):
                statements.append(f"ALTER TABLE {table} ALTER COLUMN {quote(name)} TYPE {column.type}")
            else:
                problems.append(
                    f"column '{name}' changes type from {current[name]} to {new}: only widening "
                    "(int to bigint, float to double, a larger decimal precision) is applied in place; "
                    "revert the type or publish a new major version under a new product name"
                )
        previous = name
    if problems:
        raise SchemaEvolutionError(f"{table}: the spec's schema cannot be applied: " + "; ".join(problems))
    return statements


def evolve(
    spark: SparkSession, table: str, published: list[tuple[str, str]], columns: list[ContractColumn]
) -> list[str]:
    """Apply the safe changes of `plan` to the table; returns the statements run."""
    statements = plan(table, published, columns)
    for statement in statements:
        spark.sql(statement)
    return statements


def partition_fields(spark: SparkSession, table: str) -> list[str]:
    """The table's current partition fields as Spark writes them (`days(placed_at)`, `bucket(4, id)`)."""
    rows = spark.sql(f"DESCRIBE TABLE {table}").collect()
    return [r["data_type"] for r in rows if r["col_name"].startswith("Part ")]


def _same_field(a: str, b: str) -> bool:
    return a.replace(" ", "").replace("`", "").lower() == b.replace(" ", "").replace("`", "").lower()


def partition_plan(table: str, current: list[str], wanted: list[str]) -> list[str]:
    """The `ALTER TABLE ... DROP/ADD PARTITION FIELD` statements that turn `current` into `wanted`.

    Iceberg appends an added field at the end of the spec, so the fields after the longest common
    prefix are dropped (last first) and the wanted ones added in order: the spec ends up exactly as
    written, and an unchanged spec gives no statement.
    """
    common = 0
    while common < min(len(current), len(wanted)) and _same_field(current[common], wanted[common]):
        common += 1
    drops = [f"ALTER TABLE {table} DROP PARTITION FIELD {field}" for field in reversed(current[common:])]
    adds = [f"ALTER TABLE {table} ADD PARTITION FIELD {field}" for field in wanted[common:]]
    return [*drops, *adds]


def evolve_partitioning(spark: SparkSession, table: str, wanted: list[str]) -> list[str]:
    """Bring an existing table's partition spec to the spec's `partition_by` (Iceberg partition evolution).

    Metadata only: files already written keep the layout they were written in and stay readable (a
    scan plans each file by its own spec); data written from now on takes the new layout. Needs the
    Iceberg SQL extensions (`IcebergSparkSessionExtensions`), which every Tardis session has. Returns
    the statements run.
    """
    statements = partition_plan(table, partition_fields(spark, table), wanted)
    for statement in statements:
        spark.sql(statement)
    return statements
