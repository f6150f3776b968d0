"""JSON Schema validation as Spark column expressions, so valid records never leave the JVM.

Covers the keywords of flat event schemas (the common case for Kafka topics): a top-level object
with `properties`, `required`, `additionalProperties: false`, and on scalar properties `type`,
`enum`, `const`, `minimum`/`maximum` (and exclusive forms), `minLength`/`maxLength`, `pattern` and
the formats `date-time`, `date` and `email`. Types are checked by parsing with `from_json` into the
schema's Spark types. For anything else (`oneOf`, nested constraints, `$ref`...) `native_checks`
returns None and the caller validates with the `jsonschema` package in a Python UDF instead.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pyspark.sql import Column
from pyspark.sql import functions as F  # noqa: N812 - the PySpark convention

CORRUPT = "_corrupt_record"
_ANNOTATIONS = {"$schema", "$id", "$comment", "title", "description", "default", "examples", "deprecated"}
_TOP = _ANNOTATIONS | {"type", "properties", "required", "additionalProperties"}
_SCALAR = _ANNOTATIONS | {
    "type",
    "enum",
    "const",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
    "format",
}
_SCALAR_TYPES = {"string", "integer", "number", "boolean", "null"}
_FORMATS = {"date-time", "date", "email"}
_EMAIL = r"^[^@\s]+@[^@\s]+$"
_NON_STRING_STARTS = [*"-0123456789", "{", "["]


def _types(node: dict[str, Any]) -> set[str]:
    kind = node.get("type")
    return set(kind) if isinstance(kind, list) else {kind} if isinstance(kind, str) else set()


def supported(schema: dict[str, Any]) -> bool:
    """Whether every keyword of `schema` is one this module checks natively."""
    if set(schema) - _TOP or _types(schema) - {"object"} or not isinstance(schema.get("properties"), dict):
        return False
    if schema.get("additionalProperties", True) not in (True, False):
        return False
    for node in schema["properties"].values():
        if not isinstance(node, dict) or set(node) - _SCALAR:
            return False
        kinds = _types(node)
        if not kinds or kinds - _SCALAR_TYPES or node.get("format", "date-time") not in _FORMATS:
            return False
    return True


def _sql_literal(value: Any) -> Column:
    return F.lit(value)


def native_checks(
    schema: dict[str, Any], value: Column, parsed: Column, keys: Column
) -> list[tuple[Column, str]] | None:
    """(violation condition, reason) pairs for `schema`, or None when it needs the jsonschema package.

    `value` is the raw JSON text, `parsed` the `from_json` struct that includes `_corrupt_record`,
    `keys` the record's top-level keys (`keys_of`). Pass `parsed` and `keys` as columns computed
    once beforehand: every check reads them, and parsing JSON is the expensive part.
    """
    if not supported(schema):
        return None
    checks: list[tuple[Column, str]] = [
        (value.isNull(), "empty value (null)"),
        (
            parsed.isNull() | parsed[CORRUPT].isNotNull(),
            "not JSON of the schema's types (malformed or a wrong type)",
        ),
    ]
    properties: dict[str, dict[str, Any]] = schema["properties"]
    # Spark reads any JSON scalar into a STRING field as its text, and a bare number into a TIMESTAMP
    # or DATE field as epoch time, so those type errors are only visible in the raw text. Scanning
    # the text is costly: for plain strings it is done only where the text could be another type
    # (starts like a number, {, [, or is true/false); date and date-time fields always need it.
    strings = [name for name, node in properties.items() if _types(node) - {"null"} == {"string"}]
    if strings:
        keys_pattern = "|".join(re.escape(name) for name in strings)
        suspicious = F.lit(False)
        for name in strings:
            if properties[name].get("format") in ("date", "date-time"):
                suspicious = F.lit(True)
                break
            field = parsed[name]
            suspicious = (
                suspicious | F.substring(field, 1, 1).isin(*_NON_STRING_STARTS) | field.isin("true", "false")
            )
        checks.append(
            (
                suspicious & value.rlike(rf'(?<!\\)"({keys_pattern})"\s*:\s*[^"\sn]'),
                f"a property of type string holds another type ({', '.join(strings)})",
            )
        )
    if schema.get("additionalProperties") is False:
        allowed = F.array(*[F.lit(name) for name in properties])
        checks.append(
            (
                F.size(F.array_except(keys, allowed)) > 0,
                f"a property outside the schema (allowed: {', '.join(properties)})",
            )
        )
    for name in schema.get("required", []):
        checks.append((~F.array_contains(keys, F.lit(name)), f"$: '{name}' is a required property"))
    for name, node in properties.items():
        field = parsed[name]
        nullable = "null" in _types(node)
        if not nullable:
            # Present but null: a JSON null (a value of the wrong type already made the record corrupt).
            checks.append(
                (F.array_contains(keys, F.lit(name)) & field.isNull(), f"$.{name}: None is not allowed")
            )
        present = field.isNotNull()
        if "enum" in node:
            options = [v for v in node["enum"] if v is not None]
            checks.append((present & ~field.isin(options), f"$.{name}: not one of {json.dumps(options)}"))
        if "const" in node:
            checks.append(
                (present & (field != _sql_literal(node["const"])), f"$.{name}: must be {node['const']!r}")
            )
        for keyword, test in (
            ("minimum", lambda f, v: f < v),
            ("maximum", lambda f, v: f > v),
            ("exclusiveMinimum", lambda f, v: f <= v),
            ("exclusiveMaximum", lambda f, v: f >= v),
        ):
            if isinstance(node.get(keyword), int | float):
                checks.append(
                    (present & test(field, F.lit(node[keyword])), f"$.{name}: {keyword} {node[keyword]}")
                )
        if "minLength" in node:
            checks.append(
                (present & (F.length(field) < node["minLength"]), f"$.{name}: minLength {node['minLength']}")
            )
        if "maxLength" in node:
            checks.append(
                (present & (F.length(field) > node["maxLength"]), f"$.{name}: maxLength {node['maxLength']}")
            )
        if "pattern" in node:
            checks.append(
                (present & ~field.rlike(node["pattern"]), f"$.{name}: does not match {node['pattern']}")
            )
        if node.get("format") == "email":
            checks.append((present & ~field.rlike(_EMAIL), f"$.{name}: is not an 'email'"))
    return checks


def keys_of(value: Column) -> Column:
    """The top-level keys of a JSON object (empty for anything else)."""
    return F.coalesce(F.json_object_keys(value), F.array().cast("array<string>"))


def violations(checks: list[tuple[Column, str]]) -> Column:
    """Every failing check's reason joined by '; ', or null when the record is valid.

    `concat_ws` evaluates all its arguments and skips nulls; unlike a CASE chain (which Spark
    evaluates branch by branch), that lets Spark parse the JSON once per record for all checks.
    """
    reasons = F.concat_ws(
        "; ", *[F.when(F.coalesce(condition, F.lit(False)), F.lit(text)) for condition, text in checks]
    )
    return F.when(reasons != "", reasons)
