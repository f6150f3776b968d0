"""Avro compatibility, case by case, against Avro's schema-resolution rules (what the registry runs).

Each case is (name, old schema, new schema, backward?, forward?, source), checked under all seven
modes: BACKWARD reads old data with the new schema (reader = new), FORWARD the reverse. Sources:

- spec: Avro specification, "Schema Resolution" (https://avro.apache.org/docs/1.12.0/specification/#schema-resolution);
- CR: Confluent's evolution table (https://docs.confluent.io/platform/current/schema-registry/fundamentals/schema-evolution.html);
- AJ/<Test>: apache/avro lang/java/avro/src/test/java/org/apache/avro/<Test>.java, the Java tests of
  `SchemaCompatibility` (the checker Confluent Schema Registry calls).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from contract_helpers import verdicts

from tardis_dagster.tooling.contracts.compatibility import avro
from tardis_dagster.tooling.contracts.compatibility.modes import MODES, check_mode

SPEC = "spec"
CR = "CR"
MISMATCH = "AJ/TestSchemaCompatibilityTypeMismatch"
ENUM_DEFAULTS = "AJ/TestSchemaCompatibilityEnumDefaults"
DECIMALS = "AJ/TestBytesSchemaCompatibilityDecimalMismatch"


def record(*fields: dict[str, Any], name: str = "Order", **extra: Any) -> str:
    return json.dumps({"type": "record", "name": name, "namespace": "eats", "fields": list(fields), **extra})


def field(name: str, kind: Any, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": kind, **extra}


def enum(*symbols: str, **extra: Any) -> dict[str, Any]:
    return {"type": "enum", "name": "Status", "symbols": list(symbols), **extra}


def decimal(precision: int, scale: int) -> dict[str, Any]:
    return {"type": "bytes", "logicalType": "decimal", "precision": precision, "scale": scale}


ID = field("id", "string")

CASES: list[tuple[str, str, str, bool, bool, str]] = [
    # --- defaults
    ("field added with a default", record(ID), record(ID, field("n", "int", default=0)), True, True, CR),
    ("field added without a default", record(ID), record(ID, field("n", "int")), False, True, CR),
    ("field with a default removed", record(ID, field("n", "int", default=0)), record(ID), True, True, CR),
    ("field without a default removed", record(ID, field("n", "int")), record(ID), True, False, CR),
    (
        "nested record field added without a default",
        record(field("r", {"type": "record", "name": "In", "fields": [field("a", "int")]})),
        record(
            field("r", {"type": "record", "name": "In", "fields": [field("a", "int"), field("b", "int")]})
        ),
        False,
        True,
        SPEC,
    ),
    # --- promotions
    ("int promoted to long", record(field("n", "int")), record(field("n", "long")), True, False, MISMATCH),
    (
        "int promoted to double",
        record(field("n", "int")),
        record(field("n", "double")),
        True,
        False,
        MISMATCH,
    ),
    (
        "long promoted to float",
        record(field("n", "long")),
        record(field("n", "float")),
        True,
        False,
        MISMATCH,
    ),
    (
        "float promoted to double",
        record(field("n", "float")),
        record(field("n", "double")),
        True,
        False,
        MISMATCH,
    ),
    ("string to bytes and back", record(field("s", "string")), record(field("s", "bytes")), True, True, SPEC),
    ("int to string", record(field("n", "int")), record(field("n", "string")), False, False, MISMATCH),
    ("int to boolean", record(field("n", "int")), record(field("n", "boolean")), False, False, MISMATCH),
    (
        "array items promoted",
        record(field("a", {"type": "array", "items": "int"})),
        record(field("a", {"type": "array", "items": "long"})),
        True,
        False,
        MISMATCH,
    ),
    (
        "map values promoted",
        record(field("m", {"type": "map", "values": "int"})),
        record(field("m", {"type": "map", "values": "long"})),
        True,
        False,
        MISMATCH,
    ),
    (
        "map to array",
        record(field("m", {"type": "map", "values": "int"})),
        record(field("m", {"type": "array", "items": "int"})),
        False,
        False,
        MISMATCH,
    ),
    # --- aliases and names
    ("record renamed without an alias", record(ID), record(ID, name="Purchase"), False, False, SPEC),
    (
        "record renamed with an alias",
        record(ID),
        record(ID, name="Purchase", aliases=["Order"]),
        True,
        False,
        SPEC,
    ),
    (
        "namespace changed",
        record(ID),
        json.dumps({**json.loads(record(ID)), "namespace": "food"}),
        True,
        True,
        SPEC,
    ),
    (
        "field renamed with an alias",
        record(field("n", "int")),
        record(field("m", "int", aliases=["n"])),
        True,
        False,
        SPEC,
    ),
    (
        "field renamed without an alias",
        record(field("n", "int")),
        record(field("m", "int")),
        False,
        False,
        SPEC,
    ),
    (
        "enum renamed with an alias",
        record(field("s", enum("A"))),
        record(field("s", {**enum("A"), "name": "State", "aliases": ["Status"]})),
        True,
        False,
        SPEC,
    ),
    # --- enums with and without a default
    (
        "enum symbol added",
        record(field("s", enum("A", "B"))),
        record(field("s", enum("A", "B", "C"))),
        True,
        False,
        SPEC,
    ),
    (
        "enum symbol removed, no enum default",
        record(field("s", enum("A", "B", "C"))),
        record(field("s", enum("A", "B"))),
        False,
        True,
        SPEC,
    ),
    (
        "enum symbol removed, the enum has a default",
        record(field("s", enum("A", "B", "C", default="A"))),
        record(field("s", enum("A", "B", default="A"))),
        True,
        True,
        ENUM_DEFAULTS,
    ),
    (
        "enum symbol removed, only the field has a default",
        record(field("s", enum("A", "B", "C"))),
        record(field("s", enum("A", "B"), default="A")),
        False,
        True,
        ENUM_DEFAULTS + " (fieldDefaultNotAppliedForUnknownSymbol)",
    ),
    ("enum to int", record(field("s", enum("A"))), record(field("s", "int")), False, False, MISMATCH),
    # --- unions
    (
        "made nullable",
        record(field("n", "string")),
        record(field("n", ["null", "string"], default=None)),
        True,
        False,
        SPEC,
    ),
    (
        "union branch added",
        record(field("n", ["null", "int"])),
        record(field("n", ["null", "int", "string"])),
        True,
        False,
        SPEC,
    ),
    (
        "union reordered",
        record(field("n", ["null", "string"])),
        record(field("n", ["string", "null"])),
        True,
        True,
        SPEC,
    ),
    (
        "int into a union with long",
        record(field("n", "int")),
        record(field("n", ["null", "long"])),
        True,
        False,
        SPEC,
    ),
    (
        "union narrowed to one branch",
        record(field("n", ["int", "float"])),
        record(field("n", "int")),
        False,
        True,
        MISMATCH,
    ),
    # --- fixed, decimals
    (
        "fixed size changed",
        record(field("f", {"type": "fixed", "name": "F", "size": 4})),
        record(field("f", {"type": "fixed", "name": "F", "size": 8})),
        False,
        False,
        SPEC,
    ),
    (
        "decimal scale changed",
        record(field("d", decimal(3, 2))),
        record(field("d", decimal(3, 3))),
        False,
        False,
        DECIMALS,
    ),
    (
        "decimal precision shrank",
        record(field("d", decimal(4, 3))),
        record(field("d", decimal(3, 3))),
        False,
        True,
        DECIMALS,
    ),
    ("doc changed only", record(ID), record({**ID, "doc": "the order id"}), True, True, SPEC),
]


@pytest.mark.parametrize(
    ("change", "old", "new", "backward", "forward", "source"), CASES, ids=[c[0] for c in CASES]
)
def test_avro_case_in_every_mode(
    change: str, old: str, new: str, backward: bool, forward: bool, source: str
) -> None:
    assert source
    expected = verdicts(backward, forward)
    for mode in MODES:
        found = check_mode(mode, avro.parse(new), [avro.parse(old)], avro.incompatibilities)  # type: ignore[arg-type]
        assert (not found) == expected[mode], (mode, [str(f) for f in found])


def test_a_decimal_mismatch_names_both_scales() -> None:
    [reason] = avro.incompatibilities(
        avro.parse(record(field("d", decimal(3, 3)))), avro.parse(record(field("d", decimal(3, 2))))
    )
    assert reason.startswith(
        "decimal scale or precision mismatch at /fields/0/type (reader (3,3), writer (3,2)"
    )
