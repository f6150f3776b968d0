"""Native JSON Schema checks agree with the jsonschema package on valid and invalid records."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from tardis_dagster.formats import jsonschema as json_format
from tardis_dagster.formats import spark_types
from tardis_dagster.settings import PROJECT_ROOT
from tardis_dagster.spark_jobs import json_checks, land_kafka

pytestmark = pytest.mark.platform

GOOD = {
    "order_id": "ord-1",
    "customer_id": "cus-1",
    "status": "placed",
    "placed_at": "2026-11-01T10:00:00Z",
    "updated_at": "2026-11-01T10:00:00Z",
    "box_size": 2,
    "total_amount": 10.5,
    "customer_email": "ada@example.com",
}
CASES = [
    GOOD,
    {**GOOD, "subscription_id": None, "coupon_code": "WELCOME"},
    {**GOOD, "box_size": "abc"},
    {**GOOD, "status": "lost"},
    {k: v for k, v in GOOD.items() if k != "customer_id"},
    {**GOOD, "unexpected": 1},
    {**GOOD, "placed_at": "yesterday"},
    {**GOOD, "total_amount": -1},
    {**GOOD, "customer_id": None},
    {**GOOD, "box_size": 0},
    {**GOOD, "customer_email": "not-an-email"},
    {**GOOD, "delivery_address": 12345},
    {**GOOD, "placed_at": 12345},
    {**GOOD, "updated_at": "2026-02-30T10:00:00Z"},
    {**GOOD, "placed_at": "2026-11-01T12:00:00+02:00"},
    {**GOOD, "status": True},
    {**GOOD, "delivery_address": 'a "quoted" \\"customer_id\\": 5 text'},
]
NOT_JSON = [b"\x00\x01garbage", b'{"order_id": "cut', b"[1, 2]"]


def test_native_checks_match_the_jsonschema_package(spark) -> None:
    schema = json_format.load(PROJECT_ROOT / "product_specs/consumer/schemas/order.json")
    assert json_checks.supported(schema)
    extras = {
        "format": "json",
        "schema_text": json.dumps(schema),
        "payload_ddl": spark_types.json_schema_to_spark_ddl(schema),
    }
    values = [json.dumps(c).encode() for c in CASES] + NOT_JSON
    df = spark.createDataFrame([(i, v) for i, v in enumerate(values)], "i int, value binary")
    rows = land_kafka.decode(df, extras).orderBy("i").collect()
    reasons = [r["_error"] for r in rows]
    expected_invalid = [bool(json_format.validate(schema, c)) for c in CASES] + [True] * len(NOT_JSON)
    assert [r is not None for r in reasons] == expected_invalid
    assert reasons[0] is None and reasons[1] is None
    assert "status" in reasons[3] and "customer_id" in reasons[4]
    assert (
        "$.delivery_address: is not of type 'string'"
        in reasons[CASES.index({**GOOD, "delivery_address": 12345})]
    )
    assert "$.placed_at: is not a 'date-time'" in reasons[CASES.index({**GOOD, "placed_at": 12345})]
    # Valid records carry the typed payload (date-times as UTC timestamps); invalid ones none.
    good = rows[0]["payload"]
    assert good["placed_at"] == datetime(2026, 11, 1, 10, 0) and good["box_size"] == 2
    assert all(r["payload"] is None for r, bad in zip(rows, expected_invalid, strict=True) if bad)


def test_schemas_beyond_flat_events_fall_back_to_the_package() -> None:
    nested = {"type": "object", "properties": {"a": {"type": "object", "properties": {"b": {"minimum": 1}}}}}
    assert not json_checks.supported(nested)
    assert not json_checks.supported({"type": "object", "properties": {"a": {"oneOf": [{"type": "string"}]}}})
