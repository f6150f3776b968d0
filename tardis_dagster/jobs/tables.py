"""Iceberg table helpers every job uses: quoting, existence, namespaces, snapshots, schemas."""

from __future__ import annotations

from pyspark.sql import SparkSession
from pyspark.sql.types import StructType

from tardis_dagster.core.metadata import SchemaColumn


def quote(identifier: str) -> str:
    """Quote a (validated) identifier for Spark SQL."""
    return "`" + identifier.replace("`", "``") + "`"


def table_exists(spark: SparkSession, table: str) -> bool:
    """Whether `namespace.table` exists in the session catalog."""
    return spark.catalog.tableExists(table)


def ensure_namespace(spark: SparkSession, namespace: str) -> None:
    """Create the layer's namespace (database) if needed."""
    spark.sql(f"CREATE NAMESPACE IF NOT EXISTS {quote(namespace)}")


def current_snapshot_id(spark: SparkSession, table: str) -> int | None:
    """The Iceberg snapshot the table currently points at (None for an empty new table)."""
    rows = (
        spark.sql(
            f"SELECT snapshot_id FROM {table}.history WHERE is_current_ancestor ORDER BY made_current_at DESC"
        )
        .limit(1)
        .collect()
    )
    return int(rows[0][0]) if rows else None


def schema_columns(
    schema: StructType, descriptions: dict[str, str | None] | None = None
) -> list[SchemaColumn]:
    """A Spark schema as metadata columns (with the contract's descriptions where given)."""
    descriptions = descriptions or {}
    return [
        SchemaColumn(
            name=f.name,
            type=f.dataType.simpleString(),
            description=descriptions.get(f.name),
            nullable=f.nullable,
        )
        for f in schema.fields
    ]
