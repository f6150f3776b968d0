"""JSON Schema validation as Spark column expressions, so valid records never leave the JVM.

Covers the keywords of flat event schemas (the common case for Kafka topics): a top-level object
with `properties`, `required`, `additionalProperties: false`, and on scalar properties one `type`
(or one and null), `enum`, `const`, `minimum`/`maximum` (and exclusive forms), `minLength`/
`maxLength`, `pattern` and the formats `date-time`, `date` and `email`. Types are checked by
parsing with `from_json` into the schema's Spark types (`parse_type`: date and date-time
properties as text, then checked for their RFC 3339 shape and cast by `typed_payload`). For
anything else (several types, `oneOf`, nested constraints, `$ref`...) `native_checks` returns None
and the caller validates with the `jsonschema` package in a Python UDF instead.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F  # noqa: N812 - the PySpark convention
from pyspark.sql.types import StringType, StructField, StructType

from tardis_dagster.jobs.tables import quote

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
_TEMPORAL = {"date-time": "TIMESTAMP", "date": "DATE"}
# RFC 3339 shapes; the cast then rejects impossible values (a 30 February, hour 25).
_TEMPORAL_PATTERNS = {
    "TIMESTAMP": r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$",
    "DATE": r"^\d{4}-\d{2}-\d{2}$",
}
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
        # One type besides null: several (string or integer) are parsed as text, which takes any value.
        if (
            len(kinds - {"null"}) != 1
            or kinds - _SCALAR_TYPES
            or node.get("format", "date-time") not in _FORMATS
        ):
            return False
    return True


def _sql_literal(value: Any) -> Column:
    return F.lit(value)


def temporal_properties(schema: dict[str, Any]) -> dict[str, str]:
    """The date and date-time properties of a flat schema, with the Spark type each is cast to.

    They are parsed as STRING and cast afterwards: Spark's JSON reader would read a bare number into
    a TIMESTAMP or DATE field as epoch time, while a string that is no valid date is plainly visible.
    """
    return {
        name: _TEMPORAL[node["format"]]
        for name, node in schema.get("properties", {}).items()
        if isinstance(node, dict)
        and node.get("format") in _TEMPORAL
        and _types(node) - {"null"} == {"string"}
    }


def parse_type(schema: dict[str, Any], payload: StructType) -> StructType:
    """What `from_json` parses into: the payload with temporal properties as STRING, plus `CORRUPT`."""
    temporal = temporal_properties(schema)
    fields = [StructField(f.name, StringType()) if f.name in temporal else f for f in payload.fields]
    return StructType([*fields, StructField(CORRUPT, StringType())])


def typed_payload(schema: dict[str, Any], parsed: str, payload: StructType) -> Column:
    """The payload struct from the parsed one (the column named `parsed`): temporal strings cast."""
    temporal = temporal_properties(schema)
    column = F.col(parsed)

    def typed(name: str) -> Column:
        if name not in temporal:
            return column[name]
        kind = temporal[name]
        cast = F.expr(f"try_cast({quote(parsed)}.{quote(name)} AS {kind})")
        return F.when(column[name].rlike(_TEMPORAL_PATTERNS[kind]), cast)

    return F.struct(*[typed(f.name).alias(f.name) for f in payload.fields])


def native_checks(
    schema: dict[str, Any], value: Column, parsed: Column, keys: Column, typed: Column
) -> list[tuple[Column, str]] | None:
    """(violation condition, reason) pairs for `schema`, or None when it needs the jsonschema package.

    `value` is the raw JSON text, `parsed` the `from_json` struct of `parse_type`, `keys` the
    record's top-level keys (`keys_of`), `typed` the `typed_payload`. Pass them as columns computed
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
    temporal = temporal_properties(schema)
    # Spark reads any JSON scalar, object or array into a STRING field as its text, so a string
    # property holding another type is only visible in the raw text. Scanning the text is costly:
    # it is done per property, and only where the parsed text could be another type (it starts like
    # a number, {, [, or is true/false). A temporal property holding another type fails its cast.
    for name, node in properties.items():
        if _types(node) - {"null"} != {"string"}:
            continue
        field = parsed[name]
        if name in temporal:
            checks.append(
                (field.isNotNull() & typed[name].isNull(), f"$.{name}: is not a '{node['format']}'")
            )
            continue
        # coalesce: an absent property gives a null guard, and `null AND x` still evaluates x.
        suspicious = F.coalesce(
            F.substring(field, 1, 1).isin(*_NON_STRING_STARTS) | field.isin("true", "false"), F.lit(False)
        )
        checks.append(
            (
                suspicious & value.rlike(rf'(?<!\\)"{re.escape(name)}"\s*:\s*[^"\sn]'),
                f"$.{name}: is not of type 'string'",
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


def with_violations(df: DataFrame, checks: list[tuple[Column, str]], name: str) -> DataFrame:
    """`df` with column `name`: every failing check's reason joined by '; ', or null when valid.

    `concat_ws` evaluates all its arguments and skips nulls, so one record lists every failure. The
    joined text is its own column first: written twice in one expression (`when(r != '', r)`) it
    was evaluated twice per record, doubling the cost of validation.
    """
    reasons = F.concat_ws(
        "; ", *[F.when(F.coalesce(condition, F.lit(False)), F.lit(text)) for condition, text in checks]
    )
    staged = f"{name}__reasons"
    df = df.withColumn(staged, reasons)
    return df.withColumn(name, F.when(F.col(staged) != "", F.col(staged))).drop(staged)
