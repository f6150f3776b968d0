"""The landing's ledger: the next offset per partition of raw and quarantine tables, read in one query."""

from __future__ import annotations

import uuid

import pytest
from pyspark.sql import functions as F  # noqa: N812 - the PySpark convention

from tardis_dagster.jobs import land_kafka

pytestmark = pytest.mark.platform


def _table(spark, rows: list[tuple[int, int]], offsets: dict[int, int] | None) -> str:
    """A raw-like table holding (partition, offset) rows, committed with or without the offsets property."""
    name = f"raw.ledger_{uuid.uuid4().hex[:8]}"
    spark.sql(f"CREATE TABLE {name} (`partition` INT, `offset` BIGINT, value BINARY) USING iceberg")
    df = spark.createDataFrame(rows, "partition int, offset bigint").withColumn("value", F.lit(b"x"))
    if offsets is None:
        df.writeTo(name).append()  # as older code, or after the recording snapshots expired
    else:
        land_kafka._commit(df, name, offsets, "run-ledger")
    return name


def test_next_offsets_reads_the_recorded_ledger_and_falls_back_to_the_data(spark) -> None:
    recorded = _table(spark, [(0, 4), (1, 9)], {0: 7, 1: 10})  # offsets 5-6 of partition 0 quarantined
    unrecorded = _table(spark, [(0, 2), (0, 3), (2, 41)], None)
    empty = _table(spark, [], {0: 0})
    try:
        ledger = land_kafka.next_offsets(spark, [recorded, unrecorded, empty])
        assert ledger == {recorded: {0: 7, 1: 10}, unrecorded: {0: 4, 2: 42}, empty: {}}
        # A later commit moves the ledger on; the newest snapshot's record counts.
        land_kafka._commit(
            spark.createDataFrame([(1, 10)], "partition int, offset bigint").withColumn("value", F.lit(b"y")),
            recorded,
            {0: 7, 1: 11},
            "run-ledger",
        )
        assert land_kafka.next_offsets(spark, [recorded])[recorded] == {0: 7, 1: 11}
        stats = land_kafka.run_stats(spark, [recorded, unrecorded], "run-ledger")
        assert {t: (s.records, s.bytes) for t, s in stats.items()} == {recorded: (3, 3), unrecorded: (0, 0)}
        assert stats[unrecorded].last_commit_ms == 0 < stats[recorded].last_commit_ms
        # after its last commit, nothing more of the run is counted (a stream's next interval)
        last = stats[recorded].last_commit_ms
        later = land_kafka.run_stats(spark, [recorded], "run-ledger", {recorded: last})
        assert later[recorded] == (0, 0, last)
    finally:
        for name in (recorded, unrecorded, empty):
            spark.sql(f"DROP TABLE IF EXISTS {name} PURGE")
