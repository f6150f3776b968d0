"""The load types, each a single Iceberg commit on the audit branch.

- append: every source record once (MERGE on the source id, so a replayed record is not inserted again);
- full: INSERT OVERWRITE with the latest complete load; its rows inserted, updated and deleted are
  counted against the load it replaces (`full_changes`), not as every row deleted and written again;
- upsert: MERGE on the key, a row replaced only by a greater `version_by` (late older versions lose);
  every version of the batch is also appended to the change stream, exact re-sends left out
  (`changes.unrecorded_versions`, `standardize.append_changes`);
- scd2: history per key; each version's `valid_from` is its `version_by` value, `valid_to` the next
  version's, `is_current` the last one. Out-of-order versions are placed by recomputing the history of
  the touched keys only, then merging the inserted versions and the closed intervals;
- replace (files): each delivery replaces the rows of every key value it holds (a billing period
  re-delivered). A delivery is the folder its files land in (AWS's BILLING_PERIOD=... or assembly
  folder); a file rewritten in place is delivered again. Per key value the latest delivery (its newest
  file) wins: rows of that key from other folders, and rows of a re-delivered file it no longer holds,
  are deleted in the same MERGE that writes the new rows.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812 - the PySpark convention
from pyspark.sql.window import Window

from tardis_dagster.core.jobs_io import LoadPolicy
from tardis_dagster.jobs.std.casting import LOADED_AT, MODIFIED_AT, SOURCE_ID
from tardis_dagster.jobs.tables import current_snapshot_id, quote

VALID_FROM, VALID_TO, IS_CURRENT = "valid_from", "valid_to", "is_current"
HISTORY_COLUMNS = (VALID_FROM, VALID_TO, IS_CURRENT)


def history_order(load: LoadPolicy) -> str:
    """The column that orders an scd2 history: `version_by`, else the time the row was loaded."""
    return load.version_by or LOADED_AT


def distinct_records(good: DataFrame) -> DataFrame:
    """One row per source record: a record delivered twice (same Kafka coordinates, same file row)
    counts once. What an append table and an upsert's change stream hold of a batch."""
    return good.dropDuplicates([SOURCE_ID])


def record_position(source_id: Column) -> Column:
    """Where a record stands in its batch, as text that sorts in that order: a Kafka record's
    `topic/partition/offset` with partition and offset zero-padded (offset 10 after offset 9), a file
    record's id (file and zero-padded row number) as it is. The vault orders a batch's versions by the
    same text (`tardis_record_position` in dbt_project/macros/vault/ordering.sql)."""
    kafka = source_id.rlike("^[^/]+/[0-9]+/[0-9]+$")
    padded = F.concat(
        F.lpad(F.regexp_extract(source_id, "/([0-9]+)/[0-9]+$", 1), 10, "0"),
        F.lit("/"),
        F.lpad(F.regexp_extract(source_id, "/([0-9]+)$", 1), 20, "0"),
    )
    return F.when(kafka, padded).otherwise(source_id)


def batch_rows(good: DataFrame, load: LoadPolicy) -> DataFrame:
    """The batch as the load type writes it: one row per key (upsert), per key and version (scd2),
    per source record (append, full). Of several records of one version the last by position wins."""
    key = [F.col(quote(k)) for k in load.key]
    last = record_position(F.col(SOURCE_ID)).desc()
    if load.type == "upsert":
        order = [F.col(quote(load.version_by)).desc_nulls_last()] if load.version_by else []
        return _first(good, key, [*order, last])
    if load.type == "scd2":
        return _first(good, [*key, F.col(quote(history_order(load)))], [last])
    if load.type == "replace":
        return latest_deliveries(good, load)
    return distinct_records(good)


def source_file(source_id: Column) -> Column:
    """The file a file record's `_source_id` (`<file>#<row>`) names."""
    return F.regexp_extract(source_id, r"^(.*)#[^#]*$", 1)


def delivery_folder(source_id: Column) -> Column:
    """The folder a file record was delivered in: one delivery of an export (AWS writes each into a
    BILLING_PERIOD=... or assembly-id folder of its own)."""
    return F.regexp_extract(source_file(source_id), r"^(.*)/[^/]*$", 1)


def latest_deliveries(good: DataFrame, load: LoadPolicy) -> DataFrame:
    """Of a replace batch, what the latest delivery of each key value holds.

    A file landed more than once in the batch counts in its newest version only; per key value, the
    folder of the newest file wins (ties: the greatest folder name, so a rerun decides alike).
    """
    written = F.coalesce(F.col(MODIFIED_AT), F.timestamp_micros(F.lit(0)))
    rows = good.withColumn("_file", source_file(F.col(SOURCE_ID))).withColumn("_written", written)
    newest = Window.partitionBy("_file")
    rows = rows.withColumn("_newest", F.max("_written").over(newest)).where("_written = _newest")
    rows = rows.withColumn("_folder", delivery_folder(F.col(SOURCE_ID)))
    per_key = Window.partitionBy(*[F.col(quote(k)) for k in load.key]).orderBy(
        F.col("_written").desc(), F.col("_folder").desc()
    )
    rows = rows.withColumn("_winner", F.first("_folder").over(per_key))
    latest = rows.where(F.col("_folder") == F.col("_winner")).drop(
        "_file", "_written", "_newest", "_folder", "_winner"
    )
    return distinct_records(latest)


def _first(df: DataFrame, partition: list, order: list) -> DataFrame:
    window = Window.partitionBy(*partition).orderBy(*order)
    return df.withColumn("_rank", F.row_number().over(window)).where("_rank = 1").drop("_rank")


def write(
    spark: SparkSession, table: str, batch: DataFrame, load: LoadPolicy, columns: list[str]
) -> dict[str, int] | None:
    """Write `batch` into `table` (the session's WAP branch is set by the caller) per the load type.

    Returns the rows inserted, updated and deleted where the load counts them itself (replace), else
    None (they are read from the commit's snapshot summary).
    """
    view = "tardis_std_batch"
    if load.type == "replace":
        return replace_deliveries(spark, table, batch, load)
    if load.type == "scd2":
        batch = scd2_changes(spark, table, batch, load, columns)
    batch.createOrReplaceTempView(view)
    if load.type == "full":
        names = ", ".join(quote(c) for c in spark.table(table).columns)
        spark.sql(f"INSERT OVERWRITE {table} SELECT {names} FROM {view}")
    elif load.type == "append":
        spark.sql(
            f"MERGE INTO {table} t USING {view} s ON t.{SOURCE_ID} = s.{SOURCE_ID} "
            "WHEN NOT MATCHED THEN INSERT *"
        )
    elif load.type == "upsert":
        newer = f"s.{quote(load.version_by)} > t.{quote(load.version_by)}" if load.version_by else "true"
        spark.sql(
            f"MERGE INTO {table} t USING {view} s ON {_on(load.key)} "
            f"WHEN MATCHED AND {newer} THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *"
        )
    else:
        spark.sql(
            f"MERGE INTO {table} t USING {view} s ON {_on([*load.key, VALID_FROM])} "
            f"WHEN MATCHED THEN UPDATE SET t.{VALID_TO} = s.{VALID_TO}, t.{IS_CURRENT} = s.{IS_CURRENT} "
            "WHEN NOT MATCHED THEN INSERT *"
        )
    return None


def replace_deliveries(spark: SparkSession, table: str, batch: DataFrame, load: LoadPolicy) -> dict[str, int]:
    """One MERGE: the batch's rows written by source id (a re-delivered file's row replaces the row at
    its position), and deleted the published rows of each key value the batch holds that came from
    another delivery folder, or from a file of the batch that no longer holds them."""
    puts = batch.drop(MODIFIED_AT)
    key = [quote(k) for k in load.key]
    published = spark.table(table).select(
        SOURCE_ID,
        *key,
        source_file(F.col(SOURCE_ID)).alias("_file"),
        delivery_folder(F.col(SOURCE_ID)).alias("_folder"),
    )
    winners = puts.select(*key, delivery_folder(F.col(SOURCE_ID)).alias("_winner")).distinct()
    files = puts.select(source_file(F.col(SOURCE_ID)).alias("_file")).distinct()
    other_delivery = published.join(winners, list(load.key)).where(F.col("_folder") != F.col("_winner"))
    shrunk_file = published.join(files, "_file", "left_semi")
    stale = (
        other_delivery.select(SOURCE_ID)
        .unionByName(shrunk_file.select(SOURCE_ID))
        .distinct()
        .join(puts.select(SOURCE_ID), SOURCE_ID, "left_anti")
    )
    # Materialized: the MERGE must not re-read the table it is writing.
    source = (
        puts.withColumn("_tardis_delete", F.lit(False))
        .unionByName(stale.withColumn("_tardis_delete", F.lit(True)), allowMissingColumns=True)
        .localCheckpoint()
    )
    written = source.where("NOT _tardis_delete")
    deleted = source.where("_tardis_delete").count()
    updated = written.join(published.select(SOURCE_ID), SOURCE_ID, "left_semi").count()
    inserted = written.count() - updated
    view = "tardis_std_batch"
    source.createOrReplaceTempView(view)
    names = [quote(c) for c in spark.table(table).columns]
    spark.sql(
        f"MERGE INTO {table} t USING {view} s ON t.{SOURCE_ID} = s.{SOURCE_ID} "
        "WHEN MATCHED AND s._tardis_delete THEN DELETE "
        f"WHEN MATCHED THEN UPDATE SET {', '.join(f't.{n} = s.{n}' for n in names)} "
        f"WHEN NOT MATCHED AND NOT s._tardis_delete THEN INSERT ({', '.join(names)}) "
        f"VALUES ({', '.join(f's.{n}' for n in names)})"
    )
    return {"inserted": inserted, "updated": updated, "deleted": deleted}


def _on(columns: list[str]) -> str:
    return " AND ".join(f"t.{quote(c)} = s.{quote(c)}" for c in columns)


def scd2_changes(
    spark: SparkSession, table: str, batch: DataFrame, load: LoadPolicy, columns: list[str]
) -> DataFrame:
    """The rows to merge for an scd2 batch: new versions, and published versions whose interval changes.

    Only the history of keys in the batch is read. A version already published (same key and
    `valid_from`) is kept as it is, so a replay changes nothing.
    """
    key = list(load.key)
    order = history_order(load)
    ordered = [*columns, SOURCE_ID, LOADED_AT]
    version_type = batch.schema[order].dataType
    published = (
        spark.table(table)
        .join(batch.select(*[quote(k) for k in key]).distinct(), key, "left_semi")
        .select(
            *[quote(c) for c in ordered],
            VALID_FROM,
            F.col(VALID_TO).alias("_old_valid_to"),
            F.lit(False).alias("_new"),
        )
    )
    incoming = (
        batch.withColumn(VALID_FROM, F.col(quote(order)))
        .join(published.select(*[quote(k) for k in key], VALID_FROM), [*key, VALID_FROM], "left_anti")
        .select(
            *[quote(c) for c in ordered],
            VALID_FROM,
            F.lit(None).cast(version_type).alias("_old_valid_to"),
            F.lit(True).alias("_new"),
        )
    )
    history = published.unionByName(incoming)
    window = Window.partitionBy(*[quote(k) for k in key]).orderBy(F.col(VALID_FROM))
    history = history.withColumn(VALID_TO, F.lead(VALID_FROM).over(window))
    changed = history.where(F.col("_new") | ~F.col(VALID_TO).eqNullSafe(F.col("_old_valid_to")))
    # Materialized: the MERGE must not re-read the table it is writing.
    return changed.select(
        *[quote(c) for c in ordered], VALID_FROM, VALID_TO, F.col(VALID_TO).isNull().alias(IS_CURRENT)
    ).localCheckpoint()


def full_changes(
    spark: SparkSession, table: str, branch: str, columns: list[str], load: LoadPolicy
) -> dict[str, int]:
    """Rows a full load on `branch` inserts, updates and deletes against the table's published load.

    Compared on the contract columns (a reload stamps new `_source_id` and `_loaded_at`): with a key, a
    key only in the new load is inserted, only in the old one deleted, in both with another row updated;
    without a key, rows are compared whole, as a multiset. One grouped pass over both loads.
    """
    published = current_snapshot_id(spark, table)
    new = _tagged(spark.sql(f"SELECT * FROM {table} VERSION AS OF '{branch}'"), columns, load.key, 1)
    if published is not None:
        old = spark.sql(f"SELECT * FROM {table} VERSION AS OF {published}")
        new = _tagged(old, columns, load.key, 0).unionByName(new)
    per_id = new.groupBy("_id").agg(
        F.sum(1 - F.col("_side")).alias("old"),
        F.sum("_side").alias("new"),
        F.countDistinct("_row").alias("rows"),
    )
    counts = per_id.agg(
        F.sum(F.greatest(F.col("new") - F.col("old"), F.lit(0))).alias("inserted"),
        F.sum(F.when((F.col("old") > 0) & (F.col("new") > 0) & (F.col("rows") > 1), 1).otherwise(0)).alias(
            "updated"
        ),
        F.sum(F.greatest(F.col("old") - F.col("new"), F.lit(0))).alias("deleted"),
    ).first()
    return {name: int(counts[name] or 0) for name in ("inserted", "updated", "deleted")}


def _tagged(df: DataFrame, columns: list[str], key: list[str], side: int) -> DataFrame:
    """(row id: its key, or the whole row without one; the row's contract values as JSON; side 0/1).

    A column the older snapshot does not have yet (schema evolution) reads as null.
    """
    values = [F.col(quote(c)) if c in df.columns else F.lit(None).alias(c) for c in columns]
    row = F.to_json(F.struct(*values))
    ids = F.struct(*[F.col(quote(k)) for k in key]) if key else row
    return df.select(ids.alias("_id"), row.alias("_row"), F.lit(side).alias("_side"))
