"""A data product spec as an ODCS v3.1.0 contract that the standard's official JSON Schema accepts.

Every spec field goes where ODCS has a place for it, so other ODCS tools read it natively:

- name, version, description: `id`, `name`, `dataProduct`, `version`, `description.purpose`;
- owner.tribe and owner.squad: `domain` and `team.name`; owner.contact and stakeholders: `team.members`
  with role `owner` / `stakeholder` (the owner also under `support`);
- schedule: `slaProperties` `frequency`; each freshness rule also as a `latency` SLA on its column;
- columns: `schema[0].properties` with `physicalType` (the Tardis type), `logicalType` (nested `items`
  and `properties` for arrays and structs), `required`, `description`; `load.key` as
  `primaryKey(Position)`, partition columns as `partitioned`; `pii` as `classification: restricted`;
- quality: a rule on one column sits in that property's `quality` (where ODCS tools test it; a not_null
  rule on several columns sits at each, one rule again on import), the rest in `schema[0].quality`:
  library metrics (`rowCount`, `nullValues`, `duplicateValues`,
  `invalidValues` with `validValues`), `sql` checks, and for range and freshness the equivalent SQL with
  the rule itself in the custom property `tardisRule`;
- source, load (type, version_by, partition_by, reject_threshold) and vault: the custom properties
  `tardisSource`, `tardisLoad`, `tardisVault`, since ODCS has no place for them.
"""

from __future__ import annotations

from typing import Any

from tardis_dagster.core.quality import failing_predicate, published_table, quote_identifier
from tardis_dagster.core.specs import DataProduct, DataType, QualityRule, parse_partition
from tardis_dagster.tooling.contracts.odcs.documents import dump_yaml, official_problems
from tardis_dagster.tooling.contracts.odcs.mapping import (
    DIMENSIONS,
    EXPORTED_PII_CLASSIFICATION,
    FREQUENCY,
    LOAD_PROPERTY,
    LOGICAL_TYPES,
    ODCS_API_VERSION,
    ODCS_KIND,
    OWNER_ROLE,
    RULE_PROPERTY,
    SEVERITIES,
    SOURCE_PROPERTY,
    STAKEHOLDER_ROLE,
    VAULT_PROPERTY,
)

LAKE_SERVER = "lake"
SCHEDULER = "tardis"


def export_contract(product: DataProduct) -> dict[str, Any]:
    """The ODCS v3.1.0 document of `product` as plain JSON-ready data (check it with `contract_problems`)."""
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
                "server": LAKE_SERVER,
                "type": "custom",
                "format": "iceberg",
                "database": table.split(".")[0],
                "description": "The lake: Iceberg tables, one database per layer.",
            }
        ],
        "schema": [_schema_object(product, table)],
    }
    sla = ([_frequency(product.schedule)] if product.schedule is not None else []) + [
        _latency(rule, product) for rule in product.quality if rule.freshness is not None
    ]
    if sla:
        doc["slaProperties"] = sla
    doc["customProperties"] = _product_custom_properties(product)
    return doc


def contract_yaml(doc: dict[str, Any]) -> str:
    """An ODCS document as YAML text, keys in the order the standard lists them."""
    return dump_yaml(doc)


def contract_problems(doc: dict[str, Any]) -> list[str]:
    """Where `doc` breaks the official ODCS v3.1.0 JSON Schema: `path: message` lines (none: valid)."""
    return official_problems(doc)


def _support(contact: str) -> dict[str, Any]:
    if contact.startswith("#"):
        return {"channel": contact, "tool": "slack", "scope": "issues"}
    return {"channel": contact, "tool": "email", "url": f"mailto:{contact}", "scope": "issues"}


def _frequency(schedule: str) -> dict[str, Any]:
    if schedule.split()[0] == schedule:  # on_upstream or streaming: Tardis' own triggers
        return {"property": FREQUENCY, "value": schedule, "scheduler": SCHEDULER}
    return {"property": FREQUENCY, "value": schedule, "scheduler": "cron", "schedule": schedule}


def _latency(rule: QualityRule, product: DataProduct) -> dict[str, Any]:
    """A freshness rule as the SLA ODCS tools read: the newest value of the column is at most this old."""
    assert rule.freshness is not None
    age = rule.freshness.max_age
    sla: dict[str, Any] = {
        "property": "latency",
        "value": int(age[:-1]),
        "unit": age[-1],
        "element": f"{product.name}.{rule.freshness.column}",
    }
    if rule.description is not None:
        sla["description"] = rule.description
    return sla


def _custom(name: str, value: Any) -> dict[str, Any]:
    return {"property": name, "value": value}


def _product_custom_properties(product: DataProduct) -> list[dict[str, Any]]:
    source = product.source.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    # The key lives in primaryKey(Position); the rest of `load` has no ODCS place.
    load = product.load.model_dump(mode="json", by_alias=True, exclude_defaults=True, exclude={"key"})
    props = [_custom(SOURCE_PROPERTY, source), _custom(LOAD_PROPERTY, load)]
    vault = product.vault.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    if vault:
        props.append(_custom(VAULT_PROPERTY, vault))
    return props


def _rule_columns(rule: QualityRule) -> list[str]:
    """The columns a rule sits at (ODCS tools test most metrics at property level); [] for table rules.

    A not_null rule on several columns sits at each of them (nullValues is a property-level metric);
    `tardisRule` on each copy keeps them one rule for the way back.
    """
    if rule.not_null is not None:
        return list(rule.not_null)
    if rule.unique is not None and len(rule.unique) == 1:
        return list(rule.unique)
    for body in (rule.accepted_values, rule.range, rule.freshness):
        if body is not None:
            return [body.column]
    return []


def _schema_object(product: DataProduct, table: str) -> dict[str, Any]:
    key_position = {name: i for i, name in enumerate(product.load.key, start=1)}
    partition_position: dict[str, int] = {}
    for entry in product.load.partition_by:
        partition_position.setdefault(parse_partition(entry).column, len(partition_position) + 1)
    column_rules: dict[str, list[dict[str, Any]]] = {}
    table_rules = []
    for rule in product.quality:
        columns = [c for c in _rule_columns(rule) if product.column(c) is not None]
        for column in columns:
            column_rules.setdefault(column, []).append(_quality(rule, product, table, column))
        if not columns:
            table_rules.append(_quality(rule, product, table, None))
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
            prop["classification"] = EXPORTED_PII_CLASSIFICATION
        if column.name in column_rules:
            prop["quality"] = column_rules[column.name]
        properties.append(prop)
    obj: dict[str, Any] = {
        "name": product.name,
        "physicalName": table,
        "physicalType": "table",
        "logicalType": "object",
        "description": product.description,
        "properties": properties,
    }
    if table_rules:
        obj["quality"] = table_rules
    return obj


def _typed(data_type: DataType) -> dict[str, Any]:
    """physicalType (the Tardis type), logicalType and, for arrays and structs, what they hold."""
    typed: dict[str, Any] = {"physicalType": str(data_type), "logicalType": LOGICAL_TYPES[data_type.name]}
    if data_type.element is not None:
        typed["items"] = _typed(data_type.element)
    if data_type.fields:
        typed["properties"] = [{"name": name, **_typed(kind)} for name, kind in data_type.fields]
    return typed


def _quality(rule: QualityRule, product: DataProduct, table: str, column: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": rule.check_name}
    if rule.description is not None:
        entry["description"] = rule.description
    if rule.kind in DIMENSIONS:
        entry["dimension"] = DIMENSIONS[rule.kind]
    entry["severity"] = SEVERITIES[rule.severity]
    # A rule at its property names no properties: the property is the argument.
    arguments: dict[str, Any] = {}
    if rule.row_count is not None:
        entry |= {"type": "library", "metric": "rowCount", **_row_count_operator(rule)}
        entry["unit"] = "rows"
    elif rule.not_null is not None:
        entry |= {"type": "library", "metric": "nullValues", "mustBe": 0}
        if column is None:
            arguments["properties"] = rule.not_null
        elif len(rule.not_null) > 1:
            entry["customProperties"] = [_custom(RULE_PROPERTY, _rule_body(rule))]
    elif rule.unique is not None:
        entry |= {"type": "library", "metric": "duplicateValues", "mustBe": 0}
        if column is None:
            arguments["properties"] = rule.unique
    elif rule.accepted_values is not None:
        entry |= {"type": "library", "metric": "invalidValues", "mustBe": 0}
        arguments["validValues"] = list(rule.accepted_values.values)
    elif rule.sql is not None:
        entry |= {"type": "sql", "query": rule.sql, "mustBe": 0}
    elif rule.range is not None:
        where = failing_predicate(rule, product)
        entry |= {"type": "sql", "query": f"SELECT COUNT(*) FROM {table} WHERE {where}", "mustBe": 0}
        entry["customProperties"] = [_custom(RULE_PROPERTY, _rule_body(rule))]
    elif rule.freshness is not None:
        quoted = quote_identifier(rule.freshness.column)
        query = f"SELECT unix_timestamp(current_timestamp()) - unix_timestamp(MAX({quoted})) FROM {table}"
        entry |= {"type": "sql", "query": query, "mustBeLessOrEqualTo": rule.freshness.max_age_seconds}
        entry["unit"] = "seconds"
        entry["customProperties"] = [_custom(RULE_PROPERTY, _rule_body(rule))]
    if arguments:
        entry["arguments"] = arguments
    return entry


def _row_count_operator(rule: QualityRule) -> dict[str, Any]:
    assert rule.row_count is not None
    minimum, maximum = rule.row_count.min, rule.row_count.max
    # ODCS allows one operator per check, and mustBeBetween needs two different bounds.
    if minimum is not None and maximum is not None:
        return {"mustBe": minimum} if minimum == maximum else {"mustBeBetween": [minimum, maximum]}
    if maximum is not None:
        return {"mustBeLessOrEqualTo": maximum}
    return {"mustBeGreaterOrEqualTo": minimum or 0}


def _rule_body(rule: QualityRule) -> dict[str, Any]:
    return rule.model_dump(mode="json", by_alias=True, include={rule.kind}, exclude_defaults=True)
