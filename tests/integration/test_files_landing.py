"""File landing on the real platform: Spark Connect, Iceberg tables, Dagster Pipes."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import dagster as dg
import pytest
from pyspark.sql import functions as F  # noqa: N812 - the PySpark convention
from spec_builder import product_yaml, write_product

from tardis_dagster.core.settings import get_settings
from tardis_dagster.defs.landing.files import files_landing_assets
from tardis_dagster.defs.resources import SparkJobRunner
from tardis_dagster.jobs import land_files
from tardis_dagster.tooling.demo import files as demo_files

pytestmark = pytest.mark.platform

COLUMNS = """\
{name: recipe_id, type: string, required: true}
{name: recipe_name, type: string}
{name: prep_minutes, type: int}
{name: price, type: "decimal(6,2)"}
{name: published_at, type: timestamp}
"""


def _product(tmp_path: Path, fmt: str):
    name = f"it_recipes_{fmt}_{uuid.uuid4().hex[:8]}"
    text = product_yaml(
        name,
        description="Partner recipe drops, for the landing test.",
        owner="operations/menu/#menu-data",
        source=f"files: {{uri: ./drops/, format: {fmt}}}",
        schema=COLUMNS,
    )
    return write_product(tmp_path, text, name)


def _materialize(product) -> dg.AssetMaterialization:
    result = dg.materialize(
        [files_landing_assets([product])],
        resources={"spark": SparkJobRunner(spark_remote=get_settings().spark_remote)},
    )
    assert result.success
    key = dg.AssetKey(["raw", product.name])
    (event,) = [e for e in result.get_asset_materialization_events() if e.asset_key == key]
    return event.materialization


def _meta(materialization: dg.AssetMaterialization, key: str):
    return materialization.metadata[key].value


@pytest.mark.parametrize("fmt", ["parquet", pytest.param("csv", marks=pytest.mark.cluster), "json"])
def test_files_land_once_and_corrupt_files_go_to_quarantine(tmp_path: Path, spark, fmt: str) -> None:
    product = _product(tmp_path, fmt)
    drops = tmp_path / "drops"
    demo_files.generate(product, drops, files=3, rows_per_file=40)
    demo_files.write_corrupt_file(product, drops)
    table, quarantine = f"raw.{product.name}", f"raw.{product.name}__quarantine"

    first = _materialize(product)

    # Every good row is landed once, with its source file and ingest time.
    assert spark.table(table).count() == 120
    assert _meta(first, "rows_landed") == 120
    assert _meta(first, "dagster/row_count") == 120
    assert _meta(first, "dagster/table_name") == table
    per_file = {
        r[0]: r[1] for r in spark.sql(f"select _source_file, count(*) from {table} group by 1").collect()
    }
    assert sorted(Path(p).name for p in per_file) == [f"{product.name}-0000{i}.{fmt}" for i in range(3)]
    assert set(per_file.values()) == {40}
    assert spark.sql(f"select count(*) from {table} where _ingested_at is null").collect()[0][0] == 0
    columns = [c.name for c in _meta(first, "dagster/column_schema").columns]
    assert {"recipe_id", "price", "_source_file", "_ingested_at"} <= set(columns)
    assert _meta(first, "iceberg_snapshot_id").isdigit()

    # The corrupt file is in quarantine with a reason, and did not stop the good files.
    bad = spark.sql(f"select _source_file, reason from {quarantine}").collect()
    assert bad and all(Path(r[0]).name == f"corrupt.{fmt}" for r in bad)
    assert all(r[1] for r in bad)
    if fmt == "parquet":
        assert _meta(first, "files_quarantined") == 1
        assert _meta(first, "files_landed") == 3
    else:
        assert _meta(first, "rows_quarantined") >= 1

    # Landing again adds nothing: no new rows, no new quarantine entries, no new snapshot.
    snapshot = _meta(first, "iceberg_snapshot_id")
    second = _materialize(product)
    assert spark.table(table).count() == 120
    assert spark.table(quarantine).count() == len(bad)
    assert _meta(second, "rows_landed") == 0
    assert _meta(second, "iceberg_snapshot_id") == snapshot

    # Each row records when its file was written; rewriting a file in place does not land it again for
    # a product that is not `replace` (exactly once per file).
    written = {
        r[0]: r[1]
        for r in spark.sql(
            f"select _source_file, unix_millis(max(_source_modified_at)) from {table} group by 1"
        ).collect()
    }
    assert {Path(p).name: ms for p, ms in written.items()} == {
        f.name: f.stat().st_mtime_ns // 1_000_000 for f in sorted(drops.glob(f"{product.name}-*.{fmt}"))
    }
    touched = next(drops.glob(f"{product.name}-*.{fmt}"))
    os.utime(touched, (touched.stat().st_mtime + 60, touched.stat().st_mtime + 60))
    assert _meta(_materialize(product), "rows_landed") == 0

    # A new file lands alone.
    demo_files.generate(product, drops, files=1, rows_per_file=15, first_file=3)
    third = _materialize(product)
    assert _meta(third, "rows_landed") == 15
    assert _meta(third, "files_landed") == 1
    assert spark.table(table).count() == 135


@pytest.mark.parametrize("fmt", ["parquet", "csv", "json"])
def test_identical_rows_all_land_numbered_in_file_order(tmp_path: Path, spark, fmt: str) -> None:
    # FOCUS bills have no line-item id: two identical line items are two costs, never one.
    product = _product(tmp_path, fmt)
    same = {"recipe_id": "r1", "recipe_name": "Soup", "prep_minutes": 5, "price": "4.50"}
    other = {"recipe_id": "r2", "recipe_name": "Stew", "prep_minutes": 9, "price": "6.00"}
    rows = [same, same, other, same]
    demo_files.write_file(product, tmp_path / "drops" / f"bill.{fmt}", rows)
    demo_files.write_corrupt_file(product, tmp_path / "drops")

    landed = _materialize(product)

    assert _meta(landed, "rows_landed") == 4
    table = spark.sql(f"select recipe_id, _source_row from raw.{product.name} order by _source_row").collect()
    assert [(r["recipe_id"], r["_source_row"]) for r in table] == [("r1", 1), ("r1", 2), ("r2", 3), ("r1", 4)]
    if fmt != "parquet":
        # A malformed record keeps its coordinates: the file and its row there.
        quarantined = spark.sql(f"select _source_row from raw.{product.name}__quarantine").collect()
        assert quarantined and all(r["_source_row"] is not None for r in quarantined)


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_text_files_read_in_several_splits_are_numbered_exactly(tmp_path: Path, spark, fmt: str) -> None:
    product = _product(tmp_path, fmt)
    rows = [
        {"recipe_id": f"r{i}", "recipe_name": "x" * 40, "prep_minutes": i, "price": "1.00"}
        for i in range(3000)
    ]
    path = demo_files.write_file(product, tmp_path / f"big.{fmt}", rows)
    previous = spark.conf.get("spark.sql.files.maxPartitionBytes")
    spark.conf.set("spark.sql.files.maxPartitionBytes", "16384")  # ~200 KB file: a dozen splits
    try:
        df = land_files.read_file(spark, fmt, {}, str(path))
        splits = df.select(F.spark_partition_id()).distinct().count()
        (numbered,) = land_files.number_rows(spark, [df])
        got = numbered.select("recipe_id", "_source_row").collect()
    finally:
        spark.conf.set("spark.sql.files.maxPartitionBytes", previous)
    assert splits > 5
    assert sorted((r["_source_row"], r["recipe_id"]) for r in got) == [(i + 1, f"r{i}") for i in range(3000)]
