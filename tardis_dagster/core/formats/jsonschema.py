"""JSON Schema: load schema files and validate records against them.

The validator class follows the schema's own `$schema` (Draft 2020-12 when it names none); formats
(`date-time`, `email`, ...) are checked as far as the `jsonschema` package can check them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema as _jsonschema
from jsonschema.exceptions import SchemaError


def _validator_class(schema: dict[str, Any]) -> Any:
    return _jsonschema.validators.validator_for(schema, default=_jsonschema.Draft202012Validator)


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


def validate(schema: dict[str, Any], record: Any) -> list[str]:
    """Every way `record` breaks `schema`, as `<json path>: <message>` lines; empty when it is valid."""
    cls = _validator_class(schema)
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(record), key=lambda e: (e.json_path, e.message))
    return [f"{error.json_path}: {error.message}" for error in errors]
