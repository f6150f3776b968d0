"""ODCS quality checks and SLAs as spec rules: library metrics, SQL checks, tolerances as SQL comparing the
measured value, latency SLAs as freshness, the frequency SLA as the schedule."""

from __future__ import annotations

import re
from typing import Any

import sqlglot
from pydantic import ValidationError
from sqlglot import exp

from tardis_dagster.core.quality import quote_identifier, sql_literal
from tardis_dagster.core.specs import QualityRule
from tardis_dagster.core.specs.identifiers import is_identifier
from tardis_dagster.core.specs.specfile import field_name
from tardis_dagster.core.specs.templating import query_issues
from tardis_dagster.tooling.contracts.odcs.findings import (
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
    DURATION_UNITS,
    FREQUENCY,
    IMPORTED_SEVERITIES,
    LATENCY_PROPERTIES,
    OPERATORS,
    RANGE_OPERATORS,
    RULE_PROPERTY,
    ZERO_VIOLATIONS,
)

_OBJECT_PLACEHOLDER = re.compile(r"\$\{(?:object|table|model)\}|\{(?:object|table|model)\}")
_COLUMN_PLACEHOLDER = re.compile(r"\$\{(?:property|column|field)\}|\{(?:property|column|field)\}")
_THIS = "__tardis_this__"
_QUALITY_CARRIED = frozenset(
    {"name", "description", "dimension", "severity", "type", "metric", "rule", "arguments", "query"}
    | {"unit", "customProperties", *OPERATORS, *RANGE_OPERATORS}
)


def import_rule(
    entry: Any, column: str | None, obj: dict[str, Any], loc: Loc, notes: list[Note]
) -> dict[str, Any] | None:
    """One ODCS quality entry as a spec rule (None, with a note, when Tardis cannot keep it)."""
    if not isinstance(entry, dict):
        return None
    what = f"quality check {entry.get('name') or field_name(loc)!r}"
    found, body = custom_value(entry.get("customProperties"), RULE_PROPERTY)
    kind = entry.get("type") or "library"
    if kind not in ("library", "sql") and not found:
        notes.append(Note(loc, f"{what} of type {kind} is not kept (Tardis runs library and sql checks)"))
        return None
    for key, value in entry.items():
        if key not in _QUALITY_CARRIED and not is_empty(value):
            notes.append(Note((*loc, key), "not carried over"))
    if found and isinstance(body, dict):
        rule = dict(body)
    elif kind == "library":
        rule = _library_rule(entry, column, loc, what, notes)
    else:
        rule = _sql_rule(entry, column, obj, loc, what, notes)
    if rule is None:
        return None
    severity = str(entry.get("severity") or "error").lower()
    if severity not in IMPORTED_SEVERITIES:
        notes.append(Note((*loc, "severity"), f"unknown severity {entry.get('severity')!r}: error is used"))
        severity = "error"
    if IMPORTED_SEVERITIES[severity] != "error":
        rule["severity"] = IMPORTED_SEVERITIES[severity]
    if entry.get("description") is not None:
        rule["description"] = str(entry["description"])
    name = entry.get("name")
    if name and name != _derived_name(rule):
        if is_identifier(name):
            rule["name"] = name
        else:
            notes.append(
                Note((*loc, "name"), f"check name {name!r} is not snake_case; the derived name is used")
            )
    return rule


def _library_rule(
    entry: dict[str, Any], column: str | None, loc: Loc, what: str, notes: list[Note]
) -> dict[str, Any] | None:
    metric = entry.get("metric") or entry.get("rule")
    arguments = entry.get("arguments") if isinstance(entry.get("arguments"), dict) else {}
    columns = [str(c) for c in node_list(arguments.get("properties"))] or ([column] if column else [])
    if metric == "rowCount":
        bounds = _row_count_bounds(entry)
        if bounds is None:
            notes.append(Note(loc, f"{what}: this rowCount operator has no Tardis rule; not carried over"))
            return None
        return {"row_count": bounds}
    if metric not in ("nullValues", "missingValues", "duplicateValues", "invalidValues"):
        notes.append(Note(loc, f"{what}: metric {metric!r} has no Tardis rule; not carried over"))
        return None
    if not columns:
        notes.append(Note(loc, f"{what}: {metric} names no property; not carried over"))
        return None
    missing_values = [v for v in node_list(arguments.get("missingValues")) if v is not None]
    valid = arguments.get("validValues")
    if _is_zero_violations(entry) and entry.get("unit") != "percent":
        if metric == "nullValues" or (metric == "missingValues" and not missing_values):
            return {"not_null": columns}
        if metric == "duplicateValues":
            return {"unique": columns}
        if metric == "invalidValues" and isinstance(valid, list) and len(columns) == 1:
            values = [v for v in valid if is_literal(v)]
            if values:
                return {"accepted_values": {"column": columns[0], "values": values}}
    # a tolerance, or a metric without a Tardis rule of its own: the same check as a query
    count = _violations_sql(metric, columns, missing_values, valid)
    if count is None:
        notes.append(Note(loc, f"{what}: {metric} with these arguments has no Tardis rule; not carried over"))
        return None
    if entry.get("unit") == "percent":
        count = f"100.0 * {count} / GREATEST(COUNT(*), 1)"
    condition = _condition(entry)
    if condition is None:
        notes.append(Note(loc, f"{what}: no operator (mustBe, mustBeLessThan, ...); not carried over"))
        return None
    return {"sql": f"select case when {count} {condition} then 0 else 1 end from {{{{ this }}}}"}


def _sql_rule(
    entry: dict[str, Any],
    column: str | None,
    obj: dict[str, Any],
    loc: Loc,
    what: str,
    notes: list[Note],
) -> dict[str, Any] | None:
    # the query as written (a Tardis export's SQL stays byte for byte), placeholders resolved
    query = _OBJECT_PLACEHOLDER.sub("{{ this }}", str(entry.get("query") or ""))
    if column is not None:
        query = _COLUMN_PLACEHOLDER.sub(lambda _: quote_identifier(column), query)
    if "{{ this }}" not in query:
        query = _this_table(query, obj)
    if not _is_zero_violations(entry):
        condition = _condition(entry)
        if condition is None:
            notes.append(Note(loc, f"{what}: no operator (mustBe, mustBeLessThan, ...); not carried over"))
            return None
        query = f"select case when ({query.strip().rstrip(';')}) {condition} then 0 else 1 end"
    issues = query_issues(query, product_sql=False)
    if issues:
        notes.append(Note((*loc, "query"), f"{what}: not carried over: {issues[0].message}"))
        return None
    return {"sql": query}


def latency_rules(
    data: dict[str, Any], obj: dict[str, Any], columns: list[dict[str, Any]], contract_notes: list[Note]
) -> list[tuple[dict[str, Any], Loc]]:
    """Freshness rules from latency SLAs whose element is a column of this object."""
    names = {c["name"] for c in columns}
    object_names = {str(obj.get("name")), str(obj.get("physicalName"))}
    rules = []
    default = data.get("slaDefaultElement")
    for i, sla in enumerate(node_list(data.get("slaProperties"))):
        if node_get(sla, "property") not in LATENCY_PROPERTIES:
            continue
        element = str(sla.get("element") or default or "")
        table, _, column = element.rpartition(".")
        unit = DURATION_UNITS.get(str(sla.get("unit") or "").lower())
        value = sla.get("value")
        if (table and table not in object_names) or column not in names:
            continue
        if unit is None or not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            contract_notes.append(
                Note(("slaProperties", i), "latency without a whole s/m/h/d value: not carried")
            )
            continue
        rule: dict[str, Any] = {"freshness": {"column": column, "max_age": f"{value}{unit}"}}
        if sla.get("description"):
            rule["description"] = str(sla["description"])
        rules.append((rule, ("slaProperties", i)))
    return rules


def sla_schedule(data: dict[str, Any], notes: list[Note]) -> str | None:
    """The schedule the `frequency` SLA states (a cron, Tardis' own trigger, or value + unit), if any."""
    for i, sla in enumerate(node_list(data.get("slaProperties"))):
        if node_get(sla, "property") != FREQUENCY:
            continue
        if node_get(sla, "schedule"):
            return str(sla["schedule"])
        value, unit = sla.get("value"), DURATION_UNITS.get(str(sla.get("unit") or "").lower())
        if node_get(sla, "scheduler") == "tardis" or (isinstance(value, str) and " " in value.strip()):
            return str(value)
        cron = cron_every(value, unit)
        if cron is None:
            notes.append(Note(("slaProperties", i), "frequency has no cron equivalent: not carried over"))
            return None
        notes.append(Note(("slaProperties", i), f"frequency imported as the schedule {cron!r}"))
        return cron
    return None


def cron_every(value: Any, unit: str | None) -> str | None:
    """A cron for "every `value` `unit`" (d, h, m) when one exists, else None."""
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        return None
    if unit == "d" and value == 1:
        return "0 0 * * *"
    if unit == "h" and 24 % value == 0:
        return "0 * * * *" if value == 1 else f"0 */{value} * * *"
    if unit == "m" and 60 % value == 0:
        return "* * * * *" if value == 1 else f"*/{value} * * * *"
    return None


def _row_count_bounds(entry: dict[str, Any]) -> dict[str, int] | None:
    exact = finite(entry.get("mustBe"))
    if exact is not None:
        return {"min": int(exact), "max": int(exact)}
    between = [finite(v) for v in node_list(entry.get("mustBeBetween"))]
    if len(between) == 2 and None not in between:
        return {"min": int(between[0]), "max": int(between[1])}  # type: ignore[arg-type]
    for key, bound, shift in (
        ("mustBeGreaterOrEqualTo", "min", 0),
        ("mustBeGreaterThan", "min", 1),
        ("mustBeLessOrEqualTo", "max", 0),
        ("mustBeLessThan", "max", -1),
    ):
        value = finite(entry.get(key))
        if value is not None:
            return {bound: int(value) + shift}
    return None


def _is_zero_violations(entry: dict[str, Any]) -> bool:
    return any(finite(entry.get(op)) == value for op, value in ZERO_VIOLATIONS)


def _condition(entry: dict[str, Any]) -> str | None:
    """The entry's operator as a SQL comparison on the measured value (`<= 5`, `BETWEEN 1 AND 3`)."""
    for key, op in OPERATORS.items():
        value = finite(entry.get(key))
        if value is not None:
            return f"{op} {sql_literal(value)}"
    for key in RANGE_OPERATORS:
        pair = [finite(v) for v in node_list(entry.get(key))]
        if len(pair) == 2 and None not in pair:
            negation = "NOT " if key == "mustNotBeBetween" else ""
            return f"{negation}BETWEEN {sql_literal(pair[0])} AND {sql_literal(pair[1])}"  # type: ignore[arg-type]
    return None


def _violations_sql(metric: str, columns: list[str], missing: list[Any], valid: Any) -> str | None:
    quoted = [quote_identifier(c) for c in columns]
    if metric == "duplicateValues":
        return f"(COUNT(*) - COUNT(DISTINCT {', '.join(quoted)}))"
    if len(quoted) != 1:
        return None
    col = quoted[0]
    if metric == "nullValues":
        predicate = f"{col} IS NULL"
    elif metric == "missingValues":
        literals = ", ".join(sql_literal(v) for v in missing if is_literal(v))
        predicate = f"{col} IS NULL" + (f" OR {col} IN ({literals})" if literals else "")
    elif isinstance(valid, list) and any(is_literal(v) for v in valid):
        literals = ", ".join(sql_literal(v) for v in valid if is_literal(v))
        predicate = f"{col} IS NOT NULL AND {col} NOT IN ({literals})"
    else:
        return None
    return f"COALESCE(SUM(CASE WHEN {predicate} THEN 1 ELSE 0 END), 0)"


def _this_table(query: str, obj: dict[str, Any]) -> str:
    """The query with the table the contract's object names (name or physicalName) as `{{ this }}`."""
    names = {str(obj.get("name") or "").lower(), str(obj.get("physicalName") or "").lower()} - {""}
    try:
        tree = sqlglot.parse_one(query, read="spark")
    except sqlglot.errors.ParseError:
        return query
    replaced = False
    for table in list(tree.find_all(exp.Table)):
        full = ".".join(part for part in (table.db, table.name) if part).lower()
        if table.name.lower() in names or full in names:
            table.replace(exp.to_table(_THIS).as_(table.alias) if table.alias else exp.to_table(_THIS))
            replaced = True
    return tree.sql(dialect="spark").replace(_THIS, "{{ this }}") if replaced else query


def _derived_name(rule: dict[str, Any]) -> str | None:
    try:
        return QualityRule.model_validate({k: v for k, v in rule.items() if k != "name"}).check_name
    except ValidationError:
        return None
