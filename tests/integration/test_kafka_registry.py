"""A Kafka product whose schema comes from a schema registry subject (no schema file): the landing
job fetches the latest version over the registry's REST API and decodes the Confluent wire format."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import dagster as dg
import pytest
from confluent_kafka.admin import AdminClient, NewTopic
from kafka_helpers import consume_all, produce, product_on_fresh_topic

from tardis_dagster.core.formats import avro, protobuf
from tardis_dagster.core.settings import Settings, get_settings
from tardis_dagster.core.specs import load_catalog
from tardis_dagster.defs.landing.kafka import kafka_landing_assets
from tardis_dagster.defs.resources import SparkJobRunner
from tardis_dagster.tooling.demo import kafka as demo_kafka

pytestmark = pytest.mark.platform


class Registry:
    """What the stand-in registry holds: schemas by id, and each subject's versions (ids, in order)."""

    def __init__(self) -> None:
        self.schemas: dict[int, str] = {}
        self.types: dict[int, str] = {}
        self.subjects: dict[str, list[int]] = {}
        self.requests: list[str] = []

    def register(self, subject: str, schema_id: int, schema: str, schema_type: str = "AVRO") -> None:
        """A new version of `subject` under `schema_id` (Confluent assigns ids; the test picks them)."""
        self.schemas[schema_id] = schema
        self.types[schema_id] = schema_type
        self.subjects.setdefault(subject, []).append(schema_id)

    def _typed(self, schema_id: int) -> dict[str, str]:
        """The schema's text and, unless Avro (Confluent leaves it out then), its `schemaType`."""
        kind = self.types[schema_id]
        return {"schema": self.schemas[schema_id], **({"schemaType": kind} if kind != "AVRO" else {})}

    def __setitem__(self, subject: str, schema: str) -> None:  # one version under id 7
        self.register(subject, 7, schema)

    def answer(self, path: str) -> tuple[int, dict]:
        """Confluent's REST answers (Avro schemas carry no `schemaType`)."""
        self.requests.append(path)
        parts = path.strip("/").split("/")
        if len(parts) == 4 and parts[0] == "subjects" and parts[2] == "versions":
            versions = self.subjects.get(parts[1])
            if not versions:
                return 404, {"error_code": 40401, "message": f"Subject '{parts[1]}' not found."}
            index = len(versions) if parts[3] == "latest" else int(parts[3])
            schema_id = versions[index - 1]
            return 200, {"subject": parts[1], "version": index, "id": schema_id, **self._typed(schema_id)}
        if len(parts) == 3 and parts[:2] == ["schemas", "ids"] and parts[2].isdigit():
            if int(parts[2]) not in self.schemas:
                return 404, {"error_code": 40403, "message": f"Schema {parts[2]} not found"}
            return 200, self._typed(int(parts[2]))
        return 404, {"error_code": 404, "message": "HTTP 404 Not Found"}


@pytest.fixture
def registry() -> Iterator[tuple[Registry, Settings]]:
    """A local HTTP server answering like Confluent's registry: `GET /subjects/<subject>/versions/
    <version|latest>` and `GET /schemas/ids/<id>`."""
    held = Registry()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body = held.answer(self.path)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/vnd.schemaregistry.v1+json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield held, replace(get_settings(), schema_registry_url=f"http://127.0.0.1:{server.server_port}")
    server.shutdown()


def test_a_registry_subject_product_lands_the_wire_format(tmp_path: Path, spark, registry) -> None:
    registry, settings = registry
    # Realistic Avro records from the demo generator, on a topic of their own.
    source = product_on_fresh_topic(tmp_path, "deliveries")
    demo_kafka.produce([source], get_settings().kafka_bootstrap, count=60, malformed_share=0)
    plain = consume_all(source.source.kafka.topic)

    # The same records in the Confluent wire format, on a topic whose spec names a subject instead.
    name, topic = f"it_registry_{uuid.uuid4().hex[:8]}", f"it.registry.{uuid.uuid4().hex[:8]}"
    text = source.spec_path.read_text().replace(f"name: {source.name}\n", f"name: {name}\n", 1)
    text = text.replace(f"topic: {source.source.kafka.topic}", f"topic: {topic}", 1)
    text = text.replace("schema: schemas/delivery.avsc", f"registry_subject: {topic}-value", 1)
    folder = tmp_path / "registry"
    folder.mkdir()
    (folder / f"{name}.yaml").write_text(text)
    (folder / "_model.yaml").write_text((source.spec_path.parent / "_model.yaml").read_text())
    catalog = load_catalog([folder])
    assert not catalog.problems, [str(p) for p in catalog.problems]
    product = catalog.by_name(name)
    assert product.source.kafka.schema_ is None
    schema_path = source.resolve_path(source.source.kafka.schema_)
    registry[f"{topic}-value"] = Path(schema_path).read_text()
    admin = AdminClient({"bootstrap.servers": get_settings().kafka_bootstrap})
    admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)])[topic].result(timeout=30)
    produce(topic, [(key, avro.wire_encode(7, value)) for key, value in plain.values()])
    produce(topic, [(b"bad", b"\x00\x00\x00\x00\x07not avro at all")])

    result = dg.materialize(
        kafka_landing_assets([product], settings),
        resources={"spark": SparkJobRunner(spark_remote=get_settings().spark_remote)},
    )
    assert result.success
    schema = avro.parse_schema(Path(schema_path))
    expected = sorted(avro.decode(schema, value)["delivery_event_id"] for _key, value in plain.values())
    landed = sorted(r[0] for r in spark.sql(f"select payload.delivery_event_id from raw.{name}").collect())
    assert landed == expected and len(landed) == 60
    (reason,) = [r[0] for r in spark.sql(f"select reason from raw.{name}__quarantine").collect()]
    assert "not valid Avro" in reason


def _registry_product(tmp_path: Path, source, subject_topic: str):
    """The demo product `source` reading `subject_topic` through a registry subject (no schema file)."""
    name = f"it_registry_{uuid.uuid4().hex[:8]}"
    text = source.spec_path.read_text().replace(f"name: {source.name}\n", f"name: {name}\n", 1)
    text = text.replace(f"topic: {source.source.kafka.topic}", f"topic: {subject_topic}", 1)
    text = text.replace(
        f"schema: {source.source.kafka.schema_}", f"registry_subject: {subject_topic}-value", 1
    )
    folder = tmp_path / "registry"
    folder.mkdir()
    (folder / f"{name}.yaml").write_text(text)
    (folder / "_model.yaml").write_text((source.spec_path.parent / "_model.yaml").read_text())
    catalog = load_catalog([folder])
    assert not catalog.problems, [str(p) for p in catalog.problems]
    return catalog.by_name(name)


def test_each_record_is_decoded_with_the_schema_version_it_was_written_with(
    tmp_path: Path, spark, registry
) -> None:
    registry, settings = registry
    source = product_on_fresh_topic(tmp_path, "deliveries")
    topic = f"it.registry.{uuid.uuid4().hex[:8]}"
    product = _registry_product(tmp_path, source, topic)
    v1 = json.loads(Path(source.resolve_path(source.source.kafka.schema_)).read_text())
    # Version 2 adds a field with a default (BACKWARD compatible), as its last field.
    v2 = {**v1, "fields": [*v1["fields"], {"name": "tip_cents", "type": "long", "default": 0}]}
    registry.register(f"{topic}-value", 11, json.dumps(v1))
    registry.register(f"{topic}-value", 12, json.dumps(v2))  # the latest: the reader schema
    parsed = {11: avro.parse_schema(v1), 12: avro.parse_schema(v2)}

    def record(i: int) -> dict:
        return {
            "delivery_event_id": f"ev-{i}",
            "delivery_id": f"del-{i}",
            "order_id": f"ord-{i}",
            "status": "scheduled",
            "event_at": 1_790_000_000_000 + i,
        }

    values = []
    for i in range(12):  # the two versions interleaved in one partition
        schema_id = 11 if i % 2 else 12
        fields = record(i) if schema_id == 11 else {**record(i), "tip_cents": 100 + i}
        values.append(
            (f"ev-{i}".encode(), avro.wire_encode(schema_id, avro.encode(parsed[schema_id], fields)))
        )
    values.insert(5, (b"unknown-id", avro.wire_encode(99, avro.encode(parsed[11], record(99)))))
    admin = AdminClient({"bootstrap.servers": get_settings().kafka_bootstrap})  # alive until created
    admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])[topic].result(timeout=30)
    produce(topic, values)

    result = dg.materialize(
        kafka_landing_assets([product], settings),
        resources={"spark": SparkJobRunner(spark_remote=get_settings().spark_remote)},
    )
    assert result.success
    landed = {
        r[0]: r[1]
        for r in spark.sql(
            f"select payload.delivery_event_id, payload.tip_cents from raw.{product.name}"
        ).collect()
    }
    # Version 1 records take version 2's default; version 2 records keep their own value.
    assert landed == {f"ev-{i}": (0 if i % 2 else 100 + i) for i in range(12)}
    (reason,) = [r[0] for r in spark.sql(f"select reason from raw.{product.name}__quarantine").collect()]
    assert reason == "schema id 99 is not in the schema registry"
    assert {"/schemas/ids/11", "/schemas/ids/12", "/schemas/ids/99"} <= set(registry.requests)


def _land(product, settings, spark) -> tuple[dict[str, object], dict[str, str]]:
    """One landing run of `product`: its payloads by key, and its quarantine reasons by key."""
    result = dg.materialize(
        kafka_landing_assets([product], settings),
        resources={"spark": SparkJobRunner(spark_remote=get_settings().spark_remote)},
    )
    assert result.success
    table = f"raw.{product.name}"
    landed = {r[0].decode(): r[1].asDict() for r in spark.sql(f"select key, payload from {table}").collect()}
    reasons = {
        r[0].decode(): r[1] for r in spark.sql(f"select key, reason from {table}__quarantine").collect()
    }
    return landed, reasons


def _fresh_topic(name: str) -> str:
    topic = f"it.registry.{name}.{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": get_settings().kafka_bootstrap})  # alive until created
    admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])[topic].result(timeout=30)
    return topic


def test_json_records_are_validated_with_the_schema_version_they_were_written_with(
    tmp_path: Path, spark, registry
) -> None:
    registry, settings = registry
    topic = _fresh_topic("json")
    product = _registry_product(tmp_path, product_on_fresh_topic(tmp_path, "order_events", 1), topic)
    v1 = {
        "type": "object",
        "additionalProperties": False,
        "required": ["order_id", "status"],
        "properties": {
            "order_id": {"type": "string"},
            "status": {"type": "string", "enum": ["placed", "paid"]},
            "note": {"type": "string"},
        },
    }
    # Version 2 (the latest, the reader): a new required field, one more status, `note` retyped.
    v2 = {
        **v1,
        "required": ["order_id", "status", "tip_cents"],
        "properties": {
            **v1["properties"],
            "status": {"type": "string", "enum": ["placed", "paid", "shipped"]},
            "note": {"type": "integer"},
            "tip_cents": {"type": "integer", "minimum": 0},
        },
    }
    # Between them a version with a nested object: beyond the native checks, the jsonschema package's.
    nested = {**v1, "properties": {**v1["properties"], "extra": {"type": "object", "properties": {"k": {}}}}}
    nested["properties"]["extra"]["properties"]["k"] = {"type": "string"}
    registry.register(f"{topic}-value", 31, json.dumps(v1), "JSON")
    registry.register(f"{topic}-value", 34, json.dumps(nested), "JSON")
    registry.register(f"{topic}-value", 32, json.dumps(v2), "JSON")
    registry.register("another-subject", 33, 'syntax = "proto3"; message M { int32 n = 1; }', "PROTOBUF")
    records = [  # (key, schema id, record): interleaved versions in one partition
        ("v1-placed", 31, {"order_id": "o-1", "status": "placed"}),  # no tip_cents: fine for v1
        ("v2-shipped", 32, {"order_id": "o-2", "status": "shipped", "tip_cents": 5}),
        ("v1-shipped", 31, {"order_id": "o-3", "status": "shipped"}),  # v1 knows no "shipped"
        ("v2-no-tip", 32, {"order_id": "o-4", "status": "paid"}),
        ("v1-note", 31, {"order_id": "o-5", "status": "paid", "note": "ring twice"}),  # text, v2 says integer
        ("unknown-id", 99, {"order_id": "o-6", "status": "paid"}),
        ("protobuf-id", 33, {"order_id": "o-7", "status": "paid"}),
        ("v2-paid", 32, {"order_id": "o-8", "status": "paid", "tip_cents": 0, "note": 3}),
        ("nested", 34, {"order_id": "o-9", "status": "paid", "extra": {"k": "x"}}),  # extra: not in v2
        ("nested-bad", 34, {"order_id": "o-10", "status": "paid", "extra": {"k": 1}}),
    ]
    produce(topic, [(k.encode(), avro.wire_encode(i, json.dumps(r).encode())) for k, i, r in records])

    landed, reasons = _land(product, settings, spark)
    assert landed == {
        "v1-placed": {"order_id": "o-1", "status": "placed", "note": None, "tip_cents": None},
        "v2-shipped": {"order_id": "o-2", "status": "shipped", "note": None, "tip_cents": 5},
        "v2-paid": {"order_id": "o-8", "status": "paid", "note": 3, "tip_cents": 0},
        "nested": {"order_id": "o-9", "status": "paid", "note": None, "tip_cents": None},
    }
    assert set(reasons) == {"v1-shipped", "v2-no-tip", "v1-note", "unknown-id", "protobuf-id", "nested-bad"}
    assert reasons["nested-bad"] == "$.extra.k: 1 is not of type 'string'"
    assert reasons["v1-shipped"].startswith("$.status: not enum")
    assert reasons["v2-no-tip"] == "$: 'tip_cents' is a required property"
    assert reasons["v1-note"] == (
        "payload.note is string in schema id 31 but bigint in the topic schema (its latest version), "
        "which the raw table holds"
    )
    assert reasons["unknown-id"] == "schema id 99 is not in the schema registry"
    assert reasons["protobuf-id"].startswith("schema id 33 is a PROTOBUF schema in the registry")
    assert {"/schemas/ids/31", "/schemas/ids/32", "/schemas/ids/99"} <= set(registry.requests)


PROTO_V1 = """\
syntax = "proto3";
package it.v1;
message Decoy { int64 code = 1; }
message Envelope {
  message Header { string source = 1; }
  message Subscription { string subscription_id = 1; string plan = 2; int32 servings = 3; }
}
"""

# Version 2 (the latest): a new first message shifts every index, a map field puts its generated
# entry message first among Envelope's nested types, servings widens, channel is new.
PROTO_V2 = """\
syntax = "proto3";
package it.v1;
message Audit { string actor = 1; }
message Decoy { int64 code = 1; }
message Envelope {
  map<string, string> tags = 1;
  message Header { string source = 1; }
  message Subscription {
    string subscription_id = 1; string plan = 2; int64 servings = 3; string channel = 4;
  }
}
"""


def test_protobuf_records_are_decoded_as_the_message_their_indexes_name_in_their_schema_version(
    tmp_path: Path, spark, registry
) -> None:
    registry, settings = registry
    topic = _fresh_topic("protobuf")
    product = _registry_product(tmp_path, product_on_fresh_topic(tmp_path, "subscriptions", 1), topic)
    registry.register(f"{topic}-value", 41, PROTO_V1, "PROTOBUF")
    registry.register(f"{topic}-value", 42, PROTO_V2, "PROTOBUF")
    sets = {41: protobuf.compile_text(PROTO_V1), 42: protobuf.compile_text(PROTO_V2)}
    subscription = "it.v1.Envelope.Subscription"

    def value(schema_id: int, indexes: tuple[int, ...], message: str, header_id: int = 0, **fields) -> bytes:
        """A record written with schema `schema_id`, its header naming `header_id` (else that id)."""
        body = protobuf.message_class(sets[schema_id], message)(**fields).SerializeToString()
        return protobuf.wire_encode(header_id or schema_id, body, indexes)

    records = [  # interleaved versions in one partition
        ("v1", value(41, (1, 1), subscription, subscription_id="s-1", plan="veggie", servings=2)),
        (
            "v2",
            value(42, (2, 1), subscription, subscription_id="s-2", plan="family", servings=4, channel="app"),
        ),
        ("v2-audit", value(42, (0,), "it.v1.Audit", actor="ops")),  # another message of the schema
        ("v1-decoy", value(41, (0,), "it.v1.Decoy", code=7)),  # the shorthand 0: the first message
        ("v1-nowhere", value(41, (1, 5), subscription, subscription_id="s-3")),
        ("unknown-id", value(41, (1, 1), subscription, header_id=98, subscription_id="s-4")),
    ]
    produce(topic, [(k.encode(), v) for k, v in records])

    landed, reasons = _land(product, settings, spark)
    assert landed == {
        # Version 1 knew no channel: Protobuf's default for it (a field not sent reads as its default).
        "v1": {"subscription_id": "s-1", "plan": "veggie", "servings": 2, "channel": ""},
        "v2": {"subscription_id": "s-2", "plan": "family", "servings": 4, "channel": "app"},
    }
    assert reasons == {
        "v2-audit": f"message indexes [0] name it.v1.Audit in schema id 42, but the product reads "
        f"{subscription} (source.kafka.message)",
        "v1-decoy": f"message indexes [0] name it.v1.Decoy in schema id 41, but the product reads "
        f"{subscription} (source.kafka.message)",
        "v1-nowhere": "schema id 41: message indexes [1, 5] do not resolve: index 5 at depth 1, "
        "but message it.v1.Envelope has 2 nested message(s)",
        "unknown-id": "schema id 98 is not in the schema registry",
    }
