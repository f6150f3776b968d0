"""Iceberg maintenance on real tables: small files compacted, old snapshots expired, and never a
snapshot the exactly-once bookkeeping still needs (the Kafka ledger, std's incremental read)."""

from __future__ import annotations

import json
import uuid

import pytest

from tardis_dagster.core.jobs_io import MaintainedTable, MaintenanceInput
from tardis_dagster.jobs.land_kafka import OFFSETS_PROPERTY, next_offsets
from tardis_dagster.jobs.standardize import read_new_raw, recording_raw_snapshot
from tardis_dagster.jobs.table_maintenance import run_maintenance
from tardis_dagster.tooling.localtest.tables import drop_namespaces

pytestmark = pytest.mark.platform
BATCHES = 12


@pytest.fixture
def namespace(spark):
    prefix = f"it_maint_{uuid.uuid4().hex[:8]}_"
    name = f"{prefix}lake"
    spark.sql(f"CREATE NAMESPACE {name}")
    yield name
    drop_namespaces(spark, [name], prefix)


def _append(spark, table: str, batch: int, offsets: dict[int, int] | None) -> int:
    """One commit of ten rows of `batch` (recording `offsets` like a Kafka landing); its snapshot id."""
    df = spark.range(10).selectExpr(f"{batch} AS batch", "id", f"'{batch}-' || id AS payload").coalesce(1)
    writer = df.writeTo(table)
    if offsets is not None:
        writer = writer.option(f"snapshot-property.{OFFSETS_PROPERTY}", json.dumps(offsets))
    writer.append()
    return int(spark.sql(f"SELECT snapshot_id FROM {table}.snapshots ORDER BY committed_at DESC").first()[0])


def _rows(spark, table: str) -> list[tuple]:
    return sorted(tuple(r) for r in spark.table(table).collect())


def _snapshot_ids(spark, table: str) -> set[int]:
    return {int(r[0]) for r in spark.sql(f"SELECT snapshot_id FROM {table}.snapshots").collect()}


def test_maintenance_compacts_and_expires_but_keeps_what_the_ledgers_read(spark, namespace) -> None:
    raw, std, plain = f"{namespace}.raw_orders", f"{namespace}.std_orders", f"{namespace}.plain"
    for table in (raw, plain):
        spark.sql(f"CREATE TABLE {table} (batch INT, id BIGINT, payload STRING) USING iceberg")
    # Batches 1-10 record offsets (as a landing does), 11-12 none (e.g. a backfill).
    snapshots = [_append(spark, raw, b, {0: 10 * b} if b <= 10 else None) for b in range(1, BATCHES + 1)]
    for b in range(1, 4):
        _append(spark, plain, b, None)
    # std has read raw up to batch 8: its next incremental read starts at that snapshot.
    mark = snapshots[7]
    spark.sql(f"CREATE TABLE {std} (batch INT, id BIGINT, payload STRING) USING iceberg")
    with recording_raw_snapshot(spark, mark):
        spark.sql(f"INSERT INTO {std} SELECT * FROM {raw} VERSION AS OF {mark}")
    raw_rows, plain_rows = _rows(spark, raw), _rows(spark, plain)
    expected_new = sorted(r for r in raw_rows if r[0] > 8)

    result = run_maintenance(
        spark,
        MaintenanceInput(
            tables=[
                MaintainedTable(raw, read_by=[std]),
                MaintainedTable(std),
                MaintainedTable(plain),
                MaintainedTable(f"{namespace}.not_there"),
            ],
            snapshot_retention_hours=0,
            retain_last=1,
            min_input_files=2,
        ),
    )
    by_table = {t.table: t for t in result.tables}

    # Small files compacted; the data is the same.
    assert by_table[raw].data_files_before == BATCHES
    assert by_table[raw].data_files_after == 1
    assert _rows(spark, raw) == raw_rows
    assert by_table[plain].data_files_after == 1
    assert _rows(spark, plain) == plain_rows
    # Expired up to std's read mark, which is kept, with everything after it.
    kept = _snapshot_ids(spark, raw)
    assert kept.isdisjoint(snapshots[:7])
    assert set(snapshots[7:]) <= kept
    assert by_table[raw].kept_since == f"read by {std}"
    assert by_table[raw].snapshots_after < by_table[raw].snapshots_before
    # std's next incremental read gives batches 9-12 exactly once (the compaction commit is skipped).
    current = int(spark.sql(f"SELECT snapshot_id FROM {raw}.refs WHERE name = 'main'").first()[0])
    assert sorted(tuple(r) for r in read_new_raw(spark, raw, mark, current).collect()) == expected_new
    # The Kafka ledger still reads its offsets from the snapshot that recorded them.
    assert next_offsets(spark, [raw]) == {raw: {0: 100}}
    # std keeps its read mark; a table without bookkeeping keeps only the newest snapshot.
    assert by_table[std].kept_since == "std read mark"
    assert by_table[plain].kept_since == "retention"
    assert by_table[plain].snapshots_after == 1
    assert by_table[f"{namespace}.not_there"].missing
    metadata = result.metadata()
    assert metadata["tables_maintained"].value == 3
    assert metadata["snapshots_expired"].value > 0


def test_snapshots_within_the_retention_stay(spark, namespace) -> None:
    table = f"{namespace}.recent"
    spark.sql(f"CREATE TABLE {table} (batch INT, id BIGINT, payload STRING) USING iceberg")
    ids = {_append(spark, table, b, None) for b in range(1, 4)}

    (done,) = run_maintenance(spark, MaintenanceInput([MaintainedTable(table)], retain_last=1)).tables

    assert ids <= _snapshot_ids(spark, table)  # a week's retention: nothing this young is expired
    assert done.kept_since == "retention"
    assert done.data_files_after == 3  # three files: under the five that make compaction worth it


def test_the_platform_asset_runs_the_job_through_pipes(spark) -> None:
    import dagster as dg
    from repo_root import PROJECT_ROOT

    from tardis_dagster.core import naming
    from tardis_dagster.core.settings import get_settings
    from tardis_dagster.core.specs import load_catalog
    from tardis_dagster.defs.platform.maintenance import MAINTENANCE_KEY, maintenance_asset
    from tardis_dagster.lib.spark_runner import SparkJobRunner

    prefix = f"it_maint_{uuid.uuid4().hex[:8]}_"
    catalog = load_catalog([PROJECT_ROOT / "product_specs"])
    raw = naming.raw_table("deliveries", prefix)
    spark.sql(f"CREATE NAMESPACE {prefix}raw")
    try:
        spark.sql(f"CREATE TABLE {raw} (batch INT, id BIGINT, payload STRING) USING iceberg")
        for b in range(1, 7):
            _append(spark, raw, b, {0: 10 * b})
        rows = _rows(spark, raw)

        result = dg.materialize(
            [maintenance_asset(catalog, prefix)],
            resources={"spark": SparkJobRunner(spark_remote=get_settings().spark_remote)},
        )

        (materialization,) = [
            e.materialization
            for e in result.get_asset_materialization_events()
            if e.asset_key == MAINTENANCE_KEY
        ]
        metadata = {k: v.value for k, v in materialization.metadata.items()}
        assert metadata["tables_maintained"] == 1  # the others do not exist under this prefix
        assert (metadata["data_files_before"], metadata["data_files_after"]) == (6, 1)
        assert raw in metadata["tables"]
        assert _rows(spark, raw) == rows
    finally:
        drop_namespaces(spark, [f"{prefix}raw"], prefix)


def test_a_table_that_fails_is_reported_and_the_others_are_maintained(spark, namespace) -> None:
    table, view = f"{namespace}.kept", f"{namespace}.not_iceberg"
    spark.sql(f"CREATE TABLE {table} (batch INT, id BIGINT, payload STRING) USING iceberg")
    for b in range(1, 6):
        _append(spark, table, b, None)
    spark.sql(f"CREATE VIEW {view} AS SELECT * FROM {table}")  # exists, but has no snapshots to expire

    result = run_maintenance(
        spark, MaintenanceInput([MaintainedTable(view), MaintainedTable(table)], snapshot_retention_hours=0)
    )

    failed, done = result.tables
    assert failed.table == view and failed.error
    assert done.error is None and done.data_files_after == 1
    metadata = result.metadata()
    assert metadata["tables_failed"].value == 1
    assert view in metadata["failures"].value
    assert metadata["tables_maintained"].value == 1
