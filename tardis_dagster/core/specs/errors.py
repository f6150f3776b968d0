"""Translate pydantic validation errors into one precise Problem line each.

pydantic reports a ``loc`` tuple of field aliases and list indexes; the YAML node tree turns it into
a line and column, and the model classes give the allowed field names for did-you-mean hints.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any, get_args

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails
from yaml.nodes import MappingNode

from tardis_dagster.core.specs.fields import TARDIS_ERROR
from tardis_dagster.core.specs.identifiers import IDENTIFIER_PATTERN, identifier_problem
from tardis_dagster.core.specs.problems import did_you_mean, suggestion
from tardis_dagster.core.specs.specfile import SpecFile

_TYPE_ERRORS = {
    "string_type": (
        "must be text",
        "write text; put it in quotes if YAML reads it as a number or true/false",
    ),
    "list_type": ("must be a list", "write a list: [a, b] or one '- item' per line"),
    "tuple_type": ("must be a list", "write a list: [a, b] or one '- item' per line"),
    "dict_type": ("must be a mapping", "write its fields as indented 'field: value' lines"),
    "model_type": ("must be a mapping", "write its fields as indented 'field: value' lines"),
    "model_attributes_type": ("must be a mapping", "write its fields as indented 'field: value' lines"),
    "bool_type": ("must be true or false", "write true or false"),
    "bool_parsing": ("must be true or false", "write true or false"),
    "int_type": ("must be a whole number", "write a number like 10"),
    "int_parsing": ("must be a whole number", "write a number like 10"),
    "int_from_float": ("must be a whole number", "write a number without decimals"),
    "float_type": ("must be a number", "write a number like 0.05"),
    "float_parsing": ("must be a number", "write a number like 0.05"),
    "finite_number": ("must be a finite number", "write a number like 0.05"),
}
_BOUNDS = {
    "greater_than_equal": ("ge", "at least"),
    "greater_than": ("gt", "more than"),
    "less_than_equal": ("le", "at most"),
    "less_than": ("lt", "less than"),
}
_QUOTED = re.compile(r"'([^']*)'")


def translate(error: ValidationError, spec: SpecFile, root: type[BaseModel]) -> None:
    """Add one problem to ``spec`` per pydantic error (deduplicated by position and field)."""
    seen: set[tuple[int, int, tuple[str | int, ...]]] = set()
    before = len(spec.problems)
    for detail in error.errors(include_url=False):
        loc = _data_loc(spec.data, detail)
        line, col = _position(spec, detail, loc)
        if (line, col, loc) in seen:
            continue
        seen.add((line, col, loc))
        message, fix = _describe(detail, loc, spec, root)
        spec.report(loc, message, fix, at_key=detail["type"] == "extra_forbidden")
    spec.problems[before:] = sorted(spec.problems[before:], key=lambda problem: (problem.line, problem.col))


def _data_loc(data: Any, detail: ErrorDetails) -> tuple[str | int, ...]:
    """The error's location cut to what exists in the data (union members and the like drop out)."""
    loc = tuple(detail["loc"])
    node = data
    for index, segment in enumerate(loc):
        in_dict = isinstance(node, dict) and isinstance(segment, str) and segment in node
        in_list = isinstance(node, list) and isinstance(segment, int) and 0 <= segment < len(node)
        if in_dict or in_list:
            node = node[segment]
        else:
            # A missing field is named by its full location even though it is not in the data.
            if detail["type"] == "missing" and index == len(loc) - 1 and isinstance(node, dict):
                return loc
            return loc[:index]
    return loc


def _position(spec: SpecFile, detail: ErrorDetails, loc: tuple[str | int, ...]) -> tuple[int, int]:
    if spec.doc is None:
        return 1, 1
    if detail["type"] == "missing":
        return spec.doc.locate(loc[:-1])
    return spec.doc.locate(loc, at_key=detail["type"] == "extra_forbidden")


def _describe(
    detail: ErrorDetails, loc: tuple[str | int, ...], spec: SpecFile, root: type[BaseModel]
) -> tuple[str, str]:
    kind = detail["type"]
    value = detail.get("input")
    ctx: dict[str, Any] = dict(detail.get("ctx") or {})
    name = str(loc[-1]) if loc else "spec"
    if kind == TARDIS_ERROR:
        return str(ctx["message"]), str(ctx["fix"])
    identifier_error = kind == "string_too_long" or (
        kind == "string_pattern_mismatch" and ctx.get("pattern") == IDENTIFIER_PATTERN
    )
    if identifier_error and isinstance(value, str):
        issue = identifier_problem(value)
        if issue is not None:
            return issue
    if kind == "missing":
        parent = _model_at(root, loc[:-1])
        info = _fields(parent).get(name) if parent else None
        hint = f", {_sentence(info.description)}" if info and info.description else ""
        return f"missing required field '{name}'", f"add '{name}:'{hint}"
    if kind == "extra_forbidden":
        parent = _model_at(root, loc[:-1])
        allowed = list(_fields(parent)) if parent else []
        if value is None and _in_flow_mapping(spec, loc[:-1]) and did_you_mean(name, allowed) is None:
            return (
                f"unknown field '{name}'",
                "inside { } a comma starts a new field: put the text before it in quotes",
            )
        return f"unknown field '{name}'", suggestion(name, allowed, what="fields")
    if value is None and (kind in _TYPE_ERRORS or kind == "literal_error"):
        return "is empty", _empty_fix(spec, loc)
    if kind in _TYPE_ERRORS:
        message, fix = _TYPE_ERRORS[kind]
        return f"{message}, got {_show(value)}", fix
    if kind == "literal_error":
        expected = _QUOTED.findall(str(ctx.get("expected", "")))
        shown = f"'{value}'" if isinstance(value, str) else _show(value)
        return f"{shown} is not allowed", suggestion(
            str(value), expected
        ) if expected else "see tardis schema"
    if kind in _BOUNDS:
        key, words = _BOUNDS[kind]
        return f"must be {words} {ctx.get(key)}, got {_show(value)}", f"use a value {words} {ctx.get(key)}"
    if kind == "too_short":
        minimum = ctx.get("min_length", 1)
        if minimum == 1:
            return "must not be empty", "add at least one item"
        return (
            f"needs at least {minimum} items, got {ctx.get('actual_length')}",
            f"list at least {minimum} items",
        )
    if kind == "string_too_short":
        return "must not be empty", "write a value"
    if kind in ("too_long", "string_too_long"):
        return f"is too long (at most {ctx.get('max_length')})", "shorten it"
    message = " ".join(str(detail.get("msg", "is invalid")).split())
    return message, "see the spec reference: tardis schema"


def _in_flow_mapping(spec: SpecFile, loc: tuple[str | int, ...]) -> bool:
    node = spec.doc.node_at(loc) if spec.doc is not None else None
    return isinstance(node, MappingNode) and bool(node.flow_style)


def _sentence(text: str) -> str:
    """A description as a clause: no final period (an ellipsis stays)."""
    return text if text.endswith("...") else text.removesuffix(".")


def _empty_fix(spec: SpecFile, loc: tuple[str | int, ...]) -> str:
    # `contact: #team` is a YAML comment, so the value silently vanishes: say so.
    if spec.doc is not None and loc:
        line, _ = spec.doc.locate(loc)
        lines = spec.doc.text.splitlines()
        if 0 < line <= len(lines) and re.search(r":\s+#", lines[line - 1]):
            return 'text after " #" is a YAML comment: put the value in quotes, e.g. "#team-data"'
    return "give it a value"


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the text '{shown}'"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _model_at(root: type[BaseModel], loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The model class that describes the mapping at ``loc`` (list indexes are stepped over)."""
    current: Any = root
    for segment in loc:
        if isinstance(segment, int):
            continue
        model = _as_model(current)
        if model is None:
            return None
        info = _fields(model).get(segment)
        if info is None:
            return None
        current = info.annotation
    return _as_model(current)


def _as_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in get_args(annotation):
        model = _as_model(argument)
        if model is not None:
            return model
    return None


@cache
def _fields(model: type[BaseModel]) -> dict[str, FieldInfo]:
    """Fields of ``model`` by the name users write (the alias when there is one)."""
    return {info.alias or name: info for name, info in model.model_fields.items()}
