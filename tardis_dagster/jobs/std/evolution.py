"""Schema evolution of a published std table: follow the spec where it is safe, refuse where it is not.

Safe (applied): a new optional column (added in the spec's position), and the type widenings Iceberg
supports in place: int -> bigint, float -> double, decimal(p, s) -> decimal(p', s) with p' > p.
Refused (a clear error naming the column): a removed or renamed column, a new required column (rows
already published have no value), and any other type change (narrowing, or a change of kind).
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
