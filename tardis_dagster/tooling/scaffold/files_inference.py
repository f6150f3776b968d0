"""A files product's schema, by Spark's own schema inference on a sample of its files.

The sample is read on the local platform's Spark Connect server with the reader the landing uses
(csv with a header, JSON lines, parquet) and `inferSchema`, so the types are Spark's reading of the
real files. Columns are named as the standardization matches file columns (snake_case of the
header). The landing keeps files as text in raw; the spec's types are what standardization casts to,
so nothing is marked required from a sample (a column empty only later would reject rows).
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

from tardis_dagster.core.specs.model import DEFAULT_FILE_PATTERNS, FILE_EXTENSIONS
from tardis_dagster.tooling.scaffold.inferred_schema import (
    InferenceError,
    InferredColumn,
    InferredSchema,
    column_name,
    spark_type_to_spec,
)

SAMPLE_FILES = 5
SAMPLE_ROWS = 200
_EXTENSIONS = {".csv": "csv", ".json": "json", ".jsonl": "json", ".parquet": "parquet"}


def local_format(folder: Path) -> str | None:
    """The format most files in ``folder`` have, by extension (None when it holds none we read)."""
    if not folder.is_dir():
        return None
    counts = Counter(
        _EXTENSIONS[p.suffix.lower()] for p in folder.iterdir() if p.suffix.lower() in _EXTENSIONS
    )
    return counts.most_common(1)[0][0] if counts else None


def infer_files(location: str, file_format: str | None, spark: Any) -> InferredSchema:
    """The schema of the files at ``location`` (an absolute local folder or an object-store URI)."""
    remote = "://" in location
    if not remote:
        folder = Path(location)
        if not folder.is_dir():
            raise InferenceError(
                f"no folder {os.path.relpath(folder)}", "give the folder the files arrive in", "uri"
            )
        file_format = file_format or local_format(folder)
        if file_format is None:
            raise InferenceError(
                f"{os.path.relpath(folder)} holds no .csv, .json or .parquet files to learn the schema from",
                "drop one sample file there first, or give format:",
                "uri",
            )
        pattern = DEFAULT_FILE_PATTERNS[file_format]
        delivered = [p for ext in FILE_EXTENSIONS[file_format] for p in folder.glob(f"*.{ext}")]
        files = sorted(delivered, key=lambda p: (p.stat().st_mtime, p.name))[-SAMPLE_FILES:]
        if not files:
            raise InferenceError(
                f"{os.path.relpath(folder)} holds no {pattern} files to learn the schema from",
                "drop one sample file there first",
                "uri",
            )
        paths = [str(path) for path in files]
        shown = f"{len(paths)} file{'s' * (len(paths) != 1)} in {os.path.relpath(folder)}"
    else:
        if file_format is None:
            raise InferenceError(
                "the format of remote files cannot be guessed", "add format: csv, json or parquet", "format"
            )
        paths = [location.rstrip("/") + "/" + DEFAULT_FILE_PATTERNS[file_format]]
        shown = location
    reader = spark.read.format(file_format)
    if file_format == "csv":
        reader = reader.option("header", "true").option("inferSchema", "true")
    elif file_format == "json":
        reader = reader.option("inferTimestamp", "true")  # off by default (cost); a sample is small
    try:
        frame = reader.load(paths)
        schema = frame.schema
        rows = frame.limit(SAMPLE_ROWS).collect()
    except Exception as error:  # Spark's own message says which file and why
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise InferenceError(
            f"Spark cannot read the sample: {first[:300]}", "check the files and the format", "uri"
        ) from None
    columns = []
    for index, spark_field in enumerate(schema.fields):
        if spark_field.name == "_corrupt_record":
            continue
        name = column_name(spark_field.name)
        if not name:
            raise InferenceError(
                f"column '{spark_field.name}' has no usable name",
                "give the file a header of letters, digits and underscores",
                "uri",
            )
        samples = [row[index] for row in rows if isinstance(row[index], str | int | float)]
        columns.append(
            InferredColumn(name, spark_type_to_spec(spark_field.dataType), False, spark_field.name, samples)
        )
    if not columns:
        raise InferenceError("the sample has no columns", "check the files and the format", "uri")
    result = InferredSchema(columns, file_format)
    result.notes.append(f"Spark read {len(rows)} rows of {shown}")
    return result
