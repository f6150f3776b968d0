"""Standardize a product: new raw data -> typed, deduplicated, PII-safe `std.<product>`, published
only when its audits pass (write-audit-publish on an Iceberg branch).

Incremental: the published table's snapshot summary records the raw snapshot it has read up to
(`tardis.std.raw-snapshot`); a run reads only raw snapshots appended after it. Each column is cast
to its contract type; a value that cannot be cast sends its row to `std.<product>__rejects` with the
column and reason. `pii: true` columns are replaced by HMAC-SHA-256 of the value (key from the
environment), computed in Spark so clear text never leaves raw. Load types: append (replays of the
same source record are not duplicated), full (the table becomes the latest complete load), upsert
(one row per key, greatest `version_by` wins, late older versions never overwrite). The write goes
to a branch; audits run there; the branch is fast-forwarded into `main` only if they all pass.
Extras: see `tardis_dagster/standardize/assets.py`.
"""

from __future__ import annotations

import hashlib
import re
import time
from typing import Any

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812 - the PySpark convention
from pyspark.sql.types import StructType
from pyspark.sql.window import Window

from tardis_dagster.spark_jobs.common import ensure_namespace, quote, table_exists

RAW_SNAPSHOT_PROPERTY = "tardis.std.raw-snapshot"
SOURCE_ID = "_source_id"
LOADED_AT = "_loaded_at"


def hmac_sha256(value: Column, key: bytes) -> Column:
    """HMAC-SHA-256 (RFC 2104) of `value`'s text as lowercase hex, in Spark SQL functions only."""
    block = key if len(key) <= 64 else hashlib.sha256(key).digest()
    block = block.ljust(64, b"\0")
    inner_pad = F.lit(bytes(b ^ 0x36 for b in block))
    outer_pad = F.lit(bytes(b ^ 0x5C for b in block))
    inner = F.unhex(F.sha2(F.concat(inner_pad, F.encode(value.cast("string"), "UTF-8")), 256))
    return F.when(value.isNotNull(), F.sha2(F.concat(outer_pad, inner), 256))


def raw_snapshots(spark: SparkSession, raw: str, table: str) -> tuple[int | None, int | None]:
    """(raw snapshot already read, current raw snapshot)."""
    current = spark.sql(
        f"SELECT snapshot_id FROM {raw}.snapshots ORDER BY committed_at DESC LIMIT 1"
    ).collect()
    done = None
    if table_exists(spark, table):
        rows = spark.sql(
            f"SELECT summary['{RAW_SNAPSHOT_PROPERTY}'] s FROM {table}.snapshots "
            f"WHERE summary['{RAW_SNAPSHOT_PROPERTY}'] IS NOT NULL ORDER BY committed_at DESC LIMIT 1"
        ).collect()
        done = int(rows[0]["s"]) if rows else None
    return done, (int(current[0][0]) if current else None)


def read_new_raw(spark: SparkSession, raw: str, done: int | None, current: int) -> DataFrame:
    """Raw rows appended after snapshot `done` up to `current` (all of them on a first run)."""
    if done is None:
        return spark.sql(f"SELECT * FROM {raw} VERSION AS OF {int(current)}")
    # Iceberg's incremental append scan; `.table()`, because `.format("iceberg").load()` with these
    # options fails to plan on Spark 4.1.
    return (
        spark.read.option("start-snapshot-id", str(done)).option("end-snapshot-id", str(current)).table(raw)
    )


def source_id(extras: dict[str, Any]) -> Column:
    """A stable id of the source record: Kafka coordinates, or file plus the row's content."""
    if extras["source_kind"] == "kafka":
        return F.concat_ws(
            "/", F.col("topic"), F.col("partition").cast("string"), F.col("offset").cast("string")
        )
    content = F.sha2(F.to_json(F.struct(*[F.col(quote(c)) for c in extras["raw_columns"]])), 256)
    return F.concat_ws("#", F.col("_source_file"), content)


def snake_case(name: str) -> str:
    """`placedAt`, `Placed At`, `placed-at` -> `placed_at` (how source names meet contract names)."""
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name.strip())
    return re.sub(r"[^0-9a-zA-Z]+", "_", name).strip("_").lower()


def resolve_sources(raw_schema: StructType, extras: dict[str, Any]) -> dict[str, Any]:
    """Extras with each contract column's raw source (`payload.x` for Kafka, a column for files).

    Source names are matched after snake_case normalization; a column with no source reads as null.
    """
    if extras["source_kind"] == "kafka":
        payload = raw_schema["payload"].dataType
        fields = {snake_case(f.name): f"payload.{f.name}" for f in payload.fields}  # type: ignore[attr-defined]
        raw_columns = ["topic", "partition", "offset"]
    else:
        names = [f.name for f in raw_schema.fields if f.name not in ("_source_file", "_ingested_at")]
        fields = {snake_case(n): n for n in names}
        raw_columns = names
    columns = [{**c, "source": fields.get(c["name"])} for c in extras["columns"]]
    return {**extras, "columns": columns, "raw_columns": raw_columns}


def typed(df: DataFrame, extras: dict[str, Any], pii_key: bytes) -> tuple[DataFrame, DataFrame]:
    """(rows with every column cast to its type and PII hashed, rejected rows with column and reason)."""
    casts, errors = [], []
    for column in extras["columns"]:
        source = F.col(column["source"]) if column["source"] else F.lit(None)
        value = (
            F.expr(f"try_cast({_sql(column['source'])} AS {column['type']})")
            if column["source"]
            else F.lit(None)
        )
        value = value.cast(column["type"])
        name = column["name"]
        failed = source.isNotNull() & value.isNull()
        errors.append(
            F.when(
                failed,
                F.concat(
                    F.lit(f"{name}: value '"), source.cast("string"), F.lit(f"' is not a {column['type']}")
                ),
            )
        )
        if column["required"]:
            errors.append(F.when(source.isNull(), F.lit(f"{name}: required but missing")))
        if column["pii"]:
            value = hmac_sha256(value, pii_key)
        casts.append(value.alias(name))
    reason = F.concat_ws("; ", *errors)
    staged = df.select(
        *casts,
        source_id(extras).alias(SOURCE_ID),
        F.when(reason != "", reason).alias("_reason"),
        *_raw_text(extras),
    )
    good = staged.where(F.col("_reason").isNull()).drop("_reason", "_raw_record")
    bad = staged.where(F.col("_reason").isNotNull()).select(
        F.col(SOURCE_ID), F.col("_reason").alias("reason"), F.col("_raw_record").alias("record")
    )
    return good.withColumn(LOADED_AT, F.current_timestamp()), bad.withColumn(LOADED_AT, F.current_timestamp())


def _sql(path: str) -> str:
    return ".".join(quote(part) for part in path.split("."))


def _raw_text(extras: dict[str, Any]) -> list[Column]:
    """The rejected record's raw values as JSON, PII columns left out (rejects are downstream of raw)."""
    pii_sources = {c["source"] for c in extras["columns"] if c["pii"]}
    keep = [c for c in extras["columns"] if c["source"] and c["source"] not in pii_sources]
    return [F.to_json(F.struct(*[F.col(c["source"]).alias(c["name"]) for c in keep])).alias("_raw_record")]


def latest_per_key(df: DataFrame, key: list[str], version_by: str | None) -> DataFrame:
    """One row per key: the greatest version (ties broken by source id, so the choice is deterministic)."""
    order = [F.col(version_by).desc_nulls_last()] if version_by else []
    window = Window.partitionBy(*[F.col(k) for k in key]).orderBy(*order, F.col(SOURCE_ID).desc())
    return df.withColumn("_rank", F.row_number().over(window)).where("_rank = 1").drop("_rank")


def write_branch(
    spark: SparkSession, staged: DataFrame, extras: dict[str, Any], branch: str, raw_snapshot: int
) -> None:
    """Write the staged rows to `branch` of the std table according to the load type."""
    table, load = extras["table"], extras["load"]
    view = f"tardis_staged_{branch}"
    staged.createOrReplaceTempView(view)
    spark.conf.set("spark.wap.branch", branch)
    spark.conf.set(f"spark.sql.iceberg.snapshot-property.{RAW_SNAPSHOT_PROPERTY}", str(raw_snapshot))
    try:
        if load["type"] == "full":
            spark.sql(f"INSERT OVERWRITE {table} SELECT * FROM {view}")
        elif load["type"] == "append":
            spark.sql(
                f"MERGE INTO {table} t USING {view} s ON t.{SOURCE_ID} = s.{SOURCE_ID} "
                "WHEN NOT MATCHED THEN INSERT *"
            )
        elif load["type"] == "upsert":
            on = " AND ".join(f"t.{quote(k)} = s.{quote(k)}" for k in load["key"])
            newer = (
                f"s.{quote(load['version_by'])} > t.{quote(load['version_by'])}"
                if load["version_by"]
                else "true"
            )
            spark.sql(
                f"MERGE INTO {table} t USING {view} s ON {on} "
                f"WHEN MATCHED AND {newer} THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *"
            )
        else:
            raise ValueError(f"load type {load['type']} is not supported by this job yet")
    finally:
        spark.conf.unset("spark.wap.branch")
        spark.conf.unset(f"spark.sql.iceberg.snapshot-property.{RAW_SNAPSHOT_PROPERTY}")


def audits(
    spark: SparkSession, extras: dict[str, Any], branch: str, rows: int, rejected: int
) -> list[dict[str, Any]]:
    """The blocking audits, run on the branch before publishing: name, passed, detail."""
    table, load = extras["table"], extras["load"]
    on_branch = f"{table} VERSION AS OF '{branch}'"
    results = []
    expected = [(c["name"], c["type"].lower().replace(" ", "")) for c in extras["columns"]]
    actual = [
        (f.name, f.dataType.simpleString())
        for f in spark.table(table).schema.fields
        if not f.name.startswith("_")
    ]
    results.append({"name": "contract_schema", "passed": actual == expected, "detail": f"columns {actual}"})
    if load["key"]:
        keys = ", ".join(quote(k) for k in load["key"])
        null_keys = spark.sql(
            f"SELECT count(*) FROM {on_branch} WHERE "
            + " OR ".join(f"{quote(k)} IS NULL" for k in load["key"])
        ).collect()[0][0]
        results.append(
            {"name": "key_not_null", "passed": null_keys == 0, "detail": f"{null_keys} rows with a null key"}
        )
        if load["type"] in ("upsert", "scd2"):
            dupes = spark.sql(
                f"SELECT count(*) FROM (SELECT {keys} FROM {on_branch} GROUP BY {keys} HAVING count(*) > 1)"
            ).collect()[0][0]
            results.append({"name": "key_unique", "passed": dupes == 0, "detail": f"{dupes} duplicated keys"})
    share = rejected / (rows + rejected) if rows + rejected else 0.0
    results.append(
        {
            "name": "reject_share",
            "passed": share <= float(load["reject_threshold"]),
            "detail": f"{rejected} of {rows + rejected} rows rejected ({share:.2%}; "
            f"threshold {float(load['reject_threshold']):.2%})",
        }
    )
    return results


def ensure_std_tables(spark: SparkSession, extras: dict[str, Any]) -> None:
    """Create `std.<product>` (WAP enabled, partitioned per the spec) and its rejects table."""
    table, rejects = extras["table"], extras["rejects_table"]
    ensure_namespace(spark, table.split(".")[0])
    if not table_exists(spark, table):
        columns = ", ".join(f"{quote(c['name'])} {c['type']}" for c in extras["columns"])
        partitioned = (
            f"PARTITIONED BY ({', '.join(extras['partition_by'])})" if extras["partition_by"] else ""
        )
        spark.sql(
            f"CREATE TABLE {table} ({columns}, {SOURCE_ID} STRING, {LOADED_AT} TIMESTAMP) "
            f"USING iceberg {partitioned} "
            "TBLPROPERTIES ('format-version'='2', 'write.wap.enabled'='true')"
        )
    if not table_exists(spark, rejects):
        spark.sql(
            f"CREATE TABLE {rejects} ({SOURCE_ID} STRING, reason STRING, record STRING, "
            f"{LOADED_AT} TIMESTAMP, "
            "_run_id STRING) USING iceberg TBLPROPERTIES ('format-version'='2')"
        )


def standardize(spark: SparkSession, extras: dict[str, Any], run_id: str, pii_key: bytes) -> dict[str, Any]:
    """One incremental run; returns the outcome (counts, audits, whether it published)."""
    ensure_std_tables(spark, extras)
    done, current = raw_snapshots(spark, extras["raw_table"], extras["table"])
    outcome: dict[str, Any] = {"raw_snapshot_from": done, "raw_snapshot_to": current, "published": False}
    if current is None or current == done:
        unchanged = "no raw data since the last run: the published table is unchanged"
        names = ["contract_schema"] + (["key_not_null"] if extras["load"]["key"] else [])
        names += (
            ["key_unique"] if extras["load"]["key"] and extras["load"]["type"] in ("upsert", "scd2") else []
        )
        audits_ = [{"name": n, "passed": True, "detail": unchanged} for n in [*names, "reject_share"]]
        outcome.update(rows=0, rejected=0, audits=audits_, published=True, nothing_new=True)
        return outcome
    # Checkpointed: the increment is read once, and Spark 4.1 cannot plan an incremental Iceberg scan
    # inside MERGE ("No plan for TableReference").
    new = read_new_raw(spark, extras["raw_table"], done, current).localCheckpoint()
    extras = resolve_sources(new.schema, extras)
    if extras["load"]["type"] == "full":
        # The latest complete load: the rows of the most recent landing.
        new = new.where(F.col("_ingested_at") == new.agg(F.max("_ingested_at")).collect()[0][0])
    good, bad = typed(new, extras, pii_key)
    if extras["load"]["type"] == "upsert":
        good = latest_per_key(good, extras["load"]["key"], extras["load"]["version_by"])
    else:
        good = good.dropDuplicates([SOURCE_ID])
    good = good.persist()
    rows, rejected = good.count(), bad.count()
    if rejected:
        bad.withColumn("_run_id", F.lit(run_id)).writeTo(extras["rejects_table"]).append()
    branch = f"audit_{run_id.replace('-', '')[:16]}"
    spark.sql(f"ALTER TABLE {extras['table']} CREATE BRANCH IF NOT EXISTS {branch}")
    try:
        write_branch(spark, good, extras, branch, current)
        results = audits(spark, extras, branch, rows, rejected)
        passed = all(a["passed"] for a in results)
        if passed:
            spark.sql(f"CALL spark_catalog.system.fast_forward('{extras['table']}', 'main', '{branch}')")
        outcome.update(rows=rows, rejected=rejected, audits=results, published=passed)
    finally:
        spark.sql(f"ALTER TABLE {extras['table']} DROP BRANCH IF EXISTS {branch}")
        good.unpersist()
    return outcome


def main() -> None:
    """Entry point under Dagster Pipes: standardize, report the audits as checks, fail if unpublished."""
    import os

    from dagster_pipes import open_dagster_pipes

    from tardis_dagster.spark_jobs.common import current_snapshot_id, pipes_schema, spark_session

    with open_dagster_pipes() as pipes:
        extras = dict(pipes.extras)
        started = time.monotonic()
        spark = spark_session(f"tardis-standardize-{extras['product']}")
        key = os.environ.get(extras["pii_key_env"], "")
        if not key and any(c["pii"] for c in extras["columns"]):
            raise RuntimeError(f"{extras['pii_key_env']} is not set: PII columns cannot be hashed")
        outcome = standardize(spark, extras, str(pipes.run_id), key.encode())
        failed = [a["name"] for a in outcome["audits"] if not a["passed"]]
        pipes.report_asset_check(
            check_name="audits",
            passed=not failed,
            asset_key=extras["asset_key"],
            severity="ERROR",
            metadata={
                "failed": {"type": "text", "raw_value": ", ".join(failed) or "none"},
                **{
                    f"{a['name']}": {
                        "type": "text",
                        "raw_value": f"{'pass' if a['passed'] else 'FAIL'}: {a['detail']}",
                    }
                    for a in outcome["audits"]
                },
            },
        )
        table = extras["table"]
        if not outcome["published"]:
            # Nothing was published: the failed audits (reported above) say why; std is unchanged.
            pipes.log.error(f"{table}: audits failed, batch not published")
            return
        pipes.report_asset_materialization(
            asset_key=extras["asset_key"],
            metadata={
                "dagster/table_name": {"type": "text", "raw_value": table},
                "dagster/row_count": {"type": "int", "raw_value": int(spark.table(table).count())},
                "dagster/column_schema": pipes_schema(spark.table(table)),
                "rows_in_batch": {"type": "int", "raw_value": int(outcome["rows"])},
                "rows_rejected": {"type": "int", "raw_value": int(outcome["rejected"])},
                "published": {"type": "bool", "raw_value": bool(outcome["published"])},
                "raw_snapshot_range": {
                    "type": "text",
                    "raw_value": f"{outcome['raw_snapshot_from']} -> {outcome['raw_snapshot_to']}",
                },
                "iceberg_snapshot_id": {"type": "text", "raw_value": str(current_snapshot_id(spark, table))},
                "job_seconds": {"type": "float", "raw_value": round(time.monotonic() - started, 2)},
            },
        )


if __name__ == "__main__":
    main()
