"""A Kafka product's schema, learnt from the topic itself (or a registry subject, a sample, a schema file).

From the topic: the most recent records of every partition are read (`read_committed`, as the
landing reads, with a throw-away consumer group that commits nothing). Values in the Confluent wire
format (magic byte 0 and a schema id) name their writer schema, which the registry serves
(`GET /schemas/ids/<id>`); the product then reads the topic through the subject (`<topic>-value`,
Confluent's default naming) and needs no schema file. JSON values are turned into a JSON Schema
(`json_schema_inference.py`), written next to the spec. Plain Avro or Protobuf carries no schema, so
those need a `schema_file`. The columns come from the schema as the landing reads it (the Spark
struct of `core/formats/spark_types.py`), so the spec and the raw table agree.
"""

from __future__ import annotations

import json
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tardis_dagster.core.formats import avro as avro_format
from tardis_dagster.core.formats import spark_types
from tardis_dagster.core.formats.registry import RegistryClient, RegistryError
from tardis_dagster.core.formats.strict_json import StrictJSONError
from tardis_dagster.core.formats.strict_json import loads as strict_loads
from tardis_dagster.core.specs.problems import suggestion
from tardis_dagster.tooling.scaffold.inferred_schema import (
    InferenceError,
    InferredColumn,
    InferredSchema,
    SchemaFile,
    columns_from_ddl,
)
from tardis_dagster.tooling.scaffold.json_schema_inference import infer_json_schema

SAMPLE_RECORDS = 200
POLL_SECONDS = 10.0
_SUFFIX_FORMATS = {".json": "json", ".avsc": "avro", ".proto": "protobuf"}
_REGISTRY_FORMATS = {"AVRO": "avro", "JSON": "json", "PROTOBUF": "protobuf"}


@dataclass(frozen=True)
class KafkaRequest:
    """What the answers say about the topic (paths already resolved against the working folder)."""

    topic: str
    name: str  # the product, for the JSON Schema's title
    format: str | None = None
    registry_subject: str | None = None
    message: str | None = None
    sample_file: Path | None = None
    schema_file: Path | None = None


def infer_kafka(
    request: KafkaRequest,
    bootstrap: str,
    registry_url: str | None,
    sample: Callable[[str, str, int], list[bytes]] | None = None,
) -> InferredSchema:
    """The schema of ``request``'s topic; raises InferenceError saying what to give instead."""
    if request.schema_file is not None:
        return _from_schema_file(request)
    if request.sample_file is not None:
        return _from_json_records(request, _read_sample(request.sample_file), f"{request.sample_file}")
    if request.registry_subject is not None:
        client = _registry(registry_url, "registry_subject")
        return _from_registry(
            request, client, request.registry_subject, _values_or_none(request, bootstrap, sample)
        )
    values = (sample or sample_topic)(bootstrap, request.topic, SAMPLE_RECORDS)
    if not values:
        raise InferenceError(
            f"topic '{request.topic}' has no records to learn its schema from",
            "produce a few records first, or give sample_file: (JSON lines), schema_file: "
            "or registry_subject:",
            "topic",
        )
    wire = [value for value in values if len(value) > 5 and value[0] == avro_format.MAGIC_BYTE]
    if len(wire) * 2 > len(values):
        client = _registry(registry_url, "topic")
        subject = f"{request.topic}-value"
        return _from_registry(request, client, subject, values, by_id=int.from_bytes(wire[-1][1:5], "big"))
    records = []
    for value in values:
        try:
            record = strict_loads(value)
        except (StrictJSONError, ValueError, UnicodeDecodeError):
            continue
        if isinstance(record, dict):
            records.append(record)
    if not records:
        raise InferenceError(
            f"the {len(values)} sampled records of '{request.topic}' are neither JSON objects nor the "
            "Confluent wire format",
            "plain Avro or Protobuf carries no schema: give schema_file: with the .avsc or .proto file",
            "topic",
        )
    if request.format not in (None, "json"):
        raise InferenceError(
            f"the records of '{request.topic}' are JSON, not {request.format}",
            "use format: json, or leave format out",
            "format",
        )
    shown = f"{len(records)} recent records of {request.topic}"
    if len(records) < len(values):
        shown += f" ({len(values) - len(records)} records that are not JSON objects left out)"
    return _from_json_records(request, records, shown)


def sample_topic(bootstrap: str, topic: str, limit: int) -> list[bytes]:
    """Up to ``limit`` of the most recent committed record values of ``topic``, spread over partitions."""
    from confluent_kafka import Consumer, KafkaException, TopicPartition

    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"tardis-new-{uuid.uuid4().hex[:12]}",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
            "socket.timeout.ms": 10_000,
        }
    )
    try:
        try:
            # All topics, not this one: asking for one topic's metadata may create it on the broker.
            metadata = consumer.list_topics(timeout=10)
        except KafkaException as error:
            raise InferenceError(
                f"cannot reach Kafka at {bootstrap}: {error.args[0].str() if error.args else error}",
                "start the local platform with `tardis local up`, or check TARDIS_KAFKA_PORT",
                "topic",
            ) from None
        if topic not in metadata.topics:
            names = [name for name in metadata.topics if not name.startswith("_")]
            raise InferenceError(
                f"no topic '{topic}' on the broker at {bootstrap}",
                suggestion(topic, names, what="topics"),
                "topic",
            )
        partitions = sorted(metadata.topics[topic].partitions)
        share = max(1, limit // max(1, len(partitions)))
        assignments, ends = [], {}
        for partition in partitions:
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
            if high > low:
                assignments.append(TopicPartition(topic, partition, max(low, high - share)))
                ends[partition] = high
        if not assignments:
            return []
        consumer.assign(assignments)
        values: list[bytes] = []
        done: set[int] = set()
        deadline = time.monotonic() + POLL_SECONDS
        while len(done) < len(ends) and time.monotonic() < deadline:
            message = consumer.poll(1.0)
            if message is None or message.error() is not None:
                continue
            if message.value() is not None:
                values.append(message.value())
            # Transaction markers take offsets too: a partition is done once its end is in sight.
            if message.offset() >= ends[message.partition()] - 1:
                done.add(message.partition())
        return values
    finally:
        consumer.close()


def _values_or_none(
    request: KafkaRequest, bootstrap: str, sample: Callable[[str, str, int], list[bytes]] | None
) -> list[bytes]:
    """Records for PII proposals when the schema comes from elsewhere; none is fine."""
    try:
        return (sample or sample_topic)(bootstrap, request.topic, SAMPLE_RECORDS)
    except InferenceError:
        return []


def _registry(url: str | None, field: str) -> RegistryClient:
    if not url:
        raise InferenceError(
            "the schema comes from a schema registry, and none is configured",
            "set TARDIS_SCHEMA_REGISTRY_URL or pass --registry-url",
            field,
        )
    return RegistryClient(url)


def _from_registry(
    request: KafkaRequest, client: RegistryClient, subject: str, values: list[bytes], by_id: int | None = None
) -> InferredSchema:
    field = "registry_subject" if request.registry_subject else "topic"
    try:
        if by_id is not None and client.schema_by_id(by_id) is None:
            raise InferenceError(
                f"the records of '{request.topic}' name schema id {by_id}, which the registry does not hold",
                "check the registry URL (TARDIS_SCHEMA_REGISTRY_URL or --registry-url)",
                field,
            )
        text, schema_type = client.latest_schema(subject)
    except RegistryError as error:
        raise InferenceError(
            f"{error}",
            "give registry_subject: naming the topic's value subject"
            if by_id is not None
            else "check the subject name and the registry URL",
            field,
        ) from None
    kind = _REGISTRY_FORMATS.get(schema_type, "avro")
    if request.format not in (None, kind):
        raise InferenceError(
            f"subject '{subject}' holds a {kind} schema, not {request.format}",
            f"use format: {kind}",
            "format",
        )
    result = _from_schema_text(kind, text, request.message)
    result.registry_subject = subject
    result.schema_file = None
    result.notes.append(f"schema: the latest version of registry subject {subject}")
    _add_samples(result, _decoded(values, client, kind))
    return result


def _decoded(values: list[bytes], client: RegistryClient, kind: str) -> list[dict[str, Any]]:
    """Wire-format Avro and JSON values decoded with their writer schema (for PII proposals)."""
    records = []
    for value in values:
        try:
            if kind == "json":
                payload = value[5:] if value[:1] == b"\x00" else value
                record = strict_loads(payload)
            elif kind == "avro" and value[:1] == b"\x00":
                found = client.schema_by_id(int.from_bytes(value[1:5], "big"))
                if found is None:
                    continue
                record = avro_format.decode(avro_format.parse_schema(found[0]), value[5:])
            else:
                continue
        except (ValueError, RegistryError, StrictJSONError, UnicodeDecodeError):
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def _from_schema_file(request: KafkaRequest) -> InferredSchema:
    path = request.schema_file
    assert path is not None
    kind = _SUFFIX_FORMATS.get(path.suffix.lower())
    if kind is None:
        raise InferenceError(
            f"'{path.name}' is not a schema file the platform reads",
            "give a .json (JSON Schema), .avsc (Avro) or .proto (Protobuf) file",
            "schema_file",
        )
    if request.format not in (None, kind):
        raise InferenceError(
            f"{path.name} is a {kind} schema, not {request.format}", f"use format: {kind}", "format"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InferenceError(
            f"cannot read {path}: {error}", "check the path (relative to where you run tardis)", "schema_file"
        ) from None
    result = _from_schema_text(kind, text, request.message, field="schema_file")
    result.notes.append(f"schema: {path}")
    return result


def _from_schema_text(kind: str, text: str, message: str | None, field: str = "topic") -> InferredSchema:
    try:
        if kind == "json":
            schema = json.loads(text)
            columns = columns_from_ddl(
                spark_types.json_schema_to_spark_ddl(schema), set(schema.get("required", []))
            )
            return InferredSchema(columns, "json", SchemaFile(".json", text))
        if kind == "avro":
            parsed = json.loads(text)
            columns = columns_from_ddl(spark_types.avro_to_spark_ddl(parsed), _avro_required(parsed))
            return InferredSchema(columns, "avro", SchemaFile(".avsc", text))
        return _from_proto(text, message)
    except InferenceError:
        raise
    except (ValueError, KeyError, TypeError) as error:
        raise InferenceError(f"the {kind} schema cannot be read: {error}", "fix the schema", field) from None


def _from_proto(text: str, message: str | None) -> InferredSchema:
    from google.protobuf import descriptor_pb2

    from tardis_dagster.core.formats import protobuf as protobuf_format

    with tempfile.TemporaryDirectory(prefix="tardis-new-") as folder:
        path = Path(folder) / "schema.proto"
        path.write_text(text, encoding="utf-8")
        try:
            descriptor_set = protobuf_format.compile_descriptor_set(path)
        except Exception as error:
            raise InferenceError(
                f"the .proto file does not compile: {error}", "fix the .proto file", "schema_file"
            ) from None
    files = descriptor_pb2.FileDescriptorSet.FromString(descriptor_set).file
    names = [
        f"{file.package}.{message.name}" if file.package else message.name
        for file in files
        if not file.package.startswith("google.protobuf")
        for message in file.message_type
    ]
    chosen = message or (names[0].rsplit(".", 1)[-1] if names else None)
    if chosen is None:
        raise InferenceError("the .proto file defines no message", "add the message type", "schema_file")
    try:
        ddl = spark_types.protobuf_to_spark_ddl(descriptor_set, chosen)
    except ValueError as error:
        raise InferenceError(str(error), suggestion(chosen, names, what="messages"), "message") from None
    result = InferredSchema(columns_from_ddl(ddl), "protobuf", SchemaFile(".proto", text), message=chosen)
    return result


def _avro_required(schema: Any) -> set[str]:
    """Fields of an Avro record without a null branch: every record carries a value."""
    if not isinstance(schema, dict):
        return set()
    required = set()
    for field in schema.get("fields", []):
        kind = field.get("type")
        if not (isinstance(kind, list) and "null" in kind):
            required.add(field["name"])
    return required


def _read_sample(path: Path) -> list[dict[str, Any]]:
    try:
        lines = path.read_bytes().splitlines()
    except OSError as error:
        raise InferenceError(
            f"cannot read {path}: {error.strerror}", "check the path", "sample_file"
        ) from None
    records = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = strict_loads(line)
        except (StrictJSONError, ValueError, UnicodeDecodeError) as error:
            raise InferenceError(
                f"{path}:{number}: not a JSON record: {error}",
                "write one JSON object per line",
                "sample_file",
            ) from None
        if not isinstance(record, dict):
            raise InferenceError(
                f"{path}:{number}: not a JSON object", "write one JSON object per line", "sample_file"
            )
        records.append(record)
    if not records:
        raise InferenceError(f"{path} holds no records", "write one JSON object per line", "sample_file")
    return records


def _from_json_records(request: KafkaRequest, records: list[dict[str, Any]], shown: str) -> InferredSchema:
    inference = infer_json_schema(records, request.name)
    text = json.dumps(inference.schema, indent=2, ensure_ascii=False) + "\n"
    result = _from_schema_text("json", text, None)
    result.notes.append(f"sampled {shown}")
    _add_samples(result, records)
    return result


def _add_samples(result: InferredSchema, records: list[dict[str, Any]]) -> None:
    by_source: dict[str, InferredColumn] = {column.source_name: column for column in result.columns}
    for record in records:
        for name, value in record.items():
            column = by_source.get(name)
            if (
                column is not None
                and isinstance(value, str | int | float)
                and len(column.samples) < SAMPLE_RECORDS
            ):
                column.samples.append(value)
