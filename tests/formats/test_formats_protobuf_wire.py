"""The Confluent wire format of Protobuf values: message indexes (zigzag varints, Kafka's
`ByteUtils.writeVarint`, as Confluent's `MessageIndexes` writes them) and the message they name
(Confluent's `ProtobufSchema.toMessageName`)."""

from __future__ import annotations

import re

import pytest

from tardis_dagster.core.formats import protobuf

HEADER = b"\x00\x00\x00\x00\x2a"  # magic byte 0, schema id 42

SCHEMA = """\
syntax = "proto3";
package it.v1;
message Audit { string actor = 1; }
enum Colour { COLOUR_UNSPECIFIED = 0; }
message Envelope {
  map<string, string> tags = 1;
  enum Kind { KIND_UNSPECIFIED = 0; }
  message Header { string source = 1; }
  message Subscription {
    map<string, int32> counts = 1;
    message Line { string sku = 1; }
  }
}
"""


@pytest.mark.parametrize(
    ("indexes", "encoded"),
    [
        ((0,), b"\x00"),  # the shorthand for the first message: a count of 0
        ((1,), b"\x02\x02"),  # count 1 (zigzag 2), index 1 (zigzag 2)
        ((1, 0), b"\x04\x02\x00"),
        ((0, 0), b"\x04\x00\x00"),
        ((1, 300), b"\x04\x02\xd8\x04"),  # 300 zigzags to 600: two varint bytes
    ],
)
def test_message_indexes_are_zigzag_varints_with_a_shorthand_for_the_first_message(
    indexes: tuple[int, ...], encoded: bytes
) -> None:
    assert protobuf.wire_encode(42, b"body", indexes) == HEADER + encoded + b"body"
    assert protobuf.wire_split(HEADER + encoded + b"body") == (42, list(indexes), b"body")


def test_an_explicit_first_message_reads_like_the_shorthand() -> None:
    assert protobuf.wire_split(HEADER + b"\x02\x00" + b"body") == (42, [0], b"body")


@pytest.mark.parametrize(
    ("after_header", "why"),
    [
        (b"", "not the Confluent wire format"),
        (b"\x01", "negative count -1"),
        (b"\x02\x01", "negative index -1"),
        (b"\x80", "truncated message indexes in the Confluent wire format (count)"),
        (b"\x04\x02", "truncated message indexes in the Confluent wire format (index)"),
        (b"\xff\xff\xff\xff\xff\x01", "the count is over 5 bytes long"),
        (b"\x02\xff\xff\xff\xff\xff\x01", "the index is over 5 bytes long"),
    ],
)
def test_malformed_message_indexes_are_refused(after_header: bytes, why: str) -> None:
    with pytest.raises(ValueError, match=re.escape(why)):
        protobuf.wire_split(HEADER + after_header)


def test_a_value_not_starting_with_magic_byte_zero_is_refused() -> None:
    with pytest.raises(ValueError, match="not the Confluent wire format"):
        protobuf.wire_split(b"\x01" + HEADER[1:] + b"\x00body")


@pytest.mark.parametrize(
    ("indexes", "name"),
    [
        ([0], "it.v1.Audit"),
        ([1], "it.v1.Envelope"),
        # Envelope's generated TagsEntry and its enum do not count: Header is its first message.
        ([1, 0], "it.v1.Envelope.Header"),
        ([1, 1], "it.v1.Envelope.Subscription"),
        ([1, 1, 0], "it.v1.Envelope.Subscription.Line"),
    ],
)
def test_indexes_name_top_level_and_nested_messages_as_confluent_numbers_them(
    indexes: list[int], name: str
) -> None:
    assert protobuf.message_at(protobuf.compile_text(SCHEMA), indexes) == name


@pytest.mark.parametrize(
    ("indexes", "why"),
    [
        ([2], "index 2 at depth 0, but the schema has 2 top-level message(s)"),
        ([1, 2], "index 2 at depth 1, but message it.v1.Envelope has 2 nested message(s)"),
        ([0, 0], "index 0 at depth 1, but message it.v1.Audit has 0 nested message(s)"),
        ([1, 1, 1], "index 1 at depth 2, but message it.v1.Envelope.Subscription has 1 nested message(s)"),
    ],
)
def test_indexes_that_name_no_message_are_refused_with_the_index(indexes: list[int], why: str) -> None:
    with pytest.raises(ValueError, match=re.escape(f"message indexes {indexes} do not resolve: {why}")):
        protobuf.message_at(protobuf.compile_text(SCHEMA), indexes)


def test_a_schema_without_a_package_names_messages_bare() -> None:
    descriptor = protobuf.compile_text('syntax = "proto3";\nmessage A { message B { int32 n = 1; } }\n')
    assert protobuf.message_at(descriptor, [0, 0]) == "A.B"


def test_registry_schema_texts_compile_once_and_bad_ones_say_why() -> None:
    assert protobuf.compile_text(SCHEMA) is protobuf.compile_text(SCHEMA)
    with pytest.raises(ValueError, match=re.escape("could not compile schema.proto: other-subject.proto")):
        protobuf.compile_text(
            'syntax = "proto3";\nimport "other-subject.proto";\nmessage A { Other o = 1; }\n'
        )
