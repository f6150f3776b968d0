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

from tardis_dagster.core.formats import avro
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
        self.subjects: dict[str, list[int]] = {}
        self.requests: list[str] = []

    def register(self, subject: str, schema_id: int, schema: str) -> None:
        """A new version of `subject` under `schema_id` (Confluent assigns ids; the test picks them)."""
        self.schemas[schema_id] = schema
        self.subjects.setdefault(subject, []).append(schema_id)

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
            return 200, {
                "subject": parts[1],
                "version": index,
                "id": schema_id,
                "schema": self.schemas[schema_id],
            }
        if len(parts) == 3 and parts[:2] == ["schemas", "ids"] and parts[2].isdigit():
            if int(parts[2]) not in self.schemas:
                return 404, {"error_code": 40403, "message": f"Schema {parts[2]} not found"}
            return 200, {"schema": self.schemas[int(parts[2])]}
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
    text = text.replace("schema: schemas/delivery.avsc", f"registry_subject: {subject_topic}-value", 1)
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
