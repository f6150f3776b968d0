"""Protobuf compatibility with Confluent Schema Registry's rules, on compiled descriptors.

The .proto file is compiled with the protoc of `grpcio-tools` (as the Kafka landing does), and the
messages of the file are compared field by field, matched by field NUMBER (the wire identity):

incompatible (Confluent's difference types):
- PACKAGE_CHANGED, MESSAGE_REMOVED (a message of the writer's file is missing from the reader's);
- FIELD_KIND_CHANGED (scalar <-> message <-> enum <-> map), FIELD_NAMED_TYPE_CHANGED (another
  message or enum type), FIELD_SCALAR_KIND_CHANGED (a scalar type outside its wire group: the
  varints int32/uint32/int64/uint64/bool, the zigzags sint32/sint64, fixed32/sfixed32,
  fixed64/sfixed64, string/bytes; float and double stand alone) - so reusing a removed field's
  number with another type is caught;
- REQUIRED_FIELD_ADDED, REQUIRED_FIELD_REMOVED (proto2 `required`), ONEOF_FIELD_REMOVED,
  FIELD_MOVED_TO_EXISTING_ONEOF, MULTIPLE_FIELDS_MOVED_TO_ONEOF;

compatible: adding or removing (non-required) fields, renaming a field (same number), adding
messages or enums, enum value changes, moving one field into a new oneof.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from google.protobuf import descriptor_pb2

from tardis_dagster.core.formats.protobuf import compile_descriptor_set

FDP = descriptor_pb2.FieldDescriptorProto
_WIRE_GROUPS = (
    {FDP.TYPE_INT32, FDP.TYPE_UINT32, FDP.TYPE_INT64, FDP.TYPE_UINT64, FDP.TYPE_BOOL},
    {FDP.TYPE_SINT32, FDP.TYPE_SINT64},
    {FDP.TYPE_FIXED32, FDP.TYPE_SFIXED32},
    {FDP.TYPE_FIXED64, FDP.TYPE_SFIXED64},
    {FDP.TYPE_STRING, FDP.TYPE_BYTES},
    {FDP.TYPE_FLOAT},
    {FDP.TYPE_DOUBLE},
)


@dataclass(frozen=True)
class ProtoSchema:
    """One compiled .proto file: its package and its messages by name relative to the package."""

    package: str
    messages: dict[str, descriptor_pb2.DescriptorProto]

    def relative(self, type_name: str) -> str:
        """`.pkg.Outer.Inner` -> `Outer.Inner` for types of this file; other types keep their full name."""
        name = type_name.lstrip(".")
        prefix = f"{self.package}." if self.package else ""
        return name[len(prefix) :] if prefix and name.startswith(prefix) else name


def load(proto_path: Path) -> ProtoSchema:
    """Compile `proto_path` (imports resolved beside it) into a ProtoSchema; ValueError with protoc's text."""
    data = compile_descriptor_set(proto_path)
    files = descriptor_pb2.FileDescriptorSet.FromString(data).file
    main = next((file for file in files if Path(file.name).name == Path(proto_path).name), files[-1])
    messages: dict[str, descriptor_pb2.DescriptorProto] = {}

    def walk(prefix: str, found: list[descriptor_pb2.DescriptorProto]) -> None:
        for message in found:
            messages[prefix + message.name] = message
            walk(f"{prefix}{message.name}.", list(message.nested_type))

    walk("", list(main.message_type))
    return ProtoSchema(package=main.package, messages=messages)


def incompatibilities(reader: ProtoSchema, writer: ProtoSchema) -> list[str]:
    """Why data written with `writer` cannot be read with `reader` (Confluent's rules); empty if it can."""
    problems: list[str] = []
    if reader.package != writer.package:
        problems.append(f"PACKAGE_CHANGED: {writer.package!r} -> {reader.package!r}")
    for name, written in writer.messages.items():
        if written.options.map_entry:
            continue
        read = reader.messages.get(name)
        if read is None:
            problems.append(f"MESSAGE_REMOVED at #/{name}")
            continue
        problems += _message(name, read, written, reader, writer)
    return problems


def _message(
    name: str,
    read: descriptor_pb2.DescriptorProto,
    written: descriptor_pb2.DescriptorProto,
    reader: ProtoSchema,
    writer: ProtoSchema,
) -> list[str]:
    problems: list[str] = []
    read_fields = {field.number: field for field in read.field}
    written_fields = {field.number: field for field in written.field}
    for number, field in written_fields.items():
        where = f"#/{name}/{number}"
        if number not in read_fields:
            if field.label == FDP.LABEL_REQUIRED:
                problems.append(f"REQUIRED_FIELD_REMOVED at {where} ({field.name})")
            elif _oneof(written, field) is not None:
                problems.append(f"ONEOF_FIELD_REMOVED at {where} ({field.name})")
            continue
        problems += _field(where, read_fields[number], field, reader, writer)
    for number, field in read_fields.items():
        required_now = field.label == FDP.LABEL_REQUIRED
        was_required = number in written_fields and written_fields[number].label == FDP.LABEL_REQUIRED
        if required_now and not was_required:
            problems.append(f"REQUIRED_FIELD_ADDED at #/{name}/{number} ({field.name})")
    moved: dict[str, list[int]] = {}
    for number, field in read_fields.items():
        oneof = _oneof(read, field)
        if oneof is None or number not in written_fields or _oneof(written, written_fields[number]):
            continue
        moved.setdefault(oneof, []).append(number)
    written_oneofs = {decl.name for decl in written.oneof_decl}
    for oneof, numbers in sorted(moved.items()):
        if oneof in written_oneofs:
            problems.append(f"FIELD_MOVED_TO_EXISTING_ONEOF at #/{name}/{oneof} (fields {numbers})")
        elif len(numbers) > 1:
            problems.append(f"MULTIPLE_FIELDS_MOVED_TO_ONEOF at #/{name}/{oneof} (fields {numbers})")
    return problems


def _oneof(message: descriptor_pb2.DescriptorProto, field: descriptor_pb2.FieldDescriptorProto) -> str | None:
    """The real oneof a field belongs to (proto3 `optional` makes a synthetic one, which does not count)."""
    if not field.HasField("oneof_index") or field.proto3_optional:
        return None
    return message.oneof_decl[field.oneof_index].name


def _field(
    where: str,
    read: descriptor_pb2.FieldDescriptorProto,
    written: descriptor_pb2.FieldDescriptorProto,
    reader: ProtoSchema,
    writer: ProtoSchema,
) -> list[str]:
    read_map = _map_entry(read, reader)
    written_map = _map_entry(written, writer)
    if (read_map is None) != (written_map is None):
        return [
            f"FIELD_KIND_CHANGED at {where} ({written.name}: map <-> {'map' if read_map else 'not a map'})"
        ]
    if read_map is not None and written_map is not None:
        problems: list[str] = []
        for index, part in enumerate(("key", "value")):
            problems += _types(
                f"{where}/{part}", read_map.field[index], written_map.field[index], reader, writer
            )
        return problems
    return _types(where, read, written, reader, writer)


def _types(
    where: str,
    read: descriptor_pb2.FieldDescriptorProto,
    written: descriptor_pb2.FieldDescriptorProto,
    reader: ProtoSchema,
    writer: ProtoSchema,
) -> list[str]:
    read_kind, written_kind = _kind(read.type), _kind(written.type)
    if read_kind != written_kind:
        return [f"FIELD_KIND_CHANGED at {where} ({written.name}: {written_kind} -> {read_kind})"]
    if read_kind == "scalar":
        if not any(read.type in group and written.type in group for group in _WIRE_GROUPS):
            before, after = _scalar_name(written.type), _scalar_name(read.type)
            return [f"FIELD_SCALAR_KIND_CHANGED at {where} ({written.name}: {before} -> {after})"]
        return []
    before, after = writer.relative(written.type_name), reader.relative(read.type_name)
    if before != after:
        return [f"FIELD_NAMED_TYPE_CHANGED at {where} ({written.name}: {before} -> {after})"]
    return []


def _map_entry(
    field: descriptor_pb2.FieldDescriptorProto, schema: ProtoSchema
) -> descriptor_pb2.DescriptorProto | None:
    if field.type != FDP.TYPE_MESSAGE or field.label != FDP.LABEL_REPEATED:
        return None
    entry = schema.messages.get(schema.relative(field.type_name))
    return entry if entry is not None and entry.options.map_entry else None


def _kind(field_type: int) -> str:
    if field_type in (FDP.TYPE_MESSAGE, FDP.TYPE_GROUP):
        return "message"
    return "enum" if field_type == FDP.TYPE_ENUM else "scalar"


def _scalar_name(field_type: int) -> str:
    return FDP.Type.Name(field_type).removeprefix("TYPE_").lower()
