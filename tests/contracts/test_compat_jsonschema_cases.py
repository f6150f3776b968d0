"""JSON Schema compatibility, case by case, against Confluent Schema Registry's own answers.

Each case is (name, old schema, new schema, backward?, forward?, source). BACKWARD reads old data
with the new schema (the registry's `SchemaDiff.compare(old, new)`), FORWARD the other way round;
every case runs under all seven modes. Sources:

- R7: confluentinc/schema-registry json-schema-provider/src/test/resources/diff-schema-examples.json
  (read as draft-07, as the registry does; its `compatible` is the BACKWARD answer);
- R20: .../diff-schema-examples-2020-12.json; RC: .../diff-combined-schema-examples.json;
- code: the registry's diff classes (json-schema-provider/src/main/java/.../json/diff/);
- reasoning: where no registry case exists (the forward answer of a registry case is its reverse);
- deliberate: the registry's answer lets data through that the new schema rejects; Tardis keeps the
  safe answer (listed in docs/contracts.md, "Deliberate differences").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from contract_helpers import verdicts
from hypothesis import given, settings
from hypothesis import strategies as st

from tardis_dagster.tooling.contracts.compatibility import jsonschema
from tardis_dagster.tooling.contracts.compatibility.evolution import check_files
from tardis_dagster.tooling.contracts.compatibility.jsonschema_model import draft_of
from tardis_dagster.tooling.contracts.compatibility.modes import MODES, check_mode

D4 = "http://json-schema.org/draft-04/schema#"
D6 = "http://json-schema.org/draft-06/schema#"
D7 = "http://json-schema.org/draft-07/schema#"
D2019 = "https://json-schema.org/draft/2019-09/schema"
D2020 = "https://json-schema.org/draft/2020-12/schema"
R7 = "R7"
R20 = "R20"
RC = "RC"


def d7(schema: dict[str, Any]) -> dict[str, Any]:
    return {"$schema": D7, **schema}


def d2020(schema: dict[str, Any]) -> dict[str, Any]:
    return {"$schema": D2020, **schema}


def d2019(schema: dict[str, Any]) -> dict[str, Any]:
    return {"$schema": D2019, **schema}


S = {"type": "string"}
N = {"type": "number"}
I = {"type": "integer"}  # noqa: E741
NULL_OR_S = {"oneOf": [{"type": "null"}, S]}


def props(*, closed: Any = None, required: list[str] | None = None, **properties: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"properties": properties}
    if closed is not None:
        schema["additionalProperties"] = closed
    if required is not None:
        schema["required"] = required
    return schema


def tup(*items: Any, extra: Any = None, key: str = "additionalItems") -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "array", ("prefixItems" if key == "items" else "items"): list(items)}
    if extra is not None:
        schema[key] = extra
    return schema


CASES: list[tuple[str, Any, Any, bool, bool, str]] = [
    # --- annotations and types
    ("anything can change to the empty schema", d7(props()), d7({}), True, False, R7),
    ("title changed", d7({"title": "a"}), d7({"title": "b"}), True, True, R7),
    ("description changed", d7({"description": "a"}), d7({"description": "b"}), True, True, R7),
    ("simple type changed object to array", d7({"type": "object"}), d7({"type": "array"}), False, False, R7),
    ("number narrowed to integer", d7(N), d7(I), False, True, R7),
    ("integer extended to number", d7(I), d7(N), True, False, R7),
    ("type array extended", d7({"type": ["object"]}), d7({"type": ["object", "array"]}), True, False, R7),
    # --- string, number bounds
    ("minLength increased", d7({**S, "minLength": 10}), d7({**S, "minLength": 11}), False, True, R7),
    ("maxLength increased", d7({**S, "maxLength": 10}), d7({**S, "maxLength": 12}), True, False, R7),
    ("pattern removed", d7({**S, "pattern": "uuid"}), d7(S), True, False, R7),
    ("pattern changed", d7({**S, "pattern": "a"}), d7({**S, "pattern": "b"}), False, False, R7),
    ("maximum removed", d7({**N, "maximum": 10}), d7(N), True, False, R7),
    ("minimum increased", d7({**N, "minimum": 10}), d7({**N, "minimum": 11}), False, True, R7),
    ("multipleOf reduced", d7({**N, "multipleOf": 10}), d7({**N, "multipleOf": 2}), True, False, R7),
    ("multipleOf changed", d7({**N, "multipleOf": 10}), d7({**N, "multipleOf": 11}), False, False, R7),
    (
        "multipleOf fractional reduced",
        d2020({**N, "multipleOf": 0.5}),
        d2020({**N, "multipleOf": 0.25}),
        True,
        False,
        "reasoning: every multiple of 0.5 is one of 0.25 (the registry truncates to int and divides by 0)",
    ),
    (
        "exclusiveMinimum raised",
        d7({**N, "exclusiveMinimum": 1}),
        d7({**N, "exclusiveMinimum": 2}),
        False,
        True,
        "code: NumberSchemaDiff EXCLUSIVE_MINIMUM_INCREASED is not in COMPATIBLE_CHANGES",
    ),
    # --- not, enum, const
    ("not narrowed", d7({"not": N}), d7({"not": I}), True, False, R7),
    ("not extended", d7({"not": I}), d7({"not": N}), False, True, R7),
    ("enum removed", d7({**S, "enum": ["red"]}), d7(S), True, False, R7),
    (
        "enum in allOf changed",
        d7({"allOf": [S, {"enum": ["red"]}]}),
        d7({"allOf": [S, {"enum": ["blue"]}]}),
        False,
        False,
        R7,
    ),
    (
        "enum in allOf extended",
        d7({"allOf": [S, {"enum": ["red"]}]}),
        d7({"allOf": [{"enum": ["red", "blue"]}, S]}),
        True,
        False,
        R7,
    ),
    ("const changed", d2020({"const": 1}), d2020({"const": 2}), False, False, "code: ConstSchemaDiff"),
    # --- combined
    ("oneOf subschema changed", d7({"oneOf": [S]}), d7({"oneOf": [N]}), False, False, R7),
    ("oneOf branch added", d7({"oneOf": [S]}), d7({"oneOf": [N, S]}), True, False, R7),
    ("plain to oneOf", d7(S), d7({"oneOf": [N, S]}), True, False, R7),
    ("null to optional oneOf", d7({"type": "null"}), d7({"oneOf": [N, {"type": "null"}]}), True, False, R7),
    (
        "composed: property type inside oneOf",
        d7({"oneOf": [props(foo=S)]}),
        d7({"oneOf": [props(foo=N)]}),
        False,
        False,
        R7,
    ),
    (
        "oneOf singleton to allOf singleton",
        d7({"oneOf": [S]}),
        d7({"allOf": [S]}),
        True,
        True,
        "code: CombinedSchemaDiff.compareCriteria, two singletons: COMBINED_TYPE_EXTENDED (RC anyOf->allOf)",
    ),
    (
        "allOf reordered",
        d7(props(p={"allOf": [{"enum": ["one", "two"]}, S, {"maxLength": 5}]})),
        d7(props(p={"allOf": [{"maxLength": 5}, {"enum": ["one", "two"]}, S]})),
        True,
        True,
        RC,
    ),
    (
        "allOf part changed to number",
        d7(props(p={"allOf": [{"enum": ["one"]}, S]})),
        d7(props(p={"allOf": [{"enum": ["one"]}, N]})),
        False,
        False,
        RC,
    ),
    (
        "allOf duplicates collapsed",
        d7(props(p={"allOf": [S, S]})),
        d7(props(p={"allOf": [S]})),
        True,
        True,
        RC,
    ),
    ("anyOf to oneOf narrowed", d7(props(p={"anyOf": [N, S]})), d7(props(p={"oneOf": [S]})), False, True, RC),
    (
        "allOf part dropped",
        d7(props(p={"allOf": [{"enum": ["one"]}, S]})),
        d7(props(p={"allOf": [S]})),
        True,
        False,
        RC,
    ),
    (
        "oneOf branch widened with more properties",
        d7(props(p={"oneOf": [{**S, "maxLength": 5}]})),
        d7(props(p={"oneOf": [{"type": "boolean"}, N, {"title": "t", **S, "maxLength": 8}]})),
        True,
        False,
        RC,
    ),
    (
        "allOf gained a part",
        d7(props(p={"allOf": [S]})),
        d7(props(p={"allOf": [{"enum": ["one"]}, S]})),
        False,
        True,
        RC,
    ),
    ("plain to a singleton allOf", d7(props(p=S)), d7(props(p={"allOf": [S]})), True, True, RC),
    ("plain to a two-part allOf", d7(props(p=S)), d7(props(p={"allOf": [N, S]})), False, True, RC),
    ("anyOf to a wider allOf", d7(props(p={"anyOf": [S]})), d7(props(p={"allOf": [N, S]})), False, True, RC),
    (
        "allOf singleton to a wider anyOf",
        d7(props(p={"allOf": [S]})),
        d7(props(p={"anyOf": [N, S]})),
        True,
        False,
        RC,
    ),
    # --- object content models
    (
        "open model: property removed and another added",
        d7(props(foo=S)),
        d7(props(bar=S)),
        False,
        False,
        R7,
    ),
    ("open model: property added", d7(props(foo=S)), d7(props(foo=S, bar=N)), False, True, R7),
    ("property type changed", d7(props(foo=S)), d7(props(foo=N)), False, False, R7),
    (
        "closed model: optional property added",
        d7(props(foo=S, closed=False)),
        d7(props(foo=S, bar=N, closed=False)),
        True,
        False,
        R7,
    ),
    (
        "patternProperties cover an added property",
        d7({**props(foo=S, closed=False), "patternProperties": {"^S_": S, "^I_": I}}),
        d7({**props(foo=S, I_123=N, closed=False), "patternProperties": {"^S_": S, "^I_": I}}),
        True,
        False,
        R7,
    ),
    (
        "partially open: property of the additional type added",
        d7(props(foo=S, closed=S)),
        d7(props(foo=S, bar=S, closed=S)),
        True,
        True,
        R7,
    ),
    (
        "partially open: property of another type added",
        d7(props(foo=S, closed=S)),
        d7(props(foo=S, bar=N, closed=S)),
        False,
        False,
        R7,
    ),
    (
        "partially open: required property added",
        d7(props(foo=S, closed=S)),
        d7(props(foo=S, bar=S, closed=S, required=["bar"])),
        False,
        True,
        R7,
    ),
    (
        "patternProperties cover a removed property",
        d7(props(foo=S, I_123=I, closed=False)),
        d7({**props(foo=S, closed=False), "patternProperties": {"^S_": S, "^I_": N}}),
        True,
        False,
        R7,
    ),
    (
        "patternProperties do not cover a removed property's type",
        d7(props(foo=S, I_123=N, closed=False)),
        d7({**props(foo=S, closed=False), "patternProperties": {"^I_": I}}),
        False,
        False,
        "reasoning: like R7 'property removed from partially open content model 3', with a pattern",
    ),
    (
        "partially open: removed property covered by additionalProperties",
        d7(props(foo=S, bar=S, closed=False)),
        d7(props(foo=S, closed=S)),
        True,
        False,
        R7,
    ),
    (
        "partially open: removed property not covered",
        d7(props(foo=S, bar=N, closed=False)),
        d7(props(foo=S, closed=S)),
        False,
        False,
        R7,
    ),
    (
        "partially open: nullable removed property covered",
        d7(props(foo=S, bar=NULL_OR_S, closed=False)),
        d7(props(foo=S, closed=NULL_OR_S)),
        True,
        False,
        R7,
    ),
    (
        "model closed",
        d7({"additionalProperties": True}),
        d7({"additionalProperties": False}),
        False,
        True,
        R7,
    ),
    (
        "additionalProperties narrowed",
        d7({"additionalProperties": True}),
        d7({"additionalProperties": N}),
        False,
        True,
        R7,
    ),
    (
        "additionalProperties changed",
        d7({"additionalProperties": S}),
        d7({"additionalProperties": N}),
        False,
        False,
        R7,
    ),
    (
        "open model: empty schema added",
        d7({"additionalProperties": True}),
        d7({"additionalProperties": True, "properties": {"foo": True}}),
        True,
        True,
        R7,
    ),
    (
        "closed model: false property removed",
        d7({"additionalProperties": False, "properties": {"foo": False}}),
        d7({"additionalProperties": False}),
        True,
        True,
        R7,
    ),
    (
        "partially open: removed property covered by a nullable additional schema",
        d7(props(foo=S, bar=S, closed=False)),
        d7(props(foo=S, closed=NULL_OR_S)),
        True,
        False,
        R7,
    ),
    (
        "closed model: false property added",
        d7({"additionalProperties": False}),
        d7({"additionalProperties": False, "properties": {"foo": False}}),
        True,
        True,
        R7,
    ),
    # --- required
    ("required removed", d7(props(foo=S, required=["foo"])), d7(props(foo=S)), True, False, R7),
    ("required added", d7(props(foo=S)), d7(props(foo=S, required=["foo"])), False, True, R7),
    (
        "required moved to an undeclared property",
        d7(props(foo=S, required=["foo"])),
        d7(props(foo=S, required=["bar"])),
        False,
        False,
        "deliberate: R7 'required array to be changed' says compatible; old data may lack bar",
    ),
    (
        "required added with a default",
        d7(props(foo=S)),
        d7(props(foo={**S, "default": "x"}, required=["foo"])),
        False,
        True,
        "deliberate: the registry's REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED is compatible; no default filled",
    ),
    # --- dependencies
    (
        "dependencies as array swapped",
        d7({**props(foo=N, bar=S), "dependencies": {"foo": ["bar"]}}),
        d7({**props(foo=N, bar=S), "dependencies": {"bar": ["foo"]}}),
        False,
        False,
        R7,
    ),
    (
        "dependency schema removed",
        d7({"dependencies": {"foo": S, "bar": S}}),
        d7({"dependencies": {"foo": S}}),
        True,
        False,
        R7,
    ),
    (
        "dependency schema changed",
        d7({"dependencies": {"foo": S}}),
        d7({"dependencies": {"foo": N}}),
        False,
        False,
        R7,
    ),
    (
        "dependentRequired swapped",
        d2020({**props(foo=N, bar=S), "dependentRequired": {"foo": ["bar"]}}),
        d2020({**props(foo=N, bar=S), "dependentRequired": {"bar": ["foo"]}}),
        False,
        False,
        R20,
    ),
    (
        "dependentRequired narrowed",
        d2020({"dependentRequired": {"foo": ["bar", "baz"]}}),
        d2020({"dependentRequired": {"foo": ["bar"]}}),
        True,
        False,
        "code: ObjectSchemaDiff DEPENDENCY_ARRAY_NARROWED is compatible, EXTENDED is not",
    ),
    (
        "dependentSchemas changed",
        d2020({"dependentSchemas": {"foo": S}}),
        d2020({"dependentSchemas": {"bar": S}}),
        False,
        False,
        R20,
    ),
    (
        "dependentSchemas removed",
        d2019({"dependentSchemas": {"foo": S}}),
        d2019({"dependentSchemas": {}}),
        True,
        False,
        "R20 'compatible changes to dependencies schemas', under 2019-09",
    ),
    # --- object bounds
    ("maxProperties decreased", d7({"maxProperties": 2}), d7({"maxProperties": 1}), False, True, R7),
    ("minProperties decreased", d7({"minProperties": 2}), d7({"minProperties": 1}), True, False, R7),
    # --- arrays
    ("items schema added", d7({"type": "array"}), d7({"type": "array", "items": S}), False, True, R7),
    ("tuple items removed into an open model", d7(tup(S, N)), d7({"type": "array"}), True, False, R7),
    (
        "tuple item covered by additionalItems",
        d7(tup(S, N, extra=S)),
        d7(tup(S, N, S, extra=S)),
        True,
        True,
        R7,
    ),
    (
        "tuple item not covered by additionalItems",
        d7(tup(S, N, extra=S)),
        d7(tup(S, N, N, extra=S)),
        False,
        False,
        R7,
    ),
    ("tuple item type changed", d7(tup(S)), d7(tup(N)), False, False, R7),
    (
        "tuple item added to a closed model",
        d7(tup(S, extra=False)),
        d7(tup(S, N, extra=False)),
        True,
        False,
        R7,
    ),
    (
        "additionalItems closed",
        d7({"additionalItems": True}),
        d7({"additionalItems": False}),
        False,
        True,
        R7,
    ),
    (
        "prefixItems removed into an open model",
        d2020(tup(S, N, key="items")),
        d2020({"type": "array"}),
        True,
        False,
        R20,
    ),
    (
        "prefixItems item covered by items",
        d2020(tup(S, N, extra=S, key="items")),
        d2020(tup(S, N, S, extra=S, key="items")),
        True,
        True,
        R20,
    ),
    (
        "prefixItems item not covered by items",
        d2020(tup(S, N, N, extra=S, key="items")),
        d2020(tup(S, N, extra=S, key="items")),
        False,
        False,
        R20,
    ),
    (
        "prefixItems item type changed",
        d2020(tup(S, key="items")),
        d2020(tup(N, key="items")),
        False,
        False,
        R20,
    ),
    ("items closed (2020-12)", d2020({"items": True}), d2020({"items": False}), False, True, R20),
    (
        "maxItems decreased",
        d7({"type": "array", "maxItems": 2}),
        d7({"type": "array", "maxItems": 1}),
        False,
        True,
        R7,
    ),
    (
        "uniqueItems removed",
        d7({"type": "array", "uniqueItems": True}),
        d7({"type": "array"}),
        True,
        False,
        R7,
    ),
    (
        "tuple: empty schema added to an open model",
        d7(tup(N, extra=True)),
        d7(tup(N, True, extra=True)),
        True,
        True,
        R7,
    ),
    (
        "tuple: false removed from a closed model",
        d7(tup(N, False, extra=False)),
        d7(tup(N, extra=False)),
        True,
        True,
        R7,
    ),
    (
        "tuple: item moved from additionalItems into the tuple",
        d7(tup(S, extra=N)),
        d7(tup(S, N, extra=True)),
        True,
        False,
        R7,
    ),
    (
        "prefixItems: item moved out of a closed model into items",
        d2020(tup(S, N, extra=False, key="items")),
        d2020(tup(S, extra=N, key="items")),
        True,
        False,
        R20,
    ),
    # --- $ref
    (
        "$ref target changed",
        d7({"type": "array", "items": {"$ref": "#/definitions/r"}, "definitions": {"r": S}}),
        d7({"type": "array", "items": {"$ref": "#/definitions/r"}, "definitions": {"r": N}}),
        False,
        False,
        R7,
    ),
    (
        "$anchor target narrowed",
        d2020({"properties": {"a": {"$ref": "#amount"}}, "$defs": {"x": {"$anchor": "amount", **N}}}),
        d2020({"properties": {"a": {"$ref": "#amount"}}, "$defs": {"x": {"$anchor": "amount", **I}}}),
        False,
        True,
        "reasoning: a $ref to an $anchor is followed like a pointer",
    ),
    ("moved into a $ref", d7(S), d7({"$ref": "#/definitions/r", "definitions": {"r": S}}), True, True, R7),
    (
        "recursive schema unchanged but retitled",
        d2020({"title": "a", "properties": {"child": {"$ref": "#"}}}),
        d2020({"title": "b", "properties": {"child": {"$ref": "#"}}}),
        True,
        True,
        "reasoning: the registry's Context stops at a schema already being compared",
    ),
    # --- 2019-09 / 2020-12 keywords the registry's diff does not compare (deliberate, safe answers)
    (
        "unevaluatedProperties closed",
        d2020(props(foo=S)),
        d2020({**props(foo=S), "unevaluatedProperties": False}),
        False,
        True,
        "deliberate: the registry keeps it unprocessed (SchemaTranslator); like additionalProperties",
    ),
    (
        "unevaluatedProperties opened",
        d2020({**props(foo=S), "unevaluatedProperties": False}),
        d2020(props(foo=S)),
        True,
        False,
        "reasoning: UNEVALUATED_PROPERTIES_ADDED, like ADDITIONAL_PROPERTIES_ADDED",
    ),
    (
        "unevaluatedProperties schema narrowed",
        d2019(props(foo=S)),
        d2019({**props(foo=S), "unevaluatedProperties": N}),
        False,
        True,
        "deliberate: UNEVALUATED_PROPERTIES_NARROWED (Difference.error lists it as breaking)",
    ),
    (
        "unevaluatedItems closed",
        d2020(tup(S, key="items")),
        d2020({**tup(S, key="items"), "unevaluatedItems": False}),
        False,
        True,
        "deliberate: the registry keeps unevaluatedItems unprocessed; like additionalItems",
    ),
    (
        "unevaluatedItems schema changed",
        d2020({"type": "array", "unevaluatedItems": S}),
        d2020({"type": "array", "unevaluatedItems": N}),
        False,
        False,
        "deliberate: compared like additionalItems",
    ),
    (
        "minContains raised",
        d2020({"type": "array", "contains": S, "minContains": 1}),
        d2020({"type": "array", "contains": S, "minContains": 2}),
        False,
        True,
        "deliberate: MIN_CONTAINS_INCREASED (Difference.error: breaking); the registry's diff skips it",
    ),
    (
        "maxContains raised",
        d2020({"type": "array", "contains": S, "maxContains": 2}),
        d2020({"type": "array", "contains": S, "maxContains": 3}),
        True,
        False,
        "reasoning: MAX_CONTAINS_INCREASED allows more",
    ),
    (
        "maxContains added",
        d2020({"type": "array", "contains": S}),
        d2020({"type": "array", "contains": S, "maxContains": 1}),
        False,
        True,
        "deliberate: MAX_CONTAINS_ADDED (Difference.error: breaking)",
    ),
    (
        "contains added",
        d2020({"type": "array"}),
        d2020({"type": "array", "contains": S}),
        False,
        True,
        "deliberate: old arrays may hold no string; the registry does not compare contains",
    ),
    (
        "contains widened",
        d2020({"type": "array", "contains": I}),
        d2020({"type": "array", "contains": N}),
        True,
        False,
        "reasoning: an item matching integer matches number",
    ),
    (
        "pattern property added to an open model",
        d2020(props(foo=S)),
        d2020({**props(foo=S), "patternProperties": {"^x_": I}}),
        False,
        True,
        "deliberate: the registry ignores the new pattern; old data may hold x_a: 'text'",
    ),
    (
        "pattern property's schema narrowed",
        d2020({**props(foo=S, closed=False), "patternProperties": {"^x_": N}}),
        d2020({**props(foo=S, closed=False), "patternProperties": {"^x_": I}}),
        False,
        True,
        "deliberate: the registry does not compare patternProperties schemas",
    ),
    (
        "property added beside patternProperties in an open model",
        d2020({**props(foo=S), "patternProperties": {"^x_": I}}),
        d2020({**props(foo=S, bar=N), "patternProperties": {"^x_": I}}),
        False,
        False,  # forward: the registry's PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL (stricter; kept)
        "deliberate: the registry says OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL; bar was free",
    ),
    (
        "propertyNames added",
        d2020(props(foo=S)),
        d2020({**props(foo=S), "propertyNames": {"maxLength": 3}}),
        False,
        True,
        "deliberate: the registry does not compare propertyNames",
    ),
    (
        "format added",
        d2020(props(d=S)),
        d2020(props(d={**S, "format": "date"})),
        False,
        True,
        "deliberate: the registry ignores format; the landing asserts it (format_assertion: true)",
    ),
    (
        "if/then changed",
        d2020({"if": props(a={"const": 1}), "then": {"required": ["b"]}}),
        d2020({"if": props(a={"const": 1}), "then": {"required": ["c"]}}),
        False,
        False,
        "deliberate: the registry does not compare if/then/else; cannot decide, treated as breaking",
    ),
    (
        "draft-04 exclusiveMinimum made exclusive",
        {"$schema": D4, **N, "minimum": 1},
        {"$schema": D4, **N, "minimum": 1, "exclusiveMinimum": True},
        False,
        True,
        "deliberate: draft-04's boolean makes the bound exclusive (everit keeps it a flag the diff ignores)",
    ),
    (
        "draft-06 const kept",
        {"$schema": D6, "const": 1},
        {"$schema": D6, "const": 1, "title": "x"},
        True,
        True,
        R7,
    ),
]


@pytest.mark.parametrize(
    ("change", "old", "new", "backward", "forward", "source"), CASES, ids=[c[0] for c in CASES]
)
def test_json_schema_case_in_every_mode(
    change: str, old: Any, new: Any, backward: bool, forward: bool, source: str
) -> None:
    assert source
    expected = verdicts(backward, forward)
    for mode in MODES:
        found = check_mode(mode, new, [old], jsonschema.incompatibilities)  # type: ignore[arg-type]
        assert (not found) == expected[mode], (mode, [str(f) for f in found])


@pytest.mark.parametrize(
    ("declared", "draft"),
    [
        (D4, "draft-04"),
        (D6, "draft-06"),
        (D7, "draft-07"),
        (D2019, "2019-09"),
        (D2020, "2020-12"),
        (None, "2020-12"),
    ],
)
def test_the_draft_comes_from_dollar_schema_and_defaults_to_2020_12(declared: str | None, draft: str) -> None:
    schema = {"$schema": declared} if declared else {}
    assert draft_of(schema) == draft
    assert draft_of({"$schema": declared.rstrip("#").replace("https", "http")} if declared else {}) == draft


def test_tuple_items_of_draft_07_load_and_compare() -> None:
    old = d7({"type": "array", "items": [S, N], "additionalItems": False})
    new = d7({"type": "array", "items": [S, N, {"type": "boolean"}], "additionalItems": False})
    assert jsonschema.incompatibilities(new, old) == []
    [reason] = jsonschema.incompatibilities(old, new)
    assert reason.startswith("ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL at #/items/2")


def test_the_same_keywords_read_under_another_draft_change_meaning() -> None:
    # `dependencies` is a draft-07 keyword; 2020-12 ignores it, so dropping the draft relaxes the schema
    old = d7({"dependencies": {"a": ["b"]}})
    assert jsonschema.incompatibilities(d2020({"dependencies": {"a": ["b"]}}), old) == []
    assert jsonschema.incompatibilities(old, d2020({"dependencies": {"a": ["b"]}}))


@pytest.mark.parametrize(
    ("unsupported", "keyword"),
    [
        ({"$dynamicRef": "#meta"}, "$dynamicRef"),
        ({"$recursiveRef": "#"}, "$recursiveRef"),
        ({"$ref": "https://example.com/a.json"}, "remote $ref"),
        ({"$ref": "#/$defs/missing"}, "points at nothing"),
        ({"type": "decimal"}, "unknown type"),
    ],
)
def test_an_unsupported_keyword_cannot_be_decided_and_is_breaking(unsupported: Any, keyword: str) -> None:
    old, new = d2019(props(a=S)), d2019(props(a=unsupported))
    for reader, writer in ((new, old), (old, new)):
        found = jsonschema.incompatibilities(reader, writer)
        assert found and all("cannot decide, treated as breaking" in reason for reason in found)
        assert any(keyword in reason for reason in found), found


def test_an_unchanged_schema_with_an_unsupported_keyword_passes() -> None:
    schema = d2020({"$dynamicRef": "#meta"})
    assert jsonschema.incompatibilities(schema, dict(schema)) == []


def test_a_reason_names_the_registry_difference_and_where() -> None:
    [added] = jsonschema.incompatibilities(d7(props(foo=S, bar=N)), d7(props(foo=S)))
    assert added.startswith("PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL at #/properties/bar (property 'bar' added")
    [moved] = jsonschema.incompatibilities(
        d7(props(foo=S, required=["bar"])), d7(props(foo=S, required=["foo"]))
    )
    assert moved.startswith("REQUIRED_ATTRIBUTE_ADDED at #/required/bar")


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=False) | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=8,
)
KEYWORDS = sorted(
    {
        "type",
        "enum",
        "const",
        "not",
        "allOf",
        "anyOf",
        "oneOf",
        "if",
        "then",
        "$ref",
        "properties",
        "required",
    }
    | {"additionalProperties", "patternProperties", "items", "prefixItems", "additionalItems", "contains"}
    | {
        "minContains",
        "maxContains",
        "multipleOf",
        "minimum",
        "maxLength",
        "pattern",
        "format",
        "dependencies",
    }
    | {"dependentRequired", "dependentSchemas", "unevaluatedProperties", "unevaluatedItems", "propertyNames"}
)
SCHEMAS = st.recursive(
    st.booleans() | st.dictionaries(st.sampled_from(KEYWORDS), JSON_VALUES, max_size=3),
    lambda inner: st.dictionaries(
        st.sampled_from(KEYWORDS),
        inner | st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=2), inner, max_size=2),
        max_size=3,
    ),
    max_leaves=10,
)


@settings(max_examples=50, deadline=None)
@given(old=SCHEMAS, new=SCHEMAS, draft=st.sampled_from([D4, D7, D2019, D2020]))
def test_any_document_gives_reasons_never_a_crash(old: Any, new: Any, draft: str) -> None:
    if isinstance(old, dict):
        old = {"$schema": draft, **old}
    found = jsonschema.incompatibilities(new, old)
    assert all(isinstance(reason, str) and " at #" in reason for reason in found)


def test_a_very_deep_schema_cannot_be_decided_rather_than_crash() -> None:
    deep: Any = S
    for _ in range(5000):
        deep = {"type": "array", "items": deep}
    found = jsonschema.incompatibilities(d2020(deep), d2020({"title": "x", **deep}))
    assert found and "cannot decide" in found[0]


def test_a_draft_07_file_with_tuple_items_is_checked_through_the_files(tmp_path: Path) -> None:
    old, new = tmp_path / "v1.json", tmp_path / "v2.json"
    old.write_text(
        json.dumps(d7({"type": "array", "items": [S], "additionalItems": False})), encoding="utf-8"
    )
    new.write_text(
        json.dumps(d7({"type": "array", "items": [S, N], "additionalItems": False})), encoding="utf-8"
    )
    assert check_files("json", "BACKWARD", new, [old]) == []
    [found] = check_files("json", "FORWARD", new, [old])
    assert found.reason.startswith("ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL at #/items/1")
