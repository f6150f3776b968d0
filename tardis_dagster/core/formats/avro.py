"""Avro: parse .avsc schemas, schemaless binary encode/decode, and the Confluent wire format.

Kafka values are either plain schemaless Avro (the writer schema is the repo's .avsc file) or, with
a schema registry, the Confluent wire format: magic byte 0, a 4-byte big-endian schema id, then the
schemaless payload.
"""

from __future__ import annotations

import io
import json
import struct
from pathlib import Path
from typing import Any

import fastavro

MAGIC_BYTE = 0
_HEADER = struct.Struct(">bI")  # magic byte, schema id


def parse_schema(avsc_path_or_text: str | Path | dict[str, Any]) -> dict[str, Any]:
    """A parsed Avro schema from an .avsc path, its JSON text, or an already loaded dict.

    A string that starts like JSON (`{`, `[` or `"`) is read as schema text, any other as a path.
    """
    source: Any = avsc_path_or_text
    if isinstance(source, Path):
        source = json.loads(source.read_text(encoding="utf-8"))
    elif isinstance(source, str):
        text = source.strip()
        source = json.loads(text if text[:1] in '{["' else Path(text).read_text(encoding="utf-8"))
    if isinstance(source, dict) and source.get("__fastavro_parsed"):
        return source
    return fastavro.parse_schema(source)


def encode(schema: dict[str, Any], record: dict[str, Any]) -> bytes:
    """`record` as plain Avro binary (no header, no schema): decodable only with the same writer schema."""
    out = io.BytesIO()
    fastavro.schemaless_writer(out, schema, record)
    return out.getvalue()


def decode(schema: dict[str, Any], data: bytes, reader: dict[str, Any] | None = None) -> dict[str, Any]:
    """Read one schemaless Avro record written with `schema` (the writer schema), resolved to the
    `reader` schema when given (Avro schema resolution: fields the writer lacks take the reader's
    defaults, fields the reader lacks are skipped).

    Raises ValueError when the bytes do not hold exactly one record: short reads, bad unions or enum
    indexes, invalid UTF-8, and trailing bytes all count (Avro has no checksum, so garbage can
    otherwise decode "successfully").
    """
    buffer = io.BytesIO(data)
    try:
        record = fastavro.schemaless_reader(buffer, schema, reader)
    except Exception as error:  # EOFError, IndexError, UnicodeDecodeError, ...: all mean "not this schema"
        raise ValueError(f"not a valid Avro record for {_name(schema)}: {error!r}") from error
    if buffer.tell() != len(data):
        raise ValueError(
            f"not a valid Avro record for {_name(schema)}: {len(data) - buffer.tell()} trailing bytes"
        )
    if not isinstance(record, dict):
        raise ValueError(f"not a valid Avro record for {_name(schema)}: decoded a {type(record).__name__}")
    return record


def _name(schema: Any) -> str:
    return schema.get("name", "record") if isinstance(schema, dict) else str(schema)


def wire_encode(schema_id: int, payload: bytes) -> bytes:
    """Confluent wire format: magic byte 0, the schema id as 4 big-endian bytes, then `payload`."""
    return _HEADER.pack(MAGIC_BYTE, schema_id) + payload


def wire_split(data: bytes) -> tuple[int, bytes]:
    """Split a Confluent wire-format message into (schema id, payload); ValueError if it is not one."""
    if len(data) < _HEADER.size:
        raise ValueError(f"too short for the Confluent wire format: {len(data)} bytes")
    magic, schema_id = _HEADER.unpack_from(data)
    if magic != MAGIC_BYTE:
        raise ValueError(f"unknown magic byte {magic} (the Confluent wire format starts with 0)")
    return schema_id, bytes(data[_HEADER.size :])
