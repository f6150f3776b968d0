"""Avro: schema parsing, schemaless encode/decode with the demo schemas, the Confluent wire format."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from tardis_dagster.core.formats import avro

CUSTOMER = {
    "customer_id": "cus-000042",
    "email": "ada.smith42@example.com",
    "phone": None,
    "first_name": "Ada",
    "last_name": "Smith",
    "postcode": "1012 AB",
    "city": "Amsterdam",
    "country": "NL",
    "marketing_opt_in": True,
    "created_at": datetime(2026, 10, 3, 8, 15, 0, 123000, tzinfo=UTC),
    "updated_at": datetime(2026, 11, 2, 17, 0, tzinfo=UTC),
}


def test_parse_schema_from_path_text_or_dict(customer_avsc: Path) -> None:
    text = customer_avsc.read_text()
    for source in (customer_avsc, str(customer_avsc), text, json.loads(text)):
        parsed = avro.parse_schema(source)
        assert parsed["name"] == "eats.accounts.v1.Customer"
        assert avro.parse_schema(parsed) is parsed  # already parsed: returned as it is


def test_customer_round_trip(customer_avsc: Path) -> None:
    schema = avro.parse_schema(customer_avsc)
    assert avro.decode(schema, avro.encode(schema, CUSTOMER)) == CUSTOMER


def test_delivery_round_trip_with_enum_and_nullable_timestamps(delivery_avsc: Path) -> None:
    schema = avro.parse_schema(delivery_avsc)
    event = {
        "delivery_event_id": "evt-000001",
        "delivery_id": "dlv-000001",
        "order_id": "ord-000123",
        "carrier": "PostNL",
        "status": "out_for_delivery",
        "slot_start": datetime(2026, 10, 4, 17, tzinfo=UTC),
        "slot_end": None,
        "courier_phone": "+31 6 1234 5678",
        "event_at": datetime(2026, 10, 4, 9, 12, 1, tzinfo=UTC),
    }
    assert avro.decode(schema, avro.encode(schema, event)) == event


def test_decimal_logical_type_round_trip() -> None:
    schema = avro.parse_schema(
        '{"type": "record", "name": "R", "fields": [{"name": "amount", "type": '
        '{"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}}]}'
    )
    assert avro.decode(schema, avro.encode(schema, {"amount": Decimal("54.90")})) == {
        "amount": Decimal("54.90")
    }


def test_decode_rejects_truncated_garbage_and_trailing_bytes(customer_avsc: Path) -> None:
    schema = avro.parse_schema(customer_avsc)
    good = avro.encode(schema, CUSTOMER)
    with pytest.raises(ValueError, match=r"not a valid Avro record for eats\.accounts\.v1\.Customer"):
        avro.decode(schema, good[: len(good) // 2])
    with pytest.raises(ValueError, match="trailing bytes"):
        avro.decode(schema, good + b"\x00")
    with pytest.raises(ValueError):
        avro.decode(schema, b"\xff" * 12)


def test_wire_format_encode_and_split() -> None:
    framed = avro.wire_encode(42, b"payload")
    assert framed == b"\x00\x00\x00\x00\x2apayload"
    assert avro.wire_split(framed) == (42, b"payload")
    assert avro.wire_split(avro.wire_encode(2**32 - 1, b"")) == (2**32 - 1, b"")


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"\x01\x00\x00\x00\x2apayload", "unknown magic byte 1"), (b"\x00\x00", "too short")],
)
def test_wire_split_rejects_what_is_not_the_wire_format(data: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        avro.wire_split(data)
