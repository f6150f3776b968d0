"""Protobuf compatibility as Confluent Schema Registry decides it, on compiled descriptors.

A port of the registry's Protobuf diff (`protobuf-provider/.../protobuf/diff/`: `SchemaDiff`,
`MessageSchemaDiff`, `OneOfDiff`, `FieldSchemaDiff`): the earlier schema (`original`, the writer)
is compared with the new one (`update`, the reader), fields matched by NUMBER, and the change is
compatible when every difference is in the registry's `SchemaDiff.COMPATIBLE_CHANGES` (COMPATIBLE
below): a changed package, added/moved messages, any enum change, added/removed/renamed fields,
string<->bytes and their label changes, added/removed oneofs, a field added to a oneof.

Incompatible: MESSAGE_REMOVED, FIELD_KIND_CHANGED (scalar/enum <-> message <-> map),
FIELD_SCALAR_KIND_CHANGED (outside a wire group: int32/int64/uint32/uint64/bool/enum,
sint32/sint64, fixed32/sfixed32, fixed64/sfixed64, string/bytes, float, double - so enum <-> int32
is compatible), FIELD_NAMED_TYPE_CHANGED (another message type, or the same one changed
incompatibly: referenced types are compared structurally, imported files included),
FIELD_NUMERIC_LABEL_CHANGED (a number or enum becoming repeated or singular: packed encoding),
REQUIRED_FIELD_ADDED/REMOVED, ONEOF_FIELD_REMOVED, FIELD_MOVED_TO_EXISTING_ONEOF,
MULTIPLE_FIELDS_MOVED_TO_ONEOF.

Tardis adds (docs/contracts.md, "Deliberate differences"), where the registry lets breaking data
through: a proto3 field without a label becoming `repeated` (the registry compares labels only when
both are written); a label changed to or from `required`; ONEOFS_MERGED (fields of two oneofs in
one: old data may set both); and the types of a field that moved into or out of a oneof, which the
registry does not compare.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from google.protobuf import descriptor_pb2

from tardis_dagster.core.formats.protobuf import compile_descriptor_set

FDP = descriptor_pb2.FieldDescriptorProto
DescriptorProto = descriptor_pb2.DescriptorProto

COMPATIBLE = frozenset(
    {
        "PACKAGE_CHANGED",
        "MESSAGE_ADDED",
        "MESSAGE_MOVED",
        "ENUM_ADDED",
        "ENUM_REMOVED",
        "ENUM_CONST_ADDED",
        "ENUM_CONST_CHANGED",
        "ENUM_CONST_REMOVED",
        "FIELD_ADDED",
        "FIELD_REMOVED",
        "FIELD_NAME_CHANGED",
        "FIELD_STRING_OR_BYTES_LABEL_CHANGED",
        "ONEOF_ADDED",
        "ONEOF_REMOVED",
        "ONEOF_FIELD_ADDED",
    }
)
# FieldSchemaDiff.scalarKind: the wire groups ("see protobuf docs, Updating a message type")
_SCALAR_KINDS = {
    FDP.TYPE_INT32: "GENERAL_NUMBER",
    FDP.TYPE_INT64: "GENERAL_NUMBER",
    FDP.TYPE_UINT32: "GENERAL_NUMBER",
    FDP.TYPE_UINT64: "GENERAL_NUMBER",
    FDP.TYPE_BOOL: "GENERAL_NUMBER",
    FDP.TYPE_ENUM: "GENERAL_NUMBER",
    FDP.TYPE_SINT32: "SIGNED_NUMBER",
    FDP.TYPE_SINT64: "SIGNED_NUMBER",
    FDP.TYPE_STRING: "STRING_OR_BYTES",
    FDP.TYPE_BYTES: "STRING_OR_BYTES",
    FDP.TYPE_FIXED32: "FIXED32",
    FDP.TYPE_SFIXED32: "FIXED32",
    FDP.TYPE_FIXED64: "FIXED64",
    FDP.TYPE_SFIXED64: "FIXED64",
    FDP.TYPE_FLOAT: "FLOAT",
    FDP.TYPE_DOUBLE: "DOUBLE",
}
_EXPLAINED = {
    "MESSAGE_REMOVED": "a message of the old schema is gone",
    "FIELD_KIND_CHANGED": "scalar, message and map fields are not interchangeable",
    "FIELD_SCALAR_KIND_CHANGED": "the scalar type left its wire group",
    "FIELD_NAMED_TYPE_CHANGED": "another message type, or the same type changed incompatibly",
    "FIELD_NUMERIC_LABEL_CHANGED": "a number field changed between singular and repeated (packed encoding)",
    "REQUIRED_FIELD_ADDED": "a required field old data may lack",
    "REQUIRED_FIELD_REMOVED": "a required field removed",
    "ONEOF_FIELD_REMOVED": "a field left its oneof",
    "FIELD_MOVED_TO_EXISTING_ONEOF": "a field moved into a oneof that already had fields",
    "MULTIPLE_FIELDS_MOVED_TO_ONEOF": "several fields moved into one oneof: old data may set more than one",
    "ONEOFS_MERGED": "fields of two oneofs are now one oneof: old data may set both",
}


@dataclass(frozen=True)
class TypeInfo:
    """A message or enum of any file in the descriptor set: its file's package and syntax."""

    package: str
    syntax: str
    descriptor: descriptor_pb2.DescriptorProto | descriptor_pb2.EnumDescriptorProto

    @property
    def is_map(self) -> bool:
        return isinstance(self.descriptor, DescriptorProto) and self.descriptor.options.map_entry


@dataclass(frozen=True)
class ProtoSchema:
    """One compiled .proto file (the main one) and every type of its descriptor set by full name."""

    package: str
    messages: dict[str, descriptor_pb2.DescriptorProto]
    file: descriptor_pb2.FileDescriptorProto = field(default_factory=descriptor_pb2.FileDescriptorProto)
    types: dict[str, TypeInfo] = field(default_factory=dict)

    def syntax_of(self, message: DescriptorProto) -> str:
        """The syntax of the file that defines `message` (proto2 when its file names none)."""
        for info in self.types.values():
            if info.descriptor is message:
                return info.syntax
        return self.file.syntax or "proto2"

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
    types: dict[str, TypeInfo] = {}
    for file in files:
        _index(types, file.package, file.syntax or "proto2", f"{file.package}." if file.package else "", file)
    messages: dict[str, DescriptorProto] = {}

    def local(prefix: str, found: list[DescriptorProto]) -> None:
        for message in found:
            messages[prefix + message.name] = message
            local(f"{prefix}{message.name}.", list(message.nested_type))

    local("", list(main.message_type))
    return ProtoSchema(package=main.package, messages=messages, file=main, types=types)


def _index(
    types: dict[str, TypeInfo],
    package: str,
    syntax: str,
    prefix: str,
    scope: descriptor_pb2.FileDescriptorProto | DescriptorProto,
) -> None:
    """Every message and enum under `scope` (a file or a message) by full name."""
    messages = (
        scope.message_type if isinstance(scope, descriptor_pb2.FileDescriptorProto) else scope.nested_type
    )
    for enum in scope.enum_type:
        types[prefix + enum.name] = TypeInfo(package, syntax, enum)
    for message in messages:
        types[prefix + message.name] = TypeInfo(package, syntax, message)
        _index(types, package, syntax, f"{prefix}{message.name}.", message)


@dataclass(frozen=True)
class Difference:
    """One difference: the registry's type name (or a Tardis one) at the registry's path."""

    type: str
    path: str
    detail: str = ""

    @property
    def compatible(self) -> bool:
        return self.type in COMPATIBLE

    def __str__(self) -> str:
        note = self.detail or _EXPLAINED.get(self.type, "")
        return f"{self.type} at {self.path}" + (f" ({note})" if note else "")


def incompatibilities(reader: ProtoSchema, writer: ProtoSchema) -> list[str]:
    """Why data written with `writer` cannot be read with `reader`; empty if it can."""
    seen: list[str] = []
    for difference in differences(writer, reader):
        text = str(difference)
        if not difference.compatible and text not in seen:
            seen.append(text)
    return seen


def differences(original: ProtoSchema, update: ProtoSchema) -> list[Difference]:
    """Every difference from `original` (earlier, the writer) to `update` (the reader)."""
    ctx = _Context(original, update)
    if original.package != update.package:
        ctx.add("PACKAGE_CHANGED")
    ctx.types(list(original.file.message_type), list(update.file.message_type))
    return ctx.found


class _Context:
    """The registry's diff Context: both schemas, the path, differences found, messages in progress."""

    def __init__(self, original: ProtoSchema, update: ProtoSchema) -> None:
        self.original, self.update = original, update
        self.path: list[str] = []
        self.active: set[tuple[int, int]] = set()
        self.found: list[Difference] = []
        self.syntax = (original.file.syntax or "proto2", update.file.syntax or "proto2")

    def add(self, kind: str, detail: str = "") -> None:
        self.found.append(Difference(kind, "#/" + "/".join(self.path), detail))

    @contextmanager
    def at(self, *parts: str) -> Iterator[None]:
        self.path.extend(parts)
        try:
            yield
        finally:
            del self.path[len(self.path) - len(parts) :]

    def sub(self) -> _Context:
        ctx = _Context(self.original, self.update)
        ctx.active = set(self.active)
        ctx.syntax = self.syntax
        return ctx

    @property
    def compatible(self) -> bool:
        return all(d.compatible for d in self.found)

    def types(self, original: list[DescriptorProto], update: list[DescriptorProto]) -> None:
        """SchemaDiff.compareTypeElements for messages (every enum change is compatible)."""
        before = {m.name: (i, m) for i, m in enumerate(original)}
        after = {m.name: (i, m) for i, m in enumerate(update)}
        for name in sorted(set(before) | set(after)):
            with self.at(name):
                if name not in after:
                    if not before[name][1].options.map_entry:
                        self.add("MESSAGE_REMOVED")
                elif name not in before:
                    if not after[name][1].options.map_entry:
                        self.add("MESSAGE_ADDED")
                else:
                    self.message(before[name][1], after[name][1])
                    if before[name][0] != after[name][0]:
                        self.add("MESSAGE_MOVED")

    def message(self, original: DescriptorProto, update: DescriptorProto) -> None:
        """MessageSchemaDiff.compare, with Tardis's oneof rules."""
        key = (id(original), id(update))
        if key in self.active:
            return
        self.active.add(key)
        outer = self.syntax
        self.syntax = (self.original.syntax_of(original), self.update.syntax_of(update))
        try:
            self._fields(original, update)
            self.types(list(original.nested_type), list(update.nested_type))
        finally:
            self.active.discard(key)
            self.syntax = outer

    def _fields(self, original: DescriptorProto, update: DescriptorProto) -> None:
        regular_before = {f.number: f for f in original.field if _oneof(original, f) is None}
        regular_after = {f.number: f for f in update.field if _oneof(update, f) is None}
        oneofs_before = _oneofs(original)
        oneofs_after = _oneofs(update)
        in_oneof_before = {f.number: (name, f) for name, fs in oneofs_before.items() for f in fs}
        compared: set[int] = set()
        for name, members in oneofs_after.items():
            with self.at(name):
                moved = [f for f in members if f.number in regular_before]
                existing = [f for f in members if f.number in in_oneof_before]
                for moved_field in moved:  # the registry drops moved fields from the comparison
                    regular_before.pop(moved_field.number)
                if len(moved) > 1:
                    self.add("MULTIPLE_FIELDS_MOVED_TO_ONEOF")
                elif len(moved) == 1 and existing:
                    self.add("FIELD_MOVED_TO_EXISTING_ONEOF")
                sources = {in_oneof_before[f.number][0] for f in existing}
                if len(sources) > 1:
                    self.add("ONEOFS_MERGED", f"fields of oneofs {', '.join(sorted(sources))}")
        for name in sorted(set(oneofs_before) | set(oneofs_after)):
            with self.at(name):
                if name not in oneofs_after:
                    self.add("ONEOF_REMOVED")
                elif name not in oneofs_before:
                    self.add("ONEOF_ADDED")
                else:
                    before = {f.number: f for f in oneofs_before[name]}
                    after = {f.number: f for f in oneofs_after[name]}
                    for number in sorted(set(before) | set(after)):
                        with self.at(str(number)):
                            if number not in after:
                                self.add("ONEOF_FIELD_REMOVED")
                            elif number not in before:
                                self.add("ONEOF_FIELD_ADDED")
                            else:
                                compared.add(number)
                                self.field(before[number], after[number])
        for number in sorted(set(regular_before) | set(regular_after)):
            with self.at(str(number)):
                before_field, after_field = regular_before.get(number), regular_after.get(number)
                if after_field is None and before_field is not None:
                    self.add("REQUIRED_FIELD_REMOVED" if _required(before_field) else "FIELD_REMOVED")
                elif before_field is None:
                    self.add("REQUIRED_FIELD_ADDED" if _required(after_field) else "FIELD_ADDED")
                else:
                    compared.add(number)
                    self.field(before_field, after_field)
        # Tardis: a number on both sides is one field on the wire, wherever it moved
        all_before = {f.number: f for f in original.field}
        for after_field in update.field:
            number = after_field.number
            if number in all_before and number not in compared:
                with self.at(str(number)):
                    sub = self.sub()
                    sub.path = list(self.path)
                    sub.field(all_before[number], after_field)
                    self.found += [
                        Difference(
                            d.type,
                            d.path,
                            d.detail
                            or "moved into or out of a oneof; the registry does not compare its type",
                        )
                        for d in sub.found
                        if not d.compatible
                    ]

    def field(
        self, original: descriptor_pb2.FieldDescriptorProto, update: descriptor_pb2.FieldDescriptorProto
    ) -> None:
        """FieldSchemaDiff.compare (names are compatible either way), with Tardis's label rules."""
        before_label, after_label = self._label(original, True), self._label(update, False)
        if (before_label == "REQUIRED") != (after_label == "REQUIRED"):
            kind = "REQUIRED_FIELD_ADDED" if after_label == "REQUIRED" else "REQUIRED_FIELD_REMOVED"
            self.add(kind, f"label {before_label or 'none'} -> {after_label or 'none'}")
        self._labels_and_types(original, update, before_label, after_label)

    def _label(self, field_: descriptor_pb2.FieldDescriptorProto, is_original: bool) -> str | None:
        """Wire's label as the registry sees it: proto3 fields without `optional`/`repeated` have none."""
        if field_.label == FDP.LABEL_REPEATED:
            return "REPEATED"
        if field_.label == FDP.LABEL_REQUIRED:
            return "REQUIRED"
        syntax = self.syntax[0 if is_original else 1]
        return "OPTIONAL" if syntax == "proto2" or field_.proto3_optional else None

    def _labels_and_types(
        self,
        original: descriptor_pb2.FieldDescriptorProto,
        update: descriptor_pb2.FieldDescriptorProto,
        before_label: str | None,
        after_label: str | None,
    ) -> None:
        """FieldSchemaDiff.compareLabelsAndTypes."""
        before_kind, after_kind = self._kind(original, True), self._kind(update, False)
        if before_kind != after_kind:
            self.add("FIELD_KIND_CHANGED", f"{original.name}: {before_kind.lower()} -> {after_kind.lower()}")
        elif before_kind == "SCALAR":
            self._scalars(original, update, before_label, after_label)
        elif before_kind == "MESSAGE":
            self._message_types(original, update)
        else:
            entries = [self._type(original.type_name, True), self._type(update.type_name, False)]
            readable = [
                e.descriptor for e in entries if e is not None and isinstance(e.descriptor, DescriptorProto)
            ]
            if len(readable) != 2 or any(len(entry.field) != 2 for entry in readable):
                self.add("FIELD_KIND_CHANGED", f"{original.name}: a map entry type could not be read")
                return
            for index in (0, 1):  # the map entry's key, then its value
                self._labels_and_types(readable[0].field[index], readable[1].field[index], None, None)

    def _scalars(
        self,
        original: descriptor_pb2.FieldDescriptorProto,
        update: descriptor_pb2.FieldDescriptorProto,
        before_label: str | None,
        after_label: str | None,
    ) -> None:
        before, after = _SCALAR_KINDS.get(original.type, "ANY"), _SCALAR_KINDS.get(update.type, "ANY")
        if before != after:
            names = f"{original.name}: {_scalar(original)} -> {_scalar(update)}"
            self.add("FIELD_SCALAR_KIND_CHANGED", names)
            return
        repeated_change = (before_label == "REPEATED") != (after_label == "REPEATED")
        if before_label is not None and after_label is not None and before_label != after_label:
            if before == "STRING_OR_BYTES":
                self.add("FIELD_STRING_OR_BYTES_LABEL_CHANGED")
            elif repeated_change:
                self.add("FIELD_NUMERIC_LABEL_CHANGED")
        elif repeated_change and before != "STRING_OR_BYTES":
            self.add(
                "FIELD_NUMERIC_LABEL_CHANGED",
                "a proto3 field without a label changed to or from repeated: a packed list does not "
                "read as one value (the registry skips fields without a written label)",
            )

    def _message_types(
        self, original: descriptor_pb2.FieldDescriptorProto, update: descriptor_pb2.FieldDescriptorProto
    ) -> None:
        """compareMessageTypes: the same local name, then the two types compared structurally."""
        before, after = self._type(original.type_name, True), self._type(update.type_name, False)
        before_name = _local(original.type_name, before)
        after_name = _local(update.type_name, after)
        if before_name != after_name or before is None or after is None:
            self.add("FIELD_NAMED_TYPE_CHANGED", f"{original.name}: {before_name} -> {after_name}")
            return
        if not isinstance(before.descriptor, DescriptorProto) or not isinstance(
            after.descriptor, DescriptorProto
        ):
            self.add("FIELD_KIND_CHANGED", f"{original.name}: {before_name} is not a message on both sides")
            return
        sub = self.sub()
        sub.path = before_name.split(".")
        sub.message(before.descriptor, after.descriptor)
        self.found += sub.found
        if not sub.compatible:
            self.add("FIELD_NAMED_TYPE_CHANGED", f"{original.name}: {before_name} changed incompatibly")

    def _type(self, type_name: str, is_original: bool) -> TypeInfo | None:
        schema = self.original if is_original else self.update
        return schema.types.get(type_name.lstrip("."))

    def _kind(self, field_: descriptor_pb2.FieldDescriptorProto, is_original: bool) -> str:
        if field_.type in (FDP.TYPE_MESSAGE, FDP.TYPE_GROUP):
            info = self._type(field_.type_name, is_original)
            return "MAP" if info is not None and info.is_map else "MESSAGE"
        return "SCALAR"  # enums are scalars (GENERAL_NUMBER) for the registry


def _oneof(message: DescriptorProto, field_: descriptor_pb2.FieldDescriptorProto) -> str | None:
    """The real oneof a field belongs to (proto3 `optional` makes a synthetic one, which does not count)."""
    if not field_.HasField("oneof_index") or field_.proto3_optional:
        return None
    return message.oneof_decl[field_.oneof_index].name


def _oneofs(message: DescriptorProto) -> dict[str, list[descriptor_pb2.FieldDescriptorProto]]:
    found: dict[str, list[descriptor_pb2.FieldDescriptorProto]] = {}
    for field_ in message.field:
        name = _oneof(message, field_)
        if name is not None:
            found.setdefault(name, []).append(field_)
    return found


def _required(field_: descriptor_pb2.FieldDescriptorProto) -> bool:
    return field_.label == FDP.LABEL_REQUIRED


def _local(type_name: str, info: TypeInfo | None) -> str:
    """The name inside its package (what the registry compares: a moved package is not a new type)."""
    name = type_name.lstrip(".")
    if info is not None and info.package and name.startswith(info.package + "."):
        return name[len(info.package) + 1 :]
    return name


def _scalar(field_: descriptor_pb2.FieldDescriptorProto) -> str:
    if field_.type == FDP.TYPE_ENUM:
        return f"enum {field_.type_name.lstrip('.')}"
    return FDP.Type.Name(field_.type).removeprefix("TYPE_").lower()
