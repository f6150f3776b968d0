"""The run's tables on the local platform: row counts, std samples, and dropping them afterwards."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from pyspark.sql import SparkSession

from tardis_dagster.core import naming
from tardis_dagster.tooling.localtest.workspace import Workspace

SAMPLE_ROWS = 5


@dataclass(frozen=True)
class TableCount:
    """Rows in one table of the run (None: the run did not create it)."""

    role: str  # raw, quarantine, std, rejects, changes, stg, vault, mart
    table: str
    rows: int | None


def session(remote: str) -> SparkSession:
    """A Spark Connect client of the local server."""
    return SparkSession.builder.remote(remote).getOrCreate()


def _count(spark: SparkSession, table: str) -> int | None:
    return spark.table(table).count() if spark.catalog.tableExists(table) else None


def _listed(spark: SparkSession, namespace: str) -> list[str]:
    if not spark.catalog.databaseExists(namespace):
        return []
    return sorted(t.name for t in spark.catalog.listTables(namespace))


def table_counts(spark: SparkSession, workspace: Workspace) -> list[TableCount]:
    """Rows in raw / quarantine / std / rejects (and the change stream) of each product of the run, and
    in every staging, vault and mart table it built."""
    counts = []
    prefix = workspace.prefix
    for product in workspace.catalog.products:
        name, load = product.name, product.load.type
        if product.source.kind == "sql":
            continue
        tables = [
            ("raw", naming.raw_table(name, prefix)),
            ("quarantine", naming.quarantine_table(name, prefix)),
            ("std", naming.std_table(name, prefix)),
            ("rejects", naming.rejects_table(name, prefix)),
        ]
        changes = naming.changes_table(name, load, prefix)
        if changes:
            tables.append(("changes", changes))
        counts += [TableCount(role, table, _count(spark, table)) for role, table in tables]
    for layer in (naming.STG, naming.VAULT, naming.MART):
        namespace = workspace.namespace(layer)
        for table in _listed(spark, namespace):
            counts.append(TableCount(layer, f"{namespace}.{table}", _count(spark, f"{namespace}.{table}")))
    return counts


def std_sample(spark: SparkSession, workspace: Workspace) -> tuple[list[str], list[list[str]]]:
    """Up to five rows of the product's published table as it holds them (PII columns hashed)."""
    product = workspace.product
    table = naming.published_table(product.name, product.source.kind, workspace.prefix)
    if not spark.catalog.tableExists(table):
        return [], []
    columns = [c.name for c in product.schema_]
    rows = spark.table(table).select(*columns).limit(SAMPLE_ROWS).collect()
    return columns, [["" if v is None else str(v) for v in row] for row in rows]


def drop_tables(spark: SparkSession, workspace: Workspace) -> None:
    """Drop every table and view of the run (Iceberg files purged) and its namespaces, and remove the
    namespace folders (the Kafka checkpoints beside the raw tables live there)."""
    drop_namespaces(spark, workspace.namespaces, workspace.prefix)


def drop_namespaces(spark: SparkSession, namespaces: list[str], prefix: str) -> None:
    """Drop `namespaces` with their tables, views and folders (a folder only if named `<prefix>…`)."""
    for namespace in namespaces:
        if not spark.catalog.databaseExists(namespace):
            continue
        location = _namespace_location(spark, namespace)
        for table in spark.catalog.listTables(namespace):
            quoted = f"`{namespace}`.`{table.name}`"
            if table.tableType == "VIEW":
                spark.sql(f"DROP VIEW IF EXISTS {quoted}")
            else:
                spark.sql(f"DROP TABLE IF EXISTS {quoted} PURGE")
        spark.sql(f"DROP NAMESPACE IF EXISTS `{namespace}` CASCADE")
        if location is not None and prefix and location.name.startswith(prefix) and location.is_dir():
            shutil.rmtree(location, ignore_errors=True)


def _namespace_location(spark: SparkSession, namespace: str) -> Path | None:
    rows = spark.sql(f"DESCRIBE NAMESPACE `{namespace}`").collect()
    for row in rows:
        if str(row[0]).lower() == "location":
            parsed = urlparse(str(row[1]))
            return Path(parsed.path) if parsed.scheme in ("", "file") else None
    return None
