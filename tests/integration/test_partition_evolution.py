"""A changed `load.partition_by` on the real platform: std applies it by Iceberg partition evolution, so
new data is written in the new layout and the rows written before stay readable."""

from __future__ import annotations

import uuid
from pathlib import Path

import dagster as dg
import pytest
from spec_builder import product_yaml, write_product

from tardis_dagster.core.settings import get_settings
from tardis_dagster.core.specs import DataProduct
from tardis_dagster.defs.resources import SparkJobRunner
from tardis_dagster.defs.standardize.assets import standardize_assets
from tardis_dagster.jobs.std import evolution

pytestmark = pytest.mark.platform

COLUMNS = """\
  - {name: member_id, type: string, required: true}
  - {name: points, type: int}
  - {name: updated_at, type: timestamp, required: true}
"""


def _product(tmp_path: Path, name: str, partition_by: str) -> DataProduct:
    text = product_yaml(
        name,
        description="Loyalty members, for the partition evolution test.",
        owner="marketing/loyalty/#loyalty-data",
        source="files: {uri: ./drops/, format: csv}",
        load=f"{{type: upsert, key: [member_id], version_by: updated_at, partition_by: [{partition_by}]}}",
        schema=COLUMNS,
    )
    return write_product(tmp_path, text, name, own_folder=True)


def _land_raw(spark, name: str, rows: list[tuple[str, str, str]], source_file: str) -> None:
    """Append rows to the raw table as file landing would (all values as text)."""
    spark.sql("create namespace if not exists raw")
    spark.sql(
        f"create table if not exists raw.{name} (member_id string, points string, updated_at string, "
        "_source_file string, _ingested_at timestamp) using iceberg"
    )
    values = ", ".join(f"('{m}', '{p}', '{u}', '{source_file}', current_timestamp())" for m, p, u in rows)
    spark.sql(f"insert into raw.{name} values {values}")


def _standardize(product: DataProduct) -> dict[str, object]:
    result = dg.materialize(
        standardize_assets([product], get_settings()),
        resources={"spark": SparkJobRunner(spark_remote=get_settings().spark_remote)},
    )
    (event,) = result.get_asset_materialization_events()
    return {k: v.value for k, v in event.materialization.metadata.items()}


def _partitioning(spark, table: str) -> list[str]:
    rows = spark.sql(f"describe table extended {table}").collect()
    return [r["data_type"] for r in rows if r["col_name"].startswith("Part ")]


def test_a_changed_partition_by_is_applied_and_old_rows_stay_readable(tmp_path: Path, spark) -> None:
    name = f"it_members_repartition_{uuid.uuid4().hex[:8]}"
    table = f"std.{name}"
    _land_raw(
        spark,
        name,
        [("m1", "1", "2026-11-01T10:00:00Z"), ("m2", "2", "2026-11-02T10:00:00Z")],
        "drop-1.csv",
    )
    _standardize(_product(tmp_path, name, '"day(updated_at)"'))
    assert _partitioning(spark, table) == ["days(updated_at)"]

    # Spec B: a coarser time transform in place of the first field, and a bucket added after it.
    _land_raw(
        spark,
        name,
        [("m1", "10", "2026-12-01T10:00:00Z"), ("m3", "3", "2026-12-02T10:00:00Z")],
        "drop-2.csv",
    )
    metadata = _standardize(_product(tmp_path, name, '"month(updated_at)", "bucket(4, member_id)"'))
    assert _partitioning(spark, table) == ["months(updated_at)", "bucket(4, member_id)"]
    assert "DROP PARTITION FIELD days(updated_at)" in str(metadata["schema_changes"])
    assert "ADD PARTITION FIELD bucket(4, member_id)" in str(metadata["schema_changes"])

    files = spark.sql(f"select spec_id, content, partition from {table}.files").collect()
    data = [(r["spec_id"], r["partition"].asDict()) for r in files if r["content"] == 0]
    new_spec = max(spec for spec, _ in data)
    old = [p for spec, p in data if spec != new_spec]
    new = [p for spec, p in data if spec == new_spec]
    # The first run's files keep their day layout; the second run's are written by month and bucket.
    assert old and all(p["updated_at_day"] is not None and p["updated_at_month"] is None for p in old)
    assert new
    # Iceberg names an added field after its transform's width: member_id_bucket_4.
    bucket = next(field for field in new[0] if field.startswith("member_id_bucket"))
    assert all(
        p["updated_at_day"] is None and p["updated_at_month"] is not None and p[bucket] is not None
        for p in new
    )
    rows = {r["member_id"]: r["points"] for r in spark.table(table).collect()}
    assert rows == {"m1": 10, "m2": 2, "m3": 3}  # m2 lives only in an old-layout file
    assert spark.sql(f"select count(*) from {table} where updated_at < '2026-11-15'").first()[0] == 1

    # The next run plans nothing: the spec as Iceberg reports it reads back as the spec as written.
    current = evolution.partition_fields(spark, table)
    assert evolution.partition_plan(table, current, ["months(updated_at)", "bucket(4, member_id)"]) == []
