"""Kafka records read exactly as committed, on the real broker: transactions, strict JSON, poison
pills and empty Protobuf values."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest
from confluent_kafka import Producer
from kafka_helpers import land_now, produce, product_on_fresh_topic

from tardis_dagster.core.kafka_offsets import end_offsets
from tardis_dagster.core.settings import get_settings
from tardis_dagster.defs.landing.kafka import topics_with_new_records

pytestmark = pytest.mark.platform

DEPTH = 512  # the documented nesting limit (core/formats/strict_json.py MAX_DEPTH)


def _order(order_id: str) -> bytes:
    return json.dumps(
        {
            "order_id": order_id,
            "customer_id": "cus-1",
            "status": "placed",
            "placed_at": "2026-11-01T10:00:00Z",
            "updated_at": "2026-11-01T10:00:00Z",
        }
    ).encode()


def test_aborted_transactions_never_land_and_offsets_do_not_stall(tmp_path: Path, spark) -> None:
    product = product_on_fresh_topic(tmp_path, "order_events", partitions=2)
    topic = product.source.kafka.topic
    bootstrap = get_settings().kafka_bootstrap
    producer = Producer({"bootstrap.servers": bootstrap, "transactional.id": f"tx-{topic}"})
    producer.init_transactions(30)
    committed: list[str] = []
    aborted: list[str] = []
    # committed, aborted, committed, and an aborted transaction last: its records and markers end the topic.
    for batch, (count, commit) in enumerate([(5, True), (4, False), (3, True), (2, False)]):
        producer.begin_transaction()
        for i in range(count):
            order_id = f"ord-{batch}-{i}"
            producer.produce(topic, key=order_id.encode(), value=_order(order_id))
            (committed if commit else aborted).append(order_id)
        producer.flush(30)
        if commit:
            producer.commit_transaction(30)
        else:
            producer.abort_transaction(30)

    result = land_now(spark, product)
    landed = sorted(r[0] for r in spark.sql(f"select payload.order_id from raw.{product.name}").collect())
    assert landed == sorted(committed)
    assert spark.table(f"raw.{product.name}__quarantine").count() == 0
    assert result.records_landed == len(committed) and result.consumer_lag == 0
    # The ledger covers the transaction markers: the landed end offsets reach the topic's end.
    broker = end_offsets(bootstrap, [topic])
    assert result.end_offsets == broker[topic]
    assert sum(broker[topic].values()) > len(committed)  # markers and aborted records hold offsets
    assert topics_with_new_records(broker, {topic: result.end_offsets}) == {}  # the sensor rests

    again = land_now(spark, product)
    assert again.records_landed == again.records_quarantined == 0
    assert again.end_offsets == broker[topic]
    assert spark.table(f"raw.{product.name}").count() == len(committed)


def _nested(levels: int) -> bytes:
    """An object whose `x` nests arrays so that the record is `levels` deep."""
    return b'{"x":' + b"[" * (levels - 1) + b"]" * (levels - 1) + b"}"


# (name, value): decided by a strict parser, never by what Spark happens to take.
PAYLOADS: list[tuple[str, bytes]] = [
    ("plain", b'{"a":1,"s":"x"}'),
    ("whitespace around", b'  {"a":1.5e3}  \n'),
    ("duplicate keys (last wins)", b'{"a":1,"a":2}'),
    ("utf-8 and escapes", '{"s":"café \\u00e9 \\"q\\" \\\\ \\/"}'.encode()),
    ("underflow to zero", b'{"a":1e-400}'),
    ("largest double", b'{"a":1.7e308}'),
    ("nested extra property", b'{"x":[1,{"y":null}],"s":"[1]"}'),
    ("DEL in a string", b'{"s":"\x7f"}'),
    ("empty object", b"{}"),
    ("exponent in a string", b'{"s":"x: 1e400"}'),
    (f"{DEPTH} deep", _nested(DEPTH)),
    ("single quotes", b"{'a':1}"),
    ("trailing garbage", b'{"a":1} x'),
    ("two objects", b'{"a":1}{"a":2}'),
    ("trailing bracket", b'{"a":1}]'),
    ("trailing brace", b'{"a":1}}'),
    ("invalid utf-8", b'{"s":"\xff"}'),
    ("truncated utf-8", b'{"s":"\xc3"}'),
    ("NaN", b'{"a":NaN}'),
    ("Infinity", b'{"a":Infinity}'),
    ("-Infinity", b'{"a":-Infinity}'),
    ("overflow", b'{"a":1e400}'),
    ("overflow in an extra property", b'{"x":[-1.5e+400]}'),
    ("leading zero", b'{"a":01}'),
    ("unquoted key", b"{a:1}"),
    ("comment", b'{"a":1 /* c */}'),
    ("control character", b'{"s":"a\x01b"}'),
    ("byte-order mark", b'\xef\xbb\xbf{"a":1}'),
    ("NaN as a string in a number", b'{"a":"NaN"}'),
    ("bad escape", b'{"s":"\\x"}'),
    ("trailing comma", b'{"a":1,}'),
    ("leading dot", b'{"a":.5}'),
    ("empty value", b""),
    ("not an object", b"[1]"),
    (f"{DEPTH + 1} deep", _nested(DEPTH + 1)),
    ("10,000 deep", _nested(10_000)),
]

SCHEMA = {"type": "object", "properties": {"a": {"type": "number"}, "s": {"type": "string"}}}
# An array property: beyond the native checks, so this schema lands through `jsonschema`.
FALLBACK_SCHEMA = {
    **SCHEMA,
    "properties": {**SCHEMA["properties"], "t": {"type": "array", "items": {"type": "integer"}}},
}


def strictly_valid(data: bytes, schema: dict) -> bool:
    """The oracle: Python's parser made strict (UTF-8, no NaN/Infinity, no overflow, depth), then
    the schema."""

    def refuse(word: str) -> float:
        raise ValueError(word)

    def finite(text: str) -> float:
        if math.isinf(float(text)):
            raise ValueError(text)
        return float(text)

    def depth(value) -> int:  # iterative: pytest's own frames leave little recursion room
        deepest, todo = 0, [(value, 1)]
        while todo:
            node, level = todo.pop()
            if isinstance(node, dict | list):
                deepest = max(deepest, level)
                todo.extend((v, level + 1) for v in (node.values() if isinstance(node, dict) else node))
        return deepest

    try:
        record = json.loads(data.decode("utf-8"), parse_constant=refuse, parse_float=finite)
    except (ValueError, RecursionError):
        return False
    return depth(record) <= DEPTH and jsonschema.Draft202012Validator(schema).is_valid(record)


@pytest.mark.parametrize("schema", [SCHEMA, FALLBACK_SCHEMA], ids=["native", "jsonschema"])
def test_strict_json_parity_with_a_strict_parser(tmp_path: Path, spark, schema: dict) -> None:
    from tardis_dagster.jobs import json_checks

    assert json_checks.supported(schema) == (schema is SCHEMA)  # the path under test
    product = product_on_fresh_topic(tmp_path, "order_events", partitions=1)
    Path(product.resolve_path(product.source.kafka.schema_)).write_text(json.dumps(schema))
    produce(product.source.kafka.topic, [(name.encode(), value) for name, value in PAYLOADS])

    land_now(spark, product)
    landed = {bytes(r[0]).decode() for r in spark.sql(f"select key from raw.{product.name}").collect()}
    quarantined = {
        bytes(r[0]).decode(): r[1]
        for r in spark.sql(f"select key, reason from raw.{product.name}__quarantine").collect()
    }
    expected = {name for name, value in PAYLOADS if strictly_valid(value, schema)}
    assert len(expected) == 11  # the table holds both verdicts
    assert landed == expected
    assert set(quarantined) == {name for name, _ in PAYLOADS} - expected
    assert all(quarantined.values())
    # Duplicate keys: the last one wins, as in Python's json.
    (a,) = spark.sql(
        f"select payload.a from raw.{product.name} where key = 'duplicate keys (last wins)'"
    ).collect()
    assert a[0] == 2


def test_poison_pills_go_to_quarantine_alone_and_the_batch_lands(tmp_path: Path, spark) -> None:
    product = product_on_fresh_topic(tmp_path, "order_events", partitions=1)
    topic = product.source.kafka.topic
    settings = replace(get_settings(), kafka_max_record_bytes=64 * 1024)
    deep = b"[" * 10_000 + b"]" * 10_000
    large = _order("ord-large")[:-1] + b', "padding": "' + b"x" * (100 * 1024) + b'"}'
    records = [(f"ord-{i}".encode(), _order(f"ord-{i}")) for i in range(10)]
    produce(topic, [*records[:4], (b"deep", deep), *records[4:7], (b"large", large), *records[7:]])

    result = land_now(spark, product, settings)
    assert result.records_landed == 10 and result.records_quarantined == 2
    rows = spark.sql(
        f"select key, topic, `partition`, `offset`, reason from raw.{product.name}__quarantine "
        "order by `offset`"
    ).collect()
    assert [(bytes(r[0]), r[1], r[2], r[3]) for r in rows] == [
        (b"deep", topic, 0, 4),
        (b"large", topic, 0, 8),
    ]
    assert f"nested deeper than {DEPTH} levels" in rows[0]["reason"]
    assert f"record too large: {len(large)} bytes (the limit is 65536 bytes" in rows[1]["reason"]


def test_a_protobuf_value_without_any_field_is_quarantined(tmp_path: Path, spark) -> None:
    from tardis_dagster.tooling.demo import kafka as demo_kafka

    product = product_on_fresh_topic(tmp_path, "subscriptions", partitions=1)
    (report,) = demo_kafka.produce([product], get_settings().kafka_bootstrap, count=5, malformed_share=0)
    produce(product.source.kafka.topic, [(b"empty", b""), (b"unknown-field", b"\xf8\x3f\x01")])

    result = land_now(spark, product)
    assert result.records_landed == report.produced == 5
    reasons = {
        bytes(r[0]).decode(): r[1]
        for r in spark.sql(f"select key, reason from raw.{product.name}__quarantine").collect()
    }
    assert set(reasons) == {"empty", "unknown-field"}
    assert "carries none of the fields of" in reasons["empty"] and "an empty value" in reasons["empty"]
    assert "3 bytes of fields it does not define" in reasons["unknown-field"]
