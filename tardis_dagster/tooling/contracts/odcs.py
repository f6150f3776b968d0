"""A data product spec as an Open Data Contract Standard (ODCS) v3 document, and back.

Every spec field goes to the place ODCS has for it, so other ODCS tools read it natively:

- name, version, description: `id`, `name`, `dataProduct`, `version`, `description.purpose`;
- owner.tribe and owner.squad: `domain` and `team.name`; owner.contact and stakeholders: `team.members`
  with role `owner` / `stakeholder` (the owner also under `support`);
- schedule: `slaProperties` `frequency` (scheduler `cron`, or `tardis` for on_upstream / streaming);
- schema columns: `schema[0].properties` with `physicalType` (the Tardis type), `logicalType`,
  `required`, `description`; `load.key` as `primaryKey(Position)`, partition columns as `partitioned`;
  `pii` as `classification: restricted` plus the custom property `pii`;
- quality: `schema[0].quality`, as library metrics (`rowCount`, `nullValues`, `duplicateValues`,
  `invalidValues`), `sql` checks for sql rules, and for range and freshness the equivalent SQL with
  the rule itself in the custom property `rule`;
- source, load (type, version_by, partition_by, reject_threshold) and vault: custom properties
  (vendor `tardis`), since ODCS has no place for them.

`import_contract` reads the same places back, so export -> import gives an equal spec. ODCS
documents written elsewhere import too, as long as they say what Tardis needs (a `source` custom
property at least); what Tardis cannot keep (text or foreign engine checks) is reported as a note.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from open_data_contract_standard.model import OpenDataContractStandard
from pydantic import ValidationError

from tardis_dagster.core.quality import failing_predicate, published_table, quote_identifier
from tardis_dagster.core.specs import DataProduct, DataType, QualityRule, parse_partition, parse_type
from tardis_dagster.core.specs.identifiers import is_identifier
from tardis_dagster.core.specs.model import API_VERSION
from tardis_dagster.core.specs.problems import Problem
from tardis_dagster.core.specs.specfile import field_name
from tardis_dagster.core.specs.yaml_source import YamlSyntaxError, parse_yaml

ODCS_API_VERSION = "v3.2.0"
ODCS_KIND = "DataContract"
VENDOR = "tardis"
OWNER_ROLE = "owner"
STAKEHOLDER_ROLE = "stakeholder"
FREQUENCY = "frequency"
MAX_CONTRACT_BYTES = 2_000_000

Loc = tuple[str | int, ...]

_LOGICAL_TYPES = {
    "string": "string",
    "int": "integer",
    "bigint": "integer",
    "float": "number",
    "double": "number",
    "decimal": "number",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "timestamp",
    "array": "array",
    "struct": "object",
    "map": "map",
}
# A foreign contract may give only a logicalType: the widest Tardis type for each.
_TYPE_FOR_LOGICAL = {
    "string": "string",
    "integer": "bigint",
    "number": "double",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "timestamp",
}
_DIMENSIONS = {
    "row_count": "completeness",
    "freshness": "timeliness",
    "not_null": "completeness",
    "unique": "uniqueness",
    "accepted_values": "conformity",
    "range": "conformity",
}
_SEVERITIES = {"error": "error", "warn": "warning"}
_IMPORTED_SEVERITIES = {
    "error": "error",
    "critical": "error",
    "warning": "warn",
    "warn": "warn",
    "info": "warn",
}
_UNEXPECTED = re.compile(r"\((.*) (?:was|were) unexpected\)")
_ZERO_VIOLATIONS = (("mustBe", 0), ("mustBeLessOrEqualTo", 0), ("mustBeLessThan", 1))


class ContractError(ValueError):
    """An ODCS document that cannot become a spec: where (`loc` in the document), what and how to fix."""

    def __init__(self, loc: Loc, message: str, fix: str) -> None:
        super().__init__(message)
        self.loc = loc
        self.message = message
        self.fix = fix


class ContractFileError(Exception):
    """A contract file that cannot be imported; `problems` name the file, line and field of each."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass
class ImportResult:
    """The spec made from a contract, plus notes on what the contract said that Tardis cannot keep."""

    product: DataProduct
    notes: list[str] = field(default_factory=list)


# --- export -----------------------------------------------------------------------------------------


def export_contract(product: DataProduct) -> dict[str, Any]:
    """The ODCS v3 document of `product` as plain JSON-ready data (validate it with `contract_problems`)."""
    table = published_table(product)
    doc: dict[str, Any] = {
        "apiVersion": ODCS_API_VERSION,
        "kind": ODCS_KIND,
        "id": product.name,
        "name": product.name,
        "version": product.version,
        "status": "active",
        "domain": product.owner.tribe,
        "dataProduct": product.name,
        "description": {"purpose": product.description},
        "team": {
            "name": product.owner.squad,
            "members": [
                {"username": product.owner.contact, "role": OWNER_ROLE},
                *({"username": contact, "role": STAKEHOLDER_ROLE} for contact in product.stakeholders),
            ],
        },
        "support": [_support(product.owner.contact)],
        "servers": [
            {
                "server": "lake",
                "type": "custom",
                "format": "iceberg",
                "database": table.split(".")[0],
                "description": "The lake: Iceberg tables, one database per layer.",
            }
        ],
        "schema": [_schema_object(product, table)],
    }
    if product.schedule is not None:
        doc["slaProperties"] = [_frequency(product.schedule)]
    doc["customProperties"] = _product_custom_properties(product)
    return doc


def contract_yaml(doc: dict[str, Any]) -> str:
    """An ODCS document as YAML text, keys in the order the standard lists them."""
    return _dump_yaml(doc)


def contract_problems(doc: dict[str, Any]) -> list[str]:
    """Where `doc` breaks the official ODCS JSON Schema (and the package's model): `path: message` lines."""
    found = [
        f"{field_name(tuple(error.absolute_path))}: {error.message}"
        for error in sorted(
            _schema_validator().iter_errors(doc), key=lambda e: list(map(str, e.absolute_path))
        )
    ]
    try:
        OpenDataContractStandard.model_validate(doc)
    except ValidationError as error:
        found += [f"{field_name(tuple(e['loc']))}: {e['msg']}" for e in error.errors()]
    return found


def _support(contact: str) -> dict[str, Any]:
    if contact.startswith("#"):
        return {"channel": contact, "tool": "slack", "scope": "issues"}
    return {"channel": contact, "tool": "email", "url": f"mailto:{contact}", "scope": "issues"}


def _frequency(schedule: str) -> dict[str, Any]:
    if schedule.split()[0] == schedule:  # on_upstream or streaming: Tardis' own triggers
        return {"property": FREQUENCY, "value": schedule, "scheduler": VENDOR}
    return {"property": FREQUENCY, "value": schedule, "scheduler": "cron", "schedule": schedule}


def _custom(name: str, value: Any) -> dict[str, Any]:
    return {"property": name, "value": value, "vendor": VENDOR}


def _product_custom_properties(product: DataProduct) -> list[dict[str, Any]]:
    source = product.source.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    # The key lives in primaryKey(Position); the rest of `load` has no ODCS place.
    load = product.load.model_dump(mode="json", by_alias=True, exclude_defaults=True, exclude={"key"})
    props = [_custom("source", source), _custom("load", load)]
    vault = product.vault.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    if vault:
        props.append(_custom("vault", vault))
    return props


def _schema_object(product: DataProduct, table: str) -> dict[str, Any]:
    key_position = {name: i for i, name in enumerate(product.load.key, start=1)}
    partition_position: dict[str, int] = {}
    for entry in product.load.partition_by:
        partition_position.setdefault(parse_partition(entry).column, len(partition_position) + 1)
    properties = []
    for column in product.schema_:
        prop: dict[str, Any] = {"name": column.name, **_typed(column.data_type)}
        if column.required:
            prop["required"] = True
        if column.description is not None:
            prop["description"] = column.description
        if column.name in key_position:
            prop["primaryKey"] = True
            prop["primaryKeyPosition"] = key_position[column.name]
        if column.name in partition_position:
            prop["partitioned"] = True
            prop["partitionKeyPosition"] = partition_position[column.name]
        if column.pii:
            prop["classification"] = "restricted"
            prop["customProperties"] = [_custom("pii", True)]
        properties.append(prop)
    obj: dict[str, Any] = {
        "name": product.name,
        "physicalName": table,
        "physicalType": "table",
        "logicalType": "object",
        "description": product.description,
        "properties": properties,
    }
    if product.quality:
        obj["quality"] = [_quality(rule, product, table) for rule in product.quality]
    return obj


def _typed(data_type: DataType) -> dict[str, Any]:
    """physicalType (the Tardis type), logicalType and, for nested types, what ODCS says they hold."""
    typed: dict[str, Any] = {"physicalType": str(data_type), "logicalType": _LOGICAL_TYPES[data_type.name]}
    if data_type.element is not None:
        typed["items"] = _typed(data_type.element)
    if data_type.key is not None and data_type.value is not None:
        typed["map"] = {"key": _typed(data_type.key), "value": _typed(data_type.value)}
    if data_type.fields:
        typed["properties"] = [{"name": name, **_typed(kind)} for name, kind in data_type.fields]
    return typed


def _quality(rule: QualityRule, product: DataProduct, table: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": rule.check_name}
    if rule.description is not None:
        entry["description"] = rule.description
    if rule.kind in _DIMENSIONS:
        entry["dimension"] = _DIMENSIONS[rule.kind]
    entry["severity"] = _SEVERITIES[rule.severity]
    if rule.row_count is not None:
        entry |= {
            "type": "library",
            "metric": "rowCount",
            **_row_count_operator(rule.row_count.min, rule.row_count.max),
        }
        entry["unit"] = "rows"
    elif rule.not_null is not None:
        entry |= {
            "type": "library",
            "metric": "nullValues",
            "mustBe": 0,
            "arguments": {"properties": rule.not_null},
        }
    elif rule.unique is not None:
        entry |= {"type": "library", "metric": "duplicateValues", "mustBe": 0}
        entry["arguments"] = {"properties": rule.unique}
    elif rule.accepted_values is not None:
        entry |= {"type": "library", "metric": "invalidValues", "mustBe": 0}
        entry["arguments"] = {
            "properties": [rule.accepted_values.column],
            "validValues": list(rule.accepted_values.values),
        }
    elif rule.sql is not None:
        entry |= {"type": "sql", "query": rule.sql, "mustBe": 0}
    elif rule.range is not None:
        where = failing_predicate(rule, product)
        entry |= {"type": "sql", "query": f"SELECT COUNT(*) FROM {table} WHERE {where}", "mustBe": 0}
        entry["customProperties"] = [_custom("rule", _rule_body(rule))]
    elif rule.freshness is not None:
        column = quote_identifier(rule.freshness.column)
        query = f"SELECT unix_timestamp(current_timestamp()) - unix_timestamp(MAX({column})) FROM {table}"
        entry |= {"type": "sql", "query": query, "mustBeLessOrEqualTo": rule.freshness.max_age_seconds}
        entry["unit"] = "seconds"
        entry["customProperties"] = [_custom("rule", _rule_body(rule))]
    return entry


def _row_count_operator(minimum: int | None, maximum: int | None) -> dict[str, Any]:
    # ODCS allows one operator per check, and mustBeBetween needs two different bounds.
    if minimum is not None and maximum is not None:
        return {"mustBe": minimum} if minimum == maximum else {"mustBeBetween": [minimum, maximum]}
    if maximum is not None:
        return {"mustBeLessOrEqualTo": maximum}
    return {"mustBeGreaterOrEqualTo": minimum or 0}


def _rule_body(rule: QualityRule) -> dict[str, Any]:
    return rule.model_dump(mode="json", by_alias=True, include={rule.kind}, exclude_defaults=True)


# --- import -----------------------------------------------------------------------------------------


def load_contract(path: Path) -> ImportResult:
    """Read an ODCS YAML/JSON file and turn it into a spec.

    Raises ContractFileError listing every problem as a `Problem` (file, line, column, field).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ContractFileError(
            [Problem(path, 1, 1, "file", f"cannot read the file: {error}", "check the path")]
        ) from None
    if len(text) > MAX_CONTRACT_BYTES:
        raise ContractFileError([Problem(path, 1, 1, "file", "the file is larger than 2 MB", "split it")])
    try:
        document = parse_yaml(text)
    except YamlSyntaxError as error:
        raise ContractFileError(
            [Problem(path, error.line, error.col, "file", error.message, "fix the YAML syntax")]
        ) from None
    data = document.data
    if not isinstance(data, dict):
        raise ContractFileError(
            [
                Problem(
                    path,
                    1,
                    1,
                    "file",
                    "not an ODCS document (no mapping at the top)",
                    "export one with `tardis contract export`",
                )
            ]
        )

    def problem(loc: Loc, message: str, fix: str, *, at_key: bool = False) -> Problem:
        line, col = document.locate(loc, at_key=at_key)
        return Problem(path, line, col, field_name(loc), message, fix)

    fix = "make the document valid ODCS v3 (https://bitol-io.github.io/open-data-contract-standard/)"
    found: dict[tuple[Loc, str], Problem] = {}
    for loc, message, at_key in _schema_findings(data):
        found.setdefault((loc, message), problem(loc, message, fix, at_key=at_key))
    if found:
        raise ContractFileError(sorted(found.values(), key=lambda p: (p.line, p.col, p.field)))
    try:
        return import_contract(data)
    except ContractError as error:
        raise ContractFileError([problem(error.loc, error.message, error.fix)]) from None


def _schema_findings(data: Any) -> list[tuple[Loc, str, bool]]:
    """The official schema's complaints as (location, message, point at the key?), unknown keys by name."""
    findings = []
    for error in _schema_validator().iter_errors(data):
        loc = tuple(error.absolute_path)
        if error.validator in ("additionalProperties", "unevaluatedProperties"):
            unexpected = _UNEXPECTED.search(error.message)
            if unexpected is not None:
                for name in re.findall(r"'([^']*)'", unexpected.group(1)):
                    findings.append(((*loc, name), f"unknown field '{name}'", True))
                continue
        findings.append((loc, error.message, False))
    return findings


def import_contract(data: dict[str, Any]) -> ImportResult:
    """The Tardis spec described by an ODCS v3 document (plain data, already schema-valid).

    Raises ContractError (with the location in the document) when the contract lacks something a spec
    needs or says something Tardis cannot express.
    """
    try:
        contract = OpenDataContractStandard.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        raise ContractError(tuple(first["loc"]), first["msg"], "make the document valid ODCS v3") from None
    notes: list[str] = []
    obj_index, obj = _schema_object_of(contract)
    name = _product_name(contract)
    team_members, team_name = _team(contract)
    spec: dict[str, Any] = {
        "apiVersion": API_VERSION,
        "kind": "DataProduct",
        "name": name,
        "version": contract.version,
        "description": _description(contract, obj),
        "owner": {
            "tribe": _required(contract.domain, ("domain",), "the tribe", "set `domain: <tribe>`"),
            "squad": _required(team_name, ("team",), "the squad", "set `team: {name: <squad>}`"),
            "contact": _owner_contact(team_members),
        },
        "stakeholders": [m.username for m in team_members if m.role == STAKEHOLDER_ROLE],
        "source": _required(
            _custom_value(contract.customProperties, "source"),
            ("customProperties",),
            "where the data comes from (source)",
            "add `customProperties: [{property: source, value: {kafka: {topic: ..., format: json}}}]`",
        ),
    }
    schedule = _schedule(contract)
    if schedule is not None:
        spec["schedule"] = schedule
    properties = obj.properties or []
    spec["load"] = _load(contract, properties)
    spec["schema"] = [
        _column(prop, ("schema", obj_index, "properties", i)) for i, prop in enumerate(properties)
    ]
    quality = [
        (("schema", obj_index, "quality", i), entry, None) for i, entry in enumerate(obj.quality or [])
    ] + [
        (("schema", obj_index, "properties", i, "quality", j), entry, prop.name)
        for i, prop in enumerate(properties)
        for j, entry in enumerate(prop.quality or [])
    ]
    spec["quality"] = [
        rule for loc, entry, column in quality if (rule := _rule(entry, column, loc, notes)) is not None
    ]
    vault = _custom_value(contract.customProperties, "vault")
    if vault is not None:
        spec["vault"] = vault
    try:
        product = DataProduct.model_validate(spec)
    except ValidationError as error:
        first = error.errors()[0]
        loc = tuple(first["loc"])
        where = _contract_loc(loc, obj_index)
        ctx = first.get("ctx") or {}
        message = ctx["message"] if first["type"] == "tardis" else first["msg"]
        fix = ctx["fix"] if first["type"] == "tardis" else "correct it in the contract"
        raise ContractError(where, f"spec field {field_name(loc)}: {message}", fix) from None
    return ImportResult(product=product, notes=notes)


def product_yaml(product: DataProduct) -> str:
    """A spec as YAML text in the shape people write (defaults left out), ready for `tardis validate`."""
    data = product.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    data = {"apiVersion": data.pop("apiVersion"), "kind": data.pop("kind"), **data}
    return _dump_yaml(data)


def _schema_object_of(contract: OpenDataContractStandard) -> tuple[int, Any]:
    objects = contract.schema_ or []
    if not objects:
        raise ContractError(
            ("schema",), "the contract has no schema", "add `schema:` with one object and its properties"
        )
    if len(objects) == 1:
        return 0, objects[0]
    for index, obj in enumerate(objects):
        if obj.name in (contract.name, contract.id, contract.dataProduct):
            return index, obj
    raise ContractError(
        ("schema",),
        f"the contract has {len(objects)} schema objects and none is named {contract.name!r}",
        "a Tardis product publishes one table: keep one object, or name one after the contract",
    )


def _product_name(contract: OpenDataContractStandard) -> str:
    for loc, value in (
        (("name",), contract.name),
        (("id",), contract.id),
        (("dataProduct",), contract.dataProduct),
    ):
        if value:
            if not is_identifier(value):
                raise ContractError(
                    loc, f"{value!r} is not a valid product name", "use a snake_case name, e.g. order_events"
                )
            return value
    raise ContractError((), "the contract has no name", "set `name: <product>`")


def _team(contract: OpenDataContractStandard) -> tuple[list[Any], str | None]:
    team = contract.team
    if team is None:
        raise ContractError(
            (),
            "the contract has no team",
            "add `team: {name: <squad>, members: [{username: '#channel', role: owner}]}`",
        )
    if isinstance(team, list):  # the pre-3.1 form: a bare list of members
        return team, None
    return list(team.members or []), team.name


def _owner_contact(members: list[Any]) -> str:
    for member in members:
        if member.role == OWNER_ROLE:
            return member.username
    raise ContractError(
        ("team",),
        "no team member has role owner",
        "add `{username: '#team-data', role: owner}` to team.members",
    )


def _description(contract: OpenDataContractStandard, obj: Any) -> str:
    described = contract.description
    for text in (
        described.purpose if described else None,
        described.usage if described else None,
        obj.description,
    ):
        if text:
            return text
    raise ContractError((), "the contract has no description", "set `description: {purpose: ...}`")


def _required(value: Any, loc: Loc, what: str, fix: str) -> Any:
    if value is None:
        raise ContractError(loc, f"the contract does not say {what}", fix)
    return value


def _custom_value(props: list[Any] | None, name: str) -> Any:
    for prop in props or []:
        if prop.property == name and prop.vendor in (None, VENDOR):
            return prop.value
    return None


def _schedule(contract: OpenDataContractStandard) -> str | None:
    for sla in contract.slaProperties or []:
        if sla.property == FREQUENCY:
            return str(sla.schedule or sla.value)
    return None


def _load(contract: OpenDataContractStandard, properties: list[Any]) -> dict[str, Any]:
    load = dict(_custom_value(contract.customProperties, "load") or {})
    keyed = sorted(
        (p for p in properties if p.primaryKey),
        key=lambda p: p.primaryKeyPosition if p.primaryKeyPosition else 0,
    )
    if keyed:
        load["key"] = [p.name for p in keyed]
    if "partition_by" not in load:
        partitioned = sorted(
            (p for p in properties if p.partitioned), key=lambda p: p.partitionKeyPosition or 0
        )
        if partitioned:
            load["partition_by"] = [p.name for p in partitioned]
    load.setdefault("type", "upsert" if keyed else "append")
    return load


def _column(prop: Any, loc: Loc) -> dict[str, Any]:
    column: dict[str, Any] = {"name": prop.name, "type": _column_type(prop, loc)}
    if prop.required:
        column["required"] = True
    if prop.description is not None:
        column["description"] = prop.description
    if _custom_value(prop.customProperties, "pii") is True or "pii" in (prop.tags or []):
        column["pii"] = True
    return column


def _column_type(prop: Any, loc: Loc) -> str:
    if prop.physicalType:
        try:
            return str(parse_type(prop.physicalType))
        except ValueError:
            pass  # a type of another system (VARCHAR(20), NUMBER): fall back on the logical type
    if prop.logicalType in _TYPE_FOR_LOGICAL:
        return _TYPE_FOR_LOGICAL[prop.logicalType]
    raise ContractError(
        (*loc, "physicalType"),
        f"cannot tell the Tardis type of {prop.name!r} (physicalType {prop.physicalType!r}, "
        f"logicalType {prop.logicalType!r})",
        "set physicalType to a Tardis type: string, int, bigint, double, boolean, date, timestamp, "
        "decimal(p,s), array<..>, map<..> or struct<..>",
    )


def _rule(entry: Any, column: str | None, loc: Loc, notes: list[str]) -> dict[str, Any] | None:
    what = f"quality check {entry.name or field_name(loc)!r}"
    body = _custom_value(entry.customProperties, "rule")
    kind = entry.type or "library"
    if body is None and kind == "library":
        body = _library_rule(entry, column, loc, what)
    elif body is None and kind == "sql":
        if not _is_zero_violations(entry):
            raise ContractError(
                loc, f"{what}: only SQL checks that must return 0 can be imported", "use `mustBe: 0`"
            )
        body = {"sql": entry.query}
    elif body is None:
        notes.append(
            f"{field_name(loc)}: {what} of type {kind} is not kept (Tardis runs library and sql checks)"
        )
        return None
    rule = dict(body)
    severity = (entry.severity or "error").lower()
    if severity not in _IMPORTED_SEVERITIES:
        raise ContractError(
            (*loc, "severity"), f"{what}: unknown severity {entry.severity!r}", "use error or warning"
        )
    if _IMPORTED_SEVERITIES[severity] != "error":
        rule["severity"] = _IMPORTED_SEVERITIES[severity]
    if entry.description is not None:
        rule["description"] = entry.description
    if entry.name and entry.name != _derived_name(rule):
        if is_identifier(entry.name):
            rule["name"] = entry.name
        else:
            notes.append(
                f"{field_name(loc)}: check name {entry.name!r} is not snake_case; the derived name is used"
            )
    return rule


def _derived_name(rule: dict[str, Any]) -> str | None:
    try:
        return QualityRule.model_validate({k: v for k, v in rule.items() if k != "name"}).check_name
    except ValidationError:
        return None


def _library_rule(entry: Any, column: str | None, loc: Loc, what: str) -> dict[str, Any]:
    metric = entry.metric or entry.rule
    arguments = entry.arguments or {}
    columns = list(arguments.get("properties") or ([column] if column else []))
    if metric == "rowCount":
        return {"row_count": _row_count_bounds(entry, loc, what)}
    if metric in ("nullValues", "missingValues", "duplicateValues", "invalidValues"):
        if not _is_zero_violations(entry):
            raise ContractError(
                loc, f"{what}: Tardis checks that there are none ({metric} must be 0)", "use `mustBe: 0`"
            )
        if not columns:
            raise ContractError(
                loc,
                f"{what}: {metric} needs the properties it checks",
                "add `arguments: {properties: [column]}`",
            )
    if metric in ("nullValues", "missingValues"):
        return {"not_null": columns}
    if metric == "duplicateValues":
        return {"unique": columns}
    if metric == "invalidValues" and "validValues" in arguments and len(columns) == 1:
        return {"accepted_values": {"column": columns[0], "values": list(arguments["validValues"])}}
    raise ContractError(
        loc,
        f"{what}: metric {metric!r} with these arguments has no Tardis rule",
        "use rowCount, nullValues, duplicateValues, invalidValues with validValues on one property, "
        "or a sql check",
    )


def _row_count_bounds(entry: Any, loc: Loc, what: str) -> dict[str, int]:
    if entry.mustBe is not None:
        return {"min": int(entry.mustBe), "max": int(entry.mustBe)}
    if entry.mustBeBetween is not None:
        return {"min": int(entry.mustBeBetween[0]), "max": int(entry.mustBeBetween[1])}
    if entry.mustBeGreaterOrEqualTo is not None:
        return {"min": int(entry.mustBeGreaterOrEqualTo)}
    if entry.mustBeGreaterThan is not None:
        return {"min": int(entry.mustBeGreaterThan) + 1}
    if entry.mustBeLessOrEqualTo is not None:
        return {"max": int(entry.mustBeLessOrEqualTo)}
    if entry.mustBeLessThan is not None:
        return {"max": int(entry.mustBeLessThan) - 1}
    raise ContractError(loc, f"{what}: rowCount needs a bound", "add e.g. `mustBeGreaterOrEqualTo: 1`")


def _is_zero_violations(entry: Any) -> bool:
    return any(getattr(entry, operator) == value for operator, value in _ZERO_VIOLATIONS)


def _contract_loc(spec_loc: Loc, obj_index: int) -> Loc:
    """Where in the contract a spec field came from, for error positions."""
    head = spec_loc[0] if spec_loc else None
    if head == "schema" and len(spec_loc) > 1:
        return ("schema", obj_index, "properties", *spec_loc[1:2])
    if head == "quality":
        return ("schema", obj_index, "quality")
    if head in ("owner", "stakeholders"):
        return ("team",)
    if head in ("source", "load", "vault"):
        return ("customProperties",)
    if head == "schedule":
        return ("slaProperties",)
    if head in ("name", "version", "description"):
        return (head,)
    return ()


# --- shared -----------------------------------------------------------------------------------------


@cache
def _schema_validator() -> jsonschema.protocols.Validator:
    text = resources.files("open_data_contract_standard").joinpath("schema.json").read_text(encoding="utf-8")
    schema = json.loads(text)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


class _Dumper(yaml.SafeDumper):
    """Block style, multi-line strings as `|` blocks (SQL stays readable)."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def _dump_yaml(data: dict[str, Any]) -> str:
    return yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110, default_flow_style=False
    )
