"""JSON Schema: load schema files, refuse the ones the landing cannot evaluate, validate records.

Drafts 2020-12 (the default when a schema names none) and draft-07 are accepted for product
schemas (`product_schema_problems`). `validate` is the landing's fallback path and the reference of
its native path (`jobs/json_checks.py`): the `jsonschema` package with the platform's format
checker. Formats are asserted by default (`source.kafka.format_assertion: true`); with
`format_assertion: false` they are annotations, as 2020-12 defines them (`effective_schema` drops
every `format` keyword). The deliberate departures from the JSON Schema Test Suite are listed in
`DELIBERATE_CHOICES` and in docs/json-schema.md.
"""

from __future__ import annotations

import bisect
import calendar
import contextlib
import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema as _jsonschema
from jsonschema.exceptions import SchemaError
from referencing.exceptions import Unresolvable

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
DRAFT_07 = "http://json-schema.org/draft-07/schema"
ACCEPTED_DRAFTS = {DRAFT_2020_12: "2020-12", DRAFT_07: "draft-07"}

# The formats the platform asserts, one definition for both paths. RFC 3339 date-time, except
# that a second of 60 and offsets beyond +-18:00 are refused: a Spark TIMESTAMP holds neither.
DATE_TIME_PATTERN = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?"
    r"([Zz]|[+-]((0[0-9]|1[0-7]):[0-5][0-9]|18:00))"
)
DATE_PATTERN = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
EMAIL_PATTERN = r"[^@\x00-\x20]+@[^@\x00-\x20]+"  # one @, no space or control character around it

DELIBERATE_CHOICES = {
    "leap-second": "a date-time with second 60 is refused: a Spark TIMESTAMP has no leap second",
    "offset-beyond-18h": "a date-time offset beyond +-18:00 is refused: Spark's zone offsets stop there",
    "int64": "an integer outside the 64-bit range is refused: integer properties land as BIGINT",
    "float-overflow": "a number beyond a double's range (1e400) is refused: numbers land as DOUBLE",
    "format-assertion": "formats are asserted unless the spec sets format_assertion: false",
    "duplicate-key": "a record giving a string (or untyped) property twice is refused on the native path",
}

# Keywords whose value is one subschema, a map of subschemas, or a list of them (draft-07 and 2020-12).
_ONE = {
    "additionalProperties", "additionalItems", "contains", "propertyNames", "not", "if", "then", "else",
    "unevaluatedItems", "unevaluatedProperties", "items",
}  # fmt: skip
_MAP = {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas", "dependencies"}
_LIST = {"allOf", "anyOf", "oneOf", "prefixItems", "items"}


def _day_exists(year: int, month: int, day: int) -> bool:
    return 1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]


def is_date_time(instance: object) -> bool:
    """The platform's `date-time` (RFC 3339, see DATE_TIME_PATTERN); non-strings pass."""
    if not isinstance(instance, str):
        return True
    if re.fullmatch(DATE_TIME_PATTERN, instance) is None:
        return False
    return int(instance[:4]) > 0 and _day_exists(int(instance[:4]), int(instance[5:7]), int(instance[8:10]))


def is_date(instance: object) -> bool:
    """The platform's `date` (RFC 3339 full-date); non-strings pass."""
    if not isinstance(instance, str):
        return True
    if re.fullmatch(DATE_PATTERN, instance) is None:
        return False
    try:
        return date.fromisoformat(instance).year > 0
    except ValueError:
        return False


def is_email(instance: object) -> bool:
    """The platform's `email`: text, one @, text, without spaces; non-strings pass."""
    return not isinstance(instance, str) or re.fullmatch(EMAIL_PATTERN, instance) is not None


def _validator_class(schema: Any) -> Any:
    return _jsonschema.validators.validator_for(schema, default=_jsonschema.Draft202012Validator)


def _format_checker(cls: Any) -> _jsonschema.FormatChecker:
    """The draft's format checker with the platform's date-time, date and email (both paths agree)."""
    checker = _jsonschema.FormatChecker(cls.FORMAT_CHECKER.checkers)
    checker.checks("date-time")(is_date_time)
    checker.checks("date")(is_date)
    checker.checks("email")(is_email)
    return checker


def load(path: str | Path) -> dict[str, Any]:
    """Read a JSON Schema file and check that it is a valid schema; ValueError naming the file if not."""
    path = Path(path)
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}:{error.lineno}:{error.colno}: not valid JSON: {error.msg}") from error
    if not isinstance(schema, dict):
        raise ValueError(f"{path}: a JSON Schema must be an object, found {type(schema).__name__}")
    try:
        _validator_class(schema).check_schema(schema)
    except SchemaError as error:
        raise ValueError(f"{path}: not a valid JSON Schema: {error.message}") from error
    return schema


def effective_schema(schema: dict[str, Any], *, format_assertion: bool = True) -> dict[str, Any]:
    """The schema the landing evaluates: itself, or without any `format` when formats are annotations."""
    return schema if format_assertion else _without_formats(schema)


def _without_formats(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    result: dict[str, Any] = {}
    for keyword, value in node.items():
        if keyword == "format":
            continue
        if keyword in _MAP and isinstance(value, dict):
            result[keyword] = {k: _without_formats(v) for k, v in value.items()}
        elif keyword in _LIST and isinstance(value, list):
            result[keyword] = [_without_formats(v) for v in value]
        elif keyword in _ONE:
            result[keyword] = _without_formats(value)
        else:
            result[keyword] = value
    return result


def validate(schema: dict[str, Any], record: Any) -> list[str]:
    """Every way `record` breaks `schema`, as `<json path>: <message>` lines; empty when it is valid."""
    cls = _validator_class(schema)
    validator = cls(schema, format_checker=_format_checker(cls))
    try:
        errors = sorted(validator.iter_errors(record), key=lambda e: (e.json_path, e.message))
    except Unresolvable as error:
        # Validation refuses such schemas; one from a registry may still carry one: the record is
        # quarantined with the reason instead of failing its whole batch on every retry.
        return [f"$: the schema cannot be evaluated: unresolvable reference {error.ref!r}"]
    return [f"{error.json_path}: {error.message}" for error in errors]


# --- validation-time refusal of schemas the landing cannot evaluate -------------------------------


@dataclass(frozen=True)
class SchemaProblem:
    """Why the landing cannot take a JSON Schema, at a line and column of the schema file."""

    line: int
    col: int
    message: str
    fix: str


def product_schema_problems(text: str) -> list[SchemaProblem]:
    """Why `text` (a JSON Schema file's content) cannot be a Kafka product's schema; empty when it can.

    Refused: invalid JSON, another draft than 2020-12 or draft-07, a schema its draft's metaschema
    rejects, a top level other than an object with properties, a `$ref` that leaves the document
    (the landing fetches nothing) or points at nothing in it, and a `pattern` Python cannot compile.
    """
    try:
        schema = json.loads(text)
    except json.JSONDecodeError as error:
        return [SchemaProblem(error.lineno, error.colno, f"not valid JSON: {error.msg}", "fix the JSON")]
    positions = _Positions(text)
    if not isinstance(schema, dict):
        return [
            SchemaProblem(
                *positions.at(()), "a product schema must be a JSON object", 'write {"type": "object", ...}'
            )
        ]
    declared = schema.get("$schema")
    known = isinstance(declared, str) and declared.rstrip("#") in ACCEPTED_DRAFTS
    if declared is not None and not known:
        return [
            SchemaProblem(
                *positions.at(("$schema",)),
                f"unsupported JSON Schema draft {declared!r}",
                f'use "$schema": "{DRAFT_2020_12}" (or leave it out) or "{DRAFT_07}#"',
            )
        ]
    try:
        _validator_class(schema).check_schema(schema)
    except SchemaError as error:
        where = tuple(error.path)  # the keyword the metaschema refused, from the schema's root
        return [
            SchemaProblem(
                *positions.at(where), f"not a valid JSON Schema: {error.message}", "fix the keyword's value"
            )
        ]
    problems: list[SchemaProblem] = []
    properties = schema.get("properties")
    if schema.get("type") != "object" or not isinstance(properties, dict) or not properties:
        problems.append(
            SchemaProblem(
                *positions.at(("type",) if "type" in schema else ()),
                'a Kafka value schema must be "type": "object" with at least one property',
                'write {"type": "object", "properties": {"<field>": {"type": "string"}}}',
            )
        )
    anchors, ids = _anchors_and_ids(schema)
    for path, keyword, value in _walk(schema, ()):
        if keyword in ("$ref", "$dynamicRef", "$recursiveRef") and isinstance(value, str):
            reason = _unresolvable(schema, value, anchors, ids)
            if reason:
                problems.append(
                    SchemaProblem(
                        *positions.at((*path, keyword)),
                        f"{keyword} {value!r} {reason}",
                        "copy the definition into $defs of this file and refer to it as #/$defs/<name>",
                    )
                )
        elif keyword == "pattern" and isinstance(value, str):
            try:
                re.compile(value)
            except re.error as error:
                problems.append(
                    SchemaProblem(
                        *positions.at((*path, keyword)),
                        f"pattern {value!r} is not a regular expression: {error}",
                        "fix the pattern",
                    )
                )
    return problems


def _walk(node: Any, path: tuple[Any, ...]) -> Any:
    """(path of the schema, keyword, value) of every keyword of every subschema."""
    if not isinstance(node, dict):
        return
    for keyword, value in node.items():
        yield path, keyword, value
        if keyword in _MAP and isinstance(value, dict):
            for name, sub in value.items():
                yield from _walk(sub, (*path, keyword, name))
        elif keyword in _LIST and isinstance(value, list):
            for index, sub in enumerate(value):
                yield from _walk(sub, (*path, keyword, index))
        elif keyword in _ONE:
            yield from _walk(value, (*path, keyword))


def _anchors_and_ids(schema: dict[str, Any]) -> tuple[set[str], set[str]]:
    anchors: set[str] = set()
    ids: set[str] = set()
    for _path, keyword, value in _walk(schema, ()):
        if keyword in ("$anchor", "$dynamicAnchor") and isinstance(value, str):
            anchors.add(value)
        elif keyword == "$id" and isinstance(value, str):
            ids.add(value.rstrip("#"))
            if value.startswith("#"):
                anchors.add(value[1:])  # draft-07 anchors are written as "$id": "#name"
    return anchors, ids


def _unresolvable(schema: dict[str, Any], ref: str, anchors: set[str], ids: set[str]) -> str | None:
    """Why `ref` cannot be resolved inside the document, or None when it can."""
    base, _, fragment = ref.partition("#")
    if (
        base
        and base.rstrip("/") not in {i.rstrip("/") for i in ids}
        and not any(i.endswith("/" + base) for i in ids)
    ):
        return "points outside this file: the landing fetches no remote schema"
    if base:
        return None  # a resource of this file, by its $id
    if not fragment or not fragment.startswith("/"):
        return None if not fragment or fragment in anchors else "names an anchor this file does not define"
    target: Any = schema
    for part in fragment[1:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(target, dict) and part in target:
            target = target[part]
        elif isinstance(target, list) and part.isdigit() and int(part) < len(target):
            target = target[int(part)]
        else:
            return "points at nothing in this file"
    return None


class _Positions:
    """Line and column of each value of a JSON text by its path, found by one linear scan."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._starts: dict[tuple[Any, ...], int] = {}
        self._line_starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
        # Positions are a courtesy: on a surprise the problem is reported at the nearest known path.
        with contextlib.suppress(IndexError, ValueError, RecursionError):
            self._scan(self._skip(0), ())

    def at(self, path: tuple[Any, ...]) -> tuple[int, int]:
        """(line, col) of the value at `path`, or of its nearest enclosing value found."""
        while path not in self._starts and path:
            path = path[:-1]
        offset = self._starts.get(path, 0)
        line = bisect.bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1

    def _skip(self, i: int) -> int:
        while i < len(self._text) and self._text[i] in " \t\r\n":
            i += 1
        return i

    def _scan(self, i: int, path: tuple[Any, ...]) -> int:
        self._starts.setdefault(path, i)
        char = self._text[i]
        if char == "{":
            i = self._skip(i + 1)
            while self._text[i] != "}":
                key, end = json.decoder.scanstring(self._text, i + 1)
                self._starts.setdefault((*path, key), i)  # the key's line: where a reader looks
                i = self._skip(self._skip(end) + 1)  # past the colon
                i = self._skip(self._scan(i, (*path, key)))
                if self._text[i] == ",":
                    i = self._skip(i + 1)
            return i + 1
        if char == "[":
            i, index = self._skip(i + 1), 0
            while self._text[i] != "]":
                i = self._skip(self._scan(i, (*path, index)))
                index += 1
                if self._text[i] == ",":
                    i = self._skip(i + 1)
            return i + 1
        if char == '"':
            return json.decoder.scanstring(self._text, i + 1)[1]
        _value, end = json.JSONDecoder().raw_decode(self._text, i)
        return end
