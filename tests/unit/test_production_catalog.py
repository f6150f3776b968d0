"""The Glue catalog configuration: what a Spark server gets when production_catalog selects Glue + S3.

The end-to-end proof (moto Glue and S3, a real Spark Connect server) is
tests/integration/test_glue_s3.py; these check the configuration's own rules cheaply.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tardis_dagster.tooling.local_platform.spark_connect import server_confs
from tardis_dagster.tooling.production_catalog import (
    GlueCatalogConfig,
    glue_catalog_confs,
    glue_server_confs,
)


def test_glue_becomes_the_default_catalog_with_s3_file_io() -> None:
    confs = glue_catalog_confs(GlueCatalogConfig(warehouse="s3://lake/warehouse", region="eu-west-1"))
    assert confs["spark.sql.defaultCatalog"] == "glue_catalog"
    assert confs["spark.sql.catalog.glue_catalog"] == "org.apache.iceberg.spark.SparkCatalog"
    assert confs["spark.sql.catalog.glue_catalog.catalog-impl"] == "org.apache.iceberg.aws.glue.GlueCatalog"
    assert confs["spark.sql.catalog.glue_catalog.io-impl"] == "org.apache.iceberg.aws.s3.S3FileIO"
    assert confs["spark.sql.catalog.glue_catalog.client.region"] == "eu-west-1"
    # On AWS itself: no endpoint overrides, no path-style requests, and never a credential.
    assert not [k for k in confs if k.endswith((".endpoint", "path-style-access"))]
    assert not [k for k in confs if "key" in k.lower() or "secret" in k.lower()]


def test_an_emulator_gets_its_endpoints_and_path_style_requests() -> None:
    config = GlueCatalogConfig(
        warehouse="s3://lake/w", glue_endpoint="http://127.0.0.1:5000", s3_endpoint="http://127.0.0.1:5000"
    )
    confs = glue_catalog_confs(config)
    assert confs["spark.sql.catalog.glue_catalog.glue.endpoint"] == "http://127.0.0.1:5000"
    assert confs["spark.sql.catalog.glue_catalog.s3.endpoint"] == "http://127.0.0.1:5000"
    assert confs["spark.sql.catalog.glue_catalog.s3.path-style-access"] == "true"


def test_a_warehouse_that_is_not_on_s3_is_refused_with_the_fix() -> None:
    with pytest.raises(ValueError, match=r"warehouse: '/tmp/lake' is not an s3:// URI \(fix: s3://"):
        GlueCatalogConfig(warehouse="/tmp/lake")


def test_the_local_server_configuration_loses_its_hive_catalog_and_keeps_the_rest(tmp_path: Path) -> None:
    local = server_confs(tmp_path / "wh", tmp_path / "ms", [], 15099)
    confs = glue_server_confs(local, GlueCatalogConfig(warehouse="s3://lake/w"), tmp_path / "mem")
    assert not [k for k in confs if k.startswith(("spark.sql.catalog.spark_catalog", "spark.hadoop.hive."))]
    assert not [k for k in confs if "datanucleus" in k or "javax.jdo" in k]
    assert "spark.sql.catalogImplementation" not in confs  # Spark's built-in catalog stays in memory
    assert "-Dderby" not in confs["spark.driver.extraJavaOptions"]
    assert "-XX:-DontCompileHugeMethods" in confs["spark.driver.extraJavaOptions"]
    # Loopback binding, redaction and the Iceberg extensions are the local server's, unchanged.
    for key in (
        "spark.connect.grpc.binding.address",
        "spark.sql.redaction.string.regex",
        "spark.sql.extensions",
    ):
        assert confs[key] == local[key]
    assert confs["spark.sql.warehouse.dir"] == str(tmp_path / "mem")
