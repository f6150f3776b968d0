"""Avro schema compatibility: Avro's own reader/writer schema-resolution rules.

The Apache `avro` package's `avro.compatibility` is the Python port of Java Avro's
`SchemaCompatibility`, the checker Confluent Schema Registry runs for Avro subjects: a reader field
without a default that the writer lacks (field aliases of the reader count), a type change that is
not a promotion (int -> long/float/double, long -> float/double, float -> double, string <-> bytes),
a writer enum symbol the reader lacks unless the reader's enum has a `default` (a field default
does not help), a renamed record/enum/fixed without an alias (names compare without namespace), a
changed fixed size, a writer union branch no reader branch can read.

Where the Python port differs from Java Avro, Tardis follows Java: a named type's aliases are
read as full names in its namespace (the port compares them as written, so `aliases: ["Order"]` in
namespace `eats` would not match `eats.Order`). And it adds what Java Avro checks and the port does
not: a `decimal` whose scale changed, or whose precision shrank (Java's
DECIMAL_SCALE_OR_PRECISION_MISMATCH): the bytes are an unscaled integer, so another scale silently
rescales every value.
"""

from __future__ import annotations

import json
from typing import Any

import avro.errors
import avro.schema
from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType


def parse(text: str | dict[str, Any]) -> avro.schema.Schema:
    """Parse an Avro schema from its JSON text or a loaded dict; ValueError with the parser's reason."""
    try:
        loaded = json.loads(text) if isinstance(text, str) else text
        return avro.schema.parse(json.dumps(_qualified_aliases(loaded, "")))
    except (avro.errors.AvroException, json.JSONDecodeError, TypeError) as error:
        raise ValueError(f"not a valid Avro schema: {error}") from error


def _qualified_aliases(node: Any, namespace: str) -> Any:
    """Named types' aliases as full names, as Java Avro reads them (the Python checker compares them raw)."""
    if isinstance(node, list):
        return [_qualified_aliases(item, namespace) for item in node]
    if not isinstance(node, dict):
        return node
    result = dict(node)
    if result.get("type") in ("record", "error", "enum", "fixed") and isinstance(result.get("name"), str):
        name = result["name"]
        if "." in name:
            namespace = name.rsplit(".", 1)[0]
        elif isinstance(result.get("namespace"), str):
            namespace = result["namespace"]
        if isinstance(result.get("aliases"), list):
            result["aliases"] = [
                a if not isinstance(a, str) or "." in a or not namespace else f"{namespace}.{a}"
                for a in result["aliases"]
            ]
    for key in ("fields", "type", "items", "values"):
        if key in result:
            result[key] = _qualified_aliases(result[key], namespace)
    return result


def incompatibilities(reader: avro.schema.Schema, writer: avro.schema.Schema) -> list[str]:
    """Why data written with `writer` cannot be read with `reader`; empty when it can."""
    result = ReaderWriterCompatibilityChecker().get_compatibility(reader, writer)
    found: list[str] = []
    if result.compatibility is not SchemaCompatibilityType.compatible:
        kinds = sorted({kind.value.replace("_", " ") for kind in result.incompatibilities})
        where = ", ".join(sorted(result.locations))
        details = ", ".join(sorted(str(message) for message in result.messages))
        found.append(f"{'; '.join(kinds)} at {where}" + (f" ({details})" if details else ""))
    return found + _decimals(reader, writer, "", set())


def _decimals(reader: Any, writer: Any, path: str, seen: set[tuple[int, int]]) -> list[str]:
    """Decimal scale/precision mismatches between the parts of `reader` and `writer` that resolve together."""
    key = (id(reader), id(writer))
    if key in seen:
        return []
    seen.add(key)
    if isinstance(writer, avro.schema.UnionSchema):
        return [
            p
            for i, branch in enumerate(writer.schemas)
            for p in _decimals(reader, branch, f"{path}/{i}", seen)
        ]
    if isinstance(reader, avro.schema.UnionSchema):
        match = next((branch for branch in reader.schemas if branch.type == writer.type), None)
        return _decimals(match, writer, path, seen) if match is not None else []
    if reader is None or reader.type != writer.type:
        return []
    if isinstance(reader, avro.schema.RecordSchema):
        by_name = {field.name: field for field in writer.fields}
        found = []
        for index, field in enumerate(reader.fields):
            names = [field.name, *(field.props.get("aliases") or [])]
            written = next((by_name[name] for name in names if name in by_name), None)
            if written is not None:
                found += _decimals(field.type, written.type, f"{path}/fields/{index}/type", seen)
        return found
    if isinstance(reader, avro.schema.ArraySchema):
        return _decimals(reader.items, writer.items, f"{path}/items", seen)
    if isinstance(reader, avro.schema.MapSchema):
        return _decimals(reader.values, writer.values, f"{path}/values", seen)
    read, written = _decimal(reader), _decimal(writer)
    if read is None or written is None or read == written:
        return []
    if read[1] != written[1] or read[0] < written[0]:
        return [
            f"decimal scale or precision mismatch at {path or '/'} (reader ({read[0]},{read[1]}), writer "
            f"({written[0]},{written[1]}): the unscaled bytes would read as other values)"
        ]
    return []


def _decimal(schema: Any) -> tuple[int, int] | None:
    if isinstance(schema, avro.schema.BytesDecimalSchema | avro.schema.FixedDecimalSchema):
        return int(schema.precision), int(schema.scale or 0)
    return None
