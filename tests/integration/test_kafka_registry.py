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


@pytest.fixture
def registry() -> Iterator[tuple[dict[str, str], Settings]]:
    """A local HTTP server answering `GET /subjects/<subject>/versions/latest` like Confluent's."""
    subjects: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = self.path.strip("/").split("/")
            found = len(parts) == 4 and parts[0] == "subjects" and parts[1] in subjects
            body = (
                {"subject": parts[1], "version": 1, "id": 7, "schema": subjects[parts[1]]}
                if found
                else {"error_code": 40401, "message": "Subject not found."}
            )
            data = json.dumps(body).encode()
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "application/vnd.schemaregistry.v1+json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield subjects, replace(get_settings(), schema_registry_url=f"http://127.0.0.1:{server.server_port}")
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
