"""Iceberg table maintenance: expire old snapshots and compact small files, never what bookkeeping needs.

Input: `core.jobs_io.MaintenanceInput`. A Kafka landing commits once a minute and std once per batch,
so tables gather thousands of snapshots and small files a day; reads and commits slow down with them.
Per table this job runs Iceberg's `rewrite_data_files` (bin-pack files smaller than the target, when
at least `min_input_files` are) and then `expire_snapshots`, whose cut-off is the earliest of:
- now minus the retention;
- the newest snapshot recording Kafka offsets (the landing's exactly-once ledger reads it);
- the newest published snapshot recording a std read mark (std's next incremental read starts there);
- for a table others read incrementally (raw, read by std and its change stream), the snapshot each
  reader's mark names: Iceberg's incremental scan needs its start snapshot.
A compaction commit is a `replace` snapshot: incremental append scans skip it, so no row is read twice.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import SparkSession

from tardis_dagster.core.jobs_io import MaintainedTable, MaintenanceInput, MaintenanceResult, TableMaintenance
from tardis_dagster.jobs.land_kafka import OFFSETS_PROPERTY
from tardis_dagster.jobs.standardize import RAW_SNAPSHOT_PROPERTY, recorded_raw_snapshots
from tardis_dagster.jobs.tables import table_exists

CATALOG = "spark_catalog"


def _count(spark: SparkSession, query: str) -> int:
    return int(spark.sql(query).collect()[0][0])


def _committed_ms(spark: SparkSession, table: str, where: str) -> int | None:
    """Epoch milliseconds of the newest snapshot of `table` matching `where` (None: none does)."""
    row = spark.sql(
        f"SELECT unix_millis(max(s.committed_at)) FROM {table}.snapshots s "
        f"JOIN {table}.history h ON s.snapshot_id = h.snapshot_id AND h.is_current_ancestor WHERE {where}"
    ).collect()[0][0]
    return None if row is None else int(row)


def protected_since(spark: SparkSession, item: MaintainedTable) -> list[tuple[int, str]]:
    """(commit time in ms, reason) of each snapshot of `item.table` that bookkeeping still needs."""
    table = item.table
    needed = []
    for prop, reason in ((OFFSETS_PROPERTY, "kafka offsets"), (RAW_SNAPSHOT_PROPERTY, "std read mark")):
        at = _committed_ms(spark, table, f"s.summary['{prop}'] IS NOT NULL")
        if at is not None:
            needed.append((at, reason))
    for reader in item.read_by:
        marks = recorded_raw_snapshots(spark, reader)
        if marks:
            at = _committed_ms(spark, table, f"s.snapshot_id = {int(marks[0])}")
            if at is not None:
                needed.append((at, f"read by {reader}"))
    return needed


def maintain(
    spark: SparkSession, item: MaintainedTable, job: MaintenanceInput, now_ms: int
) -> TableMaintenance:
    """Compact `item.table`'s small files, then expire the snapshots nothing needs."""
    table = item.table
    if not table_exists(spark, table):
        return TableMaintenance(table, 0, 0, 0, 0, "", missing=True)
    snapshots_before = _count(spark, f"SELECT count(*) FROM {table}.snapshots")
    files_before = _count(spark, f"SELECT count(*) FROM {table}.data_files")
    literal = table.replace("'", "")  # a catalog identifier (validated names), as the procedures take it
    spark.sql(
        f"CALL {CATALOG}.system.rewrite_data_files(table => '{literal}', options => map("
        f"'min-input-files', '{int(job.min_input_files)}', "
        f"'target-file-size-bytes', '{int(job.target_file_bytes)}'))"
    ).collect()
    cutoff, reason = now_ms - job.snapshot_retention_hours * 3_600_000, "retention"
    for at, why in protected_since(spark, item):
        if at < cutoff:
            cutoff, reason = at, why
    older_than = dt.datetime.fromtimestamp(cutoff / 1000, tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    spark.sql(
        f"CALL {CATALOG}.system.expire_snapshots(table => '{literal}', "
        f"older_than => TIMESTAMP '{older_than} UTC', retain_last => {int(job.retain_last)})"
    ).collect()
    return TableMaintenance(
        table=table,
        snapshots_before=snapshots_before,
        snapshots_after=_count(spark, f"SELECT count(*) FROM {table}.snapshots"),
        data_files_before=files_before,
        data_files_after=_count(spark, f"SELECT count(*) FROM {table}.data_files"),
        kept_since=reason,
    )


def run_maintenance(
    spark: SparkSession, job: MaintenanceInput, now_ms: int | None = None
) -> MaintenanceResult:
    """Maintain every table of `job`, one after the other (each is a few Iceberg commits).

    A table that fails (e.g. its compaction conflicts with a commit running at the same time) is
    reported with its error and the others are maintained anyway; the next run tries it again.
    """
    now = now_ms if now_ms is not None else int(dt.datetime.now(dt.UTC).timestamp() * 1000)
    done = []
    for item in job.tables:
        try:
            done.append(maintain(spark, item, job, now))
        except Exception as error:  # one table's failure must not stop the others
            first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
            done.append(TableMaintenance(item.table, 0, 0, 0, 0, "", error=first_line[:300]))
    return MaintenanceResult(done)


def main() -> None:
    """Entry point under Dagster Pipes: one materialization of the maintenance asset."""
    from tardis_dagster.core.jobs_io import from_extras
    from tardis_dagster.core.settings import JobEnvironment
    from tardis_dagster.jobs.pipes_channels import open_job_pipes
    from tardis_dagster.jobs.reporting import pipes_metadata
    from tardis_dagster.jobs.session import spark_session

    with open_job_pipes() as pipes:
        job = from_extras(MaintenanceInput, pipes.extras)
        spark = spark_session("tardis-table-maintenance", JobEnvironment.read())
        result = run_maintenance(spark, job)
        for table in result.tables:
            if table.error is not None:
                pipes.log.warning(f"{table.table}: maintenance failed: {table.error}")
        pipes.report_asset_materialization(metadata=pipes_metadata(result.metadata()))


if __name__ == "__main__":
    main()
