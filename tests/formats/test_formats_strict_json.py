"""Strict JSON in Python (the jsonschema landing path), the Protobuf wire format and its empty values,
and Avro writer-to-reader resolution: the pure-Python decoding rules of Kafka landing."""

from __future__ import annotations

import re

import pytest

from tardis_dagster.core.formats import avro, protobuf, strict_json

SUBSCRIPTION = """\
syntax = "proto3";
package demo.v1;
message Subscription { string id = 1; int32 boxes = 2; }
"""


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b'{"a":NaN}', "NaN is not a JSON number"),
        (b'{"a":-Infinity}', "-Infinity is not a JSON number"),
        (b'{"a":1e400}', "overflows a double"),
        (b'{"s":"\xff"}', "not valid UTF-8"),
        (b'\xef\xbb\xbf{"a":1}', "not JSON"),
        (b'{"a":1} x', "not JSON: Extra data"),
        (b"[" * 513 + b"]" * 513, f"nested deeper than {strict_json.MAX_DEPTH} levels"),
        (b"[" * 100_000 + b"]" * 100_000, f"nested deeper than {strict_json.MAX_DEPTH} levels"),
    ],
)
def test_strict_json_refuses_what_plain_json_loads_takes_or_crashes_on(data: bytes, why: str) -> None:
    with pytest.raises(strict_json.StrictJSONError, match=re.escape(why)):
        strict_json.loads(data)


def test_strict_json_reads_valid_json_as_json_loads_does() -> None:
    assert strict_json.loads(b' {"a":1e-400,"a":2,"b":[[]],"c":"\\u00e9"} ') == {"a": 2, "b": [[]], "c": "é"}
    assert strict_json.loads(b"[" * 512 + b"]" * 512) is not None
    assert strict_json.depth({"a": [1, {"b": []}]}) == 4


def test_protobuf_values_without_fields_are_refused_and_the_wire_format_splits(tmp_path) -> None:
    path = tmp_path / "subscription.proto"
    path.write_text(SUBSCRIPTION)
    descriptor = protobuf.compile_descriptor_set(path)
    cls = protobuf.message_class(descriptor, "Subscription")
    data = cls(id="s-1", boxes=2).SerializeToString()
    assert protobuf.decode(descriptor, "Subscription", data, require_fields=True).boxes == 2
    assert protobuf.decode(descriptor, "Subscription", b"").id == ""  # lenient without the flag
    with pytest.raises(
        ValueError, match=re.escape("carries none of the fields of demo.v1.Subscription (an empty value)")
    ):
        protobuf.decode(descriptor, "Subscription", b"", require_fields=True)
    with pytest.raises(ValueError, match="3 bytes of fields it does not define"):
        protobuf.decode(descriptor, "Subscription", b"\xf8\x3f\x01", require_fields=True)
    assert protobuf.wire_split(protobuf.wire_encode(42, data)) == (42, [0], data)
    assert protobuf.wire_split(protobuf.wire_encode(7, data, (1, 300))) == (7, [1, 300], data)
    with pytest.raises(ValueError, match="not the Confluent wire format"):
        protobuf.wire_split(b"\x01\x00\x00\x00\x07\x00")


def test_avro_resolves_a_writer_schema_to_the_reader_schema() -> None:
    v1 = {"type": "record", "name": "R", "fields": [{"name": "id", "type": "string"}]}
    v2 = {**v1, "fields": [*v1["fields"], {"name": "n", "type": "long", "default": 5}]}
    written = avro.encode(avro.parse_schema(v1), {"id": "x"})
    assert avro.decode(avro.parse_schema(v1), written, avro.parse_schema(v2)) == {"id": "x", "n": 5}
    with pytest.raises(ValueError):  # read with the wrong writer schema, as before schema ids were used
        avro.decode(avro.parse_schema(v2), written)
