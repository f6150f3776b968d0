"""ODCS properties as spec columns: names, Tardis types (from physicalType or logicalType), PII, and the
rules a property states as attributes (unique, enum, bounds in logicalTypeOptions)."""

from __future__ import annotations

import re
from typing import Any

from tardis_dagster.core.quality import quote_identifier, sql_literal
from tardis_dagster.core.specs import parse_type
from tardis_dagster.tooling.contracts.odcs.findings import (
    ContractError,
    Loc,
    Note,
    custom_value,
    finite,
    is_empty,
    is_literal,
    node_get,
    node_list,
)
from tardis_dagster.tooling.contracts.odcs.mapping import (
    DECIMAL_NAMES,
    FOREIGN_TYPES,
    LEGACY_PII,
    SMALL_INTEGER_FORMATS,
    TEXT_TYPES,
    TYPE_FOR_LOGICAL,
    is_pii_classification,
    tardis_name,
)

_PROPERTY_CARRIED = frozenset(
    {"name", "physicalType", "logicalType", "logicalTypeOptions", "required", "description", "primaryKey"}
    | {"primaryKeyPosition", "partitioned", "partitionKeyPosition", "classification", "unique", "enum"}
    | {"quality", "items", "properties", "customProperties", "tags"}
)


def import_column(
    prop: dict[str, Any], loc: Loc, notes: list[Note], errors: list[ContractError]
) -> dict[str, Any] | None:
    """One ODCS property as a spec column (None, with an error, when its name cannot be made snake_case)."""
    raw = prop.get("name")
    name = tardis_name(raw)
    if name is None:
        errors.append(
            ContractError((*loc, "name"), f"{raw!r} cannot be made a snake_case column name", "rename it")
        )
        return None
    if name != raw:
        notes.append(Note((*loc, "name"), f"column {raw!r} imported as {name!r}"))
    for key, value in prop.items():
        if key not in _PROPERTY_CARRIED and not is_empty(value):
            notes.append(Note((*loc, key), "not carried over (a spec has no place for it)"))
    column: dict[str, Any] = {"name": name, "type": column_type(prop, loc, notes, errors)}
    if prop.get("required") is True:
        column["required"] = True
    if prop.get("description") is not None:
        column["description"] = str(prop["description"])
    tags = [str(t).lower() for t in node_list(prop.get("tags"))]
    found, legacy = custom_value(prop.get("customProperties"), LEGACY_PII)
    if is_pii_classification(prop.get("classification")) or "pii" in tags or (found and legacy is True):
        column["pii"] = True
    for i, custom in enumerate(node_list(prop.get("customProperties"))):
        if node_get(custom, "property") != LEGACY_PII:
            notes.append(Note((*loc, "customProperties", i), "custom property not carried over"))
    if tags and tags != ["pii"]:
        notes.append(Note((*loc, "tags"), "tags not carried over"))
    return column


def column_type(prop: dict[str, Any], loc: Loc, notes: list[Note], errors: list[ContractError]) -> str:
    """The Tardis type of a property: its physicalType when Tardis knows it, else from logicalType."""
    physical = prop.get("physicalType")
    logical = str(prop.get("logicalType") or "").lower()
    if isinstance(physical, str) and physical.strip():
        try:
            parsed = parse_type(physical)
            # a Tardis type written in the physicalType of a nested type still needs its parts checked
            if logical not in ("array", "object") or parsed.element or parsed.fields or parsed.key:
                return str(parsed)
        except ValueError:
            pass
        foreign = foreign_type(physical)
        if foreign is not None:
            return foreign
        text = TEXT_TYPES.get(physical.strip().lower())
        if text is not None and logical not in ("array",) and not prop.get("properties"):
            notes.append(Note((*loc, "physicalType"), f"{physical} has no Spark type: kept as {text}"))
            return "string"
        if logical not in ("array", "object", physical.strip().lower()):
            notes.append(
                Note((*loc, "physicalType"), f"{physical!r} is no type Tardis knows: logicalType used")
            )
    if logical == "integer":
        fmt = node_get(prop.get("logicalTypeOptions"), "format")
        return "int" if fmt in SMALL_INTEGER_FORMATS else "bigint"
    if logical in TYPE_FOR_LOGICAL:
        return TYPE_FOR_LOGICAL[logical]
    if logical == "time":
        notes.append(Note((*loc, "logicalType"), "time has no Spark type: kept as text (HH:mm:ss)"))
        return "string"
    if logical == "array":
        items = prop.get("items")
        if not isinstance(items, dict):
            notes.append(Note((*loc, "items"), "an array without items: imported as array<string>"))
            return "array<string>"
        return f"array<{column_type(items, (*loc, 'items'), notes, errors)}>"
    if logical == "object" or prop.get("properties"):
        fields = [(i, p) for i, p in enumerate(node_list(prop.get("properties"))) if isinstance(p, dict)]
        if not fields:
            notes.append(Note((*loc, "logicalType"), "an object without properties: kept as JSON text"))
            return "string"
        parts = []
        for i, sub in fields:
            sub_loc = (*loc, "properties", i)
            sub_name = tardis_name(sub.get("name"))
            if sub_name is None:
                errors.append(
                    ContractError(
                        (*sub_loc, "name"),
                        f"{sub.get('name')!r} cannot be a struct field name",
                        "rename it",
                    )
                )
                continue
            parts.append(f"{sub_name}:{column_type(sub, sub_loc, notes, errors)}")
        return f"struct<{','.join(parts)}>"
    errors.append(
        ContractError(
            (*loc, "logicalType" if logical else "physicalType"),
            f"cannot tell the Tardis type of {prop.get('name')!r} (physicalType {physical!r}, "
            f"logicalType {prop.get('logicalType')!r})",
            "set logicalType (string, integer, number, boolean, date, timestamp, array, object) or a "
            "Tardis physicalType: string, int, bigint, double, decimal(p,s), array<..>, map<..>, "
            "struct<..>",
        )
    )
    return "string"


def column_rules(
    prop: dict[str, Any], column: dict[str, Any], loc: Loc, notes: list[Note]
) -> list[tuple[dict[str, Any], Loc]]:
    """Rules the property states as attributes: unique, enum, bounds in logicalTypeOptions."""
    name = column["name"]
    rules: list[tuple[dict[str, Any], Loc]] = []
    if prop.get("unique") is True:
        rules.append(({"unique": [name]}, (*loc, "unique")))
    enum = [e.get("value") if isinstance(e, dict) else e for e in node_list(prop.get("enum"))]
    values = [v for v in enum if is_literal(v)]
    if values:
        rules.append(({"accepted_values": {"column": name, "values": values}}, (*loc, "enum")))
        if any(isinstance(e, dict) and set(e) - {"value"} for e in node_list(prop.get("enum"))):
            notes.append(Note((*loc, "enum"), "enum labels and descriptions not carried over"))
    options = prop.get("logicalTypeOptions")
    if not isinstance(options, dict):
        return rules
    numeric = column["type"] in ("int", "bigint", "float", "double") or column["type"].startswith("decimal")
    integral = column["type"] in ("int", "bigint")
    bounds: dict[str, float] = {}
    quoted = quote_identifier(name)
    for key, value in options.items():
        where = (*loc, "logicalTypeOptions", key)
        number = finite(value) is not None
        if key in ("minimum", "maximum") and numeric and number:
            bounds["min" if key == "minimum" else "max"] = value
        elif (
            key in ("exclusiveMinimum", "exclusiveMaximum")
            and integral
            and number
            and float(value).is_integer()
        ):
            bounds["min" if key == "exclusiveMinimum" else "max"] = value + (
                1 if key == "exclusiveMinimum" else -1
            )
        elif key in ("exclusiveMinimum", "exclusiveMaximum") and numeric and number:
            op = "<=" if key == "exclusiveMinimum" else ">="
            sql = f"select count(*) from {{{{ this }}}} where {quoted} {op} {sql_literal(value)}"
            rules.append(({"sql": sql, "name": f"{name}_{_snake(key)}"}, where))
        elif key in ("minLength", "maxLength") and isinstance(value, int) and column["type"] == "string":
            op = "<" if key == "minLength" else ">"
            sql = f"select count(*) from {{{{ this }}}} where length({quoted}) {op} {value}"
            rules.append(({"sql": sql, "name": f"{name}_{_snake(key)}"}, where))
        elif key == "format" and (column["type"] in ("int", "bigint", "double", "float")):
            continue  # i32/i64/f32/f64: read into the column type
        else:
            notes.append(Note(where, "not carried over (no Tardis rule checks it)"))
    if bounds:
        rules.append(({"range": {"column": name, **bounds}}, (*loc, "logicalTypeOptions")))
    return rules


def foreign_type(physical: str) -> str | None:
    """Another engine's column type (VARCHAR(36), NUMBER(10,2), TIMESTAMP_NTZ) as a Tardis type."""
    text = physical.strip().lower()
    head = text.split("(")[0].strip()
    if head in DECIMAL_NAMES:
        digits = re.findall(r"\d+", text)
        if len(digits) == 2 and 0 < int(digits[0]) <= 38 and int(digits[1]) <= int(digits[0]):
            return f"decimal({digits[0]},{digits[1]})"
        if len(digits) == 1 and 0 < int(digits[0]) <= 38:
            return f"decimal({digits[0]},0)"
        return "double" if head == "number" and not digits else "decimal(38,9)"
    return FOREIGN_TYPES.get(head)


def _snake(key: str) -> str:
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", key).lower()
