"""Standardize upsert throughput: Tardis' `std/<product>` job against a plain Iceberg MERGE INTO.

Builds a raw table of BASE rows (as file landing writes them: text columns), standardizes it once
(untimed), then lands CHANGES more raw rows (90% newer versions of existing keys, 10% new keys) and
times, on the same local Spark Connect server:
  - tardis: the std asset through Dagster and Pipes like production (incremental raw read, casts,
    PII hashing, rejects, dedup per key, write to an audit branch, audits, publish);
  - baseline: a plain `MERGE INTO` of the same changes, already typed, into a copy of the same
    table with Iceberg's default (copy-on-write) settings.
Prints seconds, rows/s and the ratio. Needs `tardis local up`.

    python benchmarks/standardize.py [CHANGES] [BASE]   # 1,000,000 and 10,000,000
    python benchmarks/standardize.py --smoke            # 100 and 1,000: checks it runs (CI)
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from pathlib import Path

import dagster as dg
from pyspark.sql import SparkSession

from tardis_dagster.core.settings import get_settings
from tardis_dagster.core.specs import load_catalog
from tardis_dagster.defs.resources import SparkJobRunner
from tardis_dagster.defs.standardize.assets import standardize_assets
from tardis_dagster.tooling import local_platform

SMOKE = (100, 1_000)
SPEC = """\
apiVersion: tardis/v1
kind: DataProduct
name: {name}
version: 1.0.0
description: Orders, for the standardize benchmark.
owner: {{tribe: operations, squad: bench, contact: "#bench"}}
source:
  files: {{uri: ./drops/, format: parquet}}
load: {{type: upsert, key: [order_id], version_by: updated_at}}
schema:
  - {{name: order_id, type: string, required: true}}
  - {{name: customer_email, type: string, pii: true}}
  - {{name: status, type: string}}
  - {{name: total_amount, type: "decimal(10,2)"}}
  - {{name: updated_at, type: timestamp, required: true}}
"""


def raw_rows(first: int, count: int, day: int, file: str) -> str:
    """SQL for `count` raw rows (text values) of keys first..first+count, versioned on `day`."""
    return (
        f"SELECT concat('ord-', lpad(CAST(id AS STRING), 9, '0')) order_id, "
        "concat('cus', CAST(id % 50000 AS STRING), '@example.com') customer_email, "
        f"element_at(array('placed','paid','shipped','delivered'), CAST(id % 4 + 1 AS INT)) status, "
        f"CAST(round(20 + (id % 500) / 10 + {day}, 2) AS STRING) total_amount, "
        f"concat('2026-11-{day:02d}T10:00:00Z') updated_at, '{file}' _source_file, "
        f"current_timestamp() _ingested_at FROM range({first}, {first + count})"
    )


def main(changes: int, base: int) -> None:
    """Build, standardize once, then time both upserts and print the figures."""
    if not all(s.healthy for s in local_platform.status()):
        raise SystemExit("the local platform is not running: `tardis local up` first")
    settings = get_settings()
    spark = SparkSession.builder.remote(settings.spark_remote).getOrCreate()
    name = f"bench_std_{uuid.uuid4().hex[:8]}"
    raw, std, plain = f"raw.{name}", f"std.{name}", f"bench.{name}_plain"
    with tempfile.TemporaryDirectory(dir=settings.home) as tmp:
        (Path(tmp) / f"{name}.yaml").write_text(SPEC.format(name=name))
        product = load_catalog([Path(tmp)]).by_name(name)
    assets = standardize_assets([product], get_settings())
    runner = SparkJobRunner(spark_remote=settings.spark_remote)
    spark.sql("CREATE NAMESPACE IF NOT EXISTS raw")
    spark.sql("CREATE NAMESPACE IF NOT EXISTS bench")

    started = time.perf_counter()
    spark.sql(f"CREATE TABLE {raw} USING iceberg AS {raw_rows(0, base, 1, 'base.parquet')}")
    assert dg.materialize(assets, resources={"spark": runner}).success
    spark.sql(
        f"CREATE TABLE {plain} USING iceberg TBLPROPERTIES ('format-version'='2') AS SELECT * FROM {std}"
    )
    print(f"built {base:,} rows in std and in the baseline table in {time.perf_counter() - started:.0f} s")

    updates, inserts = changes * 9 // 10, changes - changes * 9 // 10
    spark.sql(f"INSERT INTO {raw} {raw_rows(0, updates, 2, 'changes.parquet')}")
    spark.sql(f"INSERT INTO {raw} {raw_rows(base, inserts, 2, 'changes.parquet')}")
    started = time.perf_counter()
    result = dg.materialize(assets, resources={"spark": runner})
    tardis_s = time.perf_counter() - started
    (event,) = result.get_asset_materialization_events()
    metadata = {k: v.value for k, v in event.materialization.metadata.items()}
    print(f"tardis job phases (s): {metadata['phase_seconds']}")
    if (metadata["rows_inserted"], metadata["rows_updated"]) != (inserts, updates):
        raise SystemExit(f"unexpected counts: {metadata['rows_inserted']=}, {metadata['rows_updated']=}")
    # The baseline gets the same changes already typed and hashed (as tardis published them): it
    # does only the MERGE.
    spark.sql(
        f"CREATE TABLE bench.{name}_changes USING iceberg AS "
        f"SELECT * FROM {std} WHERE updated_at = TIMESTAMP '2026-11-02 10:00:00'"
    )
    started = time.perf_counter()
    spark.sql(
        f"MERGE INTO {plain} t USING bench.{name}_changes s ON t.order_id = s.order_id "
        "WHEN MATCHED AND s.updated_at > t.updated_at THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *"
    )
    plain_s = time.perf_counter() - started
    if spark.table(plain).count() != spark.table(std).count():
        raise SystemExit("the baseline and tardis tables differ in row count")

    print(f"{'upsert of ' + format(changes, ',') + ' changes into ' + format(base, ',') + ' rows':<48}")
    print(f"{'pipeline':<48} {'seconds':>8} {'rows/s':>10}")
    for label, seconds in (
        ("baseline: plain MERGE INTO (typed input, CoW)", plain_s),
        ("tardis: std asset, end to end", tardis_s),
        ("tardis: inside the Spark job", float(metadata["job_seconds"])),
    ):
        print(f"{label:<48} {seconds:>8.1f} {changes / seconds:>10,.0f}")
    print(
        f"ratio tardis/baseline time: end to end {tardis_s / plain_s:.2f}, "
        f"job {float(metadata['job_seconds']) / plain_s:.2f} (goal: within 1.25)"
    )
    for table in (raw, std, f"{std}__rejects", plain, f"bench.{name}_changes"):
        spark.sql(f"DROP TABLE IF EXISTS {table} PURGE")


def arguments() -> argparse.Namespace:
    """The sizes: CHANGES upserted into BASE rows, or `--smoke` (tiny, for CI)."""
    parser = argparse.ArgumentParser(description="Standardize upsert throughput against a plain MERGE INTO.")
    parser.add_argument("changes", nargs="?", type=int, default=1_000_000, help="changed rows (90%% updates)")
    parser.add_argument("base", nargs="?", type=int, default=10_000_000, help="rows already in std")
    parser.add_argument("--smoke", action="store_true", help=f"sizes {SMOKE}: only checks it runs")
    args = parser.parse_args()
    if args.smoke:
        args.changes, args.base = SMOKE
    if args.changes < 1 or args.base < args.changes:
        parser.error("CHANGES must be at least 1 and BASE at least CHANGES")
    return args


if __name__ == "__main__":
    options = arguments()
    main(options.changes, options.base)
