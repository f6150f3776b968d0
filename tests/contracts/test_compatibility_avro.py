"""Avro compatibility matrix: each schema change under every mode (Confluent semantics)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from contract_helpers import verdicts

from tardis_dagster.tooling.contracts.compatibility import avro
from tardis_dagster.tooling.contracts.compatibility.modes import MODES, check_mode


def record(*fields: dict[str, Any], name: str = "Order") -> str:
    return json.dumps({"type": "record", "name": name, "namespace": "eats", "fields": list(fields)})


ID = {"name": "id", "type": "string"}

# (change, old schema, new schema, backward compatible?, forward compatible?)
CHANGES = [
    (
        "field added with default",
        record(ID),
        record(ID, {"name": "n", "type": "int", "default": 0}),
        True,
        True,
    ),
    ("field added without default", record(ID), record(ID, {"name": "n", "type": "int"}), False, True),
    (
        "field with default removed",
        record(ID, {"name": "n", "type": "int", "default": 0}),
        record(ID),
        True,
        True,
    ),
    ("field without default removed", record(ID, {"name": "n", "type": "int"}), record(ID), True, False),
    (
        "int promoted to long",
        record(ID, {"name": "n", "type": "int"}),
        record(ID, {"name": "n", "type": "long"}),
        True,
        False,
    ),
    (
        "string changed to int",
        record(ID, {"name": "n", "type": "string"}),
        record(ID, {"name": "n", "type": "int"}),
        False,
        False,
    ),
    (
        "made nullable",
        record(ID, {"name": "n", "type": "string"}),
        record(ID, {"name": "n", "type": ["null", "string"], "default": None}),
        True,
        False,
    ),
    (
        "enum symbol added",
        record(ID, {"name": "s", "type": {"type": "enum", "name": "S", "symbols": ["A", "B"]}}),
        record(ID, {"name": "s", "type": {"type": "enum", "name": "S", "symbols": ["A", "B", "C"]}}),
        True,
        False,
    ),
    ("record renamed without alias", record(ID), record(ID, name="Purchase"), False, False),
    ("doc changed only", record(ID), record({**ID, "doc": "the order id"}), True, True),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("change", "old", "new", "backward", "forward"), CHANGES, ids=[c[0] for c in CHANGES]
)
def test_avro_matrix(change: str, old: str, new: str, backward: bool, forward: bool, mode: str) -> None:
    found = check_mode(mode, avro.parse(new), [avro.parse(old)], avro.incompatibilities)  # type: ignore[arg-type]
    assert (not found) == verdicts(backward, forward)[mode], [str(f) for f in found]


V1 = record(ID, {"name": "n", "type": "string", "default": ""})
V2 = record(ID)
V3 = record(ID, {"name": "n", "type": "int", "default": 0})


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
def test_avro_transitive_modes_check_every_earlier_version(mode: str, compatible: bool) -> None:
    # v1 n:string -> v2 drops n -> v3 n:int: each step is fine, but v3 cannot read v1's strings
    history = [avro.parse(V1), avro.parse(V2)]
    found = check_mode(mode, avro.parse(V3), history, avro.incompatibilities)  # type: ignore[arg-type]
    assert (not found) == compatible, [str(f) for f in found]
    if not compatible:
        assert all(f.version == "version 1" for f in found)


def test_an_invalid_avro_schema_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="not a valid Avro schema"):
        avro.parse('{"type": "record", "name": "X"}')
