"""Satellite load cost follows the delta, not the history.

Generates a one-product vault (hub `bench`, satellite `bench_state`) into a throwaway dbt project,
then on the local Spark Connect server:
  1. puts EXISTING rows (one per key) into the satellite (untimed set-up);
  2. stages INCOMING rows (keys spread over the existing ones, a newer version each, 10% with changed
     values) and times the satellite load into the 10,000,000-row satellite (rolled back after each
     of `--repeat` runs);
  3. drops the satellite and times the same INCOMING rows into an empty satellite (as often).
The best time of each kind counts: other work on a shared machine only ever adds time.
Prints both times (dbt's execution time of the model, without dbt's start-up) and their ratio
(goal: under 3x). Staging reads the product's change stream `std.bench_events__changes` (an upsert),
which each step overwrites with its rows. Needs `tardis local up`; uses schemas prefixed `vault_bench_`.

    python benchmarks/vault_load.py [--existing M] [--rows N]   # 10,000,000 and 100,000
    python benchmarks/vault_load.py --smoke                      # 2,000 and 200: checks it runs
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from dbt.cli.main import dbtRunner
from pyspark.sql import SparkSession

from tardis_dagster.core.settings import get_settings, project_dir
from tardis_dagster.core.specs import load_catalog
from tardis_dagster.tooling import local_platform
from tardis_dagster.tooling.codegen.generate import write

# Per process: two runs at once (a smoke run beside a full one) never share or drop each other's tables.
PREFIX = f"vault_bench_{os.getpid()}_"
CHANGES = f"{PREFIX}std.bench_events__changes"
SMOKE = (2_000, 200)
MODEL = """\
hubs:
  - name: bench
    business_key: [bench_id]
    description: A benchmark key.
    owner: {tribe: platform, squad: bench}
"""
SPEC = """\
apiVersion: tardis/v1
kind: DataProduct
name: bench_events
version: 1.0.0
description: Benchmark events.
owner: {tribe: platform, squad: bench, contact: "#bench"}
source:
  files: {uri: ./drops/, format: parquet}
load: {type: upsert, key: [bench_id], version_by: updated_at}
schema:
  - {name: bench_id, type: string, required: true}
  - {name: status, type: string}
  - {name: amount, type: int}
  - {name: updated_at, type: timestamp}
vault:
  hubs:
    - {hub: bench, key: [bench_id]}
  satellites:
    - {satellite: bench_state, parent: bench, columns: [status, amount]}
"""


def project(folder: Path) -> Path:
    """A dbt project with the platform's macros and the generated bench models."""
    specs = folder / "specs"
    specs.mkdir(parents=True)
    (specs / "_model.yaml").write_text(MODEL)
    (specs / "bench_events.yaml").write_text(SPEC)
    catalog = load_catalog([specs])
    if catalog.problems:
        raise SystemExit("\n".join(str(p) for p in catalog.problems))
    dbt_dir = folder / "dbt"
    dbt_dir.mkdir()
    shutil.copy(project_dir() / "dbt_project" / "dbt_project.yml", dbt_dir)
    shutil.copytree(
        project_dir() / "dbt_project" / "macros",
        dbt_dir / "macros",
        ignore=shutil.ignore_patterns("generated"),
    )
    write(catalog, dbt_dir)
    return dbt_dir


def stage(spark: SparkSession, rows: int, step: int, changed_every: int | None, loaded_at: str) -> None:
    """Replace the change stream with `rows` keys (every `step`-th id), one version each, every
    `changed_every`-th changed."""
    changed = f"id % {changed_every * step} = 0" if changed_every else "false"
    spark.sql(f"""
        insert overwrite {CHANGES}
        select
            concat('B', cast(id as string)) as bench_id,
            case when {changed} then 'changed' else 'open' end as status,
            cast(id % 1000 as int) as amount,
            timestamp'{loaded_at}' as updated_at,
            cast(id as string) as _source_id,
            timestamp'{loaded_at}' as _loaded_at
        from range(0, {rows * step}, {step})
    """)


def dbt_run(dbt_dir: Path, target: Path, models: list[str]) -> float:
    """Run `models` with dbt in this process (one parse, reused: a smoke run stays short); return the
    satellite's execution seconds (dbt's own timing of the model, without its start-up)."""
    os.environ["SPARK_REMOTE"] = get_settings().spark_remote
    os.environ["DBT_LOG_PATH"] = str(target)
    result = dbtRunner().invoke(
        [
            "run",
            "-s",
            *models,
            "--profiles-dir",
            str(project_dir() / "dbt_project"),
            "--project-dir",
            str(dbt_dir),
            "--target-path",
            str(target),
            "--vars",
            json.dumps({"tardis_schema_prefix": PREFIX}),
            "--quiet",
        ]
    )
    if not result.success:
        raise SystemExit(f"dbt run failed: {result.exception or result.result}")
    results = json.loads((target / "run_results.json").read_text())["results"]
    return next(r["execution_time"] for r in results if r["unique_id"].endswith("sat_bench_state"))


def arguments() -> argparse.Namespace:
    """The sizes: `--existing` satellite rows, `--rows` incoming rows, or `--smoke` (tiny, for CI)."""
    parser = argparse.ArgumentParser(description="Satellite load into a large vs an empty satellite.")
    parser.add_argument("--existing", type=int, default=10_000_000, help="rows already in the satellite")
    parser.add_argument("--rows", type=int, default=100_000, help="incoming rows (10%% changed)")
    parser.add_argument("--smoke", action="store_true", help=f"tiny sizes {SMOKE}: only checks it runs")
    parser.add_argument(
        "--repeat", type=int, default=3, help="timed loads of each kind; the best counts (a shared machine)"
    )
    args = parser.parse_args()
    if args.smoke:
        args.existing, args.rows, args.repeat = *SMOKE, 1
    if min(args.existing, args.rows, args.repeat) < 1:
        parser.error("--existing, --rows and --repeat must be at least 1")
    return args


def main() -> None:
    """Run the benchmark and print the figures."""
    args = arguments()
    local_platform.up()
    spark = SparkSession.builder.remote(get_settings().spark_remote).getOrCreate()
    for schema in ("std", "stg", "vault"):
        spark.sql(f"create namespace if not exists {PREFIX}{schema}")
    try:
        measure(spark, args)
    finally:
        for schema in ("vault", "stg", "std"):
            for row in spark.sql(f"show tables in {PREFIX}{schema}").collect():
                kind = "view" if schema == "stg" else "table"
                spark.sql(f"drop {kind} if exists {PREFIX}{schema}.{row['tableName']}")
            spark.sql(f"drop namespace if exists {PREFIX}{schema}")


def measure(spark: SparkSession, args: argparse.Namespace) -> None:
    """Set up the satellite, time the loads and print the figures."""
    existing, incoming = args.existing, args.rows
    columns = (
        "bench_id string, status string, amount int, updated_at timestamp, _source_id string, "
        "_loaded_at timestamp"
    )
    for table in (f"{PREFIX}std.bench_events", CHANGES):
        spark.sql(f"drop table if exists {table}")
        spark.sql(f"create table {table} ({columns}) using iceberg")
    satellite = f"{PREFIX}vault.sat_bench_state"
    with tempfile.TemporaryDirectory(prefix="vault_bench_") as tmp:
        dbt_dir = project(Path(tmp))
        target = Path(tmp) / "target"
        started = time.monotonic()
        # Set-up (untimed): dbt creates the satellite from one row, then the EXISTING rows go in with a
        # plain insert from the staging view (the same hash keys and hashdiffs the model would store).
        stage(spark, 1, 1, None, "2023-12-31 00:00:00")
        dbt_run(dbt_dir, target, ["stg_bench_events", "sat_bench_state"])
        stage(spark, existing, 1, None, "2024-01-01 00:00:00")
        spark.sql(
            f"insert overwrite {satellite} select bench_hk, bench_state_hashdiff, status, amount, "
            f"updated_at, load_datetime, record_source from {PREFIX}stg.bench_events"
        )
        print(f"set-up: {existing:,} rows in the satellite ({time.monotonic() - started:.0f} s)")
        step = max(existing // incoming, 1)
        stage(spark, incoming, step, 10, "2024-01-02 00:00:00")
        before = spark.sql(
            f"select snapshot_id from {satellite}.snapshots order by committed_at desc"
        ).first()[0]
        full = []
        for _ in range(args.repeat):
            full.append(dbt_run(dbt_dir, target, ["sat_bench_state"]))
            loaded = spark.table(satellite).count()
            # Back to the EXISTING rows for the next repetition.
            spark.sql(f"CALL spark_catalog.system.rollback_to_snapshot('{satellite}', {before})")
        empty = []
        for _ in range(args.repeat):
            spark.sql(f"drop table {satellite}")
            empty.append(dbt_run(dbt_dir, target, ["sat_bench_state"]))
            into_empty = spark.table(satellite).count()
    times = ", ".join
    print(
        f"{incoming:,} incoming rows (10% changed) into a {existing:,}-row satellite: {min(full):.1f} s "
        f"(best of {times(f'{t:.1f}' for t in full)}; inserted {loaded - existing:,})"
    )
    print(
        f"{incoming:,} incoming rows into an empty satellite: {min(empty):.1f} s "
        f"(best of {times(f'{t:.1f}' for t in empty)}; inserted {into_empty:,})"
    )
    print(f"ratio: {min(full) / min(empty):.2f}x (goal < 3x)")


if __name__ == "__main__":
    main()
