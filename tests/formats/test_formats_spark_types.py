"""Spark DDL struct strings for JSON Schema, Avro and Protobuf (checked as strings; no Spark needed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tardis_dagster.core.formats import jsonschema, protobuf, spark_types


def test_order_json_schema(order_schema_path: Path) -> None:
    assert spark_types.json_schema_to_spark_ddl(jsonschema.load(order_schema_path)) == (
        "`order_id` STRING, `customer_id` STRING, `subscription_id` STRING, `status` STRING, "
        "`box_size` BIGINT, `total_amount` DOUBLE, `currency` STRING, `coupon_code` STRING, "
        "`customer_email` STRING, `delivery_address` STRING, `placed_at` TIMESTAMP, `updated_at` TIMESTAMP"
    )


def test_customer_and_delivery_avro(customer_avsc: Path, delivery_avsc: Path) -> None:
    assert spark_types.avro_to_spark_ddl(customer_avsc) == (
        "`customer_id` STRING, `email` STRING, `phone` STRING, `first_name` STRING, `last_name` STRING, "
        "`postcode` STRING, `city` STRING, `country` STRING, `marketing_opt_in` BOOLEAN, "
        "`created_at` TIMESTAMP, `updated_at` TIMESTAMP"
    )
    assert spark_types.avro_to_spark_ddl(delivery_avsc) == (
        "`delivery_event_id` STRING, `delivery_id` STRING, `order_id` STRING, `carrier` STRING, "
        "`status` STRING, `slot_start` TIMESTAMP, `slot_end` TIMESTAMP, `courier_phone` STRING, "
        "`event_at` TIMESTAMP"
    )


def test_subscription_protobuf(subscription_proto: Path) -> None:
    descriptor_set = protobuf.compile_descriptor_set(subscription_proto)
    assert spark_types.protobuf_to_spark_ddl(descriptor_set, "Subscription") == (
        "`subscription_id` STRING, `customer_id` STRING, `plan` STRING, `meals_per_week` INT, "
        "`servings` INT, `price_per_box` DOUBLE, `status` STRING, `started_at` TIMESTAMP, "
        "`updated_at` TIMESTAMP, `pause_reason` STRING"
    )


def test_json_schema_nesting_refs_and_unions() -> None:
    schema = {
        "type": "object",
        "$defs": {
            "line": {"type": "object", "properties": {"sku": {"type": "string"}, "qty": {"type": "integer"}}}
        },
        "properties": {
            "we`ird": {"type": "string"},
            "day": {"type": "string", "format": "date"},
            "lines": {"type": "array", "items": {"$ref": "#/$defs/line"}},
            "first": {"$ref": "#/$defs/line"},
            "extra": {"type": "object", "additionalProperties": {"type": "number"}},
            "blob": {"type": "object"},
            "maybe": {"anyOf": [{"type": "boolean"}, {"type": "null"}]},
            "either": {"type": ["string", "integer"]},
            "anything": {},
            "tags": {"type": "array"},
        },
    }
    assert spark_types.json_schema_to_spark_ddl(schema) == (
        "`we``ird` STRING, `day` DATE, `lines` ARRAY<STRUCT<`sku`: STRING, `qty`: BIGINT>>, "
        "`first` STRUCT<`sku`: STRING, `qty`: BIGINT>, `extra` MAP<STRING, DOUBLE>, `blob` STRING, "
        "`maybe` BOOLEAN, `either` STRING, `anything` STRING, `tags` ARRAY<STRING>"
    )


def test_json_schema_recursive_ref_becomes_text() -> None:
    schema = {
        "$defs": {
            "node": {
                "type": "object",
                "properties": {"children": {"type": "array", "items": {"$ref": "#/$defs/node"}}},
            }
        },
        "$ref": "#/$defs/node",
    }
    assert spark_types.json_schema_to_spark_ddl(schema) == "`children` ARRAY<STRING>"  # JSON text


def test_json_schema_must_be_an_object() -> None:
    with pytest.raises(ValueError, match="must describe an object"):
        spark_types.json_schema_to_spark_ddl({"type": "array"})


def test_avro_logical_types_collections_and_named_references() -> None:
    schema = {
        "type": "record",
        "name": "Order",
        "namespace": "demo",
        "fields": [
            {
                "name": "amount",
                "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2},
            },
            {"name": "day", "type": {"type": "int", "logicalType": "date"}},
            {"name": "at_us", "type": ["null", {"type": "long", "logicalType": "timestamp-micros"}]},
            {"name": "local", "type": {"type": "long", "logicalType": "local-timestamp-millis"}},
            {"name": "n", "type": "int"},
            {"name": "big", "type": "long"},
            {"name": "f", "type": "float"},
            {"name": "raw", "type": "bytes"},
            {
                "name": "line",
                "type": {"type": "record", "name": "Line", "fields": [{"name": "sku", "type": "string"}]},
            },
            {"name": "lines", "type": {"type": "array", "items": "Line"}},
            {"name": "by_sku", "type": {"type": "map", "values": "demo.Line"}},
            {"name": "colour", "type": {"type": "enum", "name": "Colour", "symbols": ["RED", "GREEN"]}},
            {"name": "hash", "type": {"type": "fixed", "name": "Md5", "size": 16}},
            {"name": "either", "type": ["null", "string", "long"]},
        ],
    }
    assert spark_types.avro_to_spark_ddl(schema) == (
        "`amount` DECIMAL(10,2), `day` DATE, `at_us` TIMESTAMP, `local` TIMESTAMP_NTZ, `n` INT, "
        "`big` BIGINT, `f` FLOAT, `raw` BINARY, `line` STRUCT<`sku`: STRING>, "
        "`lines` ARRAY<STRUCT<`sku`: STRING>>, `by_sku` MAP<STRING, STRUCT<`sku`: STRING>>, "
        "`colour` STRING, `hash` BINARY, `either` STRUCT<`member0`: STRING, `member1`: BIGINT>"
    )


def test_avro_schema_must_be_a_record() -> None:
    with pytest.raises(ValueError, match="must be a record"):
        spark_types.avro_to_spark_ddl({"type": "array", "items": "string"})


def test_protobuf_every_kind_of_field(tmp_path: Path) -> None:
    (tmp_path / "all.proto").write_text(
        """\
syntax = "proto3";
package demo.v1;
import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";
import "google/protobuf/struct.proto";
enum Colour { COLOUR_UNSPECIFIED = 0; RED = 1; }
message Line { string sku = 1; int32 qty = 2; }
message Node { string name = 1; repeated Node children = 2; }
message Everything {
  int32 small = 1; int64 big = 2; uint32 u = 3; uint64 huge = 4; sint32 s = 5; fixed64 f64 = 6;
  string text = 7; bool flag = 8; double ratio = 9; float weight = 10; bytes blob = 11;
  Colour colour = 12; repeated string tags = 13; map<string, Line> by_sku = 14;
  Line line = 15; repeated Line lines = 16; google.protobuf.Timestamp at = 17;
  google.protobuf.Int64Value maybe = 18; google.protobuf.Struct attrs = 19; Node tree = 20;
  optional string note = 21;
}
""",
        encoding="utf-8",
    )
    descriptor_set = protobuf.compile_descriptor_set(tmp_path / "all.proto")
    assert spark_types.protobuf_to_spark_ddl(descriptor_set, "demo.v1.Everything") == (
        "`small` INT, `big` BIGINT, `u` BIGINT, `huge` DECIMAL(20,0), `s` INT, `f64` DECIMAL(20,0), "
        "`text` STRING, `flag` BOOLEAN, `ratio` DOUBLE, `weight` FLOAT, `blob` BINARY, `colour` STRING, "
        "`tags` ARRAY<STRING>, `by_sku` MAP<STRING, STRUCT<`sku`: STRING, `qty`: INT>>, "
        "`line` STRUCT<`sku`: STRING, `qty`: INT>, `lines` ARRAY<STRUCT<`sku`: STRING, `qty`: INT>>, "
        "`at` TIMESTAMP, `maybe` BIGINT, `attrs` STRING, "
        "`tree` STRUCT<`name`: STRING, `children`: ARRAY<STRING>>, `note` STRING"
    )


def test_formats_import_neither_dagster_nor_the_spec_model_nor_pyspark() -> None:
    """Spark job scripts import this package on EMR, where only it and its few libraries are shipped."""
    code = (
        "import sys\n"
        "from tardis_dagster.core.formats import avro, jsonschema, protobuf, spark_types\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('dagster', 'pyspark', 'pydantic', 'yaml')"
        " or m.startswith('tardis_dagster.core.specs'))\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
