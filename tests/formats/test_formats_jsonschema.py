"""JSON Schema: loading schema files and validating records (the demo order schema, version 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tardis_dagster.core.formats import jsonschema

ORDER = {
    "order_id": "ord-000123",
    "customer_id": "cus-000042",
    "subscription_id": None,
    "status": "paid",
    "box_size": 3,
    "total_amount": 54.9,
    "currency": "EUR",
    "customer_email": "ada.smith42@example.com",
    "delivery_address": "Keizersgracht 12, Amsterdam",
    "placed_at": "2026-10-03T08:15:00.123Z",
    "updated_at": "2026-10-03T09:00:00Z",
}


def test_valid_version_1_and_version_2_orders(order_schema_path: Path) -> None:
    schema = jsonschema.load(order_schema_path)
    assert jsonschema.validate(schema, ORDER) == []
    assert jsonschema.validate(schema, {**ORDER, "coupon_code": "WELCOME10"}) == []
    assert jsonschema.validate(schema, {**ORDER, "coupon_code": None}) == []


def test_every_violation_is_reported_with_its_path(order_schema_path: Path) -> None:
    schema = jsonschema.load(order_schema_path)
    broken = {k: v for k, v in ORDER.items() if k != "customer_id"}
    broken |= {"box_size": "four", "status": "lost", "customer_email": "nobody", "placed_at": "yesterday"}
    assert jsonschema.validate(schema, broken) == [
        "$: 'customer_id' is a required property",
        "$.box_size: 'four' is not of type 'integer'",
        "$.customer_email: 'nobody' is not a 'email'",
        "$.placed_at: 'yesterday' is not a 'date-time'",
        "$.status: 'lost' is not one of ['placed', 'paid', 'shipped', 'delivered', 'cancelled']",
    ]
    assert jsonschema.validate(schema, {**ORDER, "tip": 2}) == [
        "$: Additional properties are not allowed ('tip' was unexpected)"
    ]
    assert jsonschema.validate(schema, ["not", "an", "object"]) == [
        "$: ['not', 'an', 'object'] is not of type 'object'"
    ]


def test_load_follows_the_schemas_own_draft(tmp_path: Path) -> None:
    path = tmp_path / "draft4.json"
    path.write_text(
        json.dumps(
            {
                "$schema": "http://json-schema.org/draft-04/schema#",
                "type": "object",
                "properties": {"qty": {"type": "integer", "minimum": 0, "exclusiveMinimum": True}},
            }
        )
    )
    schema = jsonschema.load(path)  # a boolean exclusiveMinimum is only valid in draft 4
    assert jsonschema.validate(schema, {"qty": 1}) == []
    assert jsonschema.validate(schema, {"qty": 0}) == ["$.qty: 0 is less than or equal to the minimum of 0"]


def test_load_rejects_bad_json_and_bad_schemas(tmp_path: Path) -> None:
    bad_json = tmp_path / "bad.json"
    bad_json.write_text('{"type": "object",\n  "properties": }')
    with pytest.raises(ValueError, match=r"bad\.json:2:17: not valid JSON"):
        jsonschema.load(bad_json)
    bad_schema = tmp_path / "schema.json"
    bad_schema.write_text('{"type": 12}')
    with pytest.raises(ValueError, match=r"schema\.json: not a valid JSON Schema"):
        jsonschema.load(bad_schema)
    not_object = tmp_path / "list.json"
    not_object.write_text("[]")
    with pytest.raises(ValueError, match="must be an object"):
        jsonschema.load(not_object)
