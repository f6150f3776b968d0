"""Raw rows -> contract-typed rows: source names matched in snake_case, values cast, PII hashed.

A value that cannot be cast is never a silent null: its row goes to rejects with the column and reason.
Time zone rule: the session time zone is UTC, so a timestamp text with an offset is converted to UTC and
one without an offset is read as UTC.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F  # noqa: N812 - the PySpark convention
from pyspark.sql.types import ArrayType, DataType, MapType, StringType, StructType

from tardis_dagster.core.jobs_io import ContractColumn, StandardizeInput
from tardis_dagster.core.metadata import ColumnDep, Lineage
from tardis_dagster.jobs.tables import quote

SOURCE_ID = "_source_id"
LOADED_AT = "_loaded_at"
SOURCE_ROW = "_source_row"
MODIFIED_AT = "_source_modified_at"
METADATA_COLUMNS = ("_source_file", SOURCE_ROW, MODIFIED_AT, "_ingested_at")
# Row numbers zero-padded so text order is file order (row 10 after row 9), as the vault orders ids.
ROW_DIGITS = 12


@dataclass(frozen=True)
class SourcedColumn:
    """A contract column and the raw column it is read from (None: no source, read as null).

    `gathered`: a map column an export delivers flattened, one column per key (legacy CUR's
    `resourceTags/user:team`), as (key, raw column) pairs; `source` then names the map `typed` builds.
    """

    column: ContractColumn
    source: str | None
    gathered: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Sources:
    """Where each contract column comes from in raw, and the raw columns that identify a record."""

    source_kind: str
    columns: list[SourcedColumn]
    raw_columns: list[str]


HMAC_INNER_PAD = "__tardis_hmac_ipad"
HMAC_OUTER_PAD = "__tardis_hmac_opad"


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """The inner and outer padded keys of HMAC-SHA-256 (RFC 2104) for `key`."""
    block = key if len(key) <= 64 else hashlib.sha256(key).digest()
    block = block.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block)


def with_hmac_pads(df: DataFrame, key: bytes) -> DataFrame:
    """`df` with the key's HMAC pads as two columns, so `hmac_sha256` can read them.

    The pads travel as data (a one-row relation, broadcast), never as literals: a literal is printed
    in every plan, and so in the Spark UI, its REST API and the event log, from which the key could
    be recovered. A relation's rows are not printed.
    """
    inner, outer = hmac_pads(key)
    pads = df.sparkSession.createDataFrame(
        [(bytearray(inner), bytearray(outer))], f"{HMAC_INNER_PAD} BINARY, {HMAC_OUTER_PAD} BINARY"
    )
    return df.crossJoin(F.broadcast(pads))


def hmac_sha256(value: Column) -> Column:
    """HMAC-SHA-256 (RFC 2104) of `value`'s text as lowercase hex, in Spark SQL functions only.

    Reads the pads from the columns `with_hmac_pads` adds.
    """
    text = F.encode(value.cast("string"), "UTF-8")
    inner = F.unhex(F.sha2(F.concat(F.col(HMAC_INNER_PAD), text), 256))
    return F.when(value.isNotNull(), F.sha2(F.concat(F.col(HMAC_OUTER_PAD), inner), 256))


def snake_case(name: str) -> str:
    """`placedAt`, `Placed At`, `placed-at` -> `placed_at` (how source names meet contract names)."""
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name.strip())
    return re.sub(r"[^0-9a-zA-Z]+", "_", name).strip("_").lower()


def source_id(sources: Sources, keyed: bool = False, has_rows: bool = True) -> Column:
    """A stable id of the source record, its position: Kafka coordinates, or file and row number.

    Two identical rows of one file are two records (a bill's identical line items both count).
    A file row landed before rows were numbered (`_source_row` null, or absent: `has_rows` False) is
    identified by its content instead; `keyed` (the row holds PII): that content is HMAC-hashed with
    the PII key (the pads `with_hmac_pads` added), since a plain hash of a row whose other values are
    published could be reversed by trying the PII values (a birth date has some 40,000).
    """
    if sources.source_kind == "kafka":
        return F.concat_ws(
            "/", F.col("topic"), F.col("partition").cast("string"), F.col("offset").cast("string")
        )
    row = F.to_json(F.struct(*[F.col(quote(c)) for c in sources.raw_columns]))
    content = hmac_sha256(row) if keyed else F.sha2(row, 256)
    if has_rows:
        position = F.lpad(F.col(SOURCE_ROW).cast("string"), ROW_DIGITS, "0")
        content = F.coalesce(position, content)
    return F.concat_ws("#", F.col("_source_file"), content)


def resolve_sources(raw_schema: StructType, job: StandardizeInput) -> Sources:
    """Each contract column's raw source (`payload.x` for Kafka, a column for files).

    Source names are matched after snake_case normalization; a column with no source reads as null.
    Files are matched as exports name columns across versions too (legacy CUR's `lineItem/UnblendedCost`
    is CUR 2.0's `line_item_unblended_cost` by snake_case already), `files_source`.
    """
    if job.source_kind == "kafka":
        payload = raw_schema["payload"].dataType
        fields = {snake_case(f.name): f"payload.{f.name}" for f in payload.fields}  # type: ignore[attr-defined]
        columns = [SourcedColumn(c, fields.get(c.name)) for c in job.columns]
        return Sources(job.source_kind, columns, ["topic", "partition", "offset"])
    names = [f.name for f in raw_schema.fields if f.name not in METADATA_COLUMNS]
    return Sources(job.source_kind, [files_source(c, names, job.columns) for c in job.columns], names)


def files_source(column: ContractColumn, names: list[str], contract: list[ContractColumn]) -> SourcedColumn:
    """Where a files product's contract column comes from among the raw columns `names`.

    In order: the column whose snake_case name is the contract name; else the one equal to it but for
    underscores, when only one is and it is not another contract column's (CUR 2.0 writes `ARN` as
    `a_r_n`: legacy CUR's `reservation/ReservationARN` is `reservation_reservation_a_r_n`); else, for a
    `map<string,string>` column, the columns named `<column>_<key>`, gathered into the map (legacy CUR's
    `resourceTags/user:team` is key `user_team` of `resource_tags`, as CUR 2.0 writes it).
    """
    taken = {c.name for c in contract}
    snake = {n: snake_case(n) for n in names}
    exact = [n for n in names if snake[n] == column.name]
    if exact:
        return SourcedColumn(column, exact[0])
    compact = column.name.replace("_", "")
    loose = [n for n in names if snake[n].replace("_", "") == compact and snake[n] not in taken]
    if len(loose) == 1:
        return SourcedColumn(column, loose[0])
    if column.type.replace(" ", "").lower() == "map<string,string>":
        prefix = f"{column.name}_"
        pairs = tuple(
            (snake[n][len(prefix) :], n)
            for n in names
            if snake[n].startswith(prefix) and snake[n] not in taken
        )
        if pairs:
            return SourcedColumn(column, f"__tardis_gathered_{column.name}", pairs)
    return SourcedColumn(column, None)


def gathered_map(pairs: tuple[tuple[str, str], ...]) -> Column:
    """The map of a flattened export's key columns: each key with a value (an empty cell is no tag)."""
    entries = F.array(
        *[
            F.struct(F.lit(key).alias("key"), F.col(quote(raw)).cast("string").alias("value"))
            for key, raw in pairs
        ]
    )
    present = F.filter(entries, lambda e: e["value"].isNotNull() & (e["value"] != ""))
    return F.map_from_entries(present)


def column_lineage(sources: Sources, raw_asset_key: list[str]) -> Lineage:
    """Column lineage: each std column <- the raw column(s) it is read from."""
    lineage: Lineage = {}
    for s in sources.columns:
        if s.gathered:
            lineage[s.column.name] = [ColumnDep(raw_asset_key, raw) for _, raw in s.gathered]
        elif s.source:
            lineage[s.column.name] = [ColumnDep(raw_asset_key, s.source)]
    return lineage


def leaf_count(expression: str, data_type: DataType, depth: int = 0) -> str:
    """SQL counting the non-null leaf values of a (nested) value.

    `try_cast` of a struct, array or map nulls only the leaves that fail; comparing the counts before
    and after the cast finds such a row, which would otherwise lose a value silently.
    """
    inner = f"x{depth}"
    if isinstance(data_type, StructType):
        parts = [leaf_count(f"{expression}.{quote(f.name)}", f.dataType, depth) for f in data_type.fields]
        counted = " + ".join(parts) or "0"
    elif isinstance(data_type, ArrayType):
        element = leaf_count(inner, data_type.elementType, depth + 1)
        counted = f"aggregate({expression}, 0, (acc, {inner}) -> acc + {element})"
    elif isinstance(data_type, MapType):
        value = leaf_count(inner, data_type.valueType, depth + 1)
        counted = (
            f"size({expression}) + aggregate(map_values({expression}), 0, (acc, {inner}) -> acc + {value})"
        )
    else:
        counted = "1"
    return f"(CASE WHEN {expression} IS NULL THEN 0 ELSE {counted} END)"


def typed(
    df: DataFrame, job: StandardizeInput, sources: Sources, pii_key: bytes
) -> tuple[DataFrame, DataFrame]:
    """(rows with every column cast to its type and PII hashed, rejected rows with column and reason)."""
    casts, errors = [], []
    has_pii = any(c.pii for c in job.columns)
    if has_pii:
        df = with_hmac_pads(df, pii_key)
    for sourced in sources.columns:
        if sourced.gathered:
            df = df.withColumn(sourced.source, gathered_map(sourced.gathered))
    ordered_by = job.load.version_by if job.load.type == "scd2" else None
    for sourced in sources.columns:
        column, raw = sourced.column, sourced.source
        source = F.col(raw) if raw else F.lit(None)
        value = F.expr(f"try_cast({_sql(raw)} AS {column.type})") if raw else F.lit(None)
        value = value.cast(column.type)
        name = column.name
        failed = source.isNotNull() & value.isNull()
        nested = column.type.split("<")[0].strip().lower() in ("struct", "array", "map")
        source_type = df.select(source).schema.fields[0].dataType if raw else None
        text = F.to_json(source) if nested and raw and source_type != StringType() else source.cast("string")
        if nested and source_type == StringType():
            # A map, array or struct delivered as JSON text (a CSV export's tags column) is parsed; a
            # text that is not JSON of that shape, or a leaf that does not fit its type, is rejected.
            value, failed = _parsed_json(raw, column.type, df)
        elif nested and raw:
            cast_type = df.select(value).schema.fields[0].dataType
            failed = failed | (
                F.expr(leaf_count(_sql(raw), source_type))
                != F.expr(leaf_count(f"try_cast({_sql(raw)} AS {column.type})", cast_type))
            )
        errors.append(F.when(failed, cast_error(name, column, text)))
        if column.required:
            errors.append(F.when(source.isNull(), F.lit(f"{name}: required but missing")))
        elif name == ordered_by:
            # History is ordered by this column: a version without it has no place in it.
            errors.append(F.when(source.isNull(), F.lit(f"{name}: missing; scd2 orders versions by it")))
        if column.pii:
            value = hmac_sha256(value)
        casts.append(value.alias(name))
    reason = F.concat_ws("; ", *errors)
    # A replace load picks each period's latest delivery by when its files were written.
    written = F.col(MODIFIED_AT) if MODIFIED_AT in df.columns else F.lit(None).cast("timestamp")
    delivery = [written.alias(MODIFIED_AT)] if job.load.type == "replace" else []
    staged = df.select(
        *casts,
        *delivery,
        source_id(sources, keyed=has_pii, has_rows=SOURCE_ROW in df.columns).alias(SOURCE_ID),
        F.when(reason != "", reason).alias("_reason"),
        _raw_text(sources),
    )
    good = staged.where(F.col("_reason").isNull()).drop("_reason", "_raw_record")
    bad = staged.where(F.col("_reason").isNotNull()).select(
        F.col(SOURCE_ID), F.col("_reason").alias("reason"), F.col("_raw_record").alias("record")
    )
    return good.withColumn(LOADED_AT, F.current_timestamp()), bad.withColumn(LOADED_AT, F.current_timestamp())


def cast_error(name: str, column: ContractColumn, text: Column) -> Column:
    """The reject reason of a value that does not cast; a PII column's value is never quoted."""
    if column.pii:
        return F.lit(f"{name}: value is not a {column.type} (PII, value withheld)")
    return F.concat(F.lit(f"{name}: value '"), text, F.lit(f"' is not a {column.type}"))


def _parsed_json(raw: str, type_text: str, df: DataFrame) -> tuple[Column, Column]:
    """(the JSON text in `raw` parsed as `type_text`, whether it failed to).

    Failed: not JSON at all, or a leaf lost in the typed parse that a parse with every leaf as text
    keeps (a number where text is expected is kept as its text, so only real mismatches count).
    """
    typed_value = F.from_json(F.col(raw), type_text)
    target = df.select(typed_value.alias("v")).schema.fields[0].dataType
    as_text = _with_text_leaves(target)
    literal = _sql_string(as_text.simpleString())
    column = _sql(raw)
    lost = F.expr(leaf_count(f"from_json({column}, {literal})", as_text)) != F.expr(
        leaf_count(f"from_json({column}, {_sql_string(target.simpleString())})", target)
    )
    failed = F.col(raw).isNotNull() & (
        F.expr(f"try_parse_json({column})").isNull() | typed_value.isNull() | lost
    )
    return typed_value, failed


def _with_text_leaves(data_type: DataType) -> DataType:
    """`data_type` with every leaf (and map key kept) turned into a string: the shape, not the types."""
    if isinstance(data_type, StructType):
        return StructType(
            [f.__class__(f.name, _with_text_leaves(f.dataType), True) for f in data_type.fields]
        )
    if isinstance(data_type, ArrayType):
        return ArrayType(_with_text_leaves(data_type.elementType), True)
    if isinstance(data_type, MapType):
        return MapType(data_type.keyType, _with_text_leaves(data_type.valueType), True)
    return StringType()


def _sql_string(text: str) -> str:
    """`text` as a SQL string literal."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _sql(path: str) -> str:
    return ".".join(quote(part) for part in path.split("."))


def _raw_text(sources: Sources) -> Column:
    """The rejected record's raw values as JSON, PII columns left out (rejects are downstream of raw)."""
    keep = [s for s in sources.columns if s.source and not s.column.pii]
    return F.to_json(F.struct(*[F.col(s.source).alias(s.column.name) for s in keep])).alias("_raw_record")
