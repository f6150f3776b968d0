"""The change stream `std.<product>__changes` of an upsert product: which of a batch's versions it takes.

Kafka producers are at-least-once: the same event re-sent lands at new offsets, so it is a new source
record (`_source_id`) with the same key, version and payload. Such an exact re-send is not a new
version: the change stream (what the vault stages) takes a record only if no record with the same key,
`version_by` value and contract payload is recorded already, or earlier in the batch (then the last by
position is kept, the record std keeps). Without `version_by` a re-send cannot be told from a real
repeat of an earlier state, so every source record is taken (the vault's rules say what that means).

Cheap in the usual case: a record newer than std's version of its key (before this batch) cannot be
recorded yet, so only records at or below it are looked up in the change stream, and the stream is
read only when there are such records (for their keys only; Spark broadcasts the keys when they are
few).
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812 - the PySpark convention
from pyspark.sql.window import Window

from tardis_dagster.core.jobs_io import LoadPolicy
from tardis_dagster.jobs.std.casting import SOURCE_ID
from tardis_dagster.jobs.std.loads import record_position
from tardis_dagster.jobs.tables import quote

PAYLOAD = "_tardis_payload"
STD_VERSION = "_tardis_std_version"
IN_STD = "_tardis_in_std"


def payload_digest(columns: list[str]) -> Column:
    """A digest of a record's contract values (PII already hashed): equal exactly when every value is."""
    return F.sha2(F.to_json(F.struct(*[F.col(quote(c)) for c in columns])), 256)


def unrecorded_versions(
    spark: SparkSession,
    changes_table: str,
    std_table: str,
    std_snapshot: int | None,
    records: DataFrame,
    load: LoadPolicy,
    columns: list[str],
) -> DataFrame:
    """The batch's records the change stream does not hold yet (exact re-sends left out).

    `std_snapshot` is std's published snapshot before this batch (None: std was empty).
    """
    if not load.version_by:
        return records
    identity = [*load.key, load.version_by, PAYLOAD]
    tagged = records.withColumn(PAYLOAD, payload_digest(columns))
    # A re-send inside the batch: one record per key, version and payload, the last by position.
    last = Window.partitionBy(*[F.col(quote(c)) for c in identity]).orderBy(
        record_position(F.col(SOURCE_ID)).desc()
    )
    batch = tagged.withColumn("_nth", F.row_number().over(last)).where("_nth = 1").drop("_nth")
    if std_snapshot is None:
        return batch.drop(PAYLOAD)
    keys = ", ".join(quote(k) for k in load.key)
    std = spark.sql(
        f"SELECT {keys}, {quote(load.version_by)} AS {STD_VERSION}, true AS {IN_STD} "
        f"FROM {std_table} VERSION AS OF {int(std_snapshot)}"
    )
    newer = F.coalesce(F.col(quote(load.version_by)) > F.col(STD_VERSION), F.lit(False))
    # Materialized once: both halves below come from this one join with std.
    joined = (
        batch.join(std, list(load.key), "left")
        .withColumn("_maybe_recorded", F.col(IN_STD).isNotNull() & ~newer)
        .drop(STD_VERSION, IN_STD)
        .localCheckpoint()
    )
    fresh = joined.where(~F.col("_maybe_recorded")).drop("_maybe_recorded")
    suspects = joined.where(F.col("_maybe_recorded")).drop("_maybe_recorded")
    if suspects.isEmpty():
        return fresh.drop(PAYLOAD)
    suspect_keys = suspects.select(*[quote(k) for k in load.key]).distinct()
    recorded = (
        spark.table(changes_table)
        .join(suspect_keys, list(load.key), "left_semi")
        .select(*[quote(c) for c in [*load.key, load.version_by]], payload_digest(columns).alias(PAYLOAD))
    )
    same = [F.col(f"s.{quote(c)}").eqNullSafe(F.col(f"r.{quote(c)}")) for c in identity]
    unrecorded = suspects.alias("s").join(recorded.alias("r"), same, "left_anti")
    return fresh.unionByName(unrecorded).drop(PAYLOAD)
