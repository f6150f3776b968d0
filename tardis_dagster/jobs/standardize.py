"""Standardize a product: new raw data -> typed, deduplicated, PII-safe `std.<product>`, published
only when its audits pass (write-audit-publish on an Iceberg branch).

Incremental: the published table's snapshot summary records the raw snapshot it has read up to
(`tardis.std.raw-snapshot`); a run reads only raw snapshots appended after it. The parts live in
`jobs/std/`: casting and PII hashing, the load types, schema evolution, the audits. The write goes
to a branch; audits run there; the branch is fast-forwarded into `main` only if they all pass.
Tables are merge-on-read: an upsert writes the changed rows and delete files, not every data file it
touches.

An upsert product also has a change stream, `std.<product>__changes`: every typed, PII-hashed version of
each batch (one row per source record; an exact re-send of a recorded version, at new offsets, is left
out: `std/changes.py`), appended once std is published, so the vault sees A -> B -> A even when all
three arrive in one batch. Its snapshots record the raw snapshot too; a run reads from the
earlier of the two marks (a run stopped between the two commits re-reads that range: std's MERGE keeps
what it has, the change stream gets it once) and never appends a raw snapshot already recorded there.
Input: `core.jobs_io.StandardizeInput`; result: `StandardizeResult`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812 - the PySpark convention

from tardis_dagster.core.jobs_io import StandardizeInput, StandardizeResult
from tardis_dagster.jobs.std import audits, casting, changes, evolution, loads
from tardis_dagster.jobs.tables import (
    current_snapshot_id,
    ensure_namespace,
    quote,
    schema_columns,
    table_exists,
)

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


def ensure_std_tables(spark: SparkSession, job: StandardizeInput) -> list[str]:
    """Create `std.<product>`, its change stream (upsert) and rejects table, or evolve the existing
    tables to the spec.

    Returns the schema-evolution statements applied (none for new or unchanged tables).
    """
    table, rejects = job.table, job.rejects_table
    ensure_namespace(spark, table.split(".")[0])
    tables = {table: _std_table_ddl(job)}
    if job.changes_table:
        # The std columns plus `_source_id` and `_loaded_at` (the vault's load order), by load day:
        # a vault lookback reads the last days only.
        tables[job.changes_table] = (
            f"({', '.join(_columns_ddl(job, []))}) USING iceberg "
            f"PARTITIONED BY (days({casting.LOADED_AT})) TBLPROPERTIES ('format-version'='2')"
        )
    applied: list[str] = []
    for name, ddl in tables.items():
        if table_exists(spark, name):
            applied += evolution.evolve(spark, name, audits.contract_columns(spark, name), job.columns)
            if name == table:  # the change stream keeps its own layout (by load day)
                applied += evolution.evolve_partitioning(spark, name, job.partition_by)
        else:
            spark.sql(f"CREATE TABLE {name} {ddl}")
    if not table_exists(spark, rejects):
        spark.sql(
            f"CREATE TABLE {rejects} ({casting.SOURCE_ID} STRING, reason STRING, record STRING, "
            f"{casting.LOADED_AT} TIMESTAMP, _run_id STRING) USING iceberg "
            "TBLPROPERTIES ('format-version'='2')"
        )
    return applied


def _columns_ddl(job: StandardizeInput, history: list[str]) -> list[str]:
    """The spec's columns, then `history`, then the platform's `_source_id` and `_loaded_at`."""
    columns = [f"{quote(c.name)} {c.type}" for c in job.columns]
    return [*columns, *history, f"{casting.SOURCE_ID} STRING", f"{casting.LOADED_AT} TIMESTAMP"]


def _std_table_ddl(job: StandardizeInput) -> str:
    """What follows `CREATE TABLE std.<product>`: columns (with the history ones for scd2), partitioning,
    properties."""
    load, history = job.load, []
    if load.type == "scd2":
        types = {c.name: c.type for c in job.columns}
        version_type = types.get(loads.history_order(load), "TIMESTAMP")
        history = [
            f"{loads.VALID_FROM} {version_type}",
            f"{loads.VALID_TO} {version_type}",
            f"{loads.IS_CURRENT} BOOLEAN",
        ]
    partitioned = f"PARTITIONED BY ({', '.join(job.partition_by)})" if job.partition_by else ""
    properties = ", ".join(f"'{k}'='{v}'" for k, v in TABLE_PROPERTIES.items())
    return (
        f"({', '.join(_columns_ddl(job, history))}) USING iceberg {partitioned} TBLPROPERTIES ({properties})"
    )


def append_changes(
    spark: SparkSession,
    job: StandardizeInput,
    records: DataFrame,
    raw_snapshot: int,
    std_snapshot: int | None,
) -> int:
    """Append the batch's versions to the change stream, once per raw snapshot; returns rows appended.

    Called only after std was published (`std_snapshot`: std's published snapshot before this batch). A
    raw snapshot the change stream already records (a repeated or concurrent run of the same range)
    appends nothing; an exact re-send of a recorded version (new offsets, same key, version and
    payload) is left out (`changes.unrecorded_versions`). The raw snapshot is recorded even when
    nothing is left to append, so the range is not read again.
    """
    table = job.changes_table
    if table is None or raw_snapshot in recorded_raw_snapshots(spark, table):
        return 0
    columns = [c.name for c in job.columns]
    versions = changes.unrecorded_versions(
        spark, table, job.table, std_snapshot, records, job.load, columns
    ).localCheckpoint()
    with recording_raw_snapshot(spark, raw_snapshot):
        versions.writeTo(table).append()
    return versions.count()


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


def standardize(spark: SparkSession, job: StandardizeInput, run_id: str, pii_key: bytes) -> StandardizeResult:
    """One incremental run; returns what it read, wrote and rejected, and whether it published."""
    table, load, changes_table = job.table, job.load, job.changes_table
    # A wide contract's casts and reject reasons send Spark's constraint propagation (filters inferred
    # over every alias) into minutes of planning and an exhausted driver heap (a 45-column bill);
    # std's plans gain nothing from the inferred filters.
    spark.conf.set("spark.sql.constraintPropagation.enabled", "false")
    phases: dict[str, float] = {}
    mark = _phase_clock(phases)
    evolved = ensure_std_tables(spark, job)
    done, current = raw_snapshots(spark, job.raw_table, [t for t in (table, changes_table) if t])
    result = StandardizeResult(
        table=table,
        audits=[],
        published=False,
        raw_snapshot_from=done,
        raw_snapshot_to=current,
        schema_changes=evolved,
        changes_table=changes_table,
        phase_seconds=phases,
    )
    if current is None or current == done:
        result.audits, result.published, result.nothing_new = audits.nothing_new(load), True, True
        return result
    # Checkpointed: the increment is read once, and Spark 4.1 cannot plan an incremental Iceberg scan
    # inside MERGE ("No plan for TableReference").
    new = read_new_raw(spark, job.raw_table, done, current).localCheckpoint()
    if new.isEmpty():
        # Only raw snapshots that add no rows (an empty file or batch): nothing to publish. A commit would
        # be a new snapshot of an unchanged table, and a full load would replace the table with nothing.
        result.audits, result.published, result.nothing_new = audits.nothing_new(load), True, True
        return result
    sources = casting.resolve_sources(new.schema, job)
    result.lineage = casting.column_lineage(sources, job.raw_asset_key)
    if load.type == "full":
        # The latest complete load: the rows of the most recent landing.
        new = new.where(F.col("_ingested_at") == new.agg(F.max("_ingested_at")).collect()[0][0])
    good, bad = casting.typed(new, job, sources, pii_key)
    # The change stream and the upsert batch come from the same cached records, so a version carries
    # the same `_loaded_at` in both.
    records = loads.distinct_records(good).persist() if changes_table else good
    batch = loads.batch_rows(records, load).persist()
    rows, rejected = batch.count(), bad.count()
    result.raw_rows_read = new.count()
    mark("read_and_type")
    if rejected:
        # Keyed on the source record: a batch retried after a failed audit does not repeat its rejects.
        bad.withColumn("_run_id", F.lit(run_id)).createOrReplaceTempView("tardis_std_rejects")
        spark.sql(
            f"MERGE INTO {job.rejects_table} t USING tardis_std_rejects s "
            f"ON t.{casting.SOURCE_ID} = s.{casting.SOURCE_ID} WHEN NOT MATCHED THEN INSERT *"
        )
    columns = [c.name for c in job.columns]
    branch = f"audit_{run_id.replace('-', '')[:16]}"
    spark.sql(f"ALTER TABLE {table} CREATE BRANCH IF NOT EXISTS {branch}")
    try:
        spark.conf.set("spark.wap.branch", branch)
        try:
            with recording_raw_snapshot(spark, current):
                counted = loads.write(spark, table, batch, load, columns)
        finally:
            spark.conf.unset("spark.wap.branch")
        mark("write_branch")
        summary = branch_summary(spark, table, branch)
        # A few rejected rows for the audit's detail: the owner sees what to fix, not only a count.
        sample = bad.select(casting.SOURCE_ID, "reason").orderBy(casting.SOURCE_ID).limit(3)
        examples = tuple((r[0], r[1]) for r in sample.collect()) if rejected else ()
        results = audits.run_audits(spark, job, branch, batch, rows, rejected, examples)
        mark("audit")
        passed = all(a.passed for a in results)
        changes = counted or row_changes(summary)
        if passed and load.type == "full":
            # Before publishing: `main` still holds the load being replaced.
            changes = loads.full_changes(spark, table, branch, columns, load)
        if passed:
            std_before = current_snapshot_id(spark, table)
            # The current catalog's procedure: the session catalog locally, Glue where it is the default.
            spark.sql(f"CALL system.fast_forward('{table}', 'main', '{branch}')")
            mark("publish")
            if changes_table:
                result.changes_appended = append_changes(spark, job, records, current, std_before)
                mark("append_changes")
        result.rows, result.rejected, result.audits, result.published = rows, rejected, results, passed
        result.inserted, result.updated, result.deleted = (
            changes["inserted"],
            changes["updated"],
            changes["deleted"],
        )
        result.partitions_touched = int(summary.get("changed-partition-count", 0))
    finally:
        spark.sql(f"ALTER TABLE {table} DROP BRANCH IF EXISTS {branch}")
        batch.unpersist()
        if changes_table:
            records.unpersist()
    return result


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


def describe_published(spark: SparkSession, job: StandardizeInput, result: StandardizeResult) -> None:
    """Fill in what the published table looks like now: rows, schema with descriptions, snapshot."""
    descriptions = {c.name: c.description for c in job.columns}
    result.row_count = published_row_count(spark, job.table)
    result.columns = schema_columns(spark.table(job.table).schema, descriptions)
    result.snapshot_id = current_snapshot_id(spark, job.table)


def main() -> None:
    """Entry point under Dagster Pipes: standardize, report the audits as checks, fail if unpublished."""
    from tardis_dagster.core.jobs_io import from_extras
    from tardis_dagster.core.naming import AUDITS_CHECK
    from tardis_dagster.core.settings import JobEnvironment
    from tardis_dagster.jobs.pipes_channels import open_job_pipes
    from tardis_dagster.jobs.reporting import pipes_metadata
    from tardis_dagster.jobs.session import spark_session

    with open_job_pipes() as pipes:
        job = from_extras(StandardizeInput, pipes.extras)
        started = time.monotonic()
        spark = spark_session(f"tardis-standardize-{job.product}", JobEnvironment.read())
        # The documented time zone rule: text without an offset is UTC, whatever the cluster's zone.
        spark.conf.set("spark.sql.session.timeZone", "UTC")
        key = JobEnvironment.secret(job.pii_key_env)
        if not key and job.has_pii:
            raise RuntimeError(f"{job.pii_key_env} is not set: PII columns cannot be hashed")
        try:
            result = standardize(spark, job, str(pipes.run_id), key.encode())
        except evolution.SchemaEvolutionError as exc:
            # The user's fix is in the message: log it plainly, not only inside a traceback.
            pipes.log.error(str(exc))
            raise
        pipes.report_asset_check(
            check_name=AUDITS_CHECK,
            passed=not result.failed_audits,
            asset_key=job.asset_key,
            severity="ERROR",
            metadata=pipes_metadata(result.audit_metadata()),
        )
        if not result.published:
            # Nothing was published: the failed audits (reported above) say why; std is unchanged.
            pipes.log.error(f"{job.table}: audits failed, batch not published")
            return
        describe_published(spark, job, result)
        result.job_seconds = round(time.monotonic() - started, 2)
        pipes.report_asset_materialization(
            asset_key=job.asset_key, metadata=pipes_metadata(result.metadata())
        )


if __name__ == "__main__":
    main()
