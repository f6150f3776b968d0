"""What every Spark job shares: the session, table helpers, and reporting back through Pipes."""

from __future__ import annotations

import os
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import StructType

from tardis_dagster.jobs import JOB_TAG_ENV


def spark_session(app_name: str, remote: str | None = None) -> SparkSession:
    """The session: a Spark Connect client when SPARK_REMOTE is set (local), else the cluster's own.

    `remote` names a Spark Connect server explicitly (for callers outside a job process).
    With TARDIS_SPARK_JOB_TAG set (by the job runner), the session's jobs carry that tag.
    With TARDIS_S3_ENDPOINT set (a local S3 emulator), S3A is pointed at it for this session only.
    """
    builder = SparkSession.builder.appName(app_name)
    spark = (builder.remote(remote) if remote else builder).getOrCreate()
    tag = os.environ.get(JOB_TAG_ENV)
    if tag and remote is None:
        # Every Spark job of this process carries the Dagster run and step: telemetry finds its
        # CPU time and bytes in the Spark UI by this tag.
        spark.addTag(tag)
    endpoint = os.environ.get("TARDIS_S3_ENDPOINT")
    if endpoint:
        for key, value in s3_endpoint_conf(endpoint).items():
            spark.conf.set(key, value)
    return spark


def s3_endpoint_conf(endpoint: str) -> dict[str, str]:
    """Hadoop S3A settings for an S3-compatible endpoint other than AWS (moto, MinIO)."""
    return {
        "fs.s3.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem",
        "fs.s3a.endpoint": endpoint,
        "fs.s3a.endpoint.region": os.environ.get("AWS_REGION", "us-east-1"),
        "fs.s3a.path.style.access": "true",
        "fs.s3a.connection.ssl.enabled": str(endpoint.startswith("https")).lower(),
        "fs.s3a.access.key": os.environ.get("AWS_ACCESS_KEY_ID", "test"),
        "fs.s3a.secret.key": os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
        # Hadoop caches one filesystem per bucket for the JVM; another session may use another endpoint.
        "fs.s3a.impl.disable.cache": "true",
        "fs.s3.impl.disable.cache": "true",
    }


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


def schema_metadata(schema: StructType, descriptions: dict[str, str] | None = None) -> dict[str, Any]:
    """A Spark schema as the raw value of Dagster's `table_schema` metadata type."""
    descriptions = descriptions or {}
    return {
        "columns": [
            {
                "name": field.name,
                "type": field.dataType.simpleString(),
                "description": descriptions.get(field.name),
                "constraints": {"nullable": field.nullable},
            }
            for field in schema.fields
        ]
    }


def pipes_schema(df_or_schema: DataFrame | StructType) -> dict[str, Any]:
    """`{"type": "table_schema", "raw_value": ...}` for Pipes metadata."""
    schema = df_or_schema if isinstance(df_or_schema, StructType) else df_or_schema.schema
    return {"type": "table_schema", "raw_value": schema_metadata(schema)}
