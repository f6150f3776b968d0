"""The column type language and `partition_by` entries."""

from __future__ import annotations

import pytest

from tardis_dagster.core.specs import (
    PartitionField,
    PartitionSyntaxError,
    TypeSyntaxError,
    parse_partition,
    parse_type,
)


@pytest.mark.parametrize(
    ("text", "canonical", "spark"),
    [
        ("string", "string", "STRING"),
        ("INT", "int", "INT"),
        ("bigint", "bigint", "BIGINT"),
        ("double", "double", "DOUBLE"),
        ("float", "float", "FLOAT"),
        ("boolean", "boolean", "BOOLEAN"),
        ("date", "date", "DATE"),
        ("timestamp", "timestamp", "TIMESTAMP"),
        ("decimal(10,2)", "decimal(10,2)", "DECIMAL(10,2)"),
        ("decimal( 38 , 0 )", "decimal(38,0)", "DECIMAL(38,0)"),
        ("array<string>", "array<string>", "ARRAY<STRING>"),
        ("map<string, array<int>>", "map<string,array<int>>", "MAP<STRING, ARRAY<INT>>"),
        (
            "struct<street:string, geo: struct<lat:double,lon:double>>",
            "struct<street:string,geo:struct<lat:double,lon:double>>",
            "STRUCT<street: STRING, geo: STRUCT<lat: DOUBLE, lon: DOUBLE>>",
        ),
        (
            "array<struct<sku:string,qty:int>>",
            "array<struct<sku:string,qty:int>>",
            "ARRAY<STRUCT<sku: STRING, qty: INT>>",
        ),
    ],
)
def test_types_parse_to_canonical_and_spark_forms(text: str, canonical: str, spark: str) -> None:
    parsed = parse_type(text)
    assert str(parsed) == canonical
    assert parsed.spark_ddl == spark
    assert parse_type(canonical) == parsed


def test_type_properties() -> None:
    assert parse_type("decimal(10,2)").is_numeric
    assert parse_type("decimal(10,2)").precision == 10
    assert parse_type("timestamp").is_temporal
    assert not parse_type("array<int>").is_primitive
    assert parse_type("map<string,int>").value == parse_type("int")


@pytest.mark.parametrize(
    ("text", "message", "fix"),
    [
        ("strng", "unknown type 'strng'", "did you mean 'string'?"),
        ("varchar", "unknown type 'varchar'", "write string"),
        ("long", "unknown type 'long'", "write bigint"),
        ("decimal", "decimal needs a precision and a scale", "decimal(10,2)"),
        ("decimal(39,2)", "precision 39 is out of range", "1 to 38"),
        ("decimal(0,0)", "precision 0 is out of range", "1 to 38"),
        ("decimal(5,6)", "scale 6 is out of range", "0 to the precision (5)"),
        ("decimal(a,2)", "must be a whole number", ""),
        ("array<string", "ends too early", ""),
        ("array<>", "expected a type name", ""),
        ("map<array<int>,string>", "map keys must be a simple type", ""),
        ("map<string>", "expected ','", ""),
        ("struct<Street:string>", "struct field name 'Street' is not snake_case", "snake_case"),
        ("struct<a:int,a:string>", "struct field 'a' appears twice", ""),
        ("string; drop table x", "unexpected ';'", ""),
        ("", "type is empty", ""),
    ],
)
def test_bad_types_say_what_is_wrong_and_how_to_fix_it(text: str, message: str, fix: str) -> None:
    with pytest.raises(TypeSyntaxError) as caught:
        parse_type(text)
    assert message in caught.value.message
    assert fix in caught.value.fix


@pytest.mark.parametrize(
    ("text", "expected", "spark"),
    [
        ("placed_at", PartitionField("identity", "placed_at"), "placed_at"),
        ("day(placed_at)", PartitionField("day", "placed_at"), "days(placed_at)"),
        ("month( placed_at )", PartitionField("month", "placed_at"), "months(placed_at)"),
        ("year(d)", PartitionField("year", "d"), "years(d)"),
        ("hour(ts)", PartitionField("hour", "ts"), "hours(ts)"),
        ("bucket(16, id)", PartitionField("bucket", "id", 16), "bucket(16, id)"),
        ("truncate(4,name)", PartitionField("truncate", "name", 4), "truncate(4, name)"),
    ],
)
def test_partition_entries_parse(text: str, expected: PartitionField, spark: str) -> None:
    parsed = parse_partition(text)
    assert parsed == expected
    assert parsed.spark_expr == spark
    assert parse_partition(str(parsed)) == parsed


@pytest.mark.parametrize(
    ("text", "message", "fix"),
    [
        ("days(ts)", "unknown partition transform 'days'", "did you mean 'day'?"),
        ("identity(ts)", "unknown partition transform 'identity'", "write a column, day(col)"),
        ("day(ts, x)", "day() takes one column", "write day(column)"),
        ("bucket(id)", "bucket() takes a number and a column", "bucket(16, column)"),
        ("bucket(0, id)", "needs a positive whole number first, got '0'", "bucket(16, id)"),
        ("truncate(x, id)", "needs a positive whole number first", ""),
        ("day(Placed_At)", "'Placed_At' is not a valid column name", "snake_case"),
        ("ts; drop table x", "is not a partition field", ""),
        ("day(ts))", "is not a partition field", ""),
        ("Ts", "'Ts' is not a valid column name", "snake_case"),
    ],
)
def test_bad_partition_entries(text: str, message: str, fix: str) -> None:
    with pytest.raises(PartitionSyntaxError) as caught:
        parse_partition(text)
    assert message in caught.value.message
    assert fix in caught.value.fix
