"""Schemas of every message format as Spark DDL struct strings.

Each function returns the field list of the top-level struct, e.g.
"`order_id` STRING, `placed_at` TIMESTAMP, `lines` ARRAY<STRUCT<`sku`: STRING, `qty`: BIGINT>>",
which `from_json`, `from_avro` (as a cross-check) and `createDataFrame` accept as a schema. Identifiers
are quoted with backticks; the strings are valid on Spark 3.5 and 4.x.
"""

from __future__ import annotations

from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor

from tardis_dagster.core.formats import protobuf as protobuf_format

# Values of unknown shape stay text: Spark's JSON reader keeps any JSON value as its raw text in a STRING.
FALLBACK = "STRING"


def quote(name: str) -> str:
    """`name` as a Spark identifier in backticks (backticks inside doubled)."""
    return "`" + name.replace("`", "``") + "`"


def _fields(fields: list[tuple[str, str]]) -> str:
    return ", ".join(f"{quote(name)} {kind}" for name, kind in fields)


def _struct(fields: list[tuple[str, str]]) -> str:
    return "STRUCT<" + ", ".join(f"{quote(name)}: {kind}" for name, kind in fields) + ">"


# --- JSON Schema --------------------------------------------------------------------------------

_JSON_SCALARS = {"integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN"}
_JSON_STRING_FORMATS = {"date-time": "TIMESTAMP", "date": "DATE"}


def json_schema_to_spark_ddl(schema: dict[str, Any]) -> str:
    """The Spark struct fields of a JSON Schema object (its `properties`, in order).

    integer -> BIGINT, number -> DOUBLE, string -> STRING (format date-time -> TIMESTAMP, date ->
    DATE), boolean, object -> STRUCT (or MAP<STRING, ..> for additionalProperties only), array ->
    ARRAY. Nullable types (`["string", "null"]`, anyOf with null) map to the non-null type; local
    `$ref`s are followed; anything else is STRING.
    """
    root = _json_resolve(schema, schema)
    if _json_types(root) != ["object"] and "properties" not in root:
        raise ValueError("a JSON Schema for a Kafka value must describe an object with properties")
    return _fields(_json_properties(root, schema, frozenset({id(root)})))


def _json_resolve(node: Any, root: dict[str, Any], seen: frozenset[str] = frozenset()) -> Any:
    """Follow local `$ref`s (`#/$defs/x`, `#/definitions/x`); external ones are left as they are."""
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#"):
        ref = node["$ref"]
        if ref in seen:
            return {}  # a recursive type: no finite Spark type, read as text
        seen = seen | {ref}
        target: Any = root
        for part in ref.lstrip("#").strip("/").split("/"):
            if part:
                target = target.get(part.replace("~1", "/").replace("~0", "~"), {})
        node = target
    return node


def _json_types(node: dict[str, Any]) -> list[str]:
    kinds = node.get("type")
    if kinds is None:
        return ["object"] if "properties" in node else []
    kinds = [kinds] if isinstance(kinds, str) else list(kinds)
    return [k for k in kinds if k != "null"]


def _json_properties(
    node: dict[str, Any], root: dict[str, Any], seen: frozenset[int]
) -> list[tuple[str, str]]:
    return [(name, _json_type(sub, root, seen)) for name, sub in (node.get("properties") or {}).items()]


def _json_type(node: Any, root: dict[str, Any], seen: frozenset[int]) -> str:
    node = _json_resolve(node, root)
    if not isinstance(node, dict) or id(node) in seen:
        return FALLBACK
    seen = seen | {id(node)}
    for combinator in ("anyOf", "oneOf"):
        options = [
            o for o in node.get(combinator, []) if not (isinstance(o, dict) and o.get("type") == "null")
        ]
        if options:
            return _json_type(options[0], root, seen) if len(options) == 1 else FALLBACK
    kinds = _json_types(node)
    if len(kinds) != 1:
        return FALLBACK  # no type, or several (string or number): keep the text
    kind = kinds[0]
    if kind == "string":
        return _JSON_STRING_FORMATS.get(node.get("format", ""), "STRING")
    if kind in _JSON_SCALARS:
        return _JSON_SCALARS[kind]
    if kind == "array":
        items = node.get("items")
        return f"ARRAY<{_json_type(items, root, seen) if items is not None else FALLBACK}>"
    if kind == "object":
        if node.get("properties"):
            return _struct(_json_properties(node, root, seen))
        extra = node.get("additionalProperties")
        if isinstance(extra, dict):
            return f"MAP<STRING, {_json_type(extra, root, seen)}>"
    return FALLBACK


# --- Avro -------------------------------------------------------------------------------------------

_AVRO_PRIMITIVES = {
    "boolean": "BOOLEAN",
    "int": "INT",
    "long": "BIGINT",
    "float": "FLOAT",
    "double": "DOUBLE",
    "bytes": "BINARY",
    "string": "STRING",
    "fixed": "BINARY",
    "enum": "STRING",
}
_AVRO_LOGICAL = {
    "timestamp-millis": "TIMESTAMP",
    "timestamp-micros": "TIMESTAMP",
    "local-timestamp-millis": "TIMESTAMP_NTZ",
    "local-timestamp-micros": "TIMESTAMP_NTZ",
    "date": "DATE",
    "uuid": "STRING",
}


def avro_to_spark_ddl(schema: Any) -> str:
    """The Spark struct fields of an Avro record schema (dict, .avsc path or text), as spark-avro reads it.

    Nullable unions -> the non-null type (other unions -> STRUCT<member0, member1, ..>), logical
    timestamp-millis/micros -> TIMESTAMP, date -> DATE, decimal -> DECIMAL(p,s), record -> STRUCT,
    enum -> STRING, array -> ARRAY, map -> MAP<STRING, ..>, bytes/fixed -> BINARY.
    """
    from tardis_dagster.core.formats import (
        avro as avro_format,  # here: Protobuf and JSON users need no fastavro
    )

    parsed = avro_format.parse_schema(schema)
    if not isinstance(parsed, dict) or parsed.get("type") != "record":
        raise ValueError("an Avro schema for a Kafka value must be a record")
    names: dict[str, Any] = {}
    _avro_register(parsed, names, None)
    return _fields(
        [(f["name"], _avro_type(f["type"], names, parsed.get("namespace"))) for f in parsed["fields"]]
    )


def _avro_register(node: Any, names: dict[str, Any], namespace: str | None) -> None:
    """Index every named type (record, enum, fixed) by full and short name, for later references."""
    if isinstance(node, list):
        for member in node:
            _avro_register(member, names, namespace)
        return
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    if kind in ("record", "error", "enum", "fixed") and "name" in node:
        name = node["name"]
        space = node.get("namespace", namespace)
        full = name if "." in name or not space else f"{space}.{name}"
        names[full] = node
        names.setdefault(full.rsplit(".", 1)[-1], node)
        namespace = full.rsplit(".", 1)[0] if "." in full else space
    for field in node.get("fields", []):
        _avro_register(field.get("type"), names, namespace)
    for key in ("items", "values"):
        if key in node:
            _avro_register(node[key], names, namespace)
    if isinstance(kind, dict | list):
        _avro_register(kind, names, namespace)


def _avro_type(node: Any, names: dict[str, Any], namespace: str | None, depth: int = 0) -> str:
    if depth > 32:
        return FALLBACK  # a recursive record: Spark has no finite type for it
    if isinstance(node, list):
        members = [m for m in node if m != "null"]
        if len(members) == 1:
            return _avro_type(members[0], names, namespace, depth + 1)
        return _struct(
            [(f"member{i}", _avro_type(m, names, namespace, depth + 1)) for i, m in enumerate(members)]
        )
    if isinstance(node, str):
        if node in _AVRO_PRIMITIVES:
            return _AVRO_PRIMITIVES[node]
        named = names.get(node) or names.get(f"{namespace}.{node}")
        if named is None:
            raise ValueError(f"unknown Avro type {node!r}")
        return _avro_type(named, names, namespace, depth + 1)
    logical = node.get("logicalType")
    if logical == "decimal":
        return f"DECIMAL({int(node['precision'])},{int(node.get('scale', 0))})"
    if logical in _AVRO_LOGICAL:
        return _AVRO_LOGICAL[logical]
    kind = node.get("type")
    if kind in ("record", "error"):
        space = node.get("namespace", namespace)
        return _struct([(f["name"], _avro_type(f["type"], names, space, depth + 1)) for f in node["fields"]])
    if kind == "array":
        return f"ARRAY<{_avro_type(node['items'], names, namespace, depth + 1)}>"
    if kind == "map":
        return f"MAP<STRING, {_avro_type(node['values'], names, namespace, depth + 1)}>"
    if isinstance(kind, str | list | dict):
        return _avro_type(kind, names, namespace, depth + 1)
    raise ValueError(f"unknown Avro type {node!r}")


# --- Protobuf ---------------------------------------------------------------------------------------

_PROTO_SCALARS = {
    FieldDescriptor.TYPE_INT32: "INT",
    FieldDescriptor.TYPE_SINT32: "INT",
    FieldDescriptor.TYPE_SFIXED32: "INT",
    FieldDescriptor.TYPE_UINT32: "BIGINT",  # unsigned 32-bit does not fit INT
    FieldDescriptor.TYPE_FIXED32: "BIGINT",
    FieldDescriptor.TYPE_INT64: "BIGINT",
    FieldDescriptor.TYPE_SINT64: "BIGINT",
    FieldDescriptor.TYPE_SFIXED64: "BIGINT",
    FieldDescriptor.TYPE_UINT64: "DECIMAL(20,0)",  # unsigned 64-bit does not fit BIGINT
    FieldDescriptor.TYPE_FIXED64: "DECIMAL(20,0)",
    FieldDescriptor.TYPE_DOUBLE: "DOUBLE",
    FieldDescriptor.TYPE_FLOAT: "FLOAT",
    FieldDescriptor.TYPE_BOOL: "BOOLEAN",
    FieldDescriptor.TYPE_STRING: "STRING",
    FieldDescriptor.TYPE_BYTES: "BINARY",
    FieldDescriptor.TYPE_ENUM: "STRING",
}


def protobuf_to_spark_ddl(descriptor_set: bytes, message_name: str) -> str:
    """The Spark struct fields of a protobuf message, matching `protobuf.to_dict`.

    int32 -> INT, int64 -> BIGINT, string, bool, double, float, bytes -> BINARY, enum -> STRING,
    message -> STRUCT, repeated -> ARRAY, map -> MAP, google.protobuf.Timestamp -> TIMESTAMP, wrapper
    types -> their value type; other well-known types and recursive messages -> STRING (JSON text).
    """
    message = protobuf_format.find_message(descriptor_set, message_name)
    return _fields(_proto_fields(message, frozenset()))


def _proto_fields(message: Descriptor, seen: frozenset[str]) -> list[tuple[str, str]]:
    seen = seen | {message.full_name}
    return [(field.name, _proto_field(field, seen)) for field in message.fields]


def _proto_field(field: FieldDescriptor, seen: frozenset[str]) -> str:
    if protobuf_format.is_map_field(field):
        entry = field.message_type.fields_by_name
        return f"MAP<{_proto_single(entry['key'], seen)}, {_proto_single(entry['value'], seen)}>"
    single = _proto_single(field, seen)
    return f"ARRAY<{single}>" if field.is_repeated else single


def _proto_single(field: FieldDescriptor, seen: frozenset[str]) -> str:
    if field.type not in (FieldDescriptor.TYPE_MESSAGE, FieldDescriptor.TYPE_GROUP):
        return _PROTO_SCALARS[field.type]
    message = field.message_type
    if message.full_name == protobuf_format.TIMESTAMP:
        return "TIMESTAMP"
    if message.full_name in protobuf_format.WRAPPERS:
        return _proto_single(message.fields_by_name["value"], seen)
    if message.full_name.startswith("google.protobuf.") or message.full_name in seen:
        return FALLBACK
    return _struct(_proto_fields(message, seen))
