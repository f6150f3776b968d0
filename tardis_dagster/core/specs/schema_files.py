"""Avro and Protobuf schema files parsed by their real parsers at validation, not shape-checked.

An .avsc goes through Apache Avro's parser (names, types, duplicate fields, enum symbols) and then
fastavro's (defaults against their types), which is the one the landing decodes with. A .proto
goes through protoc (grpcio-tools, as `core/formats/protobuf.py` compiles it for the landing), so a
syntax error comes back with protoc's own file:line:col. Results are cached per path and content:
thousands of specs share a handful of schema files.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from tardis_dagster.core.specs.file_reading import UnreadableFileError, read_capped

MAX_SCHEMA_BYTES = 1_000_000
_PROTOC_POSITION = re.compile(r"(?P<file>[^\s:]+\.proto):(?P<line>\d+):(?P<col>\d+):\s*(?P<message>[^\n]+)")
_PROTO_IMPORT = re.compile(r'^\s*import\s+(?:public\s+|weak\s+)?"([^"]+)"\s*;', re.MULTILINE)
_QUOTED = re.compile(r"""["']?([A-Za-z_][A-Za-z0-9_.]*)["']?""")


# Results by (path, content digest[, imports]): keyed by digest, not text, so a cache full of
# large hostile files costs no memory; cleared when full rather than grown without bound.
_CACHE_SIZE = 1024
_AVRO_RESULTS: dict[tuple[str, ...], SchemaIssue | None] = {}
_PROTO_RESULTS: dict[tuple[str, ...], ProtoSchema | SchemaIssue] = {}
_DEPTH_RESULTS: dict[tuple[str, ...], SchemaIssue | None] = {}


def _remember(cache: dict, key: tuple[str, ...], value: object) -> None:
    if len(cache) >= _CACHE_SIZE:
        cache.clear()
    cache[key] = value


@dataclass(frozen=True)
class SchemaIssue:
    """What is wrong in a schema file: the file (a .proto's import may be the culprit), position, text."""

    path: Path
    line: int
    col: int
    message: str
    fix: str


@dataclass(frozen=True)
class ProtoSchema:
    """A .proto that compiled: the full names of its messages (imports' messages included)."""

    messages: tuple[str, ...]


MAX_JSON_DEPTH = 64
_JSON_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_JSON_BRACKET = re.compile(r"[\[\]{}]")


def json_depth_issue(path: Path, text: str) -> SchemaIssue | None:
    """A JSON file (JSON Schema, .avsc) nested deeper than MAX_JSON_DEPTH, at the first level too deep.

    Checked before any parser sees the text: json.loads and the schema walkers recurse, so a 1 MB
    file of brackets would otherwise end in a RecursionError instead of a problem line.
    """
    key = (str(path), hashlib.sha256(text.encode()).hexdigest())
    if key not in _DEPTH_RESULTS:
        _remember(_DEPTH_RESULTS, key, _json_depth_issue(path, text))
    return _DEPTH_RESULTS[key]


def _json_depth_issue(path: Path, text: str) -> SchemaIssue | None:
    # Blank out strings (same length, so offsets stay true) and count brackets outside them.
    blanked = _JSON_STRING.sub(lambda match: " " * len(match.group()), text)
    depth = 0
    for match in _JSON_BRACKET.finditer(blanked):
        if match.group() in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                offset = match.start()
                line = text.count("\n", 0, offset) + 1
                col = offset - (text.rfind("\n", 0, offset) + 1) + 1
                return SchemaIssue(
                    path, line, col, f"nests deeper than {MAX_JSON_DEPTH} levels", "flatten the schema"
                )
        else:
            depth -= 1
    return None


def avro_issue(path: Path, text: str) -> SchemaIssue | None:
    """None when ``text`` (the .avsc at ``path``) is an Avro record schema both parsers accept."""
    key = (str(path), hashlib.sha256(text.encode()).hexdigest())
    if key not in _AVRO_RESULTS:
        _remember(_AVRO_RESULTS, key, _avro_issue(str(path), text))
    return _AVRO_RESULTS[key]


def _avro_issue(path: str, text: str) -> SchemaIssue | None:
    import avro.errors  # here: only specs with Avro sources pay for the import
    import avro.schema
    import fastavro

    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as error:
        return SchemaIssue(
            Path(path), error.lineno, error.colno, f"is not valid JSON: {error.msg}", "fix the JSON"
        )
    except RecursionError:
        return SchemaIssue(Path(path), 1, 1, "nests too deeply", "flatten the schema")
    if not (
        isinstance(parsed, dict) and parsed.get("type") == "record" and isinstance(parsed.get("fields"), list)
    ):
        return SchemaIssue(
            Path(path),
            1,
            1,
            "is not an Avro record schema",
            'a product needs a top-level "type": "record" with "fields"',
        )
    try:
        avro.schema.parse(text, validate_enum_symbols=True, validate_names=True)
        fastavro.parse_schema(parsed)
    except RecursionError:
        return SchemaIssue(Path(path), 1, 1, "nests too deeply", "flatten the schema")
    except (
        avro.errors.AvroException,
        fastavro.schema.SchemaParseException,
        ValueError,
        TypeError,
        KeyError,
    ) as error:
        message = " ".join(str(error).split()) or type(error).__name__
        line, col = _locate_avro(text, message)
        return SchemaIssue(
            Path(path), line, col, f"is not a valid Avro schema: {message}", "see the Avro specification"
        )
    except Exception as error:  # fastavro raises its own UnknownType and plain Exceptions
        message = " ".join(str(error).split()) or type(error).__name__
        name = type(error).__name__
        what = f"unknown type '{message}'" if name == "UnknownType" else message
        line, col = _locate_avro(text, message)
        return SchemaIssue(
            Path(path), line, col, f"is not a valid Avro schema: {what}", "see the Avro specification"
        )
    return None


def _locate_avro(text: str, message: str) -> tuple[int, int]:
    """Avro's parsers give no position: point at the name the message is about, when the text has it.

    A duplicate is pointed at its second occurrence; otherwise the first quoted occurrence counts.
    """
    duplicate = "already in use" in message or "uplicate" in message
    for token in _QUOTED.findall(message):
        if len(token) < 1 or token in ("Field", "name", "Type", "property", "Default", "value", "schema"):
            continue
        needle = json.dumps(token)
        first = text.find(needle)
        if first < 0:
            continue
        found = text.find(needle, first + 1) if duplicate else first
        offset = found if found >= 0 else first
        line = text.count("\n", 0, offset) + 1
        return line, offset - (text.rfind("\n", 0, offset) + 1) + 1
    return 1, 1


def proto_schema(path: Path, text: str, root: Path | None) -> ProtoSchema | SchemaIssue:
    """Compile the .proto at ``path`` (content ``text``) with protoc; its messages, or the first error.

    Imports must be regular files inside ``root`` too (protoc would otherwise block on a FIFO or read
    a device): each is checked before protoc runs.
    """
    imports = _import_issue(path, text, root)
    if imports is not None:
        return imports
    key = (str(path), hashlib.sha256(text.encode()).hexdigest(), _imports_key(path, text))
    if key not in _PROTO_RESULTS:
        _remember(_PROTO_RESULTS, key, _compile(str(path)))
    return _PROTO_RESULTS[key]


def _imports_key(path: Path, text: str) -> str:
    """The imported files' contents belong in the cache key: an import can change independently."""
    parts = []
    for name in _PROTO_IMPORT.findall(text):
        local = path.parent / name
        try:
            info = local.stat()
            parts.append(f"{name}:{info.st_mtime_ns}:{info.st_size}")
        except OSError:
            parts.append(f"{name}:-")
    return "|".join(parts)


def _import_issue(path: Path, text: str, root: Path | None) -> SchemaIssue | None:
    from tardis_dagster.core.specs.paths import path_problem

    for match in _PROTO_IMPORT.finditer(text):
        name = match.group(1)
        local = path.parent / name
        if name.startswith("google/protobuf/") and not local.exists():
            continue  # a well-known type, from protoc's own include folder
        line = text.count("\n", 0, match.start(1)) + 1
        col = match.start(1) - (text.rfind("\n", 0, match.start(1)) + 1) + 1
        if root is not None:
            problem = path_problem(name, path, root, "the spec folder")
            if problem is not None:
                return SchemaIssue(path, line, col, f"import {problem[0]}", problem[1])
        try:
            read_capped(local, MAX_SCHEMA_BYTES)
        except UnreadableFileError as error:
            return SchemaIssue(path, line, col, f"import '{name}' {error.message}", error.fix)
    return None


def _compile(path: str) -> ProtoSchema | SchemaIssue:
    from tardis_dagster.core.formats import protobuf

    try:
        descriptor_set = protobuf.compile_descriptor_set(Path(path))
    except (ValueError, OSError) as error:
        message = str(error)
        match = _PROTOC_POSITION.search(message)
        if match is None:
            detail = message.split(": ", 1)[-1] if ": " in message else message
            return SchemaIssue(
                Path(path),
                1,
                1,
                f"does not compile (protoc): {' '.join(detail.split())}",
                "fix the .proto file",
            )
        culprit = Path(path).parent / match.group("file")
        return SchemaIssue(
            culprit if culprit.exists() else Path(path),
            int(match.group("line")),
            int(match.group("col")),
            f"does not compile (protoc): {match.group('message').strip()}",
            "fix the .proto file",
        )
    return ProtoSchema(
        tuple(name for name in _message_names(descriptor_set) if not name.startswith("google.protobuf."))
    )


def _message_names(descriptor_set: bytes) -> list[str]:
    """Full names of every message in a serialized FileDescriptorSet, nested ones included."""
    from google.protobuf import descriptor_pb2

    names: list[str] = []
    pending = [
        (f"{file.package}." if file.package else "", message)
        for file in descriptor_pb2.FileDescriptorSet.FromString(descriptor_set).file
        for message in file.message_type
    ]
    while pending:
        prefix, message = pending.pop()
        full = f"{prefix}{message.name}"
        names.append(full)
        pending.extend((f"{full}.", nested) for nested in message.nested_type)
    return sorted(names)
