"""Protobuf: compile .proto files to descriptor sets, build message classes, decode to plain dicts.

The descriptor set (a serialized `FileDescriptorSet`, imports included) is what travels: it is
compiled once where the .proto file lives and passed to Spark jobs as bytes. Only the writer schemas
of the Confluent wire format, fetched from the registry by the id in each record, are compiled in
the job (`compile_text`); the message indexes after the id name the record's message (`wire_split`,
`message_at`).
"""

from __future__ import annotations

import base64
import hashlib
import os
import tempfile
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

# Well-known types whose dict form is a JSON scalar (`to_dict`) and whose Spark type is a scalar.
TIMESTAMP = "google.protobuf.Timestamp"
WRAPPERS = {
    "google.protobuf.DoubleValue",
    "google.protobuf.FloatValue",
    "google.protobuf.Int64Value",
    "google.protobuf.UInt64Value",
    "google.protobuf.Int32Value",
    "google.protobuf.UInt32Value",
    "google.protobuf.BoolValue",
    "google.protobuf.StringValue",
    "google.protobuf.BytesValue",
}

_compiled: dict[tuple[str, str], bytes] = {}


def _well_known_include() -> str:
    """grpc_tools' bundled `_proto` folder: google/protobuf/*.proto for imports of well-known types."""
    return str(resources.files("grpc_tools") / "_proto")


def compile_descriptor_set(proto_path: Path) -> bytes:
    """Compile `proto_path` with grpc_tools' protoc into a serialized FileDescriptorSet (imports included).

    Imports resolve against the file's own folder and the well-known types. Results are cached in
    this process by the file's content hash. Raises ValueError with protoc's message on a bad file.
    """
    from grpc_tools import protoc  # here, not at the top: most Spark jobs decode with bytes only

    proto_path = Path(proto_path).resolve()
    text = proto_path.read_bytes()
    cache_key = (str(proto_path), hashlib.sha256(text).hexdigest())
    if cache_key in _compiled:
        return _compiled[cache_key]
    with tempfile.TemporaryDirectory(prefix="tardis-protoc-") as tmp:
        out = Path(tmp) / "descriptor_set.pb"
        errors = Path(tmp) / "protoc.err"
        args = [
            "grpc_tools.protoc",
            f"--proto_path={proto_path.parent}",
            f"--proto_path={_well_known_include()}",
            "--include_imports",
            f"--descriptor_set_out={out}",
            str(proto_path),
        ]
        code = _run_capturing_stderr(lambda: protoc.main(args), errors)
        if code != 0 or not out.exists():
            message = errors.read_text(encoding="utf-8", errors="replace").strip()
            raise ValueError(f"protoc could not compile {proto_path}: {message or f'exit code {code}'}")
        data = out.read_bytes()
    _compiled[cache_key] = data
    return data


def _run_capturing_stderr(run: Any, path: Path) -> int:
    """Run `run()` with file descriptor 2 sent to `path`: protoc (C++) writes its errors there."""
    with path.open("wb") as sink:
        saved = os.dup(2)
        try:
            os.dup2(sink.fileno(), 2)
            return int(run())
        finally:
            os.dup2(saved, 2)
            os.close(saved)


@cache
def _pool(descriptor_set: bytes) -> descriptor_pool.DescriptorPool:
    """A private pool holding the set's files (not the default pool: two sets may define the same names)."""
    files = descriptor_pb2.FileDescriptorSet.FromString(descriptor_set)
    pool = descriptor_pool.DescriptorPool()
    for file in files.file:  # --include_imports lists dependencies before the files that import them
        pool.Add(file)
    return pool


def _message_names(descriptor_set: bytes) -> list[str]:
    """Full names of every message in the set, nested ones included."""
    names: list[str] = []

    def walk(prefix: str, messages: Any) -> None:
        for message in messages:
            full = f"{prefix}{message.name}"
            names.append(full)
            walk(f"{full}.", message.nested_type)

    for file in descriptor_pb2.FileDescriptorSet.FromString(descriptor_set).file:
        walk(f"{file.package}." if file.package else "", file.message_type)
    return names


def find_message(descriptor_set: bytes, message_name: str) -> Descriptor:
    """The descriptor of `message_name`: a full name (`pkg.Subscription`) or a bare one (`Subscription`).

    A bare name must be unique across the set (well-known types aside); ValueError otherwise.
    """
    pool = _pool(descriptor_set)
    names = _message_names(descriptor_set)
    if message_name in names:
        return pool.FindMessageTypeByName(message_name)
    matches = [
        n for n in names if n.rsplit(".", 1)[-1] == message_name and not n.startswith("google.protobuf.")
    ]
    if len(matches) == 1:
        return pool.FindMessageTypeByName(matches[0])
    if not matches:
        known = ", ".join(n for n in names if not n.startswith("google.protobuf.")) or "none"
        raise ValueError(f"message {message_name!r} is not in the descriptor set (messages: {known})")
    raise ValueError(f"message name {message_name!r} is ambiguous: {', '.join(matches)}; use the full name")


@cache
def message_class(descriptor_set: bytes, message_name: str) -> type[Message]:
    """The generated message class for `message_name` (bare or full name) in a serialized descriptor set."""
    return message_factory.GetMessageClass(find_message(descriptor_set, message_name))


def decode(descriptor_set: bytes, message_name: str, data: bytes, require_fields: bool = False) -> Message:
    """Parse `data` as `message_name`; raises ValueError when the bytes are not a valid message.

    With `require_fields`, a value that carries none of the message's fields is refused too: empty
    bytes (or only fields of other numbers) parse as a message of all default values, which would
    otherwise land as a record nobody sent. Proto3 does not write fields at their default value,
    so a message sent with every field at its default is refused alike.
    """
    cls = message_class(descriptor_set, message_name)
    try:
        message = cls.FromString(data)
    except Exception as error:  # DecodeError, or RuntimeError from upb on some corrupt input
        raise ValueError(f"not a valid {cls.DESCRIPTOR.full_name}: {error}") from error
    if require_fields and not message.ListFields():
        unknown = f" ({len(data)} bytes of fields it does not define)" if data else " (an empty value)"
        raise ValueError(f"carries none of the fields of {cls.DESCRIPTOR.full_name}{unknown}")
    return message


def wire_split(data: bytes) -> tuple[int, list[int], bytes]:
    """Split a Confluent wire-format Protobuf value into (schema id, message indexes, message bytes).

    After the magic byte 0 and the 4-byte schema id comes the path of the message in the schema as
    zigzag varints of at most 32 bits (Kafka's `ByteUtils.readVarint`, which Confluent's
    `MessageIndexes.readFrom` uses): their count, then each index; a count of 0 is the shorthand for
    [0] (the first message). ValueError when the bytes are not that shape: too short, a truncated or
    over-long varint, a negative count or index.
    """
    if len(data) < 6 or data[0] != 0:
        raise ValueError("not the Confluent wire format (magic byte 0, schema id, message indexes)")
    schema_id = int.from_bytes(data[1:5], "big")
    position = 5

    def varint(what: str) -> int:
        nonlocal position
        result = 0
        for shift in range(0, 35, 7):  # 5 bytes hold 32 bits
            if position >= len(data):
                raise ValueError(f"truncated message indexes in the Confluent wire format ({what})")
            byte = data[position]
            position += 1
            result |= (byte & 0x7F) << shift
            if not byte & 0x80:
                value = (result >> 1) ^ -(result & 1)  # zigzag
                if value < 0:
                    raise ValueError(f"negative {what} {value} in the message indexes of the wire format")
                return value
        raise ValueError(f"message indexes of the wire format: the {what} is over 5 bytes long")

    count = varint("count")
    indexes = [varint("index") for _ in range(count)] if count else [0]
    return schema_id, indexes, bytes(data[position:])


def main_file(descriptor_set: bytes) -> descriptor_pb2.FileDescriptorProto:
    """The file a descriptor set was compiled from: `--include_imports` lists it after its imports."""
    files = descriptor_pb2.FileDescriptorSet.FromString(descriptor_set).file
    if not files:
        raise ValueError("the descriptor set holds no file")
    return files[-1]


def message_at(descriptor_set: bytes, indexes: list[int]) -> str:
    """The full name of the message the wire format's `indexes` point at in the set's main file.

    As Confluent's `ProtobufSchema.toMessageName`: the first index counts the file's top-level
    messages, each further one the messages nested in the previous; enums do not count, and neither
    do the entry messages protoc generates for `map` fields (they are not in the .proto text
    Confluent numbers). ValueError naming the index that does not resolve.
    """
    file = main_file(descriptor_set)
    messages = list(file.message_type)
    names: list[str] = [file.package] if file.package else []
    for depth, index in enumerate(indexes):
        if index >= len(messages):
            where = f"message {'.'.join(names)} has" if depth else "the schema has"
            kind = "nested" if depth else "top-level"
            raise ValueError(
                f"message indexes {indexes} do not resolve: index {index} at depth {depth}, "
                f"but {where} {len(messages)} {kind} message(s)"
            )
        message = messages[index]
        names.append(message.name)
        messages = [m for m in message.nested_type if not m.options.map_entry]
    return ".".join(names)


@cache  # schemas under a registry id never change: each text is compiled once per process
def compile_text(text: str, file_name: str = "schema.proto") -> bytes:
    """Compile .proto `text` (a registry's schema) as `compile_descriptor_set` compiles a file.

    Only the well-known types can be imported: a registry schema that imports other subjects'
    files (Confluent schema references) fails to compile, with protoc's message.
    """
    with tempfile.TemporaryDirectory(prefix="tardis-proto-") as folder:
        path = Path(folder) / file_name
        path.write_text(text, encoding="utf-8")
        try:
            return compile_descriptor_set(path)
        except ValueError as error:  # protoc names the file: the temporary folder means nothing to anyone
            shown = str(error).replace(f"{path.resolve().parent}/", "").replace(f"{folder}/", "")
            raise ValueError(shown) from None


def wire_encode(schema_id: int, payload: bytes, indexes: tuple[int, ...] = (0,)) -> bytes:
    """Confluent wire format for Protobuf: magic byte 0, schema id, message indexes, then `payload`."""

    def zigzag(value: int) -> bytes:
        value = (value << 1) ^ (value >> 63)
        out = bytearray()
        while True:
            if value < 0x80:
                return bytes([*out, value])
            out.append((value & 0x7F) | 0x80)
            value >>= 7

    path = b"\x00" if tuple(indexes) == (0,) else zigzag(len(indexes)) + b"".join(map(zigzag, indexes))
    return b"\x00" + schema_id.to_bytes(4, "big") + path + payload


def to_dict(message: Message) -> dict[str, Any]:
    """A JSON-friendly dict of `message`, keyed by proto field names, every field present.

    Like `json_format.MessageToDict(preserving_proto_field_name=True,
    always_print_fields_with_no_presence=True)`, except that 64-bit integers stay ints (Spark's JSON
    reader does not read quoted numbers as BIGINT) and unset fields with presence (messages,
    `optional`, oneof members) are None instead of missing. Timestamps are RFC 3339 strings, enums
    their names, bytes base64.
    """
    return {field.name: _field_value(message, field) for field in message.DESCRIPTOR.fields}


def _field_value(message: Message, field: FieldDescriptor) -> Any:
    value = getattr(message, field.name)
    if is_map_field(field):
        value_field = field.message_type.fields_by_name["value"]
        return {str(k): _single(value_field, v) for k, v in value.items()}
    if field.is_repeated:
        return [_single(field, v) for v in value]
    if field.has_presence and not message.HasField(field.name):
        return None
    return _single(field, value)


def is_map_field(field: FieldDescriptor) -> bool:
    """True for a `map<K, V>` field (protobuf models it as a repeated map-entry message)."""
    return (
        field.is_repeated
        and field.type == FieldDescriptor.TYPE_MESSAGE
        and field.message_type.GetOptions().map_entry
    )


def _single(field: FieldDescriptor, value: Any) -> Any:
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        full_name = field.message_type.full_name
        if full_name == TIMESTAMP:
            return value.ToJsonString()
        if full_name in WRAPPERS:
            return _single(field.message_type.fields_by_name["value"], value.value)
        if full_name.startswith("google.protobuf."):  # Struct, Value, Duration, ...: their JSON mapping
            from google.protobuf import json_format

            return json_format.MessageToDict(value, preserving_proto_field_name=True)
        return to_dict(value)
    if field.type == FieldDescriptor.TYPE_ENUM:
        known = field.enum_type.values_by_number.get(value)
        return known.name if known is not None else value  # an unknown number from a newer writer
    if field.type == FieldDescriptor.TYPE_BYTES:
        return base64.b64encode(value).decode("ascii")
    return value
