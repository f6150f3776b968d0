"""Synthetic records in the binary formats, made from the product's schema file: Avro (plain binary,
as a topic without a registry subject carries it), Protobuf (the message's serialized bytes) and
Parquet files from the contract's columns.

Valid records fill every field with a value of its type (the row number in it, so rows differ);
invalid ones are what the landing must quarantine: bytes that do not decode, and for Protobuf an
empty value (a message carrying none of its fields).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from tardis_dagster.core.formats import avro, protobuf
from tardis_dagster.core.specs import DataProduct
from tardis_dagster.core.specs.datatypes import DataType
from tardis_dagster.core.specs.identifiers import snake_case

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)  # synthetic timestamps count hours from here
NOT_AVRO = b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"  # a varint longer than any long


Rules = dict[str, Callable[[Any, int], Any]]  # per std column: a value held to the product's checks


def avro_records(
    schema_path: Path, count: int, rules: Rules | None = None
) -> tuple[list[bytes], list[bytes]]:
    """(valid, invalid) plain Avro values for the writer schema in `schema_path`; top-level fields
    whose std column has `rules` (`column_rules`) are held to them."""
    schema = avro.parse_schema(schema_path)
    valid = []
    for i in range(count):
        record = _avro_value(schema, "", i)
        if isinstance(record, dict):
            record = {k: _ruled(rules, k, v, i) for k, v in record.items()}
        valid.append(avro.encode(schema, record))
    return valid, [NOT_AVRO]


def _ruled(rules: Rules | None, field: str, value: Any, i: int) -> Any:
    rule = (rules or {}).get(snake_case(field))
    return rule(value, i) if rule is not None else value


def _avro_value(schema: Any, name: str, i: int) -> Any:
    """A value of Avro type `schema` for row `i` (unions: their first non-null branch)."""
    if isinstance(schema, list):
        branches = [b for b in schema if b != "null"] or ["null"]
        return _avro_value(branches[0], name, i)
    if isinstance(schema, str):
        return _avro_primitive(schema, name, i)
    kind = schema.get("type")
    logical = schema.get("logicalType")
    if kind == "record":
        return {f["name"]: _avro_value(f["type"], f["name"], i) for f in schema["fields"]}
    if kind == "enum":
        return schema["symbols"][i % len(schema["symbols"])]
    if kind == "array":
        return [_avro_value(schema["items"], name, i)]
    if kind == "map":
        return {"k": _avro_value(schema["values"], name, i)}
    if kind == "fixed":
        return bytes(schema["size"])
    if logical in (
        "timestamp-millis",
        "timestamp-micros",
        "local-timestamp-millis",
        "local-timestamp-micros",
    ):
        moment = EPOCH + timedelta(hours=i)
        return moment if logical.startswith("timestamp") else moment.replace(tzinfo=None)
    if logical == "date":
        return date(2026, 1, 1) + timedelta(days=i)
    if logical == "decimal":
        return Decimal(i).scaleb(-int(schema.get("scale", 0))) + Decimal(1)
    if logical == "uuid":
        return f"00000000-0000-4000-8000-{i:012d}"
    return _avro_primitive(kind, name, i)


def _avro_primitive(kind: str, name: str, i: int) -> Any:
    values: dict[str, Any] = {
        "null": None,
        "boolean": i % 2 == 0,
        "int": i,
        "long": i,
        "float": i + 0.5,
        "double": i + 0.5,
        "bytes": f"{name}-{i}".encode(),
        "string": f"{name}-{i}",
    }
    return values[kind]


def protobuf_records(
    schema_path: Path, message: str, count: int, rules: Rules | None = None
) -> tuple[list[bytes], list[bytes]]:
    """(valid, invalid) serialized `message` values for the .proto file `schema_path`; top-level
    string and number fields whose std column has `rules` are held to them."""
    descriptor_set = protobuf.compile_descriptor_set(schema_path)
    cls = protobuf.message_class(descriptor_set, message)
    valid = []
    for i in range(count):
        value = cls()
        _fill(value, i)
        for field in value.DESCRIPTOR.fields:
            if field.message_type is None and field.enum_type is None and not _repeated(field):
                ruled = _ruled(rules, field.name, getattr(value, field.name), i)
                setattr(value, field.name, type(getattr(value, field.name))(ruled))
        valid.append(value.SerializeToString())
    return valid, [b"", b"\xff\xff\xff"]  # no field at all; not a message


def _fill(message: Any, i: int) -> None:
    """Set every field of `message` (nested messages recursively, repeated ones to one element)."""
    from google.protobuf.descriptor import FieldDescriptor

    for field in message.DESCRIPTOR.fields:
        if field.message_type is not None:
            full = field.message_type.full_name
            if protobuf.is_map_field(field):
                continue  # maps stay empty: an empty map is a valid value of every map type
            target = getattr(message, field.name)
            item = target.add() if _repeated(field) else target
            if full == "google.protobuf.Timestamp":
                item.FromDatetime((EPOCH + timedelta(hours=i)).replace(tzinfo=None))
            elif full.startswith("google.protobuf."):
                continue  # other well-known types keep their defaults
            else:
                _fill(item, i)
            continue
        if field.type == FieldDescriptor.TYPE_ENUM:
            values = field.enum_type.values
            value: Any = values[min(1, len(values) - 1)].number  # not the zero default, when there is one
        elif field.type == FieldDescriptor.TYPE_BOOL:
            value = i % 2 == 0
        elif field.type in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
            value = i + 0.5
        elif field.type == FieldDescriptor.TYPE_STRING:
            value = f"{field.name}-{i}"
        elif field.type == FieldDescriptor.TYPE_BYTES:
            value = f"{field.name}-{i}".encode()
        else:  # the integer kinds; 1-based so a value is never the default
            value = i + 1
        if _repeated(field):
            getattr(message, field.name).append(value)
        else:
            setattr(message, field.name, value)


def _repeated(field: Any) -> bool:
    return bool(field.is_repeated)  # protobuf 6 (pinned); `label` is deprecated


def write_parquet(product: DataProduct, drop: Path, count: int) -> tuple[int, int]:
    """`synthetic.parquet` with `count` rows typed by the contract's columns, and `synthetic_bad.parquet`
    that is no Parquet file (the landing quarantines it whole). Returns (valid rows, invalid files)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rules = column_rules(product)
    arrays = {
        c.name: pa.array(
            [rules.get(c.name, _keep)(_value(c.data_type, c.name, i), i) for i in range(count)],
            type=_arrow_type(pa, c.data_type),
        )
        for c in product.schema_
    }
    pq.write_table(pa.table(arrays), drop / "synthetic.parquet")
    (drop / "synthetic_bad.parquet").write_bytes(b"not a parquet file\n")
    return count, 1


def _keep(value: Any, _i: int) -> Any:
    return value


def column_rules(product: DataProduct) -> Rules:
    """Per column, what makes a synthetic value pass the product's own checks: an `accepted_values`
    column cycles through its values, a `range` column is held inside its bounds."""
    rules: Rules = {}
    for rule in product.quality:
        if rule.accepted_values is not None:
            values = list(rule.accepted_values.values)
            rules[rule.accepted_values.column] = lambda _v, i, values=values: values[i % len(values)]
        elif rule.range is not None:
            low, high = rule.range.min, rule.range.max

            def held(value: Any, _i: int, low: Any = low, high: Any = high) -> Any:
                if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
                    kind = type(value)
                    if low is not None and value < low:
                        return kind(low)
                    if high is not None and value > high:
                        return kind(high)
                return value

            rules[rule.range.column] = held
    return rules


def _value(data_type: DataType, name: str, i: int) -> Any:
    """A value of contract type `data_type` for row `i`, as pyarrow takes it."""
    kind = data_type.name
    if kind in ("int", "bigint"):
        return i
    if kind in ("double", "float"):
        return i + 0.5
    if kind == "decimal":
        return (Decimal(i) + Decimal("0.5")).quantize(Decimal(1).scaleb(-(data_type.scale or 0)))
    if kind == "boolean":
        return i % 2 == 0
    if kind == "date":
        return date(2026, 1, 1) + timedelta(days=i)
    if kind == "timestamp":
        return EPOCH + timedelta(hours=i)
    if kind == "array" and data_type.element is not None:
        return [_value(data_type.element, name, i)]
    if kind == "map" and data_type.key is not None and data_type.value is not None:
        return [(_value(data_type.key, name, i), _value(data_type.value, name, i))]
    if kind == "struct":
        return {field: _value(inner, field, i) for field, inner in data_type.fields}
    return f"{name}-{i}"


def _arrow_type(pa: Any, data_type: DataType) -> Any:
    """The Arrow type Spark reads back as `data_type`."""
    kind = data_type.name
    scalar = {
        "int": pa.int32(),
        "bigint": pa.int64(),
        "double": pa.float64(),
        "float": pa.float32(),
        "boolean": pa.bool_(),
        "date": pa.date32(),
        "timestamp": pa.timestamp("us", tz="UTC"),
        "string": pa.string(),
    }
    if kind in scalar:
        return scalar[kind]
    if kind == "decimal":
        return pa.decimal128(data_type.precision or 38, data_type.scale or 0)
    if kind == "array" and data_type.element is not None:
        return pa.list_(_arrow_type(pa, data_type.element))
    if kind == "map" and data_type.key is not None and data_type.value is not None:
        return pa.map_(_arrow_type(pa, data_type.key), _arrow_type(pa, data_type.value))
    if kind == "struct":
        return pa.struct([(field, _arrow_type(pa, inner)) for field, inner in data_type.fields])
    return pa.string()
