"""Protobuf compatibility matrix (Confluent's rules), on .proto files compiled with grpcio-tools' protoc."""

from __future__ import annotations

from pathlib import Path

import pytest
from contract_helpers import verdicts

from tardis_dagster.tooling.contracts.compatibility import protobuf
from tardis_dagster.tooling.contracts.compatibility.modes import MODES, check_mode

HEADER = 'syntax = "proto3";\npackage eats.v1;\nimport "google/protobuf/timestamp.proto";\n'


def proto(body: str, *, header: str = HEADER) -> str:
    return header + body


ORDER = "message Order {\n  string id = 1;\n  int32 boxes = 2;\n  double amount = 3;\n}\n"

# (change, old .proto, new .proto, backward compatible?, forward compatible?)
CHANGES = [
    ("field added", proto(ORDER), proto(ORDER.replace("}\n", "  string coupon = 4;\n}\n")), True, True),
    ("field removed", proto(ORDER), proto(ORDER.replace("  double amount = 3;\n", "")), True, True),
    (
        "field renamed, same number",
        proto(ORDER),
        proto(ORDER.replace("boxes = 2", "box_count = 2")),
        True,
        True,
    ),
    (
        "int32 to int64 (same wire group)",
        proto(ORDER),
        proto(ORDER.replace("int32 boxes", "int64 boxes")),
        True,
        True,
    ),
    ("int32 to string", proto(ORDER), proto(ORDER.replace("int32 boxes", "string boxes")), False, False),
    ("double to float", proto(ORDER), proto(ORDER.replace("double amount", "float amount")), False, False),
    (
        "removed number reused with another type",
        proto(ORDER),
        proto(ORDER.replace("double amount = 3;", "string note = 3;")),
        False,
        False,
    ),
    (
        "scalar to message",
        proto(ORDER),
        proto(ORDER.replace("double amount = 3;", "google.protobuf.Timestamp amount = 3;")),
        False,
        False,
    ),
    (
        "field made proto3 optional",
        proto(ORDER),
        proto(ORDER.replace("int32 boxes", "optional int32 boxes")),
        True,
        True,
    ),
    ("message added", proto(ORDER), proto(ORDER + "message Refund {\n  string id = 1;\n}\n"), True, False),
    ("message removed", proto(ORDER + "message Refund {\n  string id = 1;\n}\n"), proto(ORDER), False, True),
    (
        "package changed",
        proto(ORDER),
        proto(ORDER, header=HEADER.replace("eats.v1", "eats.v2")),
        True,  # the registry's PACKAGE_CHANGED is compatible (diff-schema-examples.json, package change)
        True,
    ),
    (
        "field moved into an existing oneof",
        proto(
            "message Order {\n  string id = 1;\n  string a = 2;\n"
            "  oneof pay {\n    string card = 3;\n  }\n}\n"
        ),
        proto(
            "message Order {\n  string id = 1;\n"
            "  oneof pay {\n    string card = 3;\n    string a = 2;\n  }\n}\n"
        ),
        False,
        False,  # forward: ONEOF_FIELD_REMOVED (field 2 leaves the oneof again), as the registry decides
    ),
    (
        "two fields moved into a new oneof",
        proto("message Order {\n  string id = 1;\n  string a = 2;\n  string b = 3;\n}\n"),
        proto(
            "message Order {\n  string id = 1;\n  oneof pay {\n    string a = 2;\n    string b = 3;\n  }\n}\n"
        ),
        False,
        True,
    ),
    (
        "nested message field type changed",
        proto("message Order {\n  Line line = 1;\n  message Line {\n    int32 qty = 1;\n  }\n}\n"),
        proto("message Order {\n  Line line = 1;\n  message Line {\n    string qty = 1;\n  }\n}\n"),
        False,
        False,
    ),
    (
        "map value type changed",
        proto("message Order {\n  map<string, int32> counts = 1;\n}\n"),
        proto("message Order {\n  map<string, string> counts = 1;\n}\n"),
        False,
        False,
    ),
]


def compiled(tmp_path: Path, name: str, text: str) -> protobuf.ProtoSchema:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "order.proto").write_text(text, encoding="utf-8")
    return protobuf.load(folder / "order.proto")


@pytest.mark.parametrize(
    ("change", "old", "new", "backward", "forward"), CHANGES, ids=[c[0] for c in CHANGES]
)
def test_protobuf_matrix(
    tmp_path: Path, change: str, old: str, new: str, backward: bool, forward: bool
) -> None:
    before, after = compiled(tmp_path, "old", old), compiled(tmp_path, "new", new)
    expected = verdicts(backward, forward)
    for mode in MODES:
        found = check_mode(mode, after, [before], protobuf.incompatibilities)  # type: ignore[arg-type]
        assert (not found) == expected[mode], (mode, [str(f) for f in found])


def test_the_reason_uses_confluents_difference_type(tmp_path: Path) -> None:
    before = compiled(tmp_path, "old", proto(ORDER))
    after = compiled(tmp_path, "new", proto(ORDER.replace("int32 boxes", "string boxes")))
    assert protobuf.incompatibilities(after, before) == [
        "FIELD_SCALAR_KIND_CHANGED at #/Order/2 (boxes: int32 -> string)"
    ]


@pytest.mark.parametrize(
    ("mode", "compatible"),
    [
        ("BACKWARD", True),
        ("BACKWARD_TRANSITIVE", False),
        ("FORWARD", True),
        ("FORWARD_TRANSITIVE", False),
        ("FULL", True),
        ("FULL_TRANSITIVE", False),
        ("NONE", True),
    ],
)
def test_protobuf_transitive_modes_check_every_earlier_version(
    tmp_path: Path, mode: str, compatible: bool
) -> None:
    # v2 removed field 3, v3 reuses number 3 with another type: fine against v2, not against v1
    v1 = compiled(tmp_path, "v1", proto(ORDER))
    v2 = compiled(tmp_path, "v2", proto(ORDER.replace("  double amount = 3;\n", "")))
    v3 = compiled(tmp_path, "v3", proto(ORDER.replace("double amount = 3;", "string note = 3;")))
    found = check_mode(mode, v3, [v1, v2], protobuf.incompatibilities)  # type: ignore[arg-type]
    assert (not found) == compatible, [str(f) for f in found]


def test_a_proto_that_does_not_compile_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="protoc could not compile"):
        compiled(tmp_path, "bad", proto("message Order {\n  strin id = 1;\n}\n"))
