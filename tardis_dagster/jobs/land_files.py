"""Land new files (parquet, json, csv; local path or s3://) into the Iceberg raw table `raw.<product>`.

Exactly-once per file: a file counts as landed once its rows (or its quarantine record) are committed,
and both tables are the ledger, so a crash before a commit simply repeats the work on the next run.
Every record keeps its position, `_source_row` (1-based, in file order: the data row of a CSV, the
non-blank line of JSON lines, the row of a Parquet file), so two identical rows stay two records, and
the time its file was written, `_source_modified_at`. With `redeliveries` (a `replace` product's
exports), a file rewritten in place (a newer modification time) lands again, as a new delivery.
Input: `core.jobs_io.FilesLandingInput`; result: `FilesLandingResult`.
"""

from __future__ import annotations

import time
from collections.abc import KeysView
from dataclasses import dataclass
from functools import reduce

from dagster_pipes import PipesContext
from pyspark.errors import AnalysisException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812 - the PySpark convention
from pyspark.sql.types import LongType, StringType, StructField, StructType, TimestampType

from tardis_dagster.core.jobs_io import FilesLandingInput, FilesLandingResult, from_extras
from tardis_dagster.core.settings import JobEnvironment
from tardis_dagster.jobs.pipes_channels import open_job_pipes
from tardis_dagster.jobs.reporting import pipes_metadata
from tardis_dagster.jobs.session import spark_session
from tardis_dagster.jobs.tables import current_snapshot_id, ensure_namespace, schema_columns, table_exists

CORRUPT = "_corrupt_record"
SOURCE_ROW = "_source_row"
MODIFIED_AT = "_source_modified_at"
# Where a text file's record sits before it is numbered: the split it was read in, and Spark's
# monotonically increasing id, whose low 33 bits count the rows of a partition in file order.
_BLOCK, _ID = "_tardis_block", "_tardis_id"
QUARANTINE_SCHEMA = StructType(
    [
        StructField("_source_file", StringType(), False),
        StructField("reason", StringType(), False),
        StructField("record", StringType(), True),
        StructField(SOURCE_ROW, LongType(), True),
        StructField(MODIFIED_AT, TimestampType(), True),
        StructField("_ingested_at", TimestampType(), False),
        StructField("_run_id", StringType(), True),
    ]
)


@dataclass(frozen=True)
class SourceFile:
    """One file found under the product's uri; `modified_micros`: when it was written (epoch µs)."""

    path: str
    length: int
    modified_micros: int = 0


def list_files(spark: SparkSession, uri: str, pattern: str) -> list[SourceFile] | None:
    """Files under `uri` matching `pattern`, listed by Spark itself so s3:// and local paths work alike.

    Returns None when the location does not exist yet (nothing delivered so far).
    """
    try:
        rows = (
            spark.read.format("binaryFile")
            .option("pathGlobFilter", pattern)
            .option("recursiveFileLookup", "true")
            .load(uri)
            # Content is never read when not selected; the time as µs, so no time zone touches it.
            .select("path", "length", F.unix_micros("modificationTime").alias("modified"))
            .collect()
        )
    except AnalysisException as exc:
        if "PATH_NOT_FOUND" in str(exc) or "Path does not exist" in str(exc):
            return None
        raise
    files = (SourceFile(r["path"], int(r["length"]), int(r["modified"] or 0)) for r in rows)
    return sorted(files, key=lambda f: f.path)


@dataclass(frozen=True)
class Ledger:
    """What the raw table and its quarantine already hold (the ledger is the data itself): per file
    landed, the modification times it was landed with and when it was last landed (epoch µs)."""

    versions: dict[str, tuple[frozenset[int], int]]

    @property
    def paths(self) -> KeysView[str]:
        """The files landed, in any version."""
        return self.versions.keys()

    def holds(self, file: SourceFile, redeliveries: bool) -> bool:
        """Whether `file` is landed already: its path at all, or with `redeliveries` this version of it.

        A file recorded before modification times were (none known) counts as this version unless it
        was written after it was landed.
        """
        if file.path not in self.versions:
            return False
        if not redeliveries:
            return True
        times, landed_at = self.versions[file.path]
        return file.modified_micros in times or (not times and file.modified_micros <= landed_at)


def landed_files(spark: SparkSession, table: str, quarantine_table: str) -> Ledger:
    """The files recorded in the raw table or in quarantine, with the versions of each."""
    versions: dict[str, tuple[frozenset[int], int]] = {}
    for name in (table, quarantine_table):
        if not table_exists(spark, name):
            continue
        columns = spark.table(name).columns
        modified = f"unix_micros({MODIFIED_AT})" if MODIFIED_AT in columns else "CAST(NULL AS BIGINT)"
        rows = spark.sql(
            f"SELECT _source_file, collect_set({modified}) AS times, max(unix_micros(_ingested_at)) AS at "
            f"FROM {name} GROUP BY _source_file"
        ).collect()
        for r in rows:
            times, at = versions.get(r["_source_file"], (frozenset(), 0))
            versions[r["_source_file"]] = (times | {int(t) for t in r["times"]}, max(at, int(r["at"] or 0)))
    return Ledger(versions)


def _reader(spark: SparkSession, fmt: str, options: dict[str, str]):
    reader = spark.read.format(fmt)
    if fmt == "json":
        # Raw keeps values as text; typing is the standardized layer's job, and text never conflicts.
        reader = reader.option("primitivesAsString", "true").option("mode", "PERMISSIVE")
        reader = reader.option("columnNameOfCorruptRecord", CORRUPT)
    if fmt == "csv":
        reader = reader.option("header", "true").option("mode", "PERMISSIVE")
        reader = reader.option("columnNameOfCorruptRecord", CORRUPT)
    return reader.options(**options)


def read_file(spark: SparkSession, fmt: str, options: dict[str, str], path: str) -> DataFrame:
    """Read one file with `_source_file`; raises if the file cannot be parsed at all.

    Malformed json/csv records come back with their text in `_corrupt_record`, not as a failure.
    """
    reader = _reader(spark, fmt, options)
    if fmt == "csv":
        header = reader.load(path).columns
        schema = StructType([StructField(c, StringType(), True) for c in header if c != CORRUPT])
        schema.add(StructField(CORRUPT, StringType(), True))
        df = reader.schema(schema).load(path)
    elif fmt == "json" and options.get("multiLine", "false").lower() != "true":
        df = _read_json_lines(spark, reader, options, path)
    else:
        df = reader.load(path)
    if "_source_file" not in df.columns:
        df = df.withColumn("_source_file", F.col("_metadata.file_path"))
    if fmt == "parquet":
        df = df.withColumn(SOURCE_ROW, F.col("_metadata.row_index") + 1)
    else:
        if _BLOCK not in df.columns:
            df = df.withColumn(_BLOCK, F.col("_metadata.file_block_start"))
        df = df.withColumn(_ID, F.monotonically_increasing_id())
    df.schema  # noqa: B018 - forces analysis (and the footer/schema read) now, so a bad file fails here
    return df


def number_rows(spark: SparkSession, frames: list[DataFrame]) -> list[DataFrame]:
    """Each text file's records numbered 1, 2, ... in file order (`_source_row`), in one pass for all.

    A record's split and its place in the split's partition are known as it is read; one aggregate per
    (file, split) gives each split's first row number, so no file is funnelled through one task.
    """
    text = [df for df in frames if _ID in df.columns]
    if not text:
        return frames
    keys = ["_source_file", _BLOCK]
    splits = reduce(
        lambda a, b: a.unionByName(b),
        [df.groupBy(*keys).agg(F.count("*").alias("n"), F.min(_ID).alias("first_id")) for df in text],
    ).collect()
    starts, before = [], {}
    for row in sorted(splits, key=lambda r: (r["_source_file"], r[_BLOCK])):
        done = before.get(row["_source_file"], 0)
        starts.append((row["_source_file"], row[_BLOCK], done + 1 - row["first_id"]))
        before[row["_source_file"]] = done + row["n"]
    offsets = spark.createDataFrame(starts, f"_source_file string, {_BLOCK} long, _offset long")
    numbered = []
    for df in frames:
        if _ID in df.columns:
            df = df.join(F.broadcast(offsets), keys).withColumn(SOURCE_ROW, F.col(_ID) + F.col("_offset"))
            df = df.drop(_BLOCK, _ID, "_offset")
        numbered.append(df)
    return numbered


def _read_json_lines(spark: SparkSession, reader, options: dict[str, str], path: str) -> DataFrame:
    """JSON lines parsed from text, so malformed lines keep their text and Spark's rule against
    querying only the corrupt-record column of a raw JSON scan never applies."""
    inferred = reader.load(path).schema
    fields = [f for f in inferred.fields if f.name != CORRUPT]
    schema = StructType([*fields, StructField(CORRUPT, StringType(), True)])
    parse_options = {"primitivesAsString": "true", "mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT}
    parse_options |= {k: v for k, v in options.items() if k not in parse_options}
    lines = spark.read.text(path).select(
        "value",
        F.col("_metadata.file_path").alias("_source_file"),
        F.col("_metadata.file_block_start").alias(_BLOCK),
    )
    lines = lines.where(F.trim("value") != "")
    parsed = lines.select(
        F.from_json("value", schema, parse_options).alias("r"), "value", "_source_file", _BLOCK
    )
    # from_json leaves the corrupt column empty for a line that is valid JSON but not an object.
    return parsed.select(
        *[F.col(f"r.{f.name}").alias(f.name) for f in fields],
        F.when(F.col(f"r.{CORRUPT}").isNotNull() | F.col("r").isNull(), F.col("value")).alias(CORRUPT),
        "_source_file",
        _BLOCK,
    )


def unmatched_reason(pattern: str, fmt: str) -> str:
    """Why a delivered file was not read, and how to have it read."""
    return (
        f"not read: its name does not match the source's pattern '{pattern}' (format {fmt}); if it holds "
        "this product's data, set source.files.pattern (and format) in the spec to include it"
    )


def _reason(exc: BaseException) -> str:
    """The root cause of a read failure in one line (Spark wraps it in several layers of job errors)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    causes = [line.removeprefix("Caused by: ") for line in lines if line.startswith("Caused by: ")]
    text = causes[-1] if causes else (lines[0] if lines else type(exc).__name__)
    return text[:2000]


def land(pipes: PipesContext, spark: SparkSession, job: FilesLandingInput) -> FilesLandingResult:
    """Land the files not landed yet; return what the run did."""
    table, quarantine_table = job.table, job.quarantine_table
    fmt, options = job.format, dict(job.options)
    max_files = job.max_files
    run_id = pipes.run_id if hasattr(pipes, "run_id") else None
    ensure_namespace(spark, table.split(".")[0])

    found = list_files(spark, job.uri, job.pattern)
    if found is None:
        pipes.log.warning(f"source location {job.uri} does not exist yet: nothing to land")
        found = []
    done = landed_files(spark, table, quarantine_table)
    new = [f for f in found if not done.holds(f, job.redeliveries)]
    batch, backlog = new[:max_files], max(0, len(new) - max_files)
    again = sum(1 for f in batch if f.path in done.paths)
    pipes.log.info(
        f"{len(found)} files at {job.uri}, {len(done.paths)} landed before, {len(batch)} to land now"
        + (f" ({again} delivered again, rewritten since they were landed)" if again else "")
    )

    # A delivered file the spec does not read (a .csv.gz beside .parquet, a new export format) is never
    # a silent zero: it is quarantined once, with what to change.
    matched = {f.path for f in found}
    unmatched = [
        (f, unmatched_reason(job.pattern, fmt))
        for f in list_files(spark, job.uri, "*") or []
        if f.path not in matched and not done.holds(f, job.redeliveries)
    ]
    bad_files: list[tuple[SourceFile, str]] = list(unmatched)
    good: list[tuple[SourceFile, DataFrame]] = []
    for f in batch:
        try:
            df = read_file(spark, fmt, options, f.path)
            good.append((f, df.withColumn(MODIFIED_AT, F.timestamp_micros(F.lit(f.modified_micros)))))
        except Exception as exc:  # any parse failure quarantines the file, never the run
            bad_files.append((f, _reason(exc)))

    ingested_at = F.current_timestamp()
    rows_landed = rows_quarantined = 0
    data_frames, quarantine_frames = [], []
    for df in number_rows(spark, [df for _file, df in good]):
        if CORRUPT in df.columns:
            # Cache so Spark allows querying the corrupt-record column on its own (SPARK-21610).
            df = df.cache()
            bad_rows = df.where(F.col(CORRUPT).isNotNull())
            quarantine_frames.append(
                bad_rows.select(
                    F.col("_source_file"),
                    F.lit(f"malformed {fmt} record").alias("reason"),
                    F.col(CORRUPT).alias("record"),
                    F.col(SOURCE_ROW),
                    F.col(MODIFIED_AT),
                )
            )
            df = df.where(F.col(CORRUPT).isNull()).drop(CORRUPT)
        data_frames.append(df)

    snapshot_before = current_snapshot_id(spark, table) if table_exists(spark, table) else None
    files_with_rows: set[str] = set()
    if data_frames:
        data = reduce(lambda a, b: a.unionByName(b, allowMissingColumns=True), data_frames)
        data_columns = [c for c in data.columns if c not in ("_source_file", SOURCE_ROW, MODIFIED_AT)]
        data = data.select(
            *data_columns, "_source_file", SOURCE_ROW, MODIFIED_AT, ingested_at.alias("_ingested_at")
        )
        per_file = data.groupBy("_source_file").agg(F.count("*").alias("n")).collect()
        counts = {r["_source_file"]: int(r["n"]) for r in per_file}
        rows_landed = int(sum(counts.values()))
        files_with_rows = {p for p, n in counts.items() if n > 0}
        if rows_landed:
            _append(spark, data, table)

    quarantine_rows = [(f.path, reason, None, None, f.modified_micros) for f, reason in bad_files]
    if quarantine_rows or quarantine_frames:
        frames = list(quarantine_frames)
        if quarantine_rows:
            files = spark.createDataFrame(
                quarantine_rows,
                f"_source_file string, reason string, record string, {SOURCE_ROW} long, modified long",
            )
            frames.append(files.withColumn(MODIFIED_AT, F.timestamp_micros("modified")).drop("modified"))
        quarantine = reduce(lambda a, b: a.unionByName(b), frames)
        quarantine = quarantine.withColumn("_ingested_at", ingested_at).withColumn("_run_id", F.lit(run_id))
        rows_quarantined = quarantine.count()
        if rows_quarantined:
            _append(spark, quarantine, quarantine_table)

    for f, reason in bad_files:
        pipes.log.warning(f"quarantined {f.path}: {reason}")

    result = FilesLandingResult(
        table=table,
        source_uri=job.uri,
        quarantine_table=quarantine_table,
        row_count=_count(spark, table),
        rows_landed=rows_landed,
        files_landed=len(files_with_rows),
        files_quarantined=len(bad_files),
        rows_quarantined=int(rows_quarantined),
        files_seen=len(found),
        files_backlog=backlog,
        files_unmatched=len(unmatched),
        quarantined_files=[(f.path, reason) for f, reason in bad_files],
    )
    if table_exists(spark, table):
        result.columns = schema_columns(spark.table(table).schema)
        result.snapshot_id = current_snapshot_id(spark, table)
        result.new_snapshot = result.snapshot_id != snapshot_before
    return result


def _append(spark: SparkSession, df: DataFrame, table: str) -> None:
    """Append to an Iceberg table, creating it on first use; new source columns are added to it."""
    if not table_exists(spark, table):
        writer = df.writeTo(table).using("iceberg").tableProperty("format-version", "2")
        writer.tableProperty("write.spark.accept-any-schema", "true").create()
        return
    # Iceberg checks column order on write: existing columns in table order, then the new ones.
    existing = spark.table(table).columns
    ordered = [c for c in existing if c in df.columns] + [c for c in df.columns if c not in existing]
    df.select(*ordered).writeTo(table).option("mergeSchema", "true").append()


def _count(spark: SparkSession, table: str) -> int:
    if not table_exists(spark, table):
        return 0
    return int(spark.sql(f"SELECT count(*) FROM {table}").collect()[0][0])


def main() -> None:
    """Entry point under Dagster Pipes."""
    with open_job_pipes() as pipes:
        started = time.monotonic()
        job = from_extras(FilesLandingInput, pipes.extras)
        spark = spark_session(f"tardis-land-files-{job.product}", JobEnvironment.read())
        result = land(pipes, spark, job)
        result.job_seconds = round(time.monotonic() - started, 2)
        pipes.report_asset_materialization(
            metadata=pipes_metadata(result.metadata()), asset_key=job.asset_key
        )


if __name__ == "__main__":
    main()
