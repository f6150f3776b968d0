"""Native JSON Schema checks agree with the jsonschema package on valid and invalid records."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from repo_root import PROJECT_ROOT

from tardis_dagster.core.formats import jsonschema as json_format
from tardis_dagster.core.formats import spark_types
from tardis_dagster.core.jobs_io import KafkaLandingInput
from tardis_dagster.jobs import json_checks, land_kafka

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


def _json_job(schema: dict) -> KafkaLandingInput:
    """A landing input that decodes JSON of `schema` (only the decoding fields matter here)."""
    return KafkaLandingInput(
        product="checks",
        asset_key="raw/checks",
        topic="checks",
        bootstrap="127.0.0.1:9092",
        format="json",
        table="raw.checks",
        quarantine_table="raw.checks__quarantine",
        payload_ddl=spark_types.json_schema_to_spark_ddl(schema),
        quarantine_threshold=0.01,
        schema_text=json.dumps(schema),
    )


def test_native_checks_match_the_jsonschema_package(spark) -> None:
    schema = json_format.load(PROJECT_ROOT / "product_specs/consumer/schemas/order.json")
    assert json_checks.supported(schema)
    job = _json_job(schema)
    values = [json.dumps(c).encode() for c in CASES] + NOT_JSON
    df = spark.createDataFrame([(i, v) for i, v in enumerate(values)], "i int, value binary")
    rows = land_kafka.decode(df, job).orderBy("i").collect()
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


# Records whose verdict the fast path must not get wrong: nulls, unknown keys, text that looks
# like a key, keys in another case. Each is sent compact, as json.dumps writes it, and indented.
EDGE_CASES = [
    {**GOOD, "box_size": None},
    {**GOOD, "unexpected": None},
    {**GOOD, "coupon_code": None},
    {**GOOD, "coupon_code": None, "subscription_id": None},
    {**GOOD, "coupon_code": None, "unexpected": None},
    {**GOOD, "coupon_code": None, "box_size": None},
    {**GOOD, "delivery_address": ',"coupon_code":null'},
    {**GOOD, "delivery_address": 'a ":" b'},
    {**GOOD, "delivery_address": "annulled"},
    {**GOOD, "delivery_address": 'say "hi" now'},
    {**GOOD, "Order_ID": "ord-2"},
    {("ORDER_ID" if k == "order_id" else k): v for k, v in GOOD.items()},
]
RAW_CASES = [
    # a key followed by whitespace before its colon; a key given twice (the last one counts)
    b'{"order_id" : "ord-1", "customer_id":"cus-1","status":"placed","placed_at":"2026-11-01T10:00:00Z",'
    b'"updated_at":"2026-11-01T10:00:00Z"}',
    b'{"order_id":"ord-1","order_id":"ord-1","customer_id":"cus-1","status":"placed",'
    b'"placed_at":"2026-11-01T10:00:00Z","updated_at":"2026-11-01T10:00:00Z"}',
    b'{"order_id":"ord-1","customer_id":"cus-1","status":"placed","placed_at":"2026-11-01T10:00:00Z",'
    b'"updated_at":"2026-11-01T10:00:00Z","other\\\\":1}',
    # a key ending in `"coupon_code` given null; a nullable key given null inside an unknown object
    b'{"order_id":"ord-1","customer_id":"cus-1","status":"placed","placed_at":"2026-11-01T10:00:00Z",'
    b'"updated_at":"2026-11-01T10:00:00Z","x\\"coupon_code":null}',
    b'{"order_id":"ord-1","customer_id":"cus-1","status":"placed","placed_at":"2026-11-01T10:00:00Z",'
    b'"updated_at":"2026-11-01T10:00:00Z","extra":{"coupon_code":null}}',
    b'{"order_id":"ord-1","customer_id":"cus-1","status":"placed","placed_at":"2026-11-01T10:00:00Z",'
    b'"updated_at":"2026-11-01T10:00:00Z","delivery_address":{"coupon_code":null}}',
    # keys written `"k" :` (one unknown), and a `":` inside a string that would make up the count
    b'{"order_id":"ord-1","customer_id":"cus-1","status":"placed","placed_at":"2026-11-01T10:00:00Z",'
    b'"updated_at":"2026-11-01T10:00:00Z","delivery_address" :"x\\":","extra" :1}',
]


@pytest.mark.parametrize("closed", [True, False], ids=["additional-properties-false", "open"])
def test_validation_agrees_with_the_package_on_every_encoding_and_edge_case(spark, closed: bool) -> None:
    schema = json_format.load(PROJECT_ROOT / "product_specs/consumer/schemas/order.json")
    if not closed:
        del schema["additionalProperties"]
    job = _json_job(schema)
    values: list[bytes] = []
    for case in CASES + EDGE_CASES:
        values.append(json.dumps(case, separators=(",", ":")).encode())
        values.append(json.dumps(case).encode())
        values.append(json.dumps(case, indent=2).encode())
    values += RAW_CASES
    df = spark.createDataFrame([(i, v) for i, v in enumerate(values)], "i int, value binary")
    rows = land_kafka.decode(df, job).orderBy("i").collect()
    verdicts = [r["_error"] is not None for r in rows]
    expected = [bool(json_format.validate(schema, json.loads(v))) for v in values]
    assert verdicts == expected, [
        (v.decode(), r["_error"])
        for v, r, e in zip(values, rows, expected, strict=True)
        if (r["_error"] is not None) != e
    ]
    assert sum(expected) >= len(values) // 3  # the cases hold plenty of invalid records


def test_schemas_beyond_flat_events_fall_back_to_the_package() -> None:
    nested = {"type": "object", "properties": {"a": {"type": "object", "properties": {"b": {"minimum": 1}}}}}
    assert not json_checks.supported(nested)
    assert not json_checks.supported({"type": "object", "properties": {"a": {"oneOf": [{"type": "string"}]}}})
    # Objects or arrays in enum (compared as JSON values) and object or array types: the package decides.
    assert not json_checks.supported({"type": "object", "properties": {"a": {"enum": [[1], "x"]}}})
    assert not json_checks.supported({"type": "object", "properties": {"a": {"type": ["string", "array"]}}})
    # Several scalar types, or none: read as text, the kind of each value told by the probes.
    assert json_checks.supported({"type": "object", "properties": {"a": {"type": ["string", "integer"]}}})
    assert json_checks.supported({"type": "object", "properties": {"a": {"minimum": 1, "maxLength": 2}}})


def test_a_property_of_several_types_refuses_an_object(spark) -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"type": ["string", "integer"]}, "b": {"type": "string"}},
        "required": ["b"],
    }
    job = _json_job(schema)
    cases = [{"a": "x", "b": "y"}, {"a": 5, "b": "y"}, {"a": {"k": 1}, "b": "y"}, {"a": [1], "b": "y"}]
    df = spark.createDataFrame(
        [(i, json.dumps(c).encode()) for i, c in enumerate(cases)], "i int, value binary"
    )
    verdicts = [r["_error"] is not None for r in land_kafka.decode(df, job).orderBy("i").collect()]
    assert verdicts == [False, False, True, True]


# --- the departures the issue listed, on both paths --------------------------------------------

DEPARTURES = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "naïve": {"type": "string"},
        'say "hi"': {"type": "string"},
        "price": {"type": "number"},
        "qty": {"type": "integer", "minLength": 2, "pattern": "^a", "maximum": 10**19},
        "at": {"type": ["string", "null"], "format": "date-time", "minimum": 5},
        "code": {"type": "string", "minimum": 5, "maxLength": 3},
        "level": {"type": "integer", "enum": ["low", 1, True]},
        "tier": {"type": ["string", "null"], "enum": ["a", "b"]},
    },
}
# (raw JSON value, valid by the specification)
DEPARTURE_CASES = [
    (rb'{"\u006eame": 5}', False),  # a key written with a \u escape
    (rb'{"\u006eame": "x"}', True),
    ('{"naïve": 5}'.encode(), False),  # a non-ASCII key, as UTF-8 ...
    (rb'{"na\u00efve": 5}', False),  # ... and escaped
    (rb'{"say \"hi\"": 5}', False),  # a key containing quotes
    (rb'{"say \"hi\"": "5"}', True),
    (b'{"name": true}', False),
    (b'{"name": {"a": 1}}', False),
    (b'{"name": [1]}', False),
    (b'{"name": "true", "naive": "{x", "code": "[1]"}', True),
    (b'{"price": "NaN"}', False),
    (b'{"price": "Infinity"}', False),
    (b'{"price": "-Infinity"}', False),
    (b'{"price": 1.5e300}', True),
    (b'{"at": "2026-11-01T10:00:00Z\\n"}', False),  # a trailing newline
    (b'{"at": "2026-11-01t10:00:00z"}', True),
    (b'{"at": null}', True),
    (b'{"qty": 1.0}', True),  # 1.0 is an integer
    (b'{"qty": 1e1}', True),
    (b'{"qty": 1.5}', False),
    (b'{"qty": 9007199254740993}', True),
    (b'{"qty": "1"}', False),
    (b'{"qty": 5}', True),  # minLength and pattern ignore numbers
    (b'{"code": "abc"}', True),  # minimum ignores strings
    (b'{"code": "abcd"}', False),
    (b'{"level": 1}', True),  # enum values of other types (and true, which is no 1) never match
    (b'{"level": 2}', False),
    (b'{"tier": null}', False),  # null is of the type but not in the enum
    (b'{"tier": "a"}', True),
]


def test_the_listed_departures_are_gone_on_both_paths(spark) -> None:
    assert json_checks.supported(DEPARTURES)
    assert json_format.product_schema_problems(json.dumps(DEPARTURES)) == []
    values = [value for value, _valid in DEPARTURE_CASES]
    expected = [valid for _value, valid in DEPARTURE_CASES]
    fallback = [not json_format.validate(DEPARTURES, json.loads(v)) for v in values]
    assert fallback == expected
    df = spark.createDataFrame(list(enumerate(values)), "i int, value binary")
    rows = land_kafka.decode(df, _json_job(DEPARTURES)).orderBy("i").collect()
    native = [r["_error"] is None for r in rows]
    assert native == expected, [
        (v, r["_error"]) for v, r, e in zip(values, rows, expected, strict=True) if e != (r["_error"] is None)
    ]
    by_value = dict(zip(values, rows, strict=True))
    assert by_value[b'{"qty": 1.0}']["payload"]["qty"] == 1
    assert by_value[b'{"qty": 9007199254740993}']["payload"]["qty"] == 9007199254740993  # exact
    assert by_value[rb'{"\u006eame": "x"}']["payload"]["name"] == "x"
    assert by_value[b'{"at": "2026-11-01t10:00:00z"}']["payload"]["at"] == datetime(2026, 11, 1, 10, 0)


def test_values_beyond_the_columns_range_are_refused_deliberately(spark) -> None:
    """DELIBERATE_CHOICES int64 and float-overflow: valid JSON Schema, but no BIGINT/DOUBLE holds them."""
    schema = {"type": "object", "properties": {"n": {"type": "integer"}, "x": {"type": "number"}}}
    values = [b'{"n": 9223372036854775807}', b'{"n": 9223372036854775808}', b'{"x": 1e400}']
    df = spark.createDataFrame(list(enumerate(values)), "i int, value binary")
    rows = land_kafka.decode(df, _json_job(schema)).orderBy("i").collect()
    assert rows[0]["_error"] is None and rows[0]["payload"]["n"] == 9223372036854775807
    assert "64-bit" in rows[1]["_error"] and "double" in rows[2]["_error"]


def test_the_fallback_lands_integers_written_with_a_fraction(spark) -> None:
    """1.0 is an integer on the jsonschema path too, and lands as 1 in its BIGINT column, nested too."""
    schema = {
        "type": "object",
        "properties": {
            "qty": {"type": "integer"},
            "kind": {"oneOf": [{"type": "string"}]},  # not native: the jsonschema package decides
            "lines": {"type": "array", "items": {"type": "object", "properties": {"n": {"type": "integer"}}}},
        },
    }
    assert not json_checks.supported(schema)
    values = [
        b'{"qty": 1.0, "kind": "a", "lines": [{"n": 2e0}]}',
        b'{"qty": 1.5}',
        b'{"qty": 9223372036854775807}',
    ]
    df = spark.createDataFrame(list(enumerate(values)), "i int, value binary")
    rows = land_kafka.decode(df, _json_job(schema)).orderBy("i").collect()
    assert rows[0]["_error"] is None and rows[0]["payload"]["qty"] == 1
    assert rows[0]["payload"]["lines"][0]["n"] == 2
    assert "is not of type 'integer'" in rows[1]["_error"] and rows[1]["payload"] is None
    assert rows[2]["payload"]["qty"] == 9223372036854775807


def test_a_probed_key_given_twice_is_refused_not_misjudged(spark) -> None:
    """DELIBERATE_CHOICES duplicate-key: the probes keep the last value that parsed, not the last one."""
    schema = {"type": "object", "properties": {"a": {"type": "number"}, "s": {"type": "string"}, "u": {}}}
    values = [
        b'{"a": 5, "a": "x"}',  # a typed number: Spark's parse keeps the last value, as Python does
        b'{"u": 5, "u": "x"}',  # untyped: its kind comes from a probe
        b'{"s": 5, "s": "5"}',  # a string whose text looks like a number
        b'{"s": "x", "s": "y"}',  # a string whose text is plainly one: no probe, no doubt
    ]
    df = spark.createDataFrame(list(enumerate(values)), "i int, value binary")
    errors = [r["_error"] for r in land_kafka.decode(df, _json_job(schema)).orderBy("i").collect()]
    assert errors[0] is not None and "given twice" not in errors[0]
    assert "given twice" in errors[1] and "given twice" in errors[2]
    assert errors[3] is None


def test_a_schema_with_many_properties_is_checked_natively(spark) -> None:
    """The checks' ORs are balanced: a chain over 60 properties nested past Spark Connect's limit."""
    names = [f"p{n}" for n in range(80)]
    schema = {"type": "object", "properties": {n: {"type": ["string", "null"]} for n in names}}
    assert json_checks.supported(schema)
    values = [json.dumps(dict.fromkeys(names, "1")).encode(), json.dumps({"p79": 1}).encode()]
    df = spark.createDataFrame(list(enumerate(values)), "i int, value binary")
    errors = [r["_error"] for r in land_kafka.decode(df, _json_job(schema)).orderBy("i").collect()]
    assert errors[0] is None and "$.p79: is not of type 'string'" in errors[1]
