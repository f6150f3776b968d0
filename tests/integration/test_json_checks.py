"""Native JSON Schema checks agree with the jsonschema package on valid and invalid records."""

from __future__ import annotations

import json

import pytest
from pyspark.sql import functions as F  # noqa: N812

from tardis_dagster.formats import jsonschema as json_format
from tardis_dagster.formats import spark_types
from tardis_dagster.settings import PROJECT_ROOT
from tardis_dagster.spark_jobs import json_checks

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
    {**GOOD, "delivery_address": 'a "quoted" \\"customer_id\\": 5 text'},
]
NOT_JSON = [b"\x00\x01garbage", b'{"order_id": "cut', b"[1, 2]"]


def test_native_checks_match_the_jsonschema_package(spark) -> None:
    schema = json_format.load(PROJECT_ROOT / "product_specs/consumer/schemas/order.json")
    assert json_checks.supported(schema)
    ddl = spark_types.json_schema_to_spark_ddl(schema)
    values = [json.dumps(c).encode() for c in CASES] + NOT_JSON
    df = spark.createDataFrame([(v,) for v in values], "value binary")
    text = F.col("value").cast("string")
    options = {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": json_checks.CORRUPT}
    df = df.withColumn("_parsed", F.from_json(text, f"{ddl}, `{json_checks.CORRUPT}` STRING", options))
    df = df.withColumn("_keys", json_checks.keys_of(text))
    checks = json_checks.native_checks(schema, text, F.col("_parsed"), F.col("_keys"))
    assert checks is not None
    reasons = [r[0] for r in df.select(json_checks.violations(checks)).collect()]
    expected_invalid = [bool(json_format.validate(schema, c)) for c in CASES] + [True] * len(NOT_JSON)
    assert [r is not None for r in reasons] == expected_invalid
    assert reasons[0] is None and reasons[1] is None
    assert "status" in reasons[3] and "customer_id" in reasons[4]


def test_schemas_beyond_flat_events_fall_back_to_the_package() -> None:
    nested = {"type": "object", "properties": {"a": {"type": "object", "properties": {"b": {"minimum": 1}}}}}
    assert not json_checks.supported(nested)
    assert not json_checks.supported({"type": "object", "properties": {"a": {"oneOf": [{"type": "string"}]}}})
