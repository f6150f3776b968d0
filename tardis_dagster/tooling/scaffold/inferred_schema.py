"""What schema inference found: the columns of a new product, and the schema file or subject it uses.

Every source ends here: a Kafka topic's message schema (JSON Schema, Avro, Protobuf, each turned into
the Spark struct the landing reads, `core/formats/spark_types.py`), a files sample or a SQL result
(Spark's own types). The spec's `schema:` block is derived from these columns, named the way the
standardization matches source fields (snake_case, `jobs/std/casting.py`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tardis_dagster.core.specs import TypeSyntaxError, parse_type
from tardis_dagster.core.specs.identifiers import is_identifier, snake_case

# Spark DDL words -> spec types; BINARY has no spec type, its text is the closest a contract can say.
_DDL_SCALARS = {
    "STRING": "string",
    "INT": "int",
    "BIGINT": "bigint",
    "SMALLINT": "int",
    "TINYINT": "int",
    "DOUBLE": "double",
    "FLOAT": "float",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP_NTZ": "timestamp",
    "BINARY": "string",
    "VOID": "string",
}
_TOKEN = re.compile(r"\s*(?:`((?:[^`]|``)*)`|([A-Za-z_][A-Za-z0-9_]*)|(\d+)|(\S))")


@dataclass
class InferredColumn:
    """One column of the new product: its spec name and type, and what the sample showed."""

    name: str
    type: str
    required: bool = False
    source_name: str = ""
    samples: list[Any] = field(default_factory=list)  # sampled values (only for PII proposals)
    pii_lineage: bool = False  # a SQL output derived from an upstream PII column


@dataclass
class SchemaFile:
    """A schema file written next to the spec: `schemas/<name><suffix>`."""

    suffix: str
    text: str


@dataclass
class InferredSchema:
    """The result of inference for one product."""

    columns: list[InferredColumn]
    format: str = ""  # kafka: json | avro | protobuf; files: csv | json | parquet
    schema_file: SchemaFile | None = None
    registry_subject: str | None = None
    message: str | None = None  # protobuf message name
    notes: list[str] = field(default_factory=list)  # what was sampled, shown to the user

    def column(self, name: str) -> InferredColumn | None:
        """The column called ``name``, if any."""
        return next((column for column in self.columns if column.name == name), None)

    @property
    def names(self) -> list[str]:
        """Column names in order."""
        return [column.name for column in self.columns]


class InferenceError(Exception):
    """Inference could not produce a schema: ``message`` says why, ``fix`` what to do, ``field`` which
    answer it is about (empty: the source itself)."""

    def __init__(self, message: str, fix: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix
        self.field = field


def column_name(source_name: str) -> str:
    """The spec name of a source field, as the standardization matches it (camelCase -> camel_case)."""
    if is_identifier(source_name):
        return source_name
    return snake_case(source_name)


def columns_from_ddl(ddl: str, required: set[str] | None = None) -> list[InferredColumn]:
    """Columns of a Spark DDL field list (`core/formats/spark_types.py` output) in spec types.

    ``required`` names the source fields every record must carry (JSON Schema `required`, Avro
    fields without a null branch).
    """
    parser = _DdlParser(ddl)
    columns = []
    for source_name, spec_type in parser.fields():
        name = column_name(source_name)
        if not name:
            raise InferenceError(
                f"field '{source_name}' has no usable column name",
                "rename the field in the source to letters, digits and underscores",
            )
        columns.append(
            InferredColumn(name, canonical(spec_type), source_name in (required or set()), source_name)
        )
    _check_unique(columns)
    return columns


def spark_type_to_spec(data_type: Any) -> str:
    """A pyspark DataType (files and SQL inference) as a spec type."""
    from pyspark.sql import types as T  # noqa: N812 - the PySpark convention

    if isinstance(data_type, T.StructType):
        inner = ",".join(f"{column_name(f.name)}:{spark_type_to_spec(f.dataType)}" for f in data_type.fields)
        return f"struct<{inner}>"
    if isinstance(data_type, T.ArrayType):
        return f"array<{spark_type_to_spec(data_type.elementType)}>"
    if isinstance(data_type, T.MapType):
        return f"map<{spark_type_to_spec(data_type.keyType)},{spark_type_to_spec(data_type.valueType)}>"
    if isinstance(data_type, T.DecimalType):
        return f"decimal({data_type.precision},{data_type.scale})"
    if isinstance(data_type, T.TimestampType | T.TimestampNTZType):
        return "timestamp"
    if isinstance(data_type, T.ByteType | T.ShortType | T.IntegerType):
        return "int"
    if isinstance(data_type, T.LongType):
        return "bigint"
    if isinstance(data_type, T.FloatType):
        return "float"
    if isinstance(data_type, T.DoubleType):
        return "double"
    if isinstance(data_type, T.BooleanType):
        return "boolean"
    if isinstance(data_type, T.DateType):
        return "date"
    return "string"


def canonical(spec_type: str) -> str:
    """The spec type in its canonical spelling; text when the type language cannot say it."""
    try:
        return str(parse_type(spec_type))
    except TypeSyntaxError:
        return "string"


def _check_unique(columns: list[InferredColumn]) -> None:
    seen: dict[str, str] = {}
    for column in columns:
        if column.name in seen:
            raise InferenceError(
                f"fields '{seen[column.name]}' and '{column.source_name}' both become column '{column.name}'",
                "rename one of them in the source; columns are matched by their snake_case names",
            )
        seen[column.name] = column.source_name


class _DdlParser:
    """Reads the field lists `spark_types` writes: "`a` STRING, `b` ARRAY<STRUCT<`c`: BIGINT>>"."""

    def __init__(self, text: str) -> None:
        self.tokens = [
            (
                m.group(1).replace("``", "`") if m.group(1) is not None else None,
                m.group(2),
                m.group(3),
                m.group(4),
            )
            for m in _TOKEN.finditer(text)
            if m.group(0).strip()
        ]
        self.index = 0

    def fields(self) -> list[tuple[str, str]]:
        found = []
        while self.index < len(self.tokens):
            found.append(self._field(separator=None))
            if self.index < len(self.tokens):
                self._expect(",")
        return found

    def _field(self, separator: str | None) -> tuple[str, str]:
        quoted, word, _, _ = self.tokens[self.index]
        self.index += 1
        name = quoted if quoted is not None else (word or "")
        if separator is not None:
            self._expect(separator)
        return name, self._type()

    def _type(self) -> str:
        _, word, _, _ = self.tokens[self.index]
        self.index += 1
        kind = (word or "").upper()
        if kind == "DECIMAL":
            self._expect("(")
            precision = self._number()
            self._expect(",")
            scale = self._number()
            self._expect(")")
            return f"decimal({precision},{scale})"
        if kind == "ARRAY":
            self._expect("<")
            element = self._type()
            self._expect(">")
            return f"array<{element}>"
        if kind == "MAP":
            self._expect("<")
            key = self._type()
            self._expect(",")
            value = self._type()
            self._expect(">")
            return f"map<{key},{value}>"
        if kind == "STRUCT":
            self._expect("<")
            parts = []
            while True:
                name, inner = self._field(separator=":")
                parts.append(f"{column_name(name) or 'field'}:{inner}")
                if self._peek() == ">":
                    break
                self._expect(",")
            self._expect(">")
            return f"struct<{','.join(parts)}>"
        return _DDL_SCALARS.get(kind, "string")

    def _peek(self) -> str | None:
        return self.tokens[self.index][3] if self.index < len(self.tokens) else None

    def _number(self) -> int:
        _, _, number, _ = self.tokens[self.index]
        self.index += 1
        return int(number or 0)

    def _expect(self, punct: str) -> None:
        if self._peek() != punct:
            raise InferenceError(f"unexpected schema text near token {self.index}", "please report it")
        self.index += 1
