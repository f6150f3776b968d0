"""JSON Schema validation as Spark column expressions, so valid records never leave the JVM.

Covers the keywords of flat event schemas (the common case for Kafka topics): a top-level
`"type": "object"` with `properties`, `required`, `additionalProperties: false`, and on properties
of scalar types (one, several, or none given) `type`, `enum`, `const` (scalar values),
`minimum`/`maximum` (and exclusive forms), `minLength`/`maxLength`, `pattern` and the formats
`date-time`, `date` and `email`, each keyword applying only to values of its own type, as the
specification says. For anything else (`oneOf`, objects and arrays, `$ref`...) `supported` is false
and the caller validates with the `jsonschema` package (`core.formats.jsonschema.validate`) in a
Python UDF.

How types are checked: `from_json` parses the record into the schema's Spark types, strictly
(`allowNonNumericNumbers` off, so "NaN" is no number), with integer properties read as DOUBLE
(1.0 is an integer) and date/date-time properties as text (then matched against the shared RFC 3339
pattern and cast). Spark reads any JSON value into a STRING field as its text, so a string property
whose text could be another kind of value (a number, true/false, an object, an array) is parsed once
more into a type that takes only that kind: if that parse succeeds, the value was not a string.
These probes run only for records where such a text occurs, or where a property without one type
is present (its value is read as text, and the probes tell its kind).
"""

from __future__ import annotations

import json
import re
from typing import Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F  # noqa: N812 - the PySpark convention
from pyspark.sql.types import (
    ArrayType,
    DataType,
    DecimalType,
    DoubleType,
    LongType,
    MapType,
    StringType,
    StructField,
    StructType,
)

from tardis_dagster.core.formats import jsonschema as json_format
from tardis_dagster.jobs.tables import quote

CORRUPT = "_corrupt_record"
_ANNOTATIONS = {"$schema", "$id", "$comment", "title", "description", "default", "examples", "deprecated"}
_ANNOTATIONS |= {"readOnly", "writeOnly", "contentMediaType", "contentEncoding"}
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
_SCALAR_TYPES = {"string", "integer", "number", "boolean"}
_FORMATS = {"date-time", "date", "email"}
_TEMPORAL = {"date-time": "TIMESTAMP", "date": "DATE"}
# Java's `$` also matches before a final line break; `\z` is the end of the text.
_TEMPORAL_PATTERNS = {
    "TIMESTAMP": rf"^{json_format.DATE_TIME_PATTERN}\z",
    "DATE": rf"^{json_format.DATE_PATTERN}\z",
}
_EMAIL = rf"^{json_format.EMAIL_PATTERN}\z"
# Regex syntax that means the same to Java (rlike) and Python (re, the fallback), given the flags
# `(?Ud)`: Unicode classes (\d, \w, \s, \b as Python's) and only \n ending a line (`.`, `$` as
# Python's). Anything else (lookarounds, named groups, \p classes, && intersections, possessive
# quantifiers...) is left to the fallback.
_PORTABLE_ESCAPE = re.compile(r"\\([dDwWsSbB.\\/\-\[\](){}*+?|^$ntrf]|u[0-9a-fA-F]{4})")
_NOT_PORTABLE = ("(?", "&&", "[[", "*+", "++", "?+", "}+")
_JAVA_FLAGS = "(?Ud)"
_EXACT_DOUBLE = 2**53  # integers below this are exact as DOUBLE; beyond, the decimal probe holds them
_BIG_INTEGER = "DECIMAL(38,18)"
_PARSE_OPTIONS = {"mode": "PERMISSIVE", "allowNonNumericNumbers": "false"}
# Token kinds a STRING field would take as text: (probe type, does the text look like one).
_PROBES: dict[str, tuple[str, Any]] = {
    "number": ("DOUBLE", lambda t: F.substring(t, 1, 1).isin(*"-0123456789")),
    "boolean": ("BOOLEAN", lambda t: t.isin("true", "false")),
    "object": ("MAP<STRING, STRING>", lambda t: t.startswith("{")),
    "array": ("ARRAY<STRING>", lambda t: t.startswith("[")),
}


def _types(node: dict[str, Any]) -> set[str]:
    kind = node.get("type")
    return set(kind) if isinstance(kind, list) else {kind} if isinstance(kind, str) else set()


def _kind(node: dict[str, Any]) -> str:
    """The one non-null type of a property, or "any" (no type, or several): then it is read as text
    and the kind of each value found by the probes."""
    kinds = _types(node) - {"null"}
    return next(iter(kinds)) if len(kinds) == 1 else "any"


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float)


def supported(schema: dict[str, Any]) -> bool:
    """Whether every keyword of `schema` is one this module checks natively."""
    if set(schema) - _TOP or schema.get("type") != "object" or not isinstance(schema.get("properties"), dict):
        return False
    if schema.get("additionalProperties", True) not in (True, False):
        return False
    if not all(isinstance(name, str) for name in schema.get("required", [])):
        return False
    for node in schema["properties"].values():
        if not isinstance(node, dict) or set(node) - _SCALAR:
            return False
        kinds = _types(node)
        if kinds - _SCALAR_TYPES - {"null"} or ("type" in node and not kinds):
            return False
        values = [*node.get("enum", []), *([node["const"]] if "const" in node else [])]
        # A value of any kind is compared by kind; objects and arrays in enum/const are left to the package.
        if _kind(node) == "any" and not all(_scalar(v) for v in values):
            return False
        if "format" in node and node["format"] not in _FORMATS:
            return False
        if "pattern" in node and not _portable(node["pattern"]):
            return False
    return True


def _portable(pattern: Any) -> bool:
    """Whether `pattern` means the same to Java and to Python (see _PORTABLE_ESCAPE)."""
    if not isinstance(pattern, str) or any(token in pattern for token in _NOT_PORTABLE):
        return False
    return "\\" not in _PORTABLE_ESCAPE.sub("", pattern.replace("\\\\", ""))


def _temporal(schema: dict[str, Any]) -> dict[str, str]:
    """The date and date-time string properties, with the Spark type each is cast to."""
    return {
        name: _TEMPORAL[node["format"]]
        for name, node in schema["properties"].items()
        if node.get("format") in _TEMPORAL and _kind(node) == "string"
    }


def _parse_type(schema: dict[str, Any], payload: StructType) -> StructType:
    """What `from_json` parses into: temporal properties as STRING, integers as DOUBLE, plus `CORRUPT`."""
    temporal = _temporal(schema)
    properties = schema["properties"]

    def parsed(field: StructField) -> StructField:
        if field.name in temporal:
            return StructField(field.name, StringType())
        if field.name in properties and _kind(properties[field.name]) == "integer":
            return StructField(field.name, DoubleType())
        return field

    return StructType([*[parsed(f) for f in payload.fields], StructField(CORRUPT, StringType())])


def _any_of(conditions: list[Column]) -> Column:
    """OR of `conditions` as a balanced tree: a chain of hundreds would nest deeper than Spark
    Connect's protobuf messages may (a schema with many properties)."""
    if not conditions:
        return F.lit(False)
    if len(conditions) == 1:
        return conditions[0]
    middle = len(conditions) // 2
    return _any_of(conditions[:middle]) | _any_of(conditions[middle:])


def _probe_ddl(names: list[str], kind: str) -> str:
    return ", ".join(f"{quote(name)} {kind}" for name in names)


def validate(
    df: DataFrame,
    schema: dict[str, Any],
    payload: StructType,
    text: Column,
    *,
    error: str = "_error",
    reader_options: dict[str, str] | None = None,
) -> DataFrame:
    """`df` with `error` (every violation of `schema` by the JSON `text`, or null) and `_typed`
    (the record as the `payload` struct). Call only when `supported(schema)`.

    `reader_options` are added to every `from_json` parse (e.g. strict JSON's); `allowNonNumericNumbers`
    stays off whatever they say: "NaN" is a string, never a number.
    """
    properties: dict[str, dict[str, Any]] = schema["properties"]
    temporal = _temporal(schema)
    kinds = {name: _kind(node) for name, node in properties.items()}
    parse_options = {**(reader_options or {}), **_PARSE_OPTIONS}
    options = {**parse_options, "columnNameOfCorruptRecord": CORRUPT}
    df = df.withColumn("_text", text).withColumn("_keys", keys_of(F.col("_text")))
    df = df.withColumn("_parsed", F.from_json(F.col("_text"), _parse_type(schema, payload), options))
    parsed, keys = F.col("_parsed"), F.col("_keys")
    strings = [n for n in properties if kinds[n] == "string" and n not in temporal]
    anything = [n for n in properties if kinds[n] == "any"]
    integers = [n for n in properties if kinds[n] == "integer"]
    probes: list[str] = []
    for kind, (spark_type, looks_like) in _PROBES.items():
        if strings or anything:
            column = f"_probe_{kind}"
            # Probed when a string property's text could be another kind, or a property of any kind is there.
            needed = _any_of(
                [F.coalesce(looks_like(parsed[name]), F.lit(False)) for name in strings]
                + [F.array_contains(keys, F.lit(name)) for name in anything]
            )
            parse = F.from_json(F.col("_text"), _probe_ddl(strings + anything, spark_type), parse_options)
            df = df.withColumn(column, F.when(needed, parse))
            probes.append(column)
    if integers:
        big = _any_of([F.coalesce(F.abs(parsed[name]) >= _EXACT_DOUBLE, F.lit(False)) for name in integers])
        parse = F.from_json(F.col("_text"), _probe_ddl(integers, _BIG_INTEGER), parse_options)
        df = df.withColumn("_probe_integer", F.when(big, parse))
        probes.append("_probe_integer")

    def typed(field: StructField) -> Column:
        name = field.name
        if name in temporal:
            cast = F.expr(f"try_cast(upper(_parsed.{quote(name)}) AS {temporal[name]})")
            return F.when(parsed[name].rlike(_TEMPORAL_PATTERNS[temporal[name]]), cast)
        if name in integers:
            exact = F.expr(f"try_cast(_probe_integer.{quote(name)} AS BIGINT)")
            return F.when(F.abs(parsed[name]) < _EXACT_DOUBLE, parsed[name].cast("bigint")).otherwise(exact)
        return parsed[name]

    df = df.withColumn("_typed", F.struct(*[typed(f).alias(f.name) for f in payload.fields]))
    checks = _checks(schema, F.col("_text"), parsed, keys, F.col("_typed"), bool(strings or anything))
    if strings or anything:
        # A probe keeps the last value of a key that parsed, not the last one: a probed key given twice
        # cannot be judged here (DELIBERATE_CHOICES "duplicate-key"; duplicates are rare and hostile).
        # A string property's probe is read only when its text looks like another kind.
        consulted = [
            (name, _any_of([F.coalesce(like(parsed[name]), F.lit(False)) for _t, like in _PROBES.values()]))
            for name in strings
        ] + [(name, F.lit(True)) for name in anything]
        names = F.array(*[F.when(used, F.lit(name)) for name, used in consulted])  # null: not consulted
        given_twice = F.filter(F.array_distinct(keys), lambda k: F.size(F.filter(keys, lambda x: x == k)) > 1)
        twice = F.coalesce(F.arrays_overlap(given_twice, names), F.lit(False))
        duplicated = (F.size(keys) != F.size(F.array_distinct(keys))) & twice
        checks.append((duplicated, "a property given twice whose kind cannot be told natively"))
    df = with_violations(df, checks, error)
    return df.drop("_text", "_keys", "_parsed", *probes)


def _widened(kind: DataType) -> DataType:
    """`kind` with every BIGINT as DECIMAL(38,18): JSON writes integers as 1.0 or 1e3 too."""
    if isinstance(kind, LongType):
        return DecimalType(38, 18)
    if isinstance(kind, StructType):
        return StructType([StructField(f.name, _widened(f.dataType), f.nullable) for f in kind.fields])
    if isinstance(kind, ArrayType):
        return ArrayType(_widened(kind.elementType), kind.containsNull)
    if isinstance(kind, MapType):
        return MapType(kind.keyType, _widened(kind.valueType), kind.valueContainsNull)
    return kind


def fallback_payload(
    df: DataFrame, text: Column, payload_ddl: str, payload: StructType, options: dict[str, str]
) -> DataFrame:
    """`df` with `_payload`: the JSON `text` as the `payload` struct, for records the jsonschema
    package validated. Integers are read as decimals and cast to BIGINT, so `1.0` lands as 1 (Spark
    reads only `1` into a BIGINT); one beyond 64 bits lands as null (try_cast: no batch failure)."""
    df = df.withColumn("_wide", F.from_json(text, _widened(payload), options))
    cast = F.expr(f"try_cast(_wide AS STRUCT<{payload_ddl}>)")
    return df.withColumn("_payload", cast).drop("_wide")


def _of_kind(values: list[Any], kind: str) -> list[Any]:
    """The values of an `enum`/`const` that an instance of `kind` can equal (JSON: true is not 1)."""
    if kind == "string":
        return [v for v in values if isinstance(v, str)]
    if kind == "boolean":
        return [v for v in values if isinstance(v, bool)]
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    return [v for v in numbers if float(v).is_integer()] if kind == "integer" else numbers


_BOUNDS = (
    ("minimum", lambda f, v: f < v),
    ("maximum", lambda f, v: f > v),
    ("exclusiveMinimum", lambda f, v: f <= v),
    ("exclusiveMaximum", lambda f, v: f >= v),
)


def _literal(value: Any) -> Column:
    """`value` as a Spark literal; integers beyond 64 bits as doubles (Spark has no wider literal)."""
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**63:
        value = float(value)
    return F.lit(value)


def _checks(
    schema: dict[str, Any], value: Column, parsed: Column, keys: Column, typed: Column, probed: bool
) -> list[tuple[Column, str]]:
    """(violation condition, reason) pairs of `schema` over the columns `validate` prepares."""
    checks: list[tuple[Column, str]] = [
        (value.isNull(), "empty value (null)"),
        (
            parsed.isNull() | parsed[CORRUPT].isNotNull(),
            "not JSON of the schema's types (malformed or a wrong type)",
        ),
    ]
    properties: dict[str, dict[str, Any]] = schema["properties"]
    temporal = _temporal(schema)
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
        kind = _kind(node)
        field = parsed[name]
        present = field.isNotNull()
        # Present but null: a JSON null (a value of the wrong type already made the record corrupt).
        is_null = F.array_contains(keys, F.lit(name)) & field.isNull()
        nullable = "null" in _types(node)
        if kind == "any":
            checks.extend(_any_kind_checks(name, node, field, is_null, F.array_contains(keys, F.lit(name))))
            continue
        if not nullable:
            checks.append((is_null, f"$.{name}: None is not allowed"))
        if kind == "string" and name in temporal:
            checks.append((present & typed[name].isNull(), f"$.{name}: is not a '{node['format']}'"))
        elif kind == "string" and probed:
            other = [
                F.coalesce(looks_like(field), F.lit(False)) & F.col(f"_probe_{probe}")[name].isNotNull()
                for probe, (_type, looks_like) in _PROBES.items()
            ]
            checks.append((_any_of(other), f"$.{name}: is not of type 'string'"))
        elif kind == "integer":
            checks.append((present & (field % 1 != 0), f"$.{name}: is not of type 'integer'"))
            checks.append((present & typed[name].isNull(), f"$.{name}: an integer beyond the 64-bit range"))
        elif kind == "number":
            infinite = F.isnan(field) | (F.abs(field) == float("inf"))
            checks.append((present & infinite, f"$.{name}: a number beyond a double's range"))
        for keyword in ("enum", "const"):
            if keyword not in node:
                continue
            values = node["enum"] if keyword == "enum" else [node["const"]]
            options = _of_kind(values, kind)
            shown = json.dumps(values)[:200]
            differs = ~field.isin(*[_literal(v) for v in options]) if options else F.lit(True)
            checks.append((present & differs, f"$.{name}: not {keyword} {shown}"))
            if nullable and None not in values:
                checks.append((is_null, f"$.{name}: null is not {keyword} {shown}"))
        if kind in ("integer", "number"):
            for keyword, test in _BOUNDS:
                bound = node.get(keyword)
                if isinstance(bound, int | float) and not isinstance(bound, bool):
                    checks.append((present & test(field, _literal(bound)), f"$.{name}: {keyword} {bound}"))
        if kind == "string":  # length, pattern and format apply to strings only
            checks.extend(_string_checks(present, field, node, name))
    return checks


def _string_checks(guard: Column, text: Column, node: dict[str, Any], name: str) -> list[tuple[Column, str]]:
    """`minLength`, `maxLength`, `pattern` and the `email` format of property `name` on its `text`,
    where `guard` holds (the value is a string: they say nothing about values of other types)."""
    checks: list[tuple[Column, str]] = []
    if "minLength" in node:
        checks.append(
            (guard & (F.length(text) < node["minLength"]), f"$.{name}: minLength {node['minLength']}")
        )
    if "maxLength" in node:
        checks.append(
            (guard & (F.length(text) > node["maxLength"]), f"$.{name}: maxLength {node['maxLength']}")
        )
    if "pattern" in node:
        pattern = node["pattern"]
        checks.append((guard & ~text.rlike(_JAVA_FLAGS + pattern), f"$.{name}: does not match {pattern}"))
    if node.get("format") == "email":
        checks.append((guard & ~text.rlike(_EMAIL), f"$.{name}: is not an 'email'"))
    return checks


def _any_kind_checks(
    name: str, node: dict[str, Any], text: Column, is_null: Column, present: Column
) -> list[tuple[Column, str]]:
    """Checks of a property without one type: its value's kind from the probes, each keyword applied
    to the values of its own kind."""
    probe = {kind: F.col(f"_probe_{kind}")[name] for kind in _PROBES}
    number = probe["number"]
    kind_of = {kind: F.coalesce(column.isNotNull(), F.lit(False)) for kind, column in probe.items()}
    is_string = text.isNotNull() & ~(
        kind_of["number"] | kind_of["boolean"] | kind_of["object"] | kind_of["array"]
    )
    is_number = kind_of["number"]
    is_type = {
        "string": is_string,
        "number": is_number,
        "integer": is_number & (number % 1 == 0),
        "boolean": kind_of["boolean"],
        "null": is_null,
    }
    checks: list[tuple[Column, str]] = []
    allowed = sorted(_types(node))
    if allowed:
        ok = _any_of([is_type[kind] for kind in allowed])
        checks.append((present & ~ok, f"$.{name}: is not of type {', '.join(allowed)}"))
    for keyword in ("enum", "const"):
        if keyword not in node:
            continue
        values = node["enum"] if keyword == "enum" else [node["const"]]
        matches = [is_null] if None in values else []
        strings = _of_kind(values, "string")
        numbers = _of_kind(values, "number")
        booleans = _of_kind(values, "boolean")
        if strings:
            matches.append(is_string & text.isin(*strings))
        if numbers:
            matches.append(is_number & number.isin(*[_literal(v) for v in numbers]))
        if booleans:
            matches.append(kind_of["boolean"] & probe["boolean"].isin(*booleans))
        match = _any_of(matches)
        checks.append((present & ~match, f"$.{name}: not {keyword} {json.dumps(values)[:200]}"))
    for keyword, test in _BOUNDS:
        bound = node.get(keyword)
        if isinstance(bound, int | float) and not isinstance(bound, bool):
            checks.append((is_number & test(number, _literal(bound)), f"$.{name}: {keyword} {bound}"))
    checks.extend(_string_checks(is_string, text, node, name))
    form = node.get("format")
    if form in _TEMPORAL:
        cast = F.expr(f"try_cast(upper(_parsed.{quote(name)}) AS {_TEMPORAL[form]})")
        valid = text.rlike(_TEMPORAL_PATTERNS[_TEMPORAL[form]]) & cast.isNotNull()
        checks.append((is_string & ~F.coalesce(valid, F.lit(False)), f"$.{name}: is not a '{form}'"))
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
