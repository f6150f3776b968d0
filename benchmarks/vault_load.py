"""Satellite load cost follows the delta, not the history.

Generates a one-product vault (hub `bench`, satellite `bench_state`) into a throwaway dbt project,
then on the local Spark Connect server:
  1. loads EXISTING rows (one per key) into the satellite (untimed set-up);
  2. stages INCOMING rows (keys spread over the existing ones, 10% with changed values) and times
     the satellite load into the 10,000,000-row satellite;
  3. drops the satellite and times the same INCOMING rows into an empty satellite.
Prints both times (dbt's execution time of the model, without dbt's start-up) and their ratio
(goal: under 3x). Needs `tardis local up`; uses schemas prefixed `vault_bench_`.

    python benchmarks/vault_load.py [EXISTING] [INCOMING]
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pyspark.sql import SparkSession

from tardis_dagster.core.settings import PROJECT_ROOT, get_settings
from tardis_dagster.core.specs import load_catalog
from tardis_dagster.tooling import local_platform
from tardis_dagster.tooling.codegen.generate import write

PREFIX = "vault_bench_"
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
    shutil.copy(PROJECT_ROOT / "dbt_project" / "dbt_project.yml", dbt_dir)
    shutil.copytree(
        PROJECT_ROOT / "dbt_project" / "macros",
        dbt_dir / "macros",
        ignore=shutil.ignore_patterns("generated"),
    )
    write(catalog, dbt_dir)
    return dbt_dir


def stage(spark: SparkSession, rows: int, step: int, changed_every: int | None, loaded_at: str) -> None:
    """Replace std.bench_events with `rows` keys (every `step`-th id); every `changed_every`-th changed."""
    changed = f"id % {changed_every * step} = 0" if changed_every else "false"
    spark.sql(f"""
        insert overwrite {PREFIX}std.bench_events
        select
            concat('B', cast(id as string)) as bench_id,
            case when {changed} then 'changed' else 'open' end as status,
            cast(id % 1000 as int) as amount,
            timestamp'{loaded_at}' as updated_at,
            cast(id as string) as _source_id,
            timestamp'{loaded_at}' as _loaded_at
        from range(0, {rows * step}, {step})
    """)


def dbt_run(dbt_dir: Path, target: Path) -> float:
    """Run the staging view and the satellite; return the satellite's execution seconds."""
    env = {**os.environ, "SPARK_REMOTE": get_settings().spark_remote, "DBT_LOG_PATH": str(target)}
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"),
            "run",
            "-s",
            "stg_bench_events",
            "sat_bench_state",
            "--profiles-dir",
            str(PROJECT_ROOT / "dbt_project"),
            "--project-dir",
            str(dbt_dir),
            "--target-path",
            str(target),
            "--vars",
            json.dumps({"tardis_schema_prefix": PREFIX}),
        ],
        cwd=dbt_dir,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(result.stdout[-4000:])
    results = json.loads((target / "run_results.json").read_text())["results"]
    return next(r["execution_time"] for r in results if r["unique_id"].endswith("sat_bench_state"))


def main() -> None:
    """Run the benchmark and print the figures."""
    existing = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
    incoming = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    local_platform.up()
    spark = SparkSession.builder.remote(get_settings().spark_remote).getOrCreate()
    for schema in ("std", "stg", "vault"):
        spark.sql(f"create namespace if not exists {PREFIX}{schema}")
    spark.sql(f"drop table if exists {PREFIX}vault.sat_bench_state")
    spark.sql(f"drop table if exists {PREFIX}std.bench_events")
    spark.sql(
        f"create table {PREFIX}std.bench_events (bench_id string, status string, amount int, "
        "updated_at timestamp, _source_id string, _loaded_at timestamp) using iceberg"
    )
    with tempfile.TemporaryDirectory(prefix="vault_bench_") as tmp:
        dbt_dir = project(Path(tmp))
        started = time.monotonic()
        stage(spark, existing, 1, None, "2024-01-01 00:00:00")
        setup = dbt_run(dbt_dir, Path(tmp) / "t0")
        print(
            f"set-up: {existing:,} rows into the satellite in {setup:.1f} s "
            f"({time.monotonic() - started:.0f} s with staging)"
        )
        step = max(existing // incoming, 1)
        stage(spark, incoming, step, 10, "2024-01-02 00:00:00")
        full = dbt_run(dbt_dir, Path(tmp) / "t1")
        loaded = spark.table(f"{PREFIX}vault.sat_bench_state").count()
        spark.sql(f"drop table {PREFIX}vault.sat_bench_state")
        empty = dbt_run(dbt_dir, Path(tmp) / "t2")
        into_empty = spark.table(f"{PREFIX}vault.sat_bench_state").count()
    print(
        f"{incoming:,} incoming rows (10% changed) into a {existing:,}-row satellite: {full:.1f} s "
        f"(inserted {loaded - existing:,})"
    )
    print(f"{incoming:,} incoming rows into an empty satellite: {empty:.1f} s (inserted {into_empty:,})")
    print(f"ratio: {full / empty:.2f}x (goal < 3x)")
    for schema in ("vault", "stg", "std"):
        for row in spark.sql(f"show tables in {PREFIX}{schema}").collect():
            kind = "view" if schema == "stg" else "table"
            spark.sql(f"drop {kind} if exists {PREFIX}{schema}.{row['tableName']}")


if __name__ == "__main__":
    main()
