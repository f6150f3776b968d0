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


# --- departures the issue listed, on the fallback path (the native path: tests/integration) ------

FLAT = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "minLength": 2, "pattern": "^[a-z]+$"},
        "qty": {"type": "integer", "minimum": 1},
        "price": {"type": "number"},
        "at": {"type": "string", "format": "date-time"},
    },
}


def test_fallback_agrees_with_the_specification_on_the_listed_departures() -> None:
    assert jsonschema.validate(FLAT, {"qty": 1.0}) == []  # 1.0 is an integer
    assert jsonschema.validate(FLAT, {"price": "NaN"}) == ["$.price: 'NaN' is not of type 'number'"]
    assert jsonschema.validate(FLAT, {"price": "Infinity"}) == ["$.price: 'Infinity' is not of type 'number'"]
    assert jsonschema.validate(FLAT, {"at": "2026-11-01T10:00:00Z\n"}) == [
        "$.at: '2026-11-01T10:00:00Z\\n' is not a 'date-time'"
    ]
    assert jsonschema.validate(FLAT, {"at": "2026-11-01t10:00:00z"}) == []  # RFC 3339: case-insensitive
    # Keywords of one type ignore values of another (here the type keyword alone refuses them).
    loose = {"type": "object", "properties": {"v": {"minLength": 2, "pattern": "^a", "minimum": 5}}}
    assert jsonschema.validate(loose, {"v": 7}) == []
    assert jsonschema.validate(loose, {"v": "b"}) == [
        "$.v: 'b' does not match '^a'",
        "$.v: 'b' is too short",
    ]


def test_formats_are_annotations_when_format_assertion_is_off() -> None:
    schema = {
        "type": "object",
        "properties": {
            "at": {"type": "string", "format": "date-time"},
            "format": {"type": "string", "format": "email"},  # a property named format stays
        },
    }
    assert jsonschema.validate(schema, {"at": "yesterday"}) == ["$.at: 'yesterday' is not a 'date-time'"]
    annotated = jsonschema.effective_schema(schema, format_assertion=False)
    assert jsonschema.validate(annotated, {"at": "yesterday", "format": "nobody"}) == []
    assert set(annotated["properties"]) == {"at", "format"}
    assert jsonschema.effective_schema(schema, format_assertion=True) is schema


SCHEMA_PROBLEMS = [
    (
        '{"type": "object",\n "properties": {\n  "a": {"$ref": "https://example.com/a.json"}}}',
        3,
        "points outside",
    ),
    ('{"type": "object",\n "properties": {\n  "a": {"$ref": "#/$defs/missing"}}}', 3, "points at nothing"),
    ('{"type": "object"}', 1, "at least one property"),
    ('{"type": "string"}', 1, "at least one property"),
    ("true", 1, "must be a JSON object"),
    (
        '{\n"$schema": "http://json-schema.org/draft-04/schema#", "type": "object"}',
        2,
        "unsupported JSON Schema draft",
    ),
    ('{"type": "object",\n "properties": {"a": {"minimum": "5"}}}', 2, "not a valid JSON Schema"),
    ('{"type": "object",\n "properties": {"a": {"type": "strng"}}}', 2, "not a valid JSON Schema"),
]


@pytest.mark.parametrize(("text", "line", "message"), SCHEMA_PROBLEMS)
def test_schemas_the_landing_cannot_evaluate_are_refused_with_their_line(
    text: str, line: int, message: str
) -> None:
    problems = jsonschema.product_schema_problems(text)
    assert [p.line for p in problems] == [line] and message in problems[0].message, problems


def test_evaluable_schemas_are_accepted(order_schema_path: Path) -> None:
    assert jsonschema.product_schema_problems(order_schema_path.read_text()) == []
    local = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "definitions": {"id": {"type": "string"}},
        "properties": {"a": {"$ref": "#/definitions/id"}, "n": {"type": "integer", "enum": ["x"]}},
    }
    assert jsonschema.product_schema_problems(json.dumps(local)) == []
    # enum values of another type are evaluated as the specification says: nothing present matches.
    assert jsonschema.validate(local, {"n": 1}) == ["$.n: 1 is not one of ['x']"]


def test_the_spec_validator_refuses_them_at_the_schema_files_line(tmp_path: Path) -> None:
    from spec_builder import product_yaml

    from tardis_dagster.core.specs import load_catalog

    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "e.json").write_text(
        '{\n  "type": "object",\n  "properties": {\n    "a": {"$ref": "http://example.com/x.json"}\n  }\n}\n'
    )
    (tmp_path / "e.yaml").write_text(
        product_yaml(
            "e",
            description="Events.",
            owner="t/s/#c",
            source="kafka: {topic: e.v1, format: json, schema: schemas/e.json, format_assertion: false}",
            schema="- {name: a, type: string}",
        )
    )
    problems = load_catalog([tmp_path]).problems
    assert [(p.path.name, p.line) for p in problems] == [("e.json", 4)], [str(p) for p in problems]
    assert "points outside this file" in problems[0].message and problems[0].field == "source.kafka.schema"


def test_format_assertion_is_only_for_json_schemas(tmp_path: Path) -> None:
    from spec_builder import product_yaml

    from tardis_dagster.core.specs import load_catalog

    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "e.avsc").write_text(
        '{"type": "record", "name": "E", "fields": [{"name": "a", "type": "string"}]}'
    )
    (tmp_path / "e.yaml").write_text(
        product_yaml(
            "e",
            description="Events.",
            owner="t/s/#c",
            source="kafka: {topic: e.v1, format: avro, schema: schemas/e.avsc, format_assertion: true}",
            schema="- {name: a, type: string}",
        )
    )
    problems = load_catalog([tmp_path]).problems
    assert [(p.field, p.message) for p in problems] == [
        (
            "source.kafka.format_assertion",
            "format_assertion is only used with format: json (JSON Schema formats)",
        )
    ]


def test_an_unresolvable_reference_quarantines_the_record_instead_of_failing_the_batch() -> None:
    """A registry schema is not checked by `tardis validate`: its remote $ref must not raise per record."""
    schema = {"type": "object", "properties": {"a": {"$ref": "https://example.com/elsewhere.json"}}}
    assert jsonschema.validate(schema, {"a": 1}) == [
        "$: the schema cannot be evaluated: unresolvable reference 'https://example.com/elsewhere.json'"
    ]
    assert jsonschema.validate(schema, {}) == []  # the reference is only followed for a present `a`
