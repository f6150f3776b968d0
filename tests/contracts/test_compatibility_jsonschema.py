"""JSON Schema compatibility matrix: each schema change under every mode (Confluent semantics)."""

from __future__ import annotations

from typing import Any

import pytest
from contract_helpers import verdicts

from tardis_dagster.tooling.contracts.compatibility import jsonschema
from tardis_dagster.tooling.contracts.compatibility.modes import MODES, check_mode


def obj(
    properties: dict[str, Any], *, required: tuple[str, ...] = ("id",), extra: Any = None
) -> dict[str, Any]:
    """An object schema; `extra=False` closes the content model, a schema makes it partially open."""
    schema: dict[str, Any] = {"type": "object", "properties": properties, "required": list(required)}
    if extra is not None:
        schema["additionalProperties"] = extra
    return schema


ID = {"id": {"type": "string"}}
STR = {"type": "string"}

# (change, old schema, new schema, backward compatible?, forward compatible?)
CHANGES = [
    (
        "closed model: optional property added",
        obj(ID, extra=False),
        obj({**ID, "n": STR}, extra=False),
        True,
        False,
    ),
    (
        "closed model: optional property removed",
        obj({**ID, "n": STR}, extra=False),
        obj(ID, extra=False),
        False,
        True,
    ),
    ("open model: typed property added", obj(ID), obj({**ID, "n": STR}), False, True),
    ("open model: property removed", obj({**ID, "n": STR}), obj(ID), True, False),
    ("open model: untyped property added", obj(ID), obj({**ID, "n": {}}), True, True),
    (
        "partially open model: property of the additional type added",
        obj(ID, extra=STR),
        obj({**ID, "n": STR}, extra=STR),
        True,
        True,
    ),
    (
        "partially open model: property of another type added",
        obj(ID, extra=STR),
        obj({**ID, "n": {"type": "integer"}}, extra=STR),
        False,
        False,
    ),
    ("model closed", obj(ID), obj(ID, extra=False), False, True),
    (
        "optional property made required",
        obj({**ID, "n": STR}, extra=False),
        obj({**ID, "n": STR}, required=("id", "n"), extra=False),
        False,
        True,
    ),
    (
        "type widened integer to number",
        obj({**ID, "n": {"type": "integer"}}, extra=False),
        obj({**ID, "n": {"type": "number"}}, extra=False),
        True,
        False,
    ),
    (
        "type changed string to integer",
        obj({**ID, "n": STR}, extra=False),
        obj({**ID, "n": {"type": "integer"}}, extra=False),
        False,
        False,
    ),
    (
        "made nullable",
        obj({**ID, "n": STR}, extra=False),
        obj({**ID, "n": {"type": ["string", "null"]}}, extra=False),
        True,
        False,
    ),
    (
        "enum value added",
        obj({**ID, "s": {"enum": ["a", "b"]}}, extra=False),
        obj({**ID, "s": {"enum": ["a", "b", "c"]}}, extra=False),
        True,
        False,
    ),
    (
        "minimum raised",
        obj({**ID, "n": {"type": "number", "minimum": 0}}, extra=False),
        obj({**ID, "n": {"type": "number", "minimum": 1}}, extra=False),
        False,
        True,
    ),
    (
        "maxLength raised",
        obj({**ID, "n": {"type": "string", "maxLength": 10}}, extra=False),
        obj({**ID, "n": {"type": "string", "maxLength": 20}}, extra=False),
        True,
        False,
    ),
    (
        "format changed",
        obj({**ID, "n": {"type": "string", "format": "date"}}, extra=False),
        obj({**ID, "n": {"type": "string", "format": "date-time"}}, extra=False),
        False,
        False,
    ),
    (
        "array items widened",
        obj({**ID, "n": {"type": "array", "items": {"type": "integer"}}}, extra=False),
        obj({**ID, "n": {"type": "array", "items": {"type": "number"}}}, extra=False),
        True,
        False,
    ),
    (
        "$ref target narrowed",
        {
            **obj({**ID, "a": {"$ref": "#/$defs/amount"}}, extra=False),
            "$defs": {"amount": {"type": "number"}},
        },
        {
            **obj({**ID, "a": {"$ref": "#/$defs/amount"}}, extra=False),
            "$defs": {"amount": {"type": "integer"}},
        },
        False,
        True,
    ),
    (
        "union written as anyOf",
        obj({**ID, "n": {"type": ["string", "null"]}}, extra=False),
        obj({**ID, "n": {"anyOf": [{"type": "string"}, {"type": "null"}]}}, extra=False),
        True,
        True,
    ),
    ("description changed only", obj(ID), {**obj(ID), "description": "an order"}, True, True),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("change", "old", "new", "backward", "forward"), CHANGES, ids=[c[0] for c in CHANGES]
)
def test_json_schema_matrix(
    change: str, old: dict[str, Any], new: dict[str, Any], backward: bool, forward: bool, mode: str
) -> None:
    found = check_mode(mode, new, [old], jsonschema.incompatibilities)  # type: ignore[arg-type]
    assert (not found) == verdicts(backward, forward)[mode], [str(f) for f in found]


def test_the_reason_names_the_property_and_the_content_model() -> None:
    [reason] = jsonschema.incompatibilities(obj({**ID, "n": STR}), obj(ID))
    assert reason.startswith(
        "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL at #/properties/n (property 'n' added to an open"
    )


V1 = obj({**ID, "n": STR}, extra=False)
V2 = obj({**ID, "n": {"type": "integer"}}, extra=False)  # a break that was accepted (mode NONE at the time)
V3 = obj({**ID, "n": {"type": "integer"}, "m": STR}, extra=False)


@pytest.mark.parametrize(
    ("mode", "compatible"),
    [
        ("BACKWARD", True),
        ("BACKWARD_TRANSITIVE", False),
        ("FORWARD", False),
        ("FORWARD_TRANSITIVE", False),
        ("FULL", False),
        ("FULL_TRANSITIVE", False),
        ("NONE", True),
    ],
)
def test_json_schema_transitive_modes_check_every_earlier_version(mode: str, compatible: bool) -> None:
    found = check_mode(mode, V3, [V1, V2], jsonschema.incompatibilities)  # type: ignore[arg-type]
    assert (not found) == compatible, [str(f) for f in found]
