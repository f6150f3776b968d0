"""Iceberg through the AWS Glue catalog on S3: the Spark configuration of the production catalog.

Production (EMR) keeps its tables in Glue with their files on S3. This module turns that choice into
Spark configuration only, so the job scripts and dbt models stay the same: the Glue catalog becomes
the *default* catalog, so a job's `raw.<product>` or dbt's `vault.hub_x` resolves to the Glue database
`raw` / `vault`. Endpoints are configurable, which lets a test point both Glue and S3 at moto in
server mode; credentials never appear here: the AWS SDK reads them from the environment
(`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`) or, on EMR, from the job's role.

Why a named `SparkCatalog` and not `SparkSessionCatalog`: Iceberg's `SparkSessionCatalog` sends
namespace operations and table listings to Spark's built-in catalog, which on EMR is Glue itself
(AWS's Glue Hive client) but here would be a separate metastore that never sees the Glue tables.
Iceberg 1.11's `GlueCatalog` has no views, so dbt models materialized as views are built as tables
on this catalog (`dbt_project/macros/tardis/view_materialization.sql`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# The Iceberg Spark runtime ships GlueCatalog and S3FileIO; the AWS SDK v2 bundle that hadoop-aws
# (already resolved for S3A) depends on provides the Glue and S3 clients, so no further jar is needed.
GLUE_CATALOG_IMPL = "org.apache.iceberg.aws.glue.GlueCatalog"
S3_FILE_IO_IMPL = "org.apache.iceberg.aws.s3.S3FileIO"
ICEBERG_SPARK_CATALOG = "org.apache.iceberg.spark.SparkCatalog"

# Keys of the local server's configuration that belong to its Hive/Derby session catalog: a Glue
# server drops them (Spark's built-in catalog stays in memory and holds only temporary views).
_HIVE_CATALOG_KEYS = (
    "spark.sql.catalog.spark_catalog",
    "spark.sql.catalogImplementation",
    "spark.hadoop.javax.jdo.",
    "spark.hadoop.datanucleus.",
    "spark.hadoop.hive.",
    "spark.hadoop.iceberg.engine.hive.",
)


@dataclass(frozen=True)
class GlueCatalogConfig:
    """Where the Glue catalog and its S3 warehouse are; endpoints only for an emulator (moto)."""

    warehouse: str  # s3://bucket/prefix: new tables' files go under <warehouse>/<database>.db/<table>
    region: str = "us-east-1"
    catalog: str = "glue_catalog"  # the Spark catalog name (EMR's documentation uses this one)
    glue_endpoint: str | None = None  # None: AWS Glue of the region
    s3_endpoint: str | None = None  # None: AWS S3; else path-style requests to this endpoint

    def __post_init__(self) -> None:
        if not self.warehouse.startswith("s3://"):
            raise ValueError(
                f"warehouse: {self.warehouse!r} is not an s3:// URI (fix: s3://<bucket>/<prefix>)"
            )


def glue_catalog_confs(config: GlueCatalogConfig) -> dict[str, str]:
    """Spark configuration that makes the Glue catalog (Iceberg tables, S3FileIO) the default catalog."""
    prefix = f"spark.sql.catalog.{config.catalog}"
    confs = {
        prefix: ICEBERG_SPARK_CATALOG,
        f"{prefix}.catalog-impl": GLUE_CATALOG_IMPL,
        f"{prefix}.io-impl": S3_FILE_IO_IMPL,
        f"{prefix}.warehouse": config.warehouse,
        f"{prefix}.client.region": config.region,
        # Many clients share one server: a cached table would hide another client's fresh commit.
        f"{prefix}.cache-enabled": "false",
        # Unqualified names (`raw.x`, dbt's `schema.alias`) and `CALL system.*` resolve here.
        "spark.sql.defaultCatalog": config.catalog,
        "spark.sql.sources.default": "iceberg",
    }
    if config.glue_endpoint:
        confs[f"{prefix}.glue.endpoint"] = config.glue_endpoint
    if config.s3_endpoint:
        confs[f"{prefix}.s3.endpoint"] = config.s3_endpoint
        # An emulator serves every bucket under one host name: bucket in the path, not the host.
        confs[f"{prefix}.s3.path-style-access"] = "true"
    return confs


def glue_server_confs(base: dict[str, str], config: GlueCatalogConfig, warehouse_dir: Path) -> dict[str, str]:
    """A Spark Connect server's configuration (`base`, the local one) moved onto the Glue catalog.

    The Hive/Derby session catalog settings are dropped, `warehouse_dir` only backs Spark's
    in-memory built-in catalog, and the Glue catalog is added as the default.
    """
    kept = {k: v for k, v in base.items() if not k.startswith(_HIVE_CATALOG_KEYS)}
    java_options = kept.get("spark.driver.extraJavaOptions", "")
    # The Derby home only served the Hive metastore; keep the other JVM flags.
    kept["spark.driver.extraJavaOptions"] = " ".join(
        option for option in java_options.split() if not option.startswith("-Dderby.")
    )
    kept["spark.sql.warehouse.dir"] = str(warehouse_dir)
    return kept | glue_catalog_confs(config)


def aws_environment(region: str, access_key_id: str, secret_access_key: str) -> dict[str, str]:
    """Environment variables through which the AWS SDK in the Spark JVM finds region and credentials."""
    return {
        "AWS_REGION": region,
        "AWS_ACCESS_KEY_ID": access_key_id,
        "AWS_SECRET_ACCESS_KEY": secret_access_key,
    }
