"""Protobuf: compiling .proto files with grpc_tools' protoc, message classes, decoding to dicts."""

from __future__ import annotations

from pathlib import Path

import pytest
from google.protobuf import descriptor_pb2

from tardis_dagster.core.formats import protobuf

ALL_TYPES = """\
syntax = "proto3";
package demo.v1;
import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";
import "line.proto";

enum Colour { COLOUR_UNSPECIFIED = 0; RED = 1; GREEN = 2; }

message Everything {
  int32 small = 1;
  int64 big = 2;
  uint64 huge = 3;
  string text = 4;
  bool flag = 5;
  double ratio = 6;
  float weight = 7;
  bytes blob = 8;
  Colour colour = 9;
  repeated string tags = 10;
  map<string, int32> counts = 11;
  demo.v1.Line line = 12;
  repeated demo.v1.Line lines = 13;
  google.protobuf.Timestamp at = 14;
  google.protobuf.StringValue maybe = 15;
  optional string note = 16;
  Node tree = 17;
}

message Node { string name = 1; repeated Node children = 2; }
"""

LINE = 'syntax = "proto3";\npackage demo.v1;\nmessage Line { string sku = 1; int32 qty = 2; }\n'


@pytest.fixture
def everything(tmp_path: Path) -> bytes:
    (tmp_path / "line.proto").write_text(LINE, encoding="utf-8")
    (tmp_path / "everything.proto").write_text(ALL_TYPES, encoding="utf-8")
    return protobuf.compile_descriptor_set(tmp_path / "everything.proto")


def test_compile_includes_imports_and_is_cached(subscription_proto: Path) -> None:
    data = protobuf.compile_descriptor_set(subscription_proto)
    files = [f.name for f in descriptor_pb2.FileDescriptorSet.FromString(data).file]
    assert files == ["google/protobuf/timestamp.proto", "subscription.proto"]
    assert protobuf.compile_descriptor_set(subscription_proto) is data


def test_compile_resolves_sibling_imports_and_recompiles_on_change(tmp_path: Path, everything: bytes) -> None:
    files = [f.name for f in descriptor_pb2.FileDescriptorSet.FromString(everything).file]
    assert {"line.proto", "google/protobuf/wrappers.proto", "everything.proto"} <= set(files)
    path = tmp_path / "everything.proto"
    path.write_text(ALL_TYPES.replace("int32 small = 1;", "int32 smaller = 1;"), encoding="utf-8")
    changed = protobuf.compile_descriptor_set(path)
    assert changed != everything
    assert "smaller" in protobuf.message_class(changed, "Everything").DESCRIPTOR.fields_by_name


def test_compile_error_carries_protocs_message(tmp_path: Path) -> None:
    bad = tmp_path / "bad.proto"
    bad.write_text('syntax = "proto3";\nmessage X { strin a = 1; }\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"protoc could not compile .*bad\.proto.*strin"):
        protobuf.compile_descriptor_set(bad)


def test_message_class_by_bare_or_full_name(subscription_proto: Path) -> None:
    data = protobuf.compile_descriptor_set(subscription_proto)
    bare = protobuf.message_class(data, "Subscription")
    assert bare is protobuf.message_class(data, "eats.subscriptions.v1.Subscription")
    assert bare.DESCRIPTOR.full_name == "eats.subscriptions.v1.Subscription"
    with pytest.raises(ValueError, match=r"'Order' is not in the descriptor set.*Subscription"):
        protobuf.message_class(data, "Order")


def test_ambiguous_bare_name_asks_for_the_full_name(tmp_path: Path) -> None:
    (tmp_path / "a.proto").write_text('syntax = "proto3";\npackage a;\nmessage M { string x = 1; }\n')
    (tmp_path / "b.proto").write_text(
        'syntax = "proto3";\npackage b;\nimport "a.proto";\nmessage M { a.M inner = 1; }\n'
    )
    data = protobuf.compile_descriptor_set(tmp_path / "b.proto")
    with pytest.raises(ValueError, match=r"ambiguous: a\.M, b\.M"):
        protobuf.message_class(data, "M")
    assert protobuf.message_class(data, "b.M").DESCRIPTOR.full_name == "b.M"


def test_subscription_round_trip_to_dict(subscription_proto: Path) -> None:
    data = protobuf.compile_descriptor_set(subscription_proto)
    cls = protobuf.message_class(data, "Subscription")
    message = cls(subscription_id="sub-000001", customer_id="cus-000007", plan="veggie", meals_per_week=3)
    message.servings = 2
    message.price_per_box = 54.9
    message.status = "active"
    message.started_at.FromJsonString("2026-10-01T08:00:00Z")
    message.updated_at.FromJsonString("2026-10-02T09:30:00.250Z")
    decoded = protobuf.decode(data, "Subscription", message.SerializeToString())
    assert protobuf.to_dict(decoded) == {
        "subscription_id": "sub-000001",
        "customer_id": "cus-000007",
        "plan": "veggie",
        "meals_per_week": 3,
        "servings": 2,
        "price_per_box": 54.9,
        "status": "active",
        "started_at": "2026-10-01T08:00:00Z",
        "updated_at": "2026-10-02T09:30:00.250Z",
        "pause_reason": None,  # version 1 message: the optional v2 field is unset
    }
    message.pause_reason = "holiday"
    assert protobuf.to_dict(cls.FromString(message.SerializeToString()))["pause_reason"] == "holiday"


def test_to_dict_maps_every_kind_of_field(everything: bytes) -> None:
    cls = protobuf.message_class(everything, "demo.v1.Everything")
    message = cls(small=-3, big=2**40, huge=2**63 + 5, text="hi", flag=True, ratio=0.5, weight=1.5)
    message.blob = b"\x00\xff"
    message.colour = 2
    message.tags.extend(["a", "b"])
    message.counts["x"] = 1
    message.line.sku = "sku-1"
    message.lines.add(sku="sku-2", qty=4)
    message.at.FromJsonString("2026-11-01T00:00:00Z")
    message.maybe.value = "wrapped"
    message.tree.name = "root"
    message.tree.children.add(name="leaf")
    result = protobuf.to_dict(cls.FromString(message.SerializeToString()))
    assert result == {
        "small": -3,
        "big": 2**40,  # stays an int (MessageToDict would quote it)
        "huge": 2**63 + 5,
        "text": "hi",
        "flag": True,
        "ratio": 0.5,
        "weight": 1.5,
        "blob": "AP8=",
        "colour": "GREEN",
        "tags": ["a", "b"],
        "counts": {"x": 1},
        "line": {"sku": "sku-1", "qty": 0},
        "lines": [{"sku": "sku-2", "qty": 4}],
        "at": "2026-11-01T00:00:00Z",
        "maybe": "wrapped",
        "note": None,
        "tree": {"name": "root", "children": [{"name": "leaf", "children": []}]},
    }


def test_to_dict_of_an_empty_message_prints_defaults_and_nulls(everything: bytes) -> None:
    result = protobuf.to_dict(protobuf.message_class(everything, "Everything")())
    assert result["small"] == 0 and result["text"] == "" and result["colour"] == "COLOUR_UNSPECIFIED"
    assert result["tags"] == [] and result["counts"] == {}
    assert (
        result["line"] is None and result["at"] is None and result["maybe"] is None and result["note"] is None
    )


@pytest.mark.parametrize("data", [b"\xff\xff\xff", b"\x0a\x20short"])
def test_decode_rejects_bytes_that_are_not_a_message(subscription_proto: Path, data: bytes) -> None:
    descriptor_set = protobuf.compile_descriptor_set(subscription_proto)
    with pytest.raises(ValueError, match=r"not a valid eats\.subscriptions\.v1\.Subscription"):
        protobuf.decode(descriptor_set, "Subscription", data)
