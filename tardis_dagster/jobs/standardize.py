"""Standardize a product: new raw data -> typed, deduplicated, PII-safe `std.<product>`, published
only when its audits pass (write-audit-publish on an Iceberg branch).

Incremental: the published table's snapshot summary records the raw snapshot it has read up to
(`tardis.std.raw-snapshot`); a run reads only raw snapshots appended after it. The parts live in
`spark_jobs/std/`: casting and PII hashing, the load types, schema evolution, the audits. The write goes
to a branch; audits run there; the branch is fast-forwarded into `main` only if they all pass.
Tables are merge-on-read: an upsert writes the changed rows and delete files, not every data file it
touches.

An upsert product also has a change stream, `std.<product>__changes`: every typed, PII-hashed version of
each batch (one row per source record), appended once std is published, so the vault sees A -> B -> A
even when all three arrive in one batch. Its snapshots record the raw snapshot too; a run reads from the
earlier of the two marks (a run stopped between the two commits re-reads that range: std's MERGE keeps
what it has, the change stream gets it once) and never appends a raw snapshot already recorded there.
Extras: see `tardis_dagster/defs/standardize/assets.py`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812 - the PySpark convention

from tardis_dagster.jobs.common import ensure_namespace, quote, table_exists
from tardis_dagster.jobs.std import audits, casting, evolution, loads

RAW_SNAPSHOT_PROPERTY = "tardis.std.raw-snapshot"
TABLE_PROPERTIES = {
    "format-version": "2",
    "write.wap.enabled": "true",
    "write.merge.mode": "merge-on-read",
    "write.update.mode": "merge-on-read",
    "write.delete.mode": "merge-on-read",
}


def recorded_raw_snapshots(spark: SparkSession, table: str) -> list[int]:
    """The raw snapshots `table`'s published snapshots record having read, newest first."""
    if not table_exists(spark, table):
        return []
    # Only published snapshots count: an audit branch's commit stays in `snapshots` after the
    # branch is dropped, and its batch was never published.
    rows = spark.sql(
        f"SELECT s.summary['{RAW_SNAPSHOT_PROPERTY}'] s FROM {table}.snapshots s "
        f"JOIN {table}.history h ON s.snapshot_id = h.snapshot_id AND h.is_current_ancestor "
        f"WHERE s.summary['{RAW_SNAPSHOT_PROPERTY}'] IS NOT NULL ORDER BY s.committed_at DESC"
    ).collect()
    return [int(r["s"]) for r in rows]


def raw_snapshots(spark: SparkSession, raw: str, tables: list[str]) -> tuple[int | None, int | None]:
    """(raw snapshot every one of `tables` has read up to, current raw snapshot)."""
    current = spark.sql(
        f"SELECT snapshot_id FROM {raw}.snapshots ORDER BY committed_at DESC LIMIT 1"
    ).collect()
    marks = {next(iter(recorded_raw_snapshots(spark, t)), None) for t in tables}
    if len(marks) == 1:
        done = marks.pop()
    elif None in marks:
        done = None  # one table has read nothing yet (e.g. a new change stream): from the start
    else:
        ids = ", ".join(str(m) for m in marks)
        earliest = spark.sql(
            f"SELECT snapshot_id FROM {raw}.snapshots WHERE snapshot_id IN ({ids}) "
            "ORDER BY committed_at LIMIT 1"
        ).collect()
        done = int(earliest[0][0]) if earliest else None
    return done, (int(current[0][0]) if current else None)


@contextmanager
def recording_raw_snapshot(spark: SparkSession, snapshot: int) -> Iterator[None]:
    """Commits made inside record `snapshot` as the raw snapshot read up to (in their summary)."""
    key = f"spark.sql.iceberg.snapshot-property.{RAW_SNAPSHOT_PROPERTY}"
    spark.conf.set(key, str(snapshot))
    try:
        yield
    finally:
        spark.conf.unset(key)


def read_new_raw(spark: SparkSession, raw: str, done: int | None, current: int) -> DataFrame:
    """Raw rows appended after snapshot `done` up to `current` (all of them on a first run)."""
    if done is None:
        return spark.sql(f"SELECT * FROM {raw} VERSION AS OF {int(current)}")
    # Iceberg's incremental append scan; `.table()`, because `.format("iceberg").load()` with these
    # options fails to plan on Spark 4.1.
    return (
        spark.read.option("start-snapshot-id", str(done)).option("end-snapshot-id", str(current)).table(raw)
    )


def ensure_std_tables(spark: SparkSession, extras: dict[str, Any]) -> list[str]:
    """Create `std.<product>`, its change stream (upsert) and rejects table, or evolve the existing
    tables to the spec.

    Returns the schema-evolution statements applied (none for new or unchanged tables).
    """
    table, rejects = extras["table"], extras["rejects_table"]
    ensure_namespace(spark, table.split(".")[0])
    tables = {table: _std_table_ddl(extras)}
    if extras.get("changes_table"):
        # The std columns plus `_source_id` and `_loaded_at` (the vault's load order), by load day:
        # a vault lookback reads the last days only.
        tables[extras["changes_table"]] = (
            f"({', '.join(_columns_ddl(extras, []))}) USING iceberg "
            f"PARTITIONED BY (days({casting.LOADED_AT})) TBLPROPERTIES ('format-version'='2')"
        )
    applied: list[str] = []
    for name, ddl in tables.items():
        if table_exists(spark, name):
            applied += evolution.evolve(spark, name, audits.contract_columns(spark, name), extras["columns"])
        else:
            spark.sql(f"CREATE TABLE {name} {ddl}")
    if not table_exists(spark, rejects):
        spark.sql(
            f"CREATE TABLE {rejects} ({casting.SOURCE_ID} STRING, reason STRING, record STRING, "
            f"{casting.LOADED_AT} TIMESTAMP, _run_id STRING) USING iceberg "
            "TBLPROPERTIES ('format-version'='2')"
        )
    return applied


def _columns_ddl(extras: dict[str, Any], history: list[str]) -> list[str]:
    """The spec's columns, then `history`, then the platform's `_source_id` and `_loaded_at`."""
    columns = [f"{quote(c['name'])} {c['type']}" for c in extras["columns"]]
    return [*columns, *history, f"{casting.SOURCE_ID} STRING", f"{casting.LOADED_AT} TIMESTAMP"]


def _std_table_ddl(extras: dict[str, Any]) -> str:
    """What follows `CREATE TABLE std.<product>`: columns (with the history ones for scd2), partitioning,
    properties."""
    load, history = extras["load"], []
    if load["type"] == "scd2":
        types = {c["name"]: c["type"] for c in extras["columns"]}
        version_type = types.get(loads.history_order(load), "TIMESTAMP")
        history = [
            f"{loads.VALID_FROM} {version_type}",
            f"{loads.VALID_TO} {version_type}",
            f"{loads.IS_CURRENT} BOOLEAN",
        ]
    partitioned = f"PARTITIONED BY ({', '.join(extras['partition_by'])})" if extras["partition_by"] else ""
    properties = ", ".join(f"'{k}'='{v}'" for k, v in TABLE_PROPERTIES.items())
    return (
        f"({', '.join(_columns_ddl(extras, history))}) USING iceberg {partitioned} "
        f"TBLPROPERTIES ({properties})"
    )


def append_changes(spark: SparkSession, table: str, records: DataFrame, raw_snapshot: int) -> int:
    """Append the batch's versions to the change stream, once per raw snapshot; returns rows appended.

    Called only after std was published. A raw snapshot the change stream already records (a repeated
    or concurrent run of the same range) appends nothing.
    """
    if raw_snapshot in recorded_raw_snapshots(spark, table):
        return 0
    with recording_raw_snapshot(spark, raw_snapshot):
        records.writeTo(table).append()
    return records.count()


def branch_summary(spark: SparkSession, table: str, branch: str) -> dict[str, str]:
    """The Iceberg snapshot summary of the branch's head (what the batch's commit changed)."""
    rows = spark.sql(
        f"SELECT s.summary FROM {table}.refs r JOIN {table}.snapshots s ON r.snapshot_id = s.snapshot_id "
        f"WHERE r.name = '{branch}'"
    ).collect()
    return dict(rows[0][0]) if rows else {}


def row_changes(summary: dict[str, str]) -> dict[str, int]:
    """Rows inserted, updated and deleted by an append, upsert or scd2 commit, from its snapshot summary
    (a full load's are counted by `loads.full_changes`).

    Merge-on-read: an updated row is a position delete plus an added row.
    """
    added = int(summary.get("added-records", 0))
    updated = int(summary.get("added-position-deletes", 0))
    return {"inserted": added - updated, "updated": updated, "deleted": 0}


def standardize(spark: SparkSession, extras: dict[str, Any], run_id: str, pii_key: bytes) -> dict[str, Any]:
    """One incremental run; returns the outcome (counts, audits, whether it published)."""
    table, load, changes_table = extras["table"], extras["load"], extras.get("changes_table")
    phases: dict[str, float] = {}
    mark = _phase_clock(phases)
    evolved = ensure_std_tables(spark, extras)
    done, current = raw_snapshots(spark, extras["raw_table"], [t for t in (table, changes_table) if t])
    outcome: dict[str, Any] = {
        "raw_snapshot_from": done,
        "raw_snapshot_to": current,
        "published": False,
        "schema_changes": evolved,
        "changes": {"inserted": 0, "updated": 0, "deleted": 0},
        "partitions_touched": 0,
        "raw_rows_read": 0,
        "changes_appended": 0,
        "lineage": None,
        "phase_seconds": phases,
    }
    if current is None or current == done:
        outcome.update(rows=0, rejected=0, audits=audits.nothing_new(load), published=True, nothing_new=True)
        return outcome
    # Checkpointed: the increment is read once, and Spark 4.1 cannot plan an incremental Iceberg scan
    # inside MERGE ("No plan for TableReference").
    new = read_new_raw(spark, extras["raw_table"], done, current).localCheckpoint()
    if new.isEmpty():
        # Only raw snapshots that add no rows (an empty file or batch): nothing to publish. A commit would
        # be a new snapshot of an unchanged table, and a full load would replace the table with nothing.
        outcome.update(rows=0, rejected=0, audits=audits.nothing_new(load), published=True, nothing_new=True)
        return outcome
    extras = casting.resolve_sources(new.schema, extras)
    outcome["lineage"] = casting.column_lineage(extras, ["raw", extras["product"]])
    if load["type"] == "full":
        # The latest complete load: the rows of the most recent landing.
        new = new.where(F.col("_ingested_at") == new.agg(F.max("_ingested_at")).collect()[0][0])
    good, bad = casting.typed(new, extras, pii_key)
    # The change stream and the upsert batch come from the same cached records, so a version carries
    # the same `_loaded_at` in both.
    records = loads.distinct_records(good).persist() if changes_table else good
    batch = loads.batch_rows(records, load).persist()
    rows, rejected = batch.count(), bad.count()
    outcome["raw_rows_read"] = new.count()
    mark("read_and_type")
    if rejected:
        # Keyed on the source record: a batch retried after a failed audit does not repeat its rejects.
        bad.withColumn("_run_id", F.lit(run_id)).createOrReplaceTempView("tardis_std_rejects")
        spark.sql(
            f"MERGE INTO {extras['rejects_table']} t USING tardis_std_rejects s "
            f"ON t.{casting.SOURCE_ID} = s.{casting.SOURCE_ID} WHEN NOT MATCHED THEN INSERT *"
        )
    branch = f"audit_{run_id.replace('-', '')[:16]}"
    spark.sql(f"ALTER TABLE {table} CREATE BRANCH IF NOT EXISTS {branch}")
    try:
        spark.conf.set("spark.wap.branch", branch)
        try:
            with recording_raw_snapshot(spark, current):
                loads.write(spark, table, batch, load, [c["name"] for c in extras["columns"]])
        finally:
            spark.conf.unset("spark.wap.branch")
        mark("write_branch")
        summary = branch_summary(spark, table, branch)
        results = audits.run_audits(spark, extras, branch, batch, rows, rejected)
        mark("audit")
        passed = all(a["passed"] for a in results)
        changes = row_changes(summary)
        if passed and load["type"] == "full":
            # Before publishing: `main` still holds the load being replaced.
            changes = loads.full_changes(spark, table, branch, [c["name"] for c in extras["columns"]], load)
        if passed:
            spark.sql(f"CALL spark_catalog.system.fast_forward('{table}', 'main', '{branch}')")
            mark("publish")
            if changes_table:
                outcome["changes_appended"] = append_changes(spark, changes_table, records, current)
                mark("append_changes")
        outcome.update(
            rows=rows,
            rejected=rejected,
            audits=results,
            published=passed,
            changes=changes,
            partitions_touched=int(summary.get("changed-partition-count", 0)),
        )
    finally:
        spark.sql(f"ALTER TABLE {table} DROP BRANCH IF EXISTS {branch}")
        batch.unpersist()
        if changes_table:
            records.unpersist()
    return outcome


def published_row_count(spark: SparkSession, table: str) -> int:
    """Live rows of the published table from Iceberg's snapshot summary (no scan): data file records
    minus the rows that position deletes (merge-on-read updates) remove."""
    rows = spark.sql(
        f"SELECT s.summary FROM {table}.snapshots s JOIN {table}.history h "
        "ON s.snapshot_id = h.snapshot_id AND h.is_current_ancestor ORDER BY h.made_current_at DESC LIMIT 1"
    ).collect()
    summary = dict(rows[0][0]) if rows else {}
    if "total-records" not in summary or int(summary.get("total-equality-deletes", 0)):
        return int(spark.table(table).count())  # no totals, or deletes a summary cannot subtract
    return int(summary["total-records"]) - int(summary.get("total-position-deletes", 0))


def _phase_clock(phases: dict[str, float]):
    """A function that records the seconds since its previous call under a phase name."""
    last = [time.monotonic()]

    def mark(name: str) -> None:
        now = time.monotonic()
        phases[name] = round(now - last[0], 2)
        last[0] = now

    return mark


def materialization_metadata(spark: SparkSession, extras: dict[str, Any], outcome: dict[str, Any]) -> dict:
    """Pipes metadata of a published run: table, counts, schema with descriptions, lineage, snapshot."""
    from tardis_dagster.jobs.common import current_snapshot_id, schema_metadata

    table = extras["table"]
    descriptions = {c["name"]: c.get("description") for c in extras["columns"]}
    changes = outcome["changes"]
    metadata = {
        "dagster/table_name": {"type": "text", "raw_value": table},
        "dagster/row_count": {"type": "int", "raw_value": published_row_count(spark, table)},
        "dagster/column_schema": {
            "type": "table_schema",
            "raw_value": schema_metadata(spark.table(table).schema, descriptions),
        },
        "rows_inserted": {"type": "int", "raw_value": changes["inserted"]},
        "rows_updated": {"type": "int", "raw_value": changes["updated"]},
        "rows_deleted": {"type": "int", "raw_value": changes["deleted"]},
        "rows_rejected": {"type": "int", "raw_value": int(outcome["rejected"])},
        "raw_rows_read": {"type": "int", "raw_value": int(outcome["raw_rows_read"])},
        "raw_snapshot_range": {
            "type": "text",
            "raw_value": f"{outcome['raw_snapshot_from']} -> {outcome['raw_snapshot_to']}",
        },
        "partitions_touched": {"type": "int", "raw_value": int(outcome["partitions_touched"])},
        "schema_changes": {"type": "text", "raw_value": "; ".join(outcome["schema_changes"]) or "none"},
        "iceberg_snapshot_id": {"type": "text", "raw_value": str(current_snapshot_id(spark, table))},
        "phase_seconds": {"type": "json", "raw_value": outcome["phase_seconds"]},
    }
    if extras.get("changes_table"):
        metadata["changes_table"] = {"type": "text", "raw_value": extras["changes_table"]}
        metadata["changes_appended"] = {"type": "int", "raw_value": int(outcome["changes_appended"])}
    if outcome["lineage"]:
        metadata["dagster/column_lineage"] = outcome["lineage"]
    return metadata


def main() -> None:
    """Entry point under Dagster Pipes: standardize, report the audits as checks, fail if unpublished."""
    import os

    from dagster_pipes import open_dagster_pipes

    from tardis_dagster.jobs.common import spark_session

    with open_dagster_pipes() as pipes:
        extras = dict(pipes.extras)
        started = time.monotonic()
        spark = spark_session(f"tardis-standardize-{extras['product']}")
        # The documented time zone rule: text without an offset is UTC, whatever the cluster's zone.
        spark.conf.set("spark.sql.session.timeZone", "UTC")
        key = os.environ.get(extras["pii_key_env"], "")
        if not key and any(c["pii"] for c in extras["columns"]):
            raise RuntimeError(f"{extras['pii_key_env']} is not set: PII columns cannot be hashed")
        try:
            outcome = standardize(spark, extras, str(pipes.run_id), key.encode())
        except evolution.SchemaEvolutionError as exc:
            # The user's fix is in the message: log it plainly, not only inside a traceback.
            pipes.log.error(str(exc))
            raise
        failed = [a["name"] for a in outcome["audits"] if not a["passed"]]
        pipes.report_asset_check(
            check_name="audits",
            passed=not failed,
            asset_key=extras["asset_key"],
            severity="ERROR",
            metadata={
                "failed": {"type": "text", "raw_value": ", ".join(failed) or "none"},
                **{
                    a["name"]: {
                        "type": "text",
                        "raw_value": f"{'pass' if a['passed'] else 'FAIL'}: {a['detail']}",
                    }
                    for a in outcome["audits"]
                },
            },
        )
        if not outcome["published"]:
            # Nothing was published: the failed audits (reported above) say why; std is unchanged.
            pipes.log.error(f"{extras['table']}: audits failed, batch not published")
            return
        metadata = materialization_metadata(spark, extras, outcome)
        metadata["job_seconds"] = {"type": "float", "raw_value": round(time.monotonic() - started, 2)}
        pipes.report_asset_materialization(asset_key=extras["asset_key"], metadata=metadata)


if __name__ == "__main__":
    main()
