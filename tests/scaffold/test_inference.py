"""The pure parts of `tardis new`: JSON Schema inference from records, PII proposals, schedule preview,
and the Spark struct -> spec columns translation (no platform needed)."""

from __future__ import annotations

from pathlib import Path

from repo_root import PROJECT_ROOT

from tardis_dagster.core.formats import jsonschema, spark_types
from tardis_dagster.tooling.scaffold.inferred_schema import InferredColumn, columns_from_ddl
from tardis_dagster.tooling.scaffold.json_schema_inference import infer_json_schema
from tardis_dagster.tooling.scaffold.kafka_inference import KafkaRequest, infer_kafka
from tardis_dagster.tooling.scaffold.pii_candidates import pii_candidates
from tardis_dagster.tooling.scaffold.schedule_preview import schedule_in_words

RECORDS = [
    {
        "id": "a",
        "count": 1,
        "ratio": 1,
        "at": "2026-01-01T10:00:00Z",
        "day": "2026-01-02",
        "maybe": None,
        "mixed": "x",
        "tags": ["a"],
        "address": {"street": "Main 1", "zip": "1011AB"},
    },
    {
        "id": "b",
        "count": 2,
        "ratio": 0.5,
        "at": "2026-01-01T11:00:00.250+01:00",
        "day": "2026-01-03",
        "maybe": "y",
        "mixed": 3,
        "tags": [],
        "address": {"street": "Dam 2"},
        "late": True,
    },
]


def test_json_records_give_types_required_fields_and_formats() -> None:
    schema = infer_json_schema(RECORDS, "thing").schema
    properties = schema["properties"]
    assert properties["id"] == {"type": "string"}
    assert properties["count"] == {"type": "integer"}
    assert properties["ratio"] == {"type": "number"}  # 1 and 0.5: a number
    assert properties["at"] == {"type": "string", "format": "date-time"}
    assert properties["day"] == {"type": "string", "format": "date"}
    assert properties["maybe"] == {"type": ["string", "null"]}
    assert properties["mixed"] == {}  # text and numbers: any value, landed as text
    assert properties["tags"] == {"type": "array", "items": {"type": "string"}}
    assert properties["address"]["required"] == ["street"]
    assert properties["late"] == {"type": "boolean"}
    assert schema["required"] == ["id", "count", "ratio", "at", "day", "mixed", "tags", "address"]
    # The landing's own validator accepts every sampled record against the inferred schema.
    for record in RECORDS:
        assert jsonschema.validate(schema, record) == []
    columns = {
        c.name: (c.type, c.required)
        for c in columns_from_ddl(spark_types.json_schema_to_spark_ddl(schema), set(schema["required"]))
    }
    assert columns["at"] == ("timestamp", True) and columns["day"] == ("date", True)
    assert columns["address"] == ("struct<street:string,zip:string>", True)
    assert columns["maybe"] == ("string", False) and columns["count"] == ("bigint", True)


def test_a_date_time_without_an_offset_is_not_called_date_time() -> None:
    # RFC 3339 needs the offset; the landing would quarantine such values under format: date-time.
    schema = infer_json_schema([{"at": "2026-01-01 10:00:00"}, {"at": "2026-01-01T10:00:00Z"}], "t").schema
    assert schema["properties"]["at"] == {"type": "string"}


def test_camel_case_fields_become_the_snake_case_columns_std_matches() -> None:
    columns = columns_from_ddl(
        "`paymentId` STRING, `Paid At` TIMESTAMP, `n` ARRAY<STRUCT<`skuCode`: BIGINT>>"
    )
    assert [(c.name, c.source_name, c.type) for c in columns] == [
        ("payment_id", "paymentId", "string"),
        ("paid_at", "Paid At", "timestamp"),
        ("n", "n", "array<struct<sku_code:bigint>>"),
    ]


def test_an_avro_schema_file_gives_its_columns(tmp_path: Path) -> None:
    schema_file = PROJECT_ROOT / "product_specs" / "consumer" / "schemas" / "customer.avsc"
    result = infer_kafka(KafkaRequest("t", "customers", schema_file=schema_file), "unused:9092", None)
    columns = {c.name: (c.type, c.required) for c in result.columns}
    assert columns["created_at"] == ("timestamp", True)
    assert columns["phone"] == ("string", False) and columns["marketing_opt_in"] == ("boolean", True)
    assert result.format == "avro" and result.schema_file is not None and result.schema_file.suffix == ".avsc"


def test_a_proto_schema_file_gives_its_message_columns() -> None:
    schema_file = PROJECT_ROOT / "product_specs" / "consumer" / "schemas" / "subscription.proto"
    result = infer_kafka(KafkaRequest("t", "subs", schema_file=schema_file), "unused:9092", None)
    assert result.format == "protobuf" and result.message == "Subscription"
    assert {"subscription_id", "meals_per_week", "started_at"} <= set(result.names)


def _column(name: str, samples: list | None = None) -> InferredColumn:
    return InferredColumn(name, "string", samples=samples or [])


def test_pii_is_proposed_by_name_and_by_value() -> None:
    columns = [
        _column("customer_email"),
        _column("mobile_number"),
        _column("first_name"),
        _column("recipe_name"),  # a name of a thing, not a person
        _column("date_of_birth"),
        _column("client_ip"),
        _column("contact", ["ann@example.com", "bob@example.org", "cy@example.net"]),
        _column("origin", ["10.0.0.1", "2001:db8::1", "192.168.1.20"]),
        _column("reach", ["+31 6 12345678", "+44 7700 900123", "+1 (555) 010-9999"]),
        _column("ship_to", ["12 Baker Street", "Damstraat 4", "221 Oak Road"]),
        _column("order_id", ["o-1", "o-2", "o-3"]),
        _column("placed_on", ["2026-01-01", "2026-01-02", "2026-01-03"]),
        _column("amount_text", ["12345678", "23456789", "34567890"]),
    ]
    found = {c.column: c.reason for c in pii_candidates(columns)}
    assert set(found) == {
        "customer_email",
        "mobile_number",
        "first_name",
        "date_of_birth",
        "client_ip",
        "contact",
        "origin",
        "reach",
        "ship_to",
    }
    assert (
        "email address" in found["customer_email"]
        and "3 of 3 sampled values look like email" in found["contact"]
    )
    assert "IP addresses" in found["origin"] and "phone numbers" in found["reach"]
    assert "street addresses" in found["ship_to"]


def test_a_schedule_is_shown_in_plain_words() -> None:
    assert schedule_in_words("0 * * * *") == "Every hour (UTC)"
    assert schedule_in_words("*/15 6-18 * * 1-5") == (
        "Every 15 minutes, between 06:00 and 18:59, Monday through Friday (UTC)"
    )
    assert schedule_in_words("@daily") == "At 00:00 (UTC)"
    assert "inputs" not in schedule_in_words("streaming") and "upstream" not in schedule_in_words("streaming")
    assert schedule_in_words("on_upstream").startswith("whenever the products it reads from")
    assert schedule_in_words("not a cron") == ""
