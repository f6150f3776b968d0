"""JSON Schema compatibility: can a reader schema accept every document a writer schema accepts?

Data written with `writer` is readable with `reader` when every instance valid under the writer is
valid under the reader (the writer's language is a subset of the reader's). This gives Confluent's
JSON Schema rules, including the content-model ones:

- open content model (`additionalProperties` absent or true): the writer may have sent any extra
  property, so a reader that adds a typed property, or closes the model, cannot read old data;
  removing a property from an open reader is fine;
- closed content model (`additionalProperties: false`): the writer never sent unknown properties,
  so a reader may add optional properties; removing one from a closed reader is incompatible;
- partially open (`additionalProperties: {schema}`): a property moves between `properties` and the
  additional schema only when the schemas agree;
- a property the reader requires must be required by the writer; types may widen (integer ->
  number, adding a type) but not narrow; enums may grow but not shrink; bounds (minimum, maxLength,
  minItems, ...) may loosen but not tighten; a changed pattern or format is incompatible.

Local `$ref`s (`#/$defs/...`) are followed; `allOf` is merged, `anyOf`/`oneOf` compared branch by
branch. Keywords not analysed here (`if`/`then`, `dependentSchemas`, ...) are compared for equality:
a change in one is reported as incompatible rather than guessed.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any] | bool

ANNOTATIONS = frozenset(
    {
        "$schema",
        "$id",
        "$comment",
        "$anchor",
        "$defs",
        "definitions",
        "title",
        "description",
        "examples",
        "default",
        "deprecated",
        "readOnly",
        "writeOnly",
        "contentMediaType",
        "contentEncoding",
    }
)
ANALYSED = frozenset(
    {
        "$ref",
        "type",
        "enum",
        "const",
        "allOf",
        "anyOf",
        "oneOf",
        "not",
        "properties",
        "required",
        "additionalProperties",
        "patternProperties",
        "minProperties",
        "maxProperties",
        "items",
        "prefixItems",
        "minItems",
        "maxItems",
        "uniqueItems",
        "minLength",
        "maxLength",
        "pattern",
        "format",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
    }
)
ALL_TYPES = frozenset({"null", "boolean", "object", "array", "number", "integer", "string"})


def incompatibilities(reader: Schema, writer: Schema) -> list[str]:
    """Why some document valid under `writer` may be invalid under `reader`; empty when none can be."""
    return _Comparison(reader, writer).subset(writer, reader, "#")


class _Comparison:
    """One reader/writer comparison: keeps both roots to resolve `$ref`s and guards recursion."""

    def __init__(self, reader_root: Schema, writer_root: Schema) -> None:
        self.roots = {"reader": reader_root, "writer": writer_root}
        self.in_progress: set[tuple[int, int]] = set()

    def resolve(self, schema: Schema, side: str) -> Schema:
        """Follow local `$ref`s (JSON pointers into the same document); siblings of `$ref` are kept."""
        seen = 0
        while isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
            ref = schema["$ref"]
            if not ref.startswith("#"):
                raise ValueError(f"remote $ref {ref!r} is not supported; inline it or use #/$defs/...")
            target: Any = self.roots[side]
            for part in [p for p in ref[1:].split("/") if p]:
                part = part.replace("~1", "/").replace("~0", "~")
                if not isinstance(target, dict) or part not in target:
                    raise ValueError(f"$ref {ref!r} points at nothing")
                target = target[part]
            rest = {key: value for key, value in schema.items() if key != "$ref"}
            schema = {**target, **rest} if isinstance(target, dict) and rest else target
            seen += 1
            if seen > 64:
                raise ValueError(f"$ref {ref!r} does not resolve to a schema (a cycle of references)")
        return _merge_all_of(schema) if isinstance(schema, dict) else schema

    def subset(self, writer: Schema, reader: Schema, path: str) -> list[str]:
        """Reasons why some instance of `writer` is not an instance of `reader` (at JSON pointer `path`)."""
        writer = self.resolve(writer, "writer")
        reader = self.resolve(reader, "reader")
        key = (id(writer), id(reader))
        if key in self.in_progress:  # a recursive schema: assume the pair holds while checking it
            return []
        self.in_progress.add(key)
        try:
            return self._subset(writer, reader, path)
        finally:
            self.in_progress.discard(key)

    def _subset(self, writer: Schema, reader: Schema, path: str) -> list[str]:
        if _accepts_all(reader) or writer is False:
            return []
        if reader is False:
            return [f"{path}: the reader accepts nothing here, the writer does"]
        assert isinstance(reader, dict)
        writer_dict: dict[str, Any] = {} if writer is True else writer  # type: ignore[assignment]
        for branches in ("anyOf", "oneOf"):
            if branches in writer_dict:
                rest = {k: v for k, v in writer_dict.items() if k != branches}
                return [
                    problem
                    for index, branch in enumerate(writer_dict[branches])
                    for problem in self.subset(_and(rest, branch), reader, f"{path}/{branches}/{index}")
                ]
        writer_types = _type_set(writer_dict.get("type", []))
        if len(writer_types) > 1 and ("anyOf" in reader or "oneOf" in reader):
            # `type: [string, null]` against `anyOf: [{type: string}, {type: null}]`: one type at a time
            return [
                problem
                for kind in sorted(writer_types)
                for problem in self.subset({**writer_dict, "type": kind}, reader, path)
            ]
        for branches in ("anyOf", "oneOf"):
            if branches in reader:
                rest = {k: v for k, v in reader.items() if k != branches}
                attempts = [
                    self.subset(writer_dict, _and(rest, branch), f"{path}/{branches}/{index}")
                    for index, branch in enumerate(reader[branches])
                ]
                if any(not attempt for attempt in attempts):
                    return []
                return [
                    f"{path}: the writer's schema fits none of the reader's {branches} branches "
                    f"({attempts[0][0] if attempts and attempts[0] else 'no branches'})"
                ]
        problems: list[str] = []
        problems += _unanalysed(writer_dict, reader, path)
        if "not" in reader and writer_dict.get("not") != reader["not"]:
            problems.append(f"{path}: 'not' changed")
        problems += _types(writer_dict, reader, path)
        problems += _enums(writer_dict, reader, path)
        shared = _types_of(writer_dict) & _types_of(reader)
        if shared & {"number", "integer"}:
            problems += _numbers(writer_dict, reader, path)
        if "string" in shared:
            problems += _strings(writer_dict, reader, path)
        if "array" in shared:
            problems += self._arrays(writer_dict, reader, path)
        if "object" in shared:
            problems += self._objects(writer_dict, reader, path)
        return problems

    def _arrays(self, writer: dict[str, Any], reader: dict[str, Any], path: str) -> list[str]:
        problems = _bound(writer, reader, "minItems", path, lower=True)
        problems += _bound(writer, reader, "maxItems", path, lower=False)
        if reader.get("uniqueItems") and not writer.get("uniqueItems"):
            problems.append(f"{path}: the reader requires unique items, the writer does not")
        writer_prefix = writer.get("prefixItems", [])
        reader_prefix = reader.get("prefixItems", [])
        for index in range(max(len(writer_prefix), len(reader_prefix))):
            w = writer_prefix[index] if index < len(writer_prefix) else writer.get("items", True)
            r = reader_prefix[index] if index < len(reader_prefix) else reader.get("items", True)
            problems += self.subset(w, r, f"{path}/prefixItems/{index}")
        if "items" in reader:
            problems += self.subset(writer.get("items", True), reader["items"], f"{path}/items")
        return problems

    def _objects(self, writer: dict[str, Any], reader: dict[str, Any], path: str) -> list[str]:
        problems: list[str] = []
        writer_props: dict[str, Schema] = writer.get("properties", {})
        reader_props: dict[str, Schema] = reader.get("properties", {})
        writer_extra: Schema = writer.get("additionalProperties", True)
        reader_extra: Schema = reader.get("additionalProperties", True)
        for name in sorted(set(writer_props) | set(reader_props)):
            where = f"{path}/properties/{name}"
            written = writer_props.get(name, writer_extra)
            if name not in writer_props and _accepts_all(written) and not _accepts_all(reader_props[name]):
                problems.append(
                    f"{where}: property added to an open content model (old data may hold any value "
                    "under this name; close the model with additionalProperties: false, or leave it untyped)"
                )
                continue
            if name not in reader_props and reader_extra is False and written is not False:
                problems.append(
                    f"{where}: property removed from a closed content model (old data has it, "
                    "the reader rejects unknown properties)"
                )
                continue
            problems += self.subset(written, reader_props.get(name, reader_extra), where)
        if reader_extra is False and not _rejects_all(writer_extra):
            problems.append(
                f"{path}: the content model was closed (additionalProperties: false); "
                "old data may hold properties the reader now rejects"
            )
        elif not _accepts_all(reader_extra) and reader_extra is not False:
            problems += self.subset(writer_extra, reader_extra, f"{path}/additionalProperties")
        newly_required = sorted(set(reader.get("required", [])) - set(writer.get("required", [])))
        for name in newly_required:
            problems.append(f"{path}/required: property '{name}' is required now; old data may lack it")
        if reader.get("patternProperties", {}) != writer.get("patternProperties", {}):
            problems.append(f"{path}/patternProperties: changed (compared for equality only)")
        problems += _bound(writer, reader, "minProperties", path, lower=True)
        problems += _bound(writer, reader, "maxProperties", path, lower=False)
        return problems


def _accepts_all(schema: Schema) -> bool:
    if schema is True:
        return True
    return isinstance(schema, dict) and not (set(schema) - ANNOTATIONS)


def _rejects_all(schema: Schema) -> bool:
    return schema is False or (isinstance(schema, dict) and schema.get("not") in ({}, True))


def _and(rest: dict[str, Any], branch: Schema) -> Schema:
    """A branch with its parent's other keywords (`{type: object, anyOf: [...]}`): both apply."""
    if branch is False:
        return False
    if branch is True:
        return rest or True
    return _merge_all_of({"allOf": [rest, branch]}) if rest else branch


def _merge_all_of(schema: dict[str, Any]) -> dict[str, Any]:
    """Fold `allOf` into its parent: properties merge, required lists unite, types intersect."""
    if "allOf" not in schema:
        return schema
    merged = {key: value for key, value in schema.items() if key != "allOf"}
    for part in schema["allOf"]:
        if not isinstance(part, dict):
            if part is False:
                return {"not": {}}
            continue
        part = _merge_all_of(part)
        for key, value in part.items():
            if key == "properties":
                merged["properties"] = {**merged.get("properties", {}), **value}
            elif key == "required":
                merged["required"] = sorted({*merged.get("required", []), *value})
            elif key == "type" and "type" in merged:
                both = _type_set(merged["type"]) & _type_set(value)
                merged["type"] = sorted(both)
            else:
                merged.setdefault(key, value)
    return merged


def _type_set(value: Any) -> set[str]:
    return {value} if isinstance(value, str) else set(value)


def _types_of(schema: dict[str, Any]) -> set[str]:
    """The JSON types a schema admits ("integer" implied by "number")."""
    if "type" in schema:
        types = _type_set(schema["type"])
    elif "enum" in schema or "const" in schema:
        types = {_json_type(value) for value in _enum(schema) or []}
    else:
        types = set(ALL_TYPES)
    if "number" in types:
        types.add("integer")
    return types


def _json_type(value: Any) -> str:
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
    return "array" if isinstance(value, list) else "object"


def _types(writer: dict[str, Any], reader: dict[str, Any], path: str) -> list[str]:
    if "type" not in reader:
        return []
    allowed = _types_of(reader)
    if "type" not in writer and "enum" not in writer and "const" not in writer:
        return [f"{path}: the reader requires type {_show(reader['type'])}, the writer allowed any type"]
    if _types_of(writer) - allowed:
        before = _show(writer.get("type", sorted(_types_of(writer))))
        return [f"{path}: type {before} narrowed to {_show(reader['type'])}"]
    return []


def _enum(schema: dict[str, Any]) -> list[Any] | None:
    if "const" in schema:
        return [schema["const"]]
    return list(schema["enum"]) if "enum" in schema else None


def _enums(writer: dict[str, Any], reader: dict[str, Any], path: str) -> list[str]:
    allowed = _enum(reader)
    if allowed is None:
        return []
    written = _enum(writer)
    if written is None:
        if _types_of(writer) <= {"null"} and None in allowed:
            return []
        return [f"{path}: the reader allows only {allowed}, the writer any value"]
    removed = [value for value in written if value not in allowed]
    return [f"{path}: value(s) {removed} no longer allowed"] if removed else []


def _bound(writer: dict[str, Any], reader: dict[str, Any], key: str, path: str, *, lower: bool) -> list[str]:
    if key not in reader:
        return []
    limit = reader[key]
    given = writer.get(key)
    if given is None:
        return [f"{path}: {key} {limit} added"]
    tighter = given < limit if lower else given > limit
    return [f"{path}: {key} tightened from {given} to {limit}"] if tighter else []


def _numbers(writer: dict[str, Any], reader: dict[str, Any], path: str) -> list[str]:
    problems: list[str] = []
    for inclusive, exclusive, lower in (
        ("minimum", "exclusiveMinimum", True),
        ("maximum", "exclusiveMaximum", False),
    ):
        reader_limit = _limit(reader, inclusive, exclusive)
        if reader_limit is None:
            continue
        writer_limit = _limit(writer, inclusive, exclusive)
        if writer_limit is None:
            problems.append(f"{path}: {inclusive} bound {reader_limit[0]} added")
            continue
        (r_value, r_open), (w_value, w_open) = reader_limit, writer_limit
        if lower:
            ok = w_value > r_value or (w_value == r_value and (w_open or not r_open))
        else:
            ok = w_value < r_value or (w_value == r_value and (w_open or not r_open))
        if not ok:
            problems.append(f"{path}: {inclusive} bound tightened from {w_value} to {r_value}")
    if "multipleOf" in reader:
        step = writer.get("multipleOf")
        if step is None or (step / reader["multipleOf"]) % 1:
            problems.append(f"{path}: multipleOf {reader['multipleOf']} added or changed")
    return problems


def _limit(schema: dict[str, Any], inclusive: str, exclusive: str) -> tuple[float, bool] | None:
    """A bound as (value, open?); the stricter of the inclusive and exclusive keywords."""
    found: list[tuple[float, bool]] = []
    if isinstance(schema.get(inclusive), int | float) and not isinstance(schema.get(inclusive), bool):
        found.append((schema[inclusive], False))
    value = schema.get(exclusive)
    if isinstance(value, int | float) and not isinstance(value, bool):
        found.append((value, True))
    elif value is True and inclusive in schema:  # draft 4: a boolean that makes the inclusive bound open
        found = [(schema[inclusive], True)]
    if not found:
        return None
    lower = inclusive == "minimum"
    return max(found) if lower else min(found, key=lambda bound: (bound[0], not bound[1]))


def _strings(writer: dict[str, Any], reader: dict[str, Any], path: str) -> list[str]:
    problems = _bound(writer, reader, "minLength", path, lower=True)
    problems += _bound(writer, reader, "maxLength", path, lower=False)
    for key in ("pattern", "format"):
        if key in reader and writer.get(key) != reader[key]:
            problems.append(f"{path}: {key} {writer.get(key)!r} changed to {reader[key]!r}")
    return problems


def _unanalysed(writer: dict[str, Any], reader: dict[str, Any], path: str) -> list[str]:
    keys = (set(reader) | set(writer)) - ANNOTATIONS - ANALYSED
    return [
        f"{path}: '{key}' changed (not analysed; compared for equality)"
        for key in sorted(keys)
        if writer.get(key) != reader.get(key) and key in reader
    ]


def _show(value: Any) -> str:
    return "/".join(sorted(_type_set(value))) if isinstance(value, str | list) else str(value)
