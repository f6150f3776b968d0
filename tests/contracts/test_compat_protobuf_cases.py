"""Protobuf compatibility, case by case, against Confluent Schema Registry's own answers.

Each case is (name, old files, new files, backward?, forward?, source); the files are compiled with
grpcio-tools' protoc (imports beside `m.proto`) and checked under all seven modes. BACKWARD is the
registry's `SchemaDiff.compare(old, new)`, FORWARD the reverse. Sources:

- RP: confluentinc/schema-registry protobuf-provider/src/test/resources/diff-schema-examples.json
  (its `compatible` is the BACKWARD answer; the forward answer is its reverse case or reasoning);
- code: the registry's diff classes (protobuf-provider/src/main/java/.../protobuf/diff/);
- docs: protobuf.dev "Updating a message type" (https://protobuf.dev/programming-guides/proto3/#updating);
- deliberate: the registry's answer lets data through that the new schema misreads; Tardis keeps the
  safe answer (docs/contracts.md, "Deliberate differences").
"""

from __future__ import annotations

from pathlib import Path

import pytest
from contract_helpers import verdicts

from tardis_dagster.tooling.contracts.compatibility import protobuf
from tardis_dagster.tooling.contracts.compatibility.modes import MODES, check_mode

RP = "RP"
P3 = 'syntax = "proto3";\n'
P2 = 'syntax = "proto2";\n'


def m(body: str, *, syntax: str = P3, header: str = "") -> dict[str, str]:
    return {"m.proto": syntax + header + body}


def msg(*lines: str, name: str = "T") -> str:
    return f"message {name} {{\n" + "".join(f"  {line}\n" for line in lines) + "}\n"


STATUS = "enum Status {\n  ACTIVE = 0;\n  INACTIVE = 1;\n}\n"
HOME = "message GoogleHome {\n  int32 deviceID = 1;\n  bool enabled = 2;\n}\n"


def imported(package: str, body: str, *, name: str = "google.proto") -> dict[str, str]:
    return {name: f"{P3}package {package};\n{body}"}


def using(files: dict[str, str], type_name: str, *, name: str = "google.proto") -> dict[str, str]:
    return {**files, **m(msg(f"{type_name} home = 1;"), header=f'import "{name}";\n')}


CASES: list[tuple[str, dict[str, str], dict[str, str], bool, bool, str]] = [
    # --- registry basics
    (
        "package changed",
        m(msg("string s = 1;"), header="package foo;\n"),
        m(msg("string s = 1;"), header="package bar;\n"),
        True,
        True,
        RP,
    ),
    (
        "name qualified",
        m(msg("string s = 1;", "Status st = 2;", "message Status { string s = 1; }")),
        m(msg("string s = 1;", ".T.Status st = 2;", "message Status { string s = 1; }")),
        True,
        True,
        RP,
    ),
    ("field added", m(msg("string s = 1;")), m(msg("string s = 1;", "string s2 = 2;")), True, True, RP),
    (
        "required field added (proto2)",
        m(msg("optional string s = 1;"), syntax=P2),
        m(msg("optional string s = 1;", "required string s2 = 2;"), syntax=P2),
        False,
        False,
        RP,
    ),
    (
        "field added to a nested type",
        m(msg("int32 w = 1;", "message In { string s = 1; }", name="W")),
        m(msg("int32 w = 1;", "message In { string s = 1; string s2 = 2; }", name="W")),
        True,
        True,
        RP,
    ),
    ("field number changed", m(msg("string s = 1;")), m(msg("string s = 2;")), True, True, RP),
    ("int32 to int64", m(msg("int32 i = 2;")), m(msg("int64 i = 2;")), True, True, RP),
    ("string to bytes", m(msg("string s = 2;")), m(msg("bytes s = 2;")), True, True, RP),
    ("int32 to string", m(msg("int32 i = 2;")), m(msg("string s2 = 2;")), False, False, RP),
    (
        "int32 to a message",
        m(msg("int32 i = 2;")),
        m(msg("M2 i = 2;") + msg("string s = 1;", name="M2")),
        False,
        False,
        RP,
    ),
    (
        "one message type for another",
        m(msg("M2 i = 2;") + msg("string s = 1;", name="M2")),
        m(msg("M3 i = 2;") + msg("string s = 1;", name="M3")),
        False,
        False,
        RP,
    ),
    (
        "map value type changed",
        m(msg("map<string, int32> a = 2;")),
        m(msg("map<string, string> b = 2;")),
        False,
        False,
        RP,
    ),
    (
        "map to a repeated entry-like message",
        m(msg("map<string, int32> a = 2;")),
        m(msg("repeated E a = 2;", "message E { string key = 1; int32 value = 2; }")),
        False,
        False,
        "code: FieldSchemaDiff.kind, MAP and MESSAGE differ (FIELD_KIND_CHANGED)",
    ),
    (
        "message added",
        m(msg("string s = 1;")),
        m(msg("string s = 1;") + msg("string s = 1;", name="U")),
        True,
        False,
        RP,
    ),
    (
        "messages reordered",
        m(msg("string s = 1;") + msg("string s = 1;", name="U")),
        m(msg("string s = 1;", name="U") + msg("string s = 1;")),
        True,
        True,
        RP,
    ),
    (
        "enum constant renamed",
        m(msg("Status st = 2;") + STATUS),
        m(msg("Status st = 2;") + STATUS.replace("INACTIVE", "NOT_ACTIVE")),
        True,
        True,
        RP,
    ),
    # --- enum <-> int32 (wire-compatible)
    ("int32 to enum", m(msg("int32 i = 2;")), m(msg("Status i = 2;") + STATUS), True, True, RP),
    ("enum to int32", m(msg("Status i = 2;") + STATUS), m(msg("int32 i = 2;")), True, True, RP),
    (
        "enum to uint64",
        m(msg("Status i = 2;") + STATUS),
        m(msg("uint64 i = 2;")),
        True,
        True,
        "code: scalarKind, enum is GENERAL_NUMBER",
    ),
    (
        "enum to string",
        m(msg("Status i = 2;") + STATUS),
        m(msg("string i = 2;")),
        False,
        False,
        "code: scalarKind",
    ),
    (
        "int32 to a message named like an enum",
        m(msg("int32 i = 2;")),
        m(msg(".T.Status i = 2;", "message Status { string s = 1; }") + STATUS),
        False,
        False,
        RP,
    ),
    # --- labels
    (
        "proto3 optional string to repeated",
        m(msg("optional string s = 1;")),
        m(msg("repeated string s = 1;")),
        True,
        True,
        RP,
    ),
    (
        "proto3 optional bytes to repeated",
        m(msg("optional bytes b = 1;")),
        m(msg("repeated bytes b = 1;")),
        True,
        True,
        RP,
    ),
    (
        "proto3 optional int32 to repeated",
        m(msg("optional int32 i = 1;")),
        m(msg("repeated int32 i = 1;")),
        False,
        False,
        RP,
    ),
    (
        "proto3 optional message to repeated",
        m(msg("optional S st = 2;", "message S { string s = 1; }")),
        m(msg("repeated S st = 2;", "message S { string s = 1; }")),
        True,
        True,
        RP,
    ),
    (
        "proto3 int32 without label to repeated",
        m(msg("int32 i = 1;")),
        m(msg("repeated int32 i = 1;")),
        False,
        False,
        "deliberate: the registry skips unwritten labels; docs: packed numbers do not read as one",
    ),
    (
        "proto3 string without label to repeated",
        m(msg("string s = 1;")),
        m(msg("repeated string s = 1;")),
        True,
        True,
        "docs: for string, bytes and message fields singular is compatible with repeated",
    ),
    (
        "proto3 int32 made optional",
        m(msg("int32 i = 1;")),
        m(msg("optional int32 i = 1;")),
        True,
        True,
        "docs: optional is wire-compatible",
    ),
    (
        "packed encoding turned off",
        m(msg("repeated int32 i = 1;")),
        m(msg("repeated int32 i = 1 [packed = false];")),
        True,
        True,
        "docs: parsers accept packed and unpacked repeated numbers alike",
    ),
    (
        "packed encoding turned on (proto2)",
        m(msg("repeated int32 i = 1;"), syntax=P2),
        m(msg("repeated int32 i = 1 [packed = true];"), syntax=P2),
        True,
        True,
        "docs: parsers accept packed and unpacked repeated numbers alike",
    ),
    (
        "proto2 optional int32 to repeated",
        m(msg("optional int32 i = 1;"), syntax=P2),
        m(msg("repeated int32 i = 1;"), syntax=P2),
        False,
        False,
        "code: compareScalarTypes, FIELD_NUMERIC_LABEL_CHANGED",
    ),
    (
        "proto2 optional string made required",
        m(msg("optional string s = 1;"), syntax=P2),
        m(msg("required string s = 1;"), syntax=P2),
        False,
        False,
        "deliberate: the registry says FIELD_STRING_OR_BYTES_LABEL_CHANGED (compatible); data may lack it",
    ),
    (
        "proto2 group gains a field",
        m(msg("optional group G = 1 { optional int32 a = 2; }"), syntax=P2),
        m(msg("optional group G = 1 { optional int32 a = 2; optional string b = 3; }"), syntax=P2),
        True,
        True,
        "reasoning: a group is a message field; FIELD_ADDED inside it is compatible",
    ),
    # --- oneofs
    (
        "one field moved into a new oneof",
        m(msg("string a = 1;", "string b = 2;")),
        m(msg("string a = 1;", "oneof o { string b = 2; int32 c = 3; }")),
        True,
        True,  # forward: ONEOF_REMOVED and FIELD_ADDED (reverse)
        RP,
    ),
    (
        "two fields moved into a new oneof",
        m(msg("string a = 1;", "string b = 2;")),
        m(msg("oneof o { string a = 1; string b = 2; int32 c = 3; }")),
        False,
        True,  # forward: ONEOF_REMOVED and FIELD_ADDED (reverse)
        RP,
    ),
    (
        "field moved into an existing oneof",
        m(msg("string a = 1;", "oneof o { string b = 2; }")),
        m(msg("oneof o { string b = 2; string a = 1; }")),
        False,
        False,
        "code: MessageSchemaDiff, FIELD_MOVED_TO_EXISTING_ONEOF",
    ),
    (
        "field added to a oneof",
        m(msg("oneof o { string a = 1; string b = 2; }")),
        m(msg("oneof o { string a = 1; string b = 2; int32 c = 3; }")),
        True,
        False,
        RP,
    ),
    (
        "fields moved out of a oneof",
        m(msg("oneof o { string a = 1; string b = 2; }")),
        m(msg("string a = 1;", "string b = 2;")),
        True,
        False,
        "code: ONEOF_REMOVED and FIELD_ADDED are compatible; the reverse is MULTIPLE_FIELDS_MOVED_TO_ONEOF",
    ),
    (
        "field moved between oneofs",
        m(msg("oneof a { string x = 1; string y = 2; }", "oneof b { string z = 3; }")),
        m(msg("oneof a { string x = 1; }", "oneof b { string y = 2; string z = 3; }")),
        False,
        False,
        "code: OneOfDiff, ONEOF_FIELD_REMOVED from a",
    ),
    (
        "oneof renamed",
        m(msg("oneof a { string x = 1; string y = 2; }")),
        m(msg("oneof b { string x = 1; string y = 2; }")),
        True,
        True,
        "code: ONEOF_REMOVED and ONEOF_ADDED are compatible; the same fields stay exclusive",
    ),
    (
        "two oneofs merged",
        m(msg("oneof a { string x = 1; }", "oneof b { string y = 2; }")),
        m(msg("oneof c { string x = 1; string y = 2; }")),
        False,
        True,
        "deliberate: the registry sees ONEOF_REMOVED/ADDED (compatible); old data may set x and y",
    ),
    (
        "field moved into a oneof with another type",
        m(msg("string a = 1;", "string b = 2;")),
        m(msg("string a = 1;", "oneof o { int32 b = 2; }")),
        False,
        False,
        "deliberate: the registry does not compare a moved field's type",
    ),
    # --- imported files: types compared structurally
    (
        "imported type changed incompatibly",
        using(imported("io.demo", HOME), ".io.demo.GoogleHome"),
        using(
            imported("io.demo", HOME.replace("int32 deviceID", "string deviceID"), name="google2.proto"),
            ".io.demo.GoogleHome",
            name="google2.proto",
        ),
        False,
        False,
        RP,
    ),
    (
        "imported type with a field added",
        using(imported("io.demo", HOME), ".io.demo.GoogleHome"),
        using(
            imported("io.demo", HOME.replace("bool enabled = 2;", "bool enabled = 2;\n  string room = 3;")),
            ".io.demo.GoogleHome",
        ),
        True,
        True,
        "reasoning: FIELD_ADDED inside the structural comparison is compatible",
    ),
    (
        "imported package renamed, same structure",
        using(imported("io.demo", HOME), ".io.demo.GoogleHome"),
        using(imported("io.demo2", HOME, name="google2.proto"), ".io.demo2.GoogleHome", name="google2.proto"),
        True,
        True,
        RP,
    ),
    (
        "imported nested type changed incompatibly",
        using(imported("io.demo", f"message outer {{\n{HOME}}}\n"), ".io.demo.outer.GoogleHome"),
        using(
            imported("io.demo2", f"message outer {{\n{HOME.replace('bool enabled', 'string enabled')}}}\n"),
            ".io.demo2.outer.GoogleHome",
        ),
        False,
        False,
        RP,
    ),
    (
        "local type moved into an import",
        m(msg("GoogleHome home = 1;") + HOME),
        using(imported("io.demo", HOME), ".io.demo.GoogleHome"),
        False,
        True,
        RP,
    ),
]


def compiled(folder: Path, files: dict[str, str]) -> protobuf.ProtoSchema:
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return protobuf.load(folder / "m.proto")


@pytest.mark.parametrize(
    ("change", "old", "new", "backward", "forward", "source"), CASES, ids=[c[0] for c in CASES]
)
def test_protobuf_case_in_every_mode(
    tmp_path: Path,
    change: str,
    old: dict[str, str],
    new: dict[str, str],
    backward: bool,
    forward: bool,
    source: str,
) -> None:
    assert source
    before, after = compiled(tmp_path / "old", old), compiled(tmp_path / "new", new)
    expected = verdicts(backward, forward)
    for mode in MODES:
        found = check_mode(mode, after, [before], protobuf.incompatibilities)  # type: ignore[arg-type]
        assert (not found) == expected[mode], (mode, [str(f) for f in found])


def test_an_imported_type_change_names_both_places(tmp_path: Path) -> None:
    before = compiled(tmp_path / "old", using(imported("io.demo", HOME), ".io.demo.GoogleHome"))
    after = compiled(
        tmp_path / "new",
        using(imported("io.demo", HOME.replace("int32 deviceID", "string deviceID")), ".io.demo.GoogleHome"),
    )
    assert protobuf.incompatibilities(after, before) == [
        "FIELD_SCALAR_KIND_CHANGED at #/GoogleHome/1 (deviceID: int32 -> string)",
        "FIELD_NAMED_TYPE_CHANGED at #/T/1 (home: GoogleHome changed incompatibly)",
    ]


def test_merged_oneofs_are_named(tmp_path: Path) -> None:
    before = compiled(tmp_path / "old", m(msg("oneof a { string x = 1; }", "oneof b { string y = 2; }")))
    after = compiled(tmp_path / "new", m(msg("oneof c { string x = 1; string y = 2; }")))
    assert protobuf.incompatibilities(after, before) == ["ONEOFS_MERGED at #/T/c (fields of oneofs a, b)"]
