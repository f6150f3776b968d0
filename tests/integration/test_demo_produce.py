"""`tardis demo produce` on the real broker: every demo kafka product, consumed back and decoded."""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
from confluent_kafka.admin import AdminClient
from repo_root import PROJECT_ROOT

from tardis_dagster.core.formats import avro, jsonschema, protobuf
from tardis_dagster.core.settings import get_settings
from tardis_dagster.core.specs import DataProduct, load_catalog
from tardis_dagster.tooling.demo import kafka as demo_kafka

pytestmark = pytest.mark.platform

PRODUCTS = ["order_events", "customers", "subscriptions", "deliveries"]
NEW_FIELD = {"order_events": "coupon_code", "subscriptions": "pause_reason"}
COUNT = 400
SHARE = 0.03
MALFORMED = 12  # round(400 * 0.03), exactly


@dataclass
class Received:
    """One consumed message: where it sat, what it carried, and its decoded record (None if malformed)."""

    partition: int
    offset: int
    key: bytes | None
    headers: dict[str, bytes]
    value: bytes
    record: dict[str, Any] | None


def _copies(run: str) -> list[DataProduct]:
    """The demo kafka products, writing to topics of this test run only."""
    catalog = load_catalog([PROJECT_ROOT / "product_specs"])
    copies = []
    for name in PRODUCTS:
        product = catalog.by_name(name)
        copy = product.model_copy(deep=True)
        copy.spec_path = product.spec_path  # a private attribute: model_copy does not carry it
        copy.source.kafka.topic = f"test.demo-produce.{run}.{product.source.kafka.topic}"  # type: ignore[union-attr]
        copies.append(copy)
    return copies


def _decoder(product: DataProduct) -> Any:
    """bytes -> record dict, raising ValueError for a message a landing job must quarantine."""
    kafka = product.source.kafka
    assert kafka is not None and kafka.schema_ is not None
    path = product.resolve_path(kafka.schema_)
    if kafka.format == "json":
        schema = jsonschema.load(path)

        def decode_json(data: bytes) -> dict[str, Any]:
            try:
                record = json.loads(data.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as error:
                raise ValueError(str(error)) from error
            if problems := jsonschema.validate(schema, record):
                raise ValueError("; ".join(problems))
            return record

        return decode_json
    if kafka.format == "avro":
        parsed = avro.parse_schema(path)
        return lambda data: avro.decode(parsed, data)
    descriptor_set = protobuf.compile_descriptor_set(path)
    return lambda data: protobuf.to_dict(protobuf.decode(descriptor_set, kafka.message or "", data))


def _consume(topic: str, expected: int, decode: Any) -> list[Received]:
    """Read the whole topic from the beginning (all 3 partitions), then wait briefly for strays."""
    consumer = Consumer(
        {
            "bootstrap.servers": get_settings().kafka_bootstrap,
            "group.id": f"test-demo-produce-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
        }
    )
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(demo_kafka.PARTITIONS)])
    received: list[Received] = []
    deadline = time.monotonic() + 60
    quiet_until = None
    try:
        while time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None:
                if len(received) >= expected:
                    quiet_until = quiet_until or time.monotonic() + 2  # anything beyond `expected`?
                    if time.monotonic() > quiet_until:
                        break
                continue
            assert message.error() is None, message.error()
            try:
                record = decode(message.value())
            except ValueError:
                record = None
            received.append(
                Received(
                    message.partition(),
                    message.offset(),
                    message.key(),
                    dict(message.headers() or []),
                    message.value(),
                    record,
                )
            )
    finally:
        consumer.close()
    return received


@pytest.fixture(scope="module")
def produced(
    platform: None,
) -> Iterator[dict[str, tuple[DataProduct, demo_kafka.TopicReport, list[Received]]]]:
    """Produce every demo product into fresh topics, consume them back; delete the topics afterwards."""
    run = uuid.uuid4().hex[:10]
    products = _copies(run)
    reports = demo_kafka.produce(
        products, get_settings().kafka_bootstrap, count=COUNT, malformed_share=SHARE, seed=11
    )
    result = {
        p.name: (p, report, _consume(report.topic, COUNT, _decoder(p)))
        for p, report in zip(products, reports, strict=True)
    }
    yield result
    admin = AdminClient({"bootstrap.servers": get_settings().kafka_bootstrap})
    for future in admin.delete_topics(
        [r.topic for _, r, _ in result.values()], operation_timeout=30
    ).values():
        future.result()


def test_reports_describe_what_was_produced(produced: dict[str, Any]) -> None:
    rows = {name: report for name, (_, report, _) in produced.items()}
    assert {name: (r.format, r.produced, r.malformed, r.schema_versions) for name, r in rows.items()} == {
        "order_events": ("json", COUNT, MALFORMED, (1, 2)),
        "customers": ("avro", COUNT, MALFORMED, (1,)),
        "subscriptions": ("protobuf", COUNT, MALFORMED, (1, 2)),
        "deliveries": ("avro", COUNT, MALFORMED, (1,)),
    }
    admin = AdminClient({"bootstrap.servers": get_settings().kafka_bootstrap})
    topics = admin.list_topics(timeout=10).topics
    for report in rows.values():
        assert len(topics[report.topic].partitions) == demo_kafka.PARTITIONS


@pytest.mark.parametrize("name", PRODUCTS)
def test_every_message_arrives_and_exactly_the_malformed_share_fails_to_decode(
    produced: dict[str, Any], name: str
) -> None:
    product, report, received = produced[name]
    assert len(received) == COUNT == report.produced
    assert sum(r.record is None for r in received) == MALFORMED == report.malformed
    assert len({r.partition for r in received}) == demo_kafka.PARTITIONS  # keys spread over partitions
    if product.source.kafka.format == "json":  # some malformed JSON parses but breaks the schema
        assert any(r.record is None and r.value.startswith(b"{") and _parses(r.value) for r in received)


@pytest.mark.parametrize("name", PRODUCTS)
def test_keys_headers_and_values_follow_the_spec(produced: dict[str, Any], name: str) -> None:
    product, report, received = produced[name]
    key_column = product.load.key[0] if product.load.key else product.schema_[0].name
    good = [r for r in received if r.record is not None]
    for message in received:
        assert message.key
        assert message.headers["source"] == b"demo"
        assert message.headers["schema_version"] in (b"1", b"2")
    for message in good:
        assert message.key.decode() == message.record[key_column]
        for column in product.schema_:
            if column.required:
                assert message.record.get(column.name) not in (None, ""), (column.name, message.record)
    for rule in product.quality:
        if rule.accepted_values is not None:
            seen = {m.record.get(rule.accepted_values.column) for m in good} - {None}
            assert seen and seen <= set(rule.accepted_values.values)
        if rule.range is not None:
            values = [
                m.record[rule.range.column] for m in good if m.record.get(rule.range.column) is not None
            ]
            assert values
            assert all(rule.range.min is None or v >= rule.range.min for v in values)
            assert all(rule.range.max is None or v <= rule.range.max for v in values)
    assert report.keys == len({m.key for m in good})


@pytest.mark.parametrize("name", ["order_events", "subscriptions"])
def test_json_and_protobuf_switch_to_schema_version_2_halfway(produced: dict[str, Any], name: str) -> None:
    _, _, received = produced[name]
    field = NEW_FIELD[name]
    versions = Counter(m.headers["schema_version"] for m in received)
    assert versions == {b"1": COUNT // 2, b"2": COUNT - COUNT // 2}
    good = [m for m in received if m.record is not None]
    v1 = [m.record for m in good if m.headers["schema_version"] == b"1"]
    v2 = [m.record for m in good if m.headers["schema_version"] == b"2"]
    assert all(record.get(field) is None for record in v1)  # json: key absent; protobuf: unset
    if name == "order_events":
        assert all(field not in record for record in v1) and all(field in record for record in v2)
    assert any(record.get(field) for record in v2)


@pytest.mark.parametrize("name", ["customers", "deliveries"])
def test_avro_topics_carry_one_schema_version(produced: dict[str, Any], name: str) -> None:
    _, _, received = produced[name]
    assert {m.headers["schema_version"] for m in received} == {b"1"}


@pytest.mark.parametrize("name", ["order_events", "customers", "subscriptions"])
def test_keyed_products_get_several_versions_and_some_arrive_late(
    produced: dict[str, Any], name: str
) -> None:
    product, report, received = produced[name]
    version_by = product.load.version_by
    per_key: dict[bytes, list[Received]] = defaultdict(list)
    for message in sorted(received, key=lambda m: (m.partition, m.offset)):  # one key, one partition
        if message.record is not None:
            per_key[message.key].append(message)
    assert sum(len(v) > 1 for v in per_key.values()) > len(per_key) // 5
    late = [
        key
        for key, messages in per_key.items()
        if any(_instant(a.record[version_by]) > _instant(b.record[version_by]) for a, b in pairwise(messages))
    ]
    assert late and report.late > 0


def test_the_same_seed_writes_the_same_messages(produced: dict[str, Any]) -> None:
    product, _, first = produced["subscriptions"]
    again = product.model_copy(deep=True)
    again.spec_path = product.spec_path
    again.source.kafka.topic = f"{product.source.kafka.topic}.again"
    (report,) = demo_kafka.produce(
        [again], get_settings().kafka_bootstrap, count=COUNT, malformed_share=SHARE, seed=11
    )
    try:
        second = _consume(report.topic, COUNT, _decoder(again))
        assert _in_order(second) == _in_order(first)
    finally:
        admin = AdminClient({"bootstrap.servers": get_settings().kafka_bootstrap})
        admin.delete_topics([report.topic], operation_timeout=30)[report.topic].result()


def _in_order(received: list[Received]) -> list[tuple[int, bytes | None, bytes, dict[str, bytes]]]:
    ordered = sorted(received, key=lambda m: (m.partition, m.offset))
    return [(m.partition, m.key, m.value, m.headers) for m in ordered]


def _instant(value: Any) -> datetime:
    """A version_by value as a datetime: Avro decodes to one, JSON and Protobuf carry RFC 3339 text."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _parses(value: bytes) -> bool:
    try:
        json.loads(value)
    except ValueError:
        return False
    return True
