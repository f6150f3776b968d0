"""The wire format's writer schemas in the Kafka landing, without a Spark session: which registry
answers a product can decode, and which writer types land in the reader's (the latest) columns."""

from __future__ import annotations

import base64
import json

import pytest
from pyspark.sql.types import (
    ArrayType,
    DoubleType,
    FloatType,
    IntegerType,
    LongType,
    MapType,
    StringType,
    StructField,
    StructType,
)

from tardis_dagster.core.formats import protobuf
from tardis_dagster.core.jobs_io import KafkaLandingInput
from tardis_dagster.jobs import land_kafka

PROTO = 'syntax = "proto3";\npackage it.v1;\nmessage Sub { string id = 1; int32 n = 2; }\n'


def _job(fmt: str, **extra: object) -> KafkaLandingInput:
    return KafkaLandingInput(
        product="p",
        asset_key="raw/p",
        topic="t",
        bootstrap="127.0.0.1:9092",
        format=fmt,  # type: ignore[arg-type]
        table="raw.p",
        quarantine_table="raw.p__quarantine",
        payload_ddl="id STRING",
        quarantine_threshold=0.01,
        wire_format=True,
        **extra,  # type: ignore[arg-type]
    )


def _struct(**fields: object) -> StructType:
    return StructType([StructField(name, kind) for name, kind in fields.items()])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("written", "reader", "mismatches"),
    [
        (_struct(a=IntegerType()), _struct(a=LongType()), []),  # widened
        (_struct(a=FloatType()), _struct(a=DoubleType()), []),
        (_struct(a=StringType()), _struct(a=StringType(), b=LongType()), []),  # b: null for the writer
        (_struct(a=StringType(), gone=LongType()), _struct(a=StringType()), []),  # not in the reader
        (_struct(a=StringType()), _struct(a=LongType()), ["p.a is string in id 5 but bigint"]),
        (_struct(a=LongType()), _struct(a=IntegerType()), ["p.a is bigint in id 5 but int"]),  # narrowed
        (
            _struct(lines=ArrayType(_struct(sku=StringType(), qty=StringType()))),
            _struct(lines=ArrayType(_struct(sku=StringType(), qty=LongType(), new=StringType()))),
            ["p.lines[].qty is string in id 5 but bigint"],
        ),
        (
            _struct(m=MapType(StringType(), _struct(x=IntegerType()))),
            _struct(m=MapType(StringType(), _struct(x=LongType(), y=StringType()))),
            [],
        ),
        (
            _struct(m=MapType(StringType(), StringType())),
            _struct(m=MapType(LongType(), StringType())),
            ["p.m key"],
        ),
    ],
)
def test_writer_types_land_in_the_readers_columns_by_name_or_are_named(
    written: StructType, reader: StructType, mismatches: list[str]
) -> None:
    found = land_kafka._type_mismatches(written, reader, "p", "id 5")
    assert len(found) == len(mismatches)
    for message, start in zip(found, mismatches, strict=True):
        assert message.startswith(start)


def test_a_registry_schema_of_another_type_or_unreadable_is_a_problem_of_its_id_only() -> None:
    other = land_kafka.writer_schema(_job("json"), 7, PROTO, "PROTOBUF")
    assert (
        other.problem
        == "schema id 7 is a PROTOBUF schema in the registry, but p reads json (source.kafka.format)"
    )
    broken = land_kafka.writer_schema(_job("json"), 8, "{not json", "JSON")
    assert broken.problem is not None and broken.problem.startswith("schema id 8 cannot be read: ")
    reader = base64.b64encode(protobuf.compile_text(PROTO)).decode()
    missing = land_kafka.writer_schema(
        _job("protobuf", descriptor_b64=reader, message="Sub"), 9, PROTO.replace("Sub", "Other"), "PROTOBUF"
    )
    assert missing.problem is not None and "it.v1.Sub" in missing.problem


def test_a_protobuf_writer_schema_is_compiled_for_the_products_message_by_its_full_name() -> None:
    reader = base64.b64encode(protobuf.compile_text(PROTO)).decode()
    v2 = PROTO.replace("int32 n = 2;", "int32 n = 2; string note = 3;")
    writer = land_kafka.writer_schema(
        _job("protobuf", descriptor_b64=reader, message="Sub"), 3, v2, "PROTOBUF"
    )
    assert writer.problem is None and writer.message == "it.v1.Sub"
    assert writer.payload_ddl == "`id` STRING, `n` INT, `note` STRING"
    assert protobuf.main_file(base64.b64decode(writer.descriptor_b64 or "")).message_type[0].name == "Sub"


def test_json_writer_schemas_follow_the_products_format_assertion() -> None:
    schema = {"type": "object", "properties": {"at": {"type": "string", "format": "date-time"}}}
    asserted = land_kafka.writer_schema(_job("json"), 1, json.dumps(schema), "JSON")
    annotated = land_kafka.writer_schema(_job("json", format_assertion=False), 1, json.dumps(schema), "JSON")
    assert json.loads(asserted.schema_text or "")["properties"]["at"]["format"] == "date-time"
    assert "format" not in json.loads(annotated.schema_text or "")["properties"]["at"]
