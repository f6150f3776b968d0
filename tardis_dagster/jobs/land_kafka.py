"""Land a Kafka topic into the Iceberg raw table `raw.<product>`, exactly once by Kafka coordinates.

A Structured Streaming query (Spark's Kafka source) reads the topic; each micro-batch is decoded
(JSON validated against its JSON Schema, Avro, Protobuf) and split: good records append to
`raw.<product>` with their coordinates, raw bytes and decoded `payload`; records that cannot be
decoded go to `raw.<product>__quarantine` with the reason. In the Confluent wire format each record
is decoded with the writer schema its schema id names (fetched from the registry, cached) and lands
in the columns of the topic schema's latest version. `trigger(availableNow=True)` makes a
materialization; a processing-time trigger makes the same code a long-running stream.

Exactly once: the checkpoint lives beside the table, and every commit also records, in the Iceberg
snapshot summary, the next offset per partition it covers. A replayed batch (a crash between the
Iceberg commit and the checkpoint commit, or a lost checkpoint) is filtered against those offsets,
so no offset is ever written twice and none is skipped. The source fails on data loss (offsets
deleted by retention before they were landed) instead of silently skipping them.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import reduce
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlparse

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812 - the PySpark convention
from pyspark.sql.functions import partitioning
from pyspark.sql.types import (
    ArrayType,
    DataType,
    LongType,
    MapType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

from tardis_dagster.core.jobs_io import REGISTRY_URL_ENV, KafkaLandingInput, KafkaLandingResult
from tardis_dagster.core.kafka_offsets import end_offsets
from tardis_dagster.jobs import json_checks, json_strictness
from tardis_dagster.jobs.tables import current_snapshot_id, ensure_namespace, schema_columns, table_exists

OFFSETS_PROPERTY = "tardis.kafka.next-offsets"
RUN_PROPERTY = "tardis.run-id"
BYTES_PROPERTY = "tardis.kafka.value-bytes"
COORDINATES = "topic STRING, `partition` INT, `offset` BIGINT, `timestamp` TIMESTAMP, key BINARY, "
COORDINATES += "headers ARRAY<STRUCT<key: STRING, value: BINARY>>, value BINARY"

# Type changes an existing raw column may take: Iceberg's own safe promotions.
_WIDENINGS = {("int", "bigint"), ("float", "double")}


class IncompatibleSchemaError(ValueError):
    """The topic schema changed in a way the raw table cannot follow (a narrowed or changed type)."""


# --- decoding (runs inside foreachBatch, on the Spark driver) ------------------------------------------


# The Confluent wire format: magic byte 0 and a 4-byte big-endian schema id before the body.
def _schema_id() -> Column:
    """The schema id of a wire-format value (a function: classic PySpark builds columns in a JVM)."""
    return F.conv(F.hex(F.substring("value", 2, 4)), 16, 10).cast("bigint")


@dataclass(frozen=True)
class WriterSchema:
    """What one schema id of the wire format names, in the forms decoding takes; or `problem`, why
    its records cannot be read (they go to quarantine with it, alone)."""

    schema_id: int
    schema_text: str | None = None  # json (as the landing evaluates it), avro
    payload_ddl: str | None = None  # json, protobuf: the Spark fields of the writer's own schema
    descriptor_b64: str | None = None  # protobuf: the writer schema compiled
    message: str | None = None  # protobuf: the full name of the product's message
    problem: str | None = None


def writer_schema(job: KafkaLandingInput, schema_id: int, text: str, schema_type: str) -> WriterSchema:
    """The registry's schema `text` under `schema_id` made ready to decode the records written with it."""
    from tardis_dagster.core.formats import jsonschema as json_format
    from tardis_dagster.core.formats import protobuf as protobuf_format
    from tardis_dagster.core.formats import spark_types
    from tardis_dagster.core.formats.registry import FORMAT_SCHEMA_TYPES

    if schema_type != FORMAT_SCHEMA_TYPES[job.format]:
        return WriterSchema(
            schema_id,
            problem=f"schema id {schema_id} is a {schema_type} schema in the registry, "
            f"but {job.product} reads {job.format} (source.kafka.format)",
        )
    try:
        if job.format == "avro":
            from tardis_dagster.core.formats import avro as avro_format

            avro_format.parse_schema(text)  # here, not in the UDF: a bad schema quarantines, never fails
            return WriterSchema(schema_id, schema_text=text)
        if job.format == "json":
            schema = json_format.effective_schema(json.loads(text), format_assertion=job.format_assertion)
            ddl = spark_types.json_schema_to_spark_ddl(schema)
            return WriterSchema(schema_id, schema_text=json.dumps(schema), payload_ddl=ddl)
        reader = base64.b64decode(job.descriptor_b64 or "")
        message = protobuf_format.find_message(reader, job.message or "").full_name
        descriptor = protobuf_format.compile_text(text)
        ddl = spark_types.protobuf_to_spark_ddl(descriptor, message)
        encoded = base64.b64encode(descriptor).decode("ascii")
        return WriterSchema(schema_id, payload_ddl=ddl, descriptor_b64=encoded, message=message)
    except Exception as exc:  # a schema this landing cannot read: its records are quarantined, not the batch
        return WriterSchema(schema_id, problem=f"schema id {schema_id} cannot be read: {exc}"[:1000])


def _json_error_udf(schema_text: str) -> Callable[[Column], Column]:
    """A UDF returning why a value is not a valid record of the JSON Schema, or null when it is."""
    schema = json.loads(schema_text)  # once, not per record

    def check(value: bytes | None) -> str | None:
        from tardis_dagster.core.formats import jsonschema as json_format
        from tardis_dagster.core.formats import strict_json

        if value is None:
            return "empty value (null)"
        try:
            record = strict_json.loads(bytes(value))
        except strict_json.StrictJSONError as exc:
            return str(exc)[:2000]
        errors = json_format.validate(schema, record)
        return "; ".join(errors)[:2000] if errors else None

    return F.udf(check, StringType())


def _avro_error_udf(schema_text: str, writers: dict[int, str] | None) -> Callable[[Column, Column], Column]:
    """A UDF returning why a value is not one Avro record of the schema (Spark's from_avro accepts
    trailing garbage and some truncated input), or null when it is.

    With `writers` (schema id -> writer schema, the wire format) each body is read with the schema
    it was written with and resolved to `schema_text`, the reader schema.
    """
    from tardis_dagster.core.formats import avro as avro_format

    schema = avro_format.parse_schema(schema_text)  # once, not per record
    parsed = {i: avro_format.parse_schema(text) for i, text in (writers or {}).items()}

    def check(schema_id: int | None, value: bytes | None) -> str | None:
        if value is None:
            return "empty value (null)"
        try:
            if writers is None:
                avro_format.decode(schema, bytes(value))
            else:
                avro_format.decode(parsed[int(schema_id or 0)], bytes(value), schema)
        except Exception as exc:  # any decoding failure is a reason to quarantine, with its message
            return f"not valid Avro for the topic schema: {exc}"[:2000]
        return None

    return F.udf(check, StringType())


def _protobuf_udf(
    descriptor_b64: str, message: str, wire_format: bool, schema_id: int | None = None
) -> Callable[[Column], Column]:
    """A UDF decoding Protobuf bytes to JSON text, or returning the reason it cannot.

    In the wire format (`schema_id` is the writer schema's id) the message indexes after the schema
    id name the record's message in the writer schema: one other than `message` (the product's, a
    full name) is quarantined, as are indexes that name no message.
    """

    descriptor = base64.b64decode(descriptor_b64)  # once, not per record

    def decode(value: bytes | None) -> tuple[str | None, str | None]:
        from tardis_dagster.core.formats import protobuf as protobuf_format

        if value is None:
            return None, "empty value (null)"
        try:
            data = bytes(value)
            if wire_format:
                _id, indexes, data = protobuf_format.wire_split(data)
                try:
                    named = protobuf_format.message_at(descriptor, indexes)
                except ValueError as exc:
                    return None, f"schema id {schema_id}: {exc}"[:2000]
                if named != message:
                    return None, (
                        f"message indexes {indexes} name {named} in schema id {schema_id}, "
                        f"but the product reads {message} (source.kafka.message)"
                    )
            decoded = protobuf_format.decode(descriptor, message, data, require_fields=True)
            return json.dumps(protobuf_format.to_dict(decoded)), None
        except ValueError as exc:
            return None, str(exc)[:2000]

    schema = StructType([StructField("json", StringType()), StructField("error", StringType())])
    return F.udf(decode, schema)


def _guard(job: KafkaLandingInput, writers: dict[int, WriterSchema]) -> Column:
    """Why a record is not decoded at all (null value, too large, not the wire format, a schema id
    the registry does not hold or that names an unreadable schema), or null: such a record goes to
    quarantine alone, unread, and the batch lands."""
    size = F.length("value")
    reason = F.when(F.col("value").isNull(), F.lit("empty value (null)")).when(
        size > job.max_record_bytes,
        F.concat(
            F.lit("record too large: "),
            size.cast("string"),
            F.lit(f" bytes (the limit is {job.max_record_bytes} bytes, TARDIS_KAFKA_MAX_RECORD_BYTES)"),
        ),
    )
    if job.wire_format:
        reason = reason.when(
            (size < 5) | (F.substring("value", 1, 1) != F.lit(b"\x00")),
            F.lit("not the Confluent wire format (magic byte 0 and a 4-byte schema id first)"),
        ).when(
            ~_schema_id().isin(*sorted(writers)),
            F.concat(
                F.lit("schema id "), _schema_id().cast("string"), F.lit(" is not in the schema registry")
            ),
        )
        for schema_id, writer in sorted(writers.items()):
            if writer.problem is not None:
                reason = reason.when(_schema_id() == schema_id, F.lit(writer.problem))
    return reason


def decode(
    df: DataFrame, job: KafkaLandingInput, writers: dict[int, WriterSchema] | None = None
) -> DataFrame:
    """Add `payload` (the decoded struct) and `_error` (why not, or null) to a batch of Kafka records.

    `writers` are the writer schemas by schema id of the batch's wire-format records (ids the
    registry does not hold are absent, and their records quarantined).
    """
    writers = writers or {}
    df = df.withColumn("_guard", _guard(job, writers))
    # The body of a record that passed the guard (without the wire format's header), else null.
    body = F.expr("substring(value, 6)") if job.wire_format else F.col("value")
    df = df.withColumn("_body", F.when(F.col("_guard").isNull(), body))
    if job.wire_format and job.format != "avro":
        df = _decode_by_writer(df, job, writers)
    else:
        usable = {i: w.schema_text or "" for i, w in writers.items() if w.problem is None}
        df = _decode_body(df, job, usable if job.wire_format else None)
    error = F.coalesce(F.col("_guard"), F.col("_error"))
    return (
        df.withColumn("_error", error)
        .withColumn("payload", F.when(F.col("_error").isNull(), F.col("payload")))
        .drop("_guard", "_body")
    )


def _decode_by_writer(df: DataFrame, job: KafkaLandingInput, writers: dict[int, WriterSchema]) -> DataFrame:
    """JSON and Protobuf in the wire format: the records of each schema id decoded and validated with
    that writer schema (one part of the batch each), their payload then landed in the reader's (the
    topic schema's) columns by name. Avro needs no parts: Spark resolves writer to reader itself."""
    spark = df.sparkSession
    reader = parse_payload_schema(spark, job.payload_ddl)
    columns = df.columns
    refused = df.where(F.col("_guard").isNotNull()).select(
        *columns, F.lit(None).cast(reader).alias("payload"), F.lit(None).cast("string").alias("_error")
    )
    parts = [refused]
    for schema_id, writer in sorted(writers.items()):
        if writer.problem is not None:
            continue  # the guard refused its records
        part = df.where(F.col("_guard").isNull() & (_schema_id() == schema_id))
        as_written = replace(
            job,
            schema_text=writer.schema_text,
            payload_ddl=writer.payload_ddl or "",
            descriptor_b64=writer.descriptor_b64,
            message=writer.message,
        )
        part = _decode_body(part, as_written, None, schema_id)
        written = parse_payload_schema(spark, writer.payload_ddl or "")
        if written != reader:
            part = _as_reader(
                part, written, reader, f"schema id {schema_id}", _defaults(job, written, reader)
            )
        parts.append(part.select(*columns, "payload", "_error"))
    return reduce(DataFrame.unionByName, parts)


def _defaults(job: KafkaLandingInput, written: StructType, reader: StructType) -> dict[str, Any]:
    """The values of the reader's fields a writer lacks: Protobuf's defaults (a field not on the wire
    reads as its default: 0, "", an empty list; null with presence); null for JSON Schema."""
    if job.format != "protobuf":
        return {}
    from tardis_dagster.core.formats import protobuf as protobuf_format

    descriptor = base64.b64decode(job.descriptor_b64 or "")
    empty = protobuf_format.message_class(descriptor, job.message or "")()
    missing = {f.name for f in reader.fields} - {f.name for f in written.fields}
    return {name: value for name, value in protobuf_format.to_dict(empty).items() if name in missing}


def _as_reader(
    part: DataFrame, written: StructType, reader: StructType, source: str, defaults: dict[str, Any]
) -> DataFrame:
    """`part` with its `payload` (typed by the writer's schema) as the reader's struct, by field name:
    fields the writer lacks take `defaults` (else null), widened types are cast, and a field whose
    type the reader cannot take quarantines the records that carry it (never a failed batch)."""
    by_name = {f.name: f.dataType for f in written.fields}
    payload = F.col("payload")
    missing = StructType([f for f in reader.fields if f.name not in by_name])
    # One constant struct of the defaults, parsed by Spark into the reader's types.
    filled = F.from_json(F.lit(json.dumps(defaults)), missing) if missing.fields else None
    fields: list[Column] = []
    checks: list[tuple[Column, str]] = []
    for field in reader.fields:
        if field.name not in by_name:
            assert filled is not None
            fields.append(filled[field.name].alias(field.name))
            continue
        mismatches = _type_mismatches(by_name[field.name], field.dataType, f"payload.{field.name}", source)
        if mismatches:
            checks.append((payload[field.name].isNotNull(), "; ".join(mismatches)))
        fields.append(_converted(payload[field.name], by_name[field.name], field.dataType).alias(field.name))
    if checks:  # judged on the writer's payload, before it is replaced by the reader's
        part = json_checks.with_violations(part, checks, "_unlandable")
        part = part.withColumn("_error", F.coalesce(F.col("_error"), F.col("_unlandable"))).drop(
            "_unlandable"
        )
    return part.withColumn("payload", F.when(payload.isNotNull(), F.struct(*fields)))


def _type_mismatches(written: DataType, reader: DataType, path: str, source: str) -> list[str]:
    """Where a value of the writer's type (`source`'s) cannot become one of the reader's: fields by
    name (the reader's missing ones are null), Iceberg's widenings allowed."""
    if written == reader or _widening(written.simpleString(), reader.simpleString()):
        return []
    if isinstance(written, StructType) and isinstance(reader, StructType):
        by_name = {f.name: f.dataType for f in written.fields}
        return [
            problem
            for f in reader.fields
            if f.name in by_name
            for problem in _type_mismatches(by_name[f.name], f.dataType, f"{path}.{f.name}", source)
        ]
    if isinstance(written, ArrayType) and isinstance(reader, ArrayType):
        return _type_mismatches(written.elementType, reader.elementType, f"{path}[]", source)
    if isinstance(written, MapType) and isinstance(reader, MapType):
        keys = _type_mismatches(written.keyType, reader.keyType, f"{path} key", source)
        return keys + _type_mismatches(written.valueType, reader.valueType, f"{path} value", source)
    return [
        f"{path} is {written.simpleString()} in {source} but {reader.simpleString()} in the topic schema "
        "(its latest version), which the raw table holds"
    ]


def _converted(value: Column, written: DataType, reader: DataType) -> Column:
    """`value` of the writer's type as the reader's: structs by field name, lists and maps element by
    element, widenings cast; what cannot be converted is null (`_type_mismatches` quarantines it)."""
    if written == reader:
        return value
    if _widening(written.simpleString(), reader.simpleString()):
        return value.cast(reader)
    if isinstance(written, StructType) and isinstance(reader, StructType):
        by_name = {f.name: f.dataType for f in written.fields}
        fields = [
            (
                _converted(value[f.name], by_name[f.name], f.dataType)
                if f.name in by_name
                else F.lit(None).cast(f.dataType)
            ).alias(f.name)
            for f in reader.fields
        ]
        return F.when(value.isNotNull(), F.struct(*fields))
    if isinstance(written, ArrayType) and isinstance(reader, ArrayType):
        return F.transform(value, lambda x: _converted(x, written.elementType, reader.elementType))
    if isinstance(written, MapType) and isinstance(reader, MapType) and written.keyType == reader.keyType:
        return F.transform_values(value, lambda _k, v: _converted(v, written.valueType, reader.valueType))
    return F.lit(None).cast(reader)


def _decode_body(
    df: DataFrame, job: KafkaLandingInput, writers: dict[int, str] | None, schema_id: int | None = None
) -> DataFrame:
    """`payload` and `_error` from `_body` (null where the guard already refused the record).

    `writers` (Avro in the wire format) are the writer schemas' texts by id; `schema_id` is the
    writer schema's id of a part of a JSON or Protobuf wire-format batch (`_decode_by_writer`).
    """
    fmt, ddl = job.format, job.payload_ddl
    if fmt == "json":
        schema_text = job.schema_text or "{}"
        schema = json.loads(schema_text)
        text = F.col("_body").cast("string")
        options = {"mode": "PERMISSIVE", **json_strictness.READER_OPTIONS}
        if not json_checks.supported(schema):
            # Beyond flat event schemas: validated by the jsonschema package, row by row.
            error = _json_error_udf(schema_text)(F.col("_body"))
            payload_type = parse_payload_schema(df.sparkSession, ddl)
            df = json_checks.fallback_payload(df, text, ddl, payload_type, options)
            payload = F.when(F.col("_error").isNull(), F.col("_payload"))
            return df.withColumn("_error", error).withColumn("payload", payload).drop("_payload")
        payload_type = parse_payload_schema(df.sparkSession, ddl)
        df = json_checks.validate(
            df, schema, payload_type, text, error="_checks", reader_options=json_strictness.READER_OPTIONS
        )
        # What Spark's reader lets through whatever its options, checked first: its reason wins.
        strict = (
            F.when(
                ~json_strictness.valid_utf8(F.col("_body"), df.sparkSession.version), json_strictness.NOT_UTF8
            )
            .when(~json_strictness.one_value(text), json_strictness.NOT_ONE_VALUE)
            .when(json_strictness.overflows(text), json_strictness.OVERFLOW)
        )
        df = df.withColumn("_error", F.coalesce(strict, F.col("_checks")))
        payload = F.when(F.col("_error").isNull(), F.col("_typed"))
        return df.withColumn("payload", payload).drop("_typed", "_checks")
    if fmt == "avro":
        from pyspark.sql.avro.functions import from_avro

        reader = job.schema_text or ""
        body = F.col("_body")
        df = df.withColumn(
            "_error", _avro_error_udf(reader, writers if job.wire_format else None)(_schema_id(), body)
        )
        if not job.wire_format:
            payload = from_avro(body, reader, {"mode": "FAILFAST"})
        else:
            # Each record read with its writer schema, resolved to the reader's (Spark's `avroSchema`).
            payload = F.lit(None).cast(parse_payload_schema(df.sparkSession, job.payload_ddl))
            for writer_id, writer in sorted((writers or {}).items()):
                options = {"mode": "FAILFAST", "avroSchema": reader}
                payload = F.when(writer_id == _schema_id(), from_avro(body, writer, options)).otherwise(
                    payload
                )
        return df.withColumn("payload", F.when(F.col("_error").isNull(), payload))
    if fmt == "protobuf":
        value = F.when(F.col("_guard").isNull(), F.col("value"))  # the UDF sees no refused record
        decoder = _protobuf_udf(job.descriptor_b64 or "", job.message or "", job.wire_format, schema_id)
        df = df.withColumn("_decoded", decoder(value))
        payload = F.from_json(F.col("_decoded.json"), ddl, {"mode": "FAILFAST"})
        return (
            df.withColumn("_error", F.col("_decoded.error")).withColumn("payload", payload).drop("_decoded")
        )
    raise ValueError(f"unknown format {fmt}")


def batch_writers(batch: DataFrame, registry_url: str, job: KafkaLandingInput) -> dict[int, WriterSchema]:
    """The writer schemas (by id) of a batch's wire-format records, from the registry (cached).

    Ids the registry does not hold are left out: their records are quarantined.
    """
    from tardis_dagster.core.formats.registry import RegistryClient

    client = RegistryClient(registry_url)
    wire = (F.length("value") >= 5) & (F.substring("value", 1, 1) == F.lit(b"\x00"))
    ids = [int(r[0]) for r in batch.where(wire).select(_schema_id()).distinct().collect() if r[0] is not None]
    writers = {}
    for schema_id in ids:
        registered = client.schema_by_id(schema_id)
        if registered is not None:
            writers[schema_id] = writer_schema(job, schema_id, *registered)
    return writers


# --- exactly-once bookkeeping in the Iceberg snapshot summaries ---------------------------------------


SqlPart = str | Callable[[str], str]  # a SQL fragment, or one made from the table's name


def _per_table(spark: SparkSession, tables: list[str], select: SqlPart, where: SqlPart) -> dict[str, Any]:
    """`SELECT <select> FROM <table>.snapshots WHERE <where>` (one aggregate row) for every table, in
    one query: each metadata query is a Spark job of its own. `select` and `where` may depend on the
    table (a function of its name)."""

    def part(text: SqlPart, table: str) -> str:
        return text(table) if callable(text) else text

    rows = spark.sql(
        " UNION ALL ".join(
            f"SELECT {i} AS i, {part(select, table)} FROM {table}.snapshots WHERE {part(where, table)}"
            for i, table in enumerate(tables)
        )
    ).collect()
    return {tables[int(r["i"])]: r for r in rows}


def next_offsets(spark: SparkSession, tables: list[str]) -> dict[str, dict[int, int]]:
    """Per table and partition, the first offset not yet in it (from its newest snapshot that
    recorded it)."""
    rows = _per_table(
        spark,
        tables,
        f"max_by(summary['{OFFSETS_PROPERTY}'], committed_at) AS o",
        f"summary['{OFFSETS_PROPERTY}'] IS NOT NULL",
    )
    recorded = {table: r["o"] for table, r in rows.items() if r["o"] is not None}
    result = {}
    for table in tables:
        if table in recorded:
            result[table] = {int(p): int(o) for p, o in json.loads(recorded[table]).items()}
            continue
        # Snapshots expired (or a table landed by older code): fall back to the data itself.
        result[table] = {
            int(r[0]): int(r[1]) + 1
            for r in spark.sql(
                f"SELECT `partition`, max(`offset`) FROM {table} GROUP BY `partition`"
            ).collect()
        }
    return result


def _not_landed(df: DataFrame, landed: dict[int, int]) -> DataFrame:
    if not landed:
        return df
    condition = F.lit(True)
    for partition, offset in landed.items():
        condition = F.when(F.col("partition") == partition, F.col("offset") >= offset).otherwise(condition)
    return df.where(condition)


def _commit(
    df: DataFrame,
    table: str,
    offsets: dict[int, int],
    run_id: str,
    size: tuple[int, int] | None = None,
    force: bool = False,
) -> int:
    """Append `df` to `table`, recording the offsets it covers and its size; returns the rows written.

    `size` is (rows, value bytes) when the caller already knows it; otherwise it is counted here.
    Without rows nothing is committed, unless `force`: an empty snapshot then records the offsets.
    """
    if size is None:
        row = df.agg(
            F.count("*").alias("n"), F.coalesce(F.sum(F.length("value")), F.lit(0)).alias("b")
        ).first()
        size = (int(row["n"]), int(row["b"]))
    if size[0] or force:
        (
            df.writeTo(table)
            .option(
                f"snapshot-property.{OFFSETS_PROPERTY}", json.dumps({str(p): o for p, o in offsets.items()})
            )
            .option(f"snapshot-property.{RUN_PROPERTY}", run_id)
            .option(f"snapshot-property.{BYTES_PROPERTY}", str(size[1]))
            .append()
        )
    return size[0]


def batch_end_offsets(spark: SparkSession, checkpoint: str, batch_id: int, topic: str) -> dict[int, int]:
    """Per partition, the end offset (exclusive) of micro-batch `batch_id`, from the query's offset log.

    Under `read_committed` the offsets of transaction markers and of aborted records hold no record
    the batch sees, so the last record's offset + 1 can stay short of where the batch ends; the
    ledger records this end instead, or the landed offsets would trail the topic's end forever.
    Spark writes the log entry (`v1`, the batch metadata, then one offset per source) before it
    runs the batch.
    """
    path = f"{checkpoint.rstrip('/')}/offsets/{batch_id}"
    local = urlparse(path)
    if local.scheme in ("", "file"):
        lines = Path(local.path).read_text(encoding="utf-8").splitlines()
    else:  # an object store (EMR): read through Spark's file systems
        lines = [r[0] for r in spark.read.text(path).collect()]
    for line in lines[2:]:
        offsets = json.loads(line) if line.startswith("{") else {}
        if isinstance(offsets, dict) and topic in offsets:
            return {int(p): int(o) for p, o in offsets[topic].items()}
    return {}


def make_batch_writer(
    job: KafkaLandingInput, run_id: str, checkpoint: str, registry_url: str = ""
) -> Callable[[DataFrame, int], None]:
    """The foreachBatch function: decode, split, and commit good and quarantined records exactly once.

    `registry_url` (wire-format products) is captured here, in the batch function, and never in a
    DataFrame expression: Spark plans are shown in its UI, and the URL may carry credentials.
    """
    table, quarantine = job.table, job.quarantine_table

    def write_batch(batch: DataFrame, batch_id: int) -> None:
        spark = batch.sparkSession
        writers = None
        if job.wire_format:
            if not registry_url:
                raise ValueError(
                    f"{job.product} reads the Confluent wire format: set {REGISTRY_URL_ENV} for the job"
                )
            batch = batch.persist()  # read from Kafka once for the schema ids and the decoding
            writers = batch_writers(batch, registry_url, job)
        # Decoded once and kept: the offset bounds, both tables' counts and their writes read it.
        decoded = (
            decode(batch, job, writers)
            .withColumn("_ingested_at", F.current_timestamp())
            .withColumn("_batch_id", F.lit(batch_id).cast("bigint"))
            .persist()
        )
        try:
            # One pass for everything the commits need: per partition and outcome, offsets and sizes.
            stats = (
                decoded.groupBy("partition", F.col("_error").isNull().alias("good"))
                .agg(
                    F.min("offset").alias("first"),
                    F.max("offset").alias("last"),
                    F.count("*").alias("n"),
                    F.coalesce(F.sum(F.length("value")), F.lit(0)).alias("b"),
                )
                .collect()
            )
            ends = batch_end_offsets(spark, checkpoint, batch_id, job.topic)
            for row in stats:
                partition = int(row["partition"])
                ends[partition] = max(ends.get(partition, 0), int(row["last"]) + 1)
            ledger = next_offsets(spark, [quarantine, table])
            if not stats:
                # Only transaction markers or aborted records: nothing to land, but the ledger moves
                # past them (an empty snapshot of the raw table records the offsets).
                landed = ledger[table]
                if any(o > max(landed.get(p, 0), ledger[quarantine].get(p, 0)) for p, o in ends.items()):
                    covered = {**landed, **{p: max(landed.get(p, 0), o) for p, o in ends.items()}}
                    empty = decoded.select(*_COORDINATE_NAMES, "payload", "_ingested_at", "_batch_id")
                    _commit(empty, table, covered, run_id, (0, 0), force=True)
                return
            for target, good in ((quarantine, False), (table, True)):
                landed = ledger[target]
                covered = {**landed, **{p: max(landed.get(p, 0), o) for p, o in ends.items()}}
                rows = decoded.where(F.col("_error").isNull() if good else F.col("_error").isNotNull())
                if good:
                    out = rows.select(*_COORDINATE_NAMES, "payload", "_ingested_at", "_batch_id")
                else:
                    out = rows.select(
                        *_COORDINATE_NAMES, F.col("_error").alias("reason"), "_ingested_at", "_batch_id"
                    )
                mine = [r for r in stats if r["good"] == good]
                replayed = any(landed.get(int(r["partition"]), 0) > int(r["first"]) for r in mine)
                # Normally nothing of the batch is landed yet and the sizes are known; a replay recounts.
                size = None if replayed else (sum(int(r["n"]) for r in mine), sum(int(r["b"]) for r in mine))
                _commit(_not_landed(out, landed), target, covered, run_id, size)
        finally:
            decoded.unpersist()
            if job.wire_format:
                batch.unpersist()

    return write_batch


_COORDINATE_NAMES = ["topic", "partition", "offset", "timestamp", "key", "headers", "value"]


# --- tables and schema evolution ------------------------------------------------------------------------


def ensure_tables(spark: SparkSession, job: KafkaLandingInput) -> list[str]:
    """Create the raw and quarantine tables, or evolve the raw payload to the topic's current schema.

    Returns the schema changes applied to an existing raw table.
    """
    table, quarantine = job.table, job.quarantine_table
    payload = parse_payload_schema(spark, job.payload_ddl)
    ensure_namespace(spark, table.split(".")[0])
    coordinates = spark.createDataFrame([], COORDINATES).schema
    tail = [StructField("_ingested_at", TimestampType()), StructField("_batch_id", LongType())]
    schemas = {
        quarantine: StructType([*coordinates.fields, StructField("reason", StringType()), *tail]),
        table: StructType([*coordinates.fields, StructField("payload", payload), *tail]),
    }
    changes: list[str] = []
    for name, schema in schemas.items():
        if table_exists(spark, name):
            if name == table:
                changes = evolve_payload(spark, table, payload)
            continue
        (
            spark.createDataFrame([], schema)
            .writeTo(name)
            .using("iceberg")
            .partitionedBy(partitioning.days("timestamp"))
            .tableProperty("format-version", "2")
            # A batch spans a day or two of partitions: write them side by side instead of shuffling.
            .tableProperty("write.distribution-mode", "none")
            .tableProperty("write.spark.fanout.enabled", "true")
            .create()
        )
    return changes


def parse_payload_schema(spark: SparkSession, ddl: str) -> StructType:
    """Parse a DDL field list with the server's parser (a Spark Connect client has no JVM of its own)."""
    return spark.createDataFrame([], ddl).schema


def evolve_payload(spark: SparkSession, table: str, new: StructType) -> list[str]:
    """Add new payload fields; widen int->bigint, float->double, decimal precision; refuse the rest.

    Returns the changes applied. Raises IncompatibleSchemaError naming the field otherwise.
    """
    current = spark.table(table).schema["payload"].dataType
    assert isinstance(current, StructType)
    existing = {f.name: f.dataType for f in current.fields}
    changes = []
    for field in new.fields:
        old = existing.get(field.name)
        if old is None:
            spark.sql(
                f"ALTER TABLE {table} ADD COLUMN payload.`{field.name}` {field.dataType.simpleString()}"
            )
            changes.append(f"added payload.{field.name} {field.dataType.simpleString()}")
            continue
        if old == field.dataType:
            continue
        before, after = old.simpleString(), field.dataType.simpleString()
        if _widening(before, after):
            spark.sql(f"ALTER TABLE {table} ALTER COLUMN payload.`{field.name}` TYPE {after}")
            changes.append(f"widened payload.{field.name} {before} -> {after}")
            continue
        raise IncompatibleSchemaError(
            f"field '{field.name}' changed type from {before} to {after} in the topic schema; {table} cannot "
            "follow that change (only new optional fields and widening int->bigint, float->double, decimal "
            "precision up are applied). Publish the change as a new topic or a new major contract version."
        )
    return changes


def _widening(old: str, new: str) -> bool:
    if (old, new) in _WIDENINGS:
        return True
    if old.startswith("decimal(") and new.startswith("decimal("):
        (p1, s1), (p2, s2) = (tuple(int(x) for x in t[8:-1].split(",")) for t in (old, new))
        return s1 == s2 and p2 >= p1
    return False


# --- the query and what it reports ---------------------------------------------------------------------


def checkpoint_location(spark: SparkSession, table: str) -> str:
    """Beside the table's own folder (not inside it, where orphan-file cleanup would delete it)."""
    location = next(
        r["data_type"]
        for r in spark.sql(f"DESCRIBE TABLE EXTENDED {table}").collect()
        if r["col_name"] == "Location"
    )
    return location.rstrip("/") + "__kafka_checkpoint"


# Kafka consumer settings of the landing reads (`kafka_options` of the job's extras win over them).
# Spark reads offset ranges that exist, yet each task's consumer ended on a fetch the broker held for
# `fetch.max.wait.ms` (500 ms by default): half a second per task, most of a small batch's time.
# Larger fetches per partition (1 MB by default) take fewer round trips to the broker.
CONSUMER_DEFAULTS = {"fetch.max.wait.ms": "10", "max.partition.fetch.bytes": str(8 << 20)}


# Read exactly what producers committed: records of aborted (and still open) transactions are never
# landed. Set after the job's own `kafka_options`, so no option can turn it off.
ISOLATION = {"isolation.level": "read_committed"}


def start_query(
    spark: SparkSession, job: KafkaLandingInput, run_id: str, trigger: dict[str, Any], registry_url: str = ""
):
    """Start the landing query (the caller waits for it)."""
    reader = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", job.bootstrap)
        .option("subscribe", job.topic)
        .option("startingOffsets", "earliest")
        .option("includeHeaders", "true")
        .option("failOnDataLoss", "true")
    )
    if job.max_offsets_per_trigger:
        reader = reader.option("maxOffsetsPerTrigger", str(job.max_offsets_per_trigger))
    if job.min_partitions:
        reader = reader.option("minPartitions", str(job.min_partitions))
    for key, value in {**CONSUMER_DEFAULTS, **job.kafka_options, **ISOLATION}.items():
        reader = reader.option(f"kafka.{key}", value)
    checkpoint = checkpoint_location(spark, job.table)
    return (
        reader.load()
        .writeStream.queryName(f"tardis_land_{job.product}_{run_id[:8]}")
        .foreachBatch(make_batch_writer(job, run_id, checkpoint, registry_url))
        .option("checkpointLocation", checkpoint)
        .trigger(**trigger)
        .start()
    )


class RunStats(NamedTuple):
    """What one run (or one stream interval) committed to a table, from its snapshot summaries."""

    records: int
    bytes: int
    last_commit_ms: int  # committed_at of its latest snapshot counted (0: none)


def run_stats(
    spark: SparkSession, tables: list[str], run_id: str, since_ms: Mapping[str, int] | None = None
) -> dict[str, RunStats]:
    """Per table, what run `run_id` committed after `since_ms[table]` (epoch ms; all of it if absent).

    A stream passes the previous interval's `last_commit_ms` per table, not a wall-clock time: one
    query commits to a table in sequence, so a snapshot not yet counted is always later than the last
    one counted, and a commit landing while this runs is counted in exactly one interval.
    """
    since = {table: int((since_ms or {}).get(table, 0)) for table in tables}
    rows = _per_table(
        spark,
        tables,
        "coalesce(sum(cast(summary['added-records'] AS BIGINT)), 0) AS n, "
        f"coalesce(sum(cast(summary['{BYTES_PROPERTY}'] AS BIGINT)), 0) AS b, "
        "coalesce(max(unix_millis(committed_at)), 0) AS t",
        lambda table: (
            f"summary['{RUN_PROPERTY}'] = '{run_id}' AND unix_millis(committed_at) > {since[table]}"
        ),
    )
    # no snapshot counted: the watermark stays where it was
    return {t: RunStats(int(r["n"]), int(r["b"]), max(int(r["t"]), since[t])) for t, r in rows.items()}


# Failures after which a restart resumes from the checkpoint, with the reason told to the user.
RESTARTABLE = {
    # Spark 4.1's Kafka source fails computing the progress metrics of a batch replayed after a
    # crash (NullPointerException in KafkaMicroBatchStream.metrics), after the batch and its
    # checkpoint commit are written.
    "KafkaMicroBatchStream": "Spark's Kafka source failed its metrics after replaying a committed batch",
    # Spark gives a starting Python worker 10 s to connect back, which an overloaded node can miss.
    "Python worker failed to connect back": "a Spark Python worker did not start in time",
}
ATTEMPTS = 3


def run_available_now(
    spark: SparkSession,
    job: KafkaLandingInput,
    run_id: str,
    warn: Callable[[str], None],
    registry_url: str = "",
) -> None:
    """Land everything available now, restarting after a known transient failure (`RESTARTABLE`).

    A restart continues from the last committed batch: offsets and the raw table are the ledger,
    so a restart neither skips nor repeats a record.
    """
    from pyspark.errors import PySparkException

    for attempt in range(1, ATTEMPTS + 1):
        try:
            start_query(spark, job, run_id, {"availableNow": True}, registry_url).awaitTermination()
            return
        except PySparkException as exc:
            stack = _stack(exc)
            reason = next((why for marker, why in RESTARTABLE.items() if marker in stack), None)
            if attempt == ATTEMPTS or reason is None:
                raise
            warn(f"{reason}; restarting from the last committed batch (attempt {attempt + 1})")


def _stack(exc: Exception) -> str:
    """The exception text including the JVM stack trace (Spark Connect puts it in the message)."""
    return str(exc) + str(getattr(exc, "getStackTrace", lambda: "")() or "")


def landed_offsets(spark: SparkSession, job: KafkaLandingInput) -> dict[str, int]:
    """Per partition, the first offset not yet landed in either the raw or the quarantine table."""
    ledger = next_offsets(spark, [job.table, job.quarantine_table])
    raw, quarantine = ledger[job.table], ledger[job.quarantine_table]
    return {str(p): max(raw.get(p, 0), quarantine.get(p, 0)) for p in set(raw) | set(quarantine)}


def landing_result(
    spark: SparkSession,
    job: KafkaLandingInput,
    stats: dict[str, RunStats],
    before: dict[str, int],
    changes: list[str],
) -> KafkaLandingResult:
    """What a landing run did (or, streaming, one interval), given its `run_stats`."""
    table, quarantine = job.table, job.quarantine_table
    (landed, landed_bytes, _), (quarantined, _, _) = stats[table], stats[quarantine]
    after = landed_offsets(spark, job)
    high = end_offsets(job.bootstrap, [job.topic], job.kafka_options).get(job.topic, {})  # read_committed
    return KafkaLandingResult(
        table=table,
        topic=job.topic,
        quarantine_table=quarantine,
        row_count=int(spark.sql(f"SELECT count(*) FROM {table}").collect()[0][0]),
        columns=schema_columns(spark.table(table).schema),
        records_landed=landed,
        bytes_landed=landed_bytes,
        records_quarantined=quarantined,
        start_offsets=before,
        end_offsets=after,
        lag={p: max(0, o - after.get(p, 0)) for p, o in high.items()},
        snapshot_id=current_snapshot_id(spark, table),
        schema_changes=changes,
    )


def stream(
    spark: SparkSession,
    job: KafkaLandingInput,
    report: Callable[[KafkaLandingResult], None],
    trigger_seconds: int,
    report_seconds: float,
    max_seconds: float | None = None,
    registry_url: str = "",
) -> None:
    """Streaming mode: the same query with a processing-time trigger, `report`ing every interval.

    Runs until stopped (Ctrl-C) or for `max_seconds`. Each interval's result covers the records
    committed since the previous one, so each record is reported once.
    """
    changes = ensure_tables(spark, job)
    stream_id = f"stream-{uuid.uuid4().hex[:12]}"
    query = start_query(spark, job, stream_id, {"processingTime": f"{trigger_seconds} seconds"}, registry_url)
    started = time.monotonic()
    since_ms: dict[str, int] = {}  # per table, the last commit reported
    before = landed_offsets(spark, job)
    try:
        while True:
            wait = report_seconds
            if max_seconds is not None:
                wait = min(wait, max(0.0, max_seconds - (time.monotonic() - started)))
            if query.awaitTermination(wait):  # the query ended on its own
                error = query.exception()
                if error is not None:
                    raise error
                break
            stats = run_stats(spark, [job.table, job.quarantine_table], stream_id, since_ms)
            result = landing_result(spark, job, stats, before, changes)
            result.stream_id = stream_id
            report(result)
            since_ms = {table: s.last_commit_ms for table, s in stats.items()}
            before, changes = result.end_offsets, []
            if max_seconds is not None and time.monotonic() - started >= max_seconds:
                break
    finally:
        if query.isActive:
            query.stop()


def main() -> None:
    """Entry point under Dagster Pipes: one availableNow run, reported as a materialization + check."""
    from tardis_dagster.core.jobs_io import from_extras
    from tardis_dagster.core.naming import QUARANTINE_CHECK
    from tardis_dagster.core.settings import JobEnvironment
    from tardis_dagster.jobs.pipes_channels import open_job_pipes
    from tardis_dagster.jobs.reporting import pipes_metadata
    from tardis_dagster.jobs.session import spark_session

    with open_job_pipes() as pipes:
        job = from_extras(KafkaLandingInput, pipes.extras)
        started = time.monotonic()
        spark = spark_session(f"tardis-land-kafka-{job.product}", JobEnvironment.read())
        try:
            changes = ensure_tables(spark, job)
        except IncompatibleSchemaError as exc:
            pipes.log.error(str(exc))  # the reason, in the run's log, not buried in a stack trace
            raise
        before = landed_offsets(spark, job)
        run_id = pipes.run_id if hasattr(pipes, "run_id") else f"run-{int(time.time())}"
        run_id = str(run_id)
        prepared = time.monotonic()
        registry_url = JobEnvironment.secret(REGISTRY_URL_ENV)
        run_available_now(spark, job, run_id, pipes.log.warning, registry_url)
        landed_at = time.monotonic()
        stats = run_stats(spark, [job.table, job.quarantine_table], run_id)
        result = landing_result(spark, job, stats, before, changes)
        result.phase_seconds = {
            "prepare": round(prepared - started, 2),
            "land": round(landed_at - prepared, 2),
            "report": round(time.monotonic() - landed_at, 2),
        }
        result.job_seconds = round(time.monotonic() - started, 2)
        pipes.report_asset_materialization(
            metadata=pipes_metadata(result.metadata()), asset_key=job.asset_key
        )
        pipes.report_asset_check(
            check_name=QUARANTINE_CHECK,
            passed=result.quarantined_share <= job.quarantine_threshold,
            asset_key=job.asset_key,
            severity="ERROR",
            metadata=pipes_metadata(result.quarantine_check_metadata(job.quarantine_threshold)),
        )


def stream_main() -> None:
    """Entry point of a stream (`tardis stream`): the job input as JSON on stdin, each interval's
    result as one JSON line on stdout, until stopped."""
    import dataclasses
    import sys

    from tardis_dagster.core.jobs_io import from_extras
    from tardis_dagster.core.settings import JobEnvironment
    from tardis_dagster.jobs.session import spark_session

    request = json.loads(sys.stdin.readline())
    job = from_extras(KafkaLandingInput, request["job"])
    spark = spark_session(f"tardis-stream-{job.product}", JobEnvironment.read())

    def report(result: KafkaLandingResult) -> None:
        print(json.dumps(dataclasses.asdict(result)), flush=True)

    stream(
        spark,
        job,
        report,
        int(request["trigger_seconds"]),
        float(request["report_seconds"]),
        request.get("max_seconds"),
        JobEnvironment.secret(REGISTRY_URL_ENV),
    )


if __name__ == "__main__":
    if "--stream" in __import__("sys").argv:
        stream_main()
    else:
        main()
