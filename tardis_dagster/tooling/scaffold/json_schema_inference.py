"""Sampled JSON records -> a JSON Schema (draft 2020-12) that the landing validates them against.

Types come from the values seen (integer, number, string, boolean, object, array; a field seen as
both integer and number is a number); a field present and non-null in every sampled record is
`required`; a field that was null somewhere allows null; strings that are all RFC 3339 date-times
(or all dates) get `format: date-time` (`date`), checked with the landing's own format rules
(`core/formats/jsonschema.py`), so the sample itself always validates. The model stays open (no
`additionalProperties: false`): a field the producer adds later lands instead of being quarantined.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from tardis_dagster.core.formats.jsonschema import is_date, is_date_time

DRAFT = "https://json-schema.org/draft/2020-12/schema"
# Values kept per field for format detection and PII proposals; more says nothing new.
MAX_SAMPLES = 200


@dataclass
class _Shape:
    """What one field (or array element) looked like across the sample."""

    kinds: Counter[str] = field(default_factory=Counter)
    present: int = 0
    strings: list[str] = field(default_factory=list)
    values: list[Any] = field(default_factory=list)
    objects: int = 0
    properties: dict[str, _Shape] = field(default_factory=dict)
    items: _Shape | None = None

    def add(self, value: Any) -> None:
        self.present += 1
        kind = json_kind(value)
        self.kinds[kind] += 1
        if kind not in ("object", "array", "null") and len(self.values) < MAX_SAMPLES:
            self.values.append(value)
        if kind == "string" and len(self.strings) < MAX_SAMPLES:
            self.strings.append(value)
        elif kind == "object":
            self.objects += 1
            for name, inner in value.items():
                self.properties.setdefault(name, _Shape()).add(inner)
        elif kind == "array":
            if self.items is None:
                self.items = _Shape()
            for inner in value:
                self.items.add(inner)


def json_kind(value: Any) -> str:
    """The JSON Schema type name of a parsed JSON value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


@dataclass
class JsonInference:
    """The schema inferred from a sample, and the sampled values of each top-level field."""

    schema: dict[str, Any]
    samples: dict[str, list[Any]]
    records: int


def infer_json_schema(records: list[dict[str, Any]], title: str) -> JsonInference:
    """A JSON Schema for ``records`` (each a JSON object), titled ``title``."""
    root = _Shape()
    for record in records:
        root.add(record)
    schema: dict[str, Any] = {"$schema": DRAFT, "title": title}
    schema.update(_object_schema(root))
    samples = {name: shape.values for name, shape in root.properties.items()}
    return JsonInference(schema, samples, len(records))


def _object_schema(shape: _Shape) -> dict[str, Any]:
    properties = {name: _schema(inner) for name, inner in shape.properties.items()}
    required = [
        name
        for name, inner in shape.properties.items()
        if inner.present == shape.objects and inner.kinds["null"] == 0
    ]
    result: dict[str, Any] = {"type": "object"}
    if required:
        result["required"] = required
    result["properties"] = properties
    return result


def _schema(shape: _Shape) -> dict[str, Any]:
    kinds = {kind for kind in shape.kinds if kind != "null"}
    if kinds == {"integer", "number"}:
        kinds = {"number"}
    nullable = shape.kinds["null"] > 0
    if len(kinds) != 1:
        # Never seen with a value, or with several kinds (text and numbers): any value lands, as text.
        return {}
    (kind,) = kinds
    if kind == "object":
        result = _object_schema(shape)
    elif kind == "array":
        result = {"type": "array"}
        if shape.items is not None and shape.items.present:
            result["items"] = _schema(shape.items)
    else:
        result = {"type": kind}
        if kind == "string":
            string_format = _string_format(shape.strings)
            if string_format is not None:
                result["format"] = string_format
    if nullable:
        result["type"] = [result["type"], "null"]
    return result


def _string_format(values: list[str]) -> str | None:
    if not values:
        return None
    if all(is_date_time(value) for value in values):
        return "date-time"
    if all(is_date(value) for value in values):
        return "date"
    return None
