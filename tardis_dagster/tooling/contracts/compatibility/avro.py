"""Avro schema compatibility: Avro's own reader/writer schema-resolution rules.

The Apache `avro` package's `avro.compatibility` implements the specification's resolution rules
(the same checker Confluent Schema Registry runs for Avro subjects): a reader field without a
default that the writer lacks, a type change that is not a promotion (int -> long/float/double,
long -> float/double, float -> double, string <-> bytes), a missing enum symbol without a default,
a renamed record without an alias, a changed fixed size.
"""

from __future__ import annotations

import json
from typing import Any

import avro.errors
import avro.schema
from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType


def parse(text: str | dict[str, Any]) -> avro.schema.Schema:
    """Parse an Avro schema from its JSON text or a loaded dict; ValueError with the parser's reason."""
    source = text if isinstance(text, str) else json.dumps(text)
    try:
        return avro.schema.parse(source)
    except (avro.errors.AvroException, json.JSONDecodeError, TypeError) as error:
        raise ValueError(f"not a valid Avro schema: {error}") from error


def incompatibilities(reader: avro.schema.Schema, writer: avro.schema.Schema) -> list[str]:
    """Why data written with `writer` cannot be read with `reader`; empty when it can."""
    result = ReaderWriterCompatibilityChecker().get_compatibility(reader, writer)
    if result.compatibility is SchemaCompatibilityType.compatible:
        return []
    kinds = sorted({kind.value.replace("_", " ") for kind in result.incompatibilities})
    where = ", ".join(sorted(result.locations))
    details = ", ".join(sorted(str(message) for message in result.messages))
    return [f"{'; '.join(kinds)} at {where}" + (f" ({details})" if details else "")]
