"""ODCS v3 export and import: every demo spec exports a contract the standard's official JSON Schema of
its declared version accepts, and export -> import -> export gives back the same spec and the same
contract, through the CLI too."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from open_data_contract_standard.model import OpenDataContractStandard
from typer.testing import CliRunner

from tardis_dagster.core.specs import DataProduct, load_catalog
from tardis_dagster.tooling.cli import app
from tardis_dagster.tooling.contracts import odcs

REPO = Path(__file__).resolve().parents[2]
SPECS = REPO / "product_specs"
OFFICIAL_SCHEMAS = REPO / "tests" / "fixtures" / "odcs"
CATALOG = load_catalog([SPECS])
PRODUCT_NAMES = [product.name for product in CATALOG.products]
PROBLEM_LINE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<field>\S+): (?P<rest>.+)$")

runner = CliRunner()


def official_errors(document: dict[str, Any]) -> list[str]:
    """The official schema of the version `document` declares (vendored from the standard's repository)."""
    schema = json.loads((OFFICIAL_SCHEMAS / f"odcs-json-schema-{document['apiVersion']}.json").read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


def rules_as_set(product: DataProduct) -> dict[str, Any]:
    """The spec with its quality rules in a fixed order: ODCS keeps rules per property, not one list."""
    data = product.model_dump()
    data["quality"] = sorted(data["quality"], key=lambda rule: json.dumps(rule, sort_keys=True))
    return data


def test_demo_specs_load() -> None:
    assert CATALOG.problems == []
    assert len(PRODUCT_NAMES) >= 10


@pytest.mark.parametrize("name", PRODUCT_NAMES)
def test_demo_spec_exports_a_valid_contract(name: str) -> None:
    product = CATALOG.by_name(name)
    document = odcs.export_contract(product)

    assert document["apiVersion"] == "v3.1.0"
    assert official_errors(document) == []
    assert odcs.contract_problems(document) == []
    # the package's own model reads the YAML we write
    parsed = OpenDataContractStandard.from_string(odcs.contract_yaml(document))
    assert parsed.name == name
    assert parsed.version == product.version
    assert parsed.domain == product.owner.tribe
    columns = {p.name: p for p in parsed.schema_[0].properties}
    assert list(columns) == product.column_names
    for column in product.schema_:
        assert columns[column.name].physicalType == column.type
        assert bool(columns[column.name].required) == column.required
    # every rule is somewhere: at its property, or at the object when it spans the table
    placed = len(parsed.schema_[0].quality or []) + sum(len(p.quality or []) for p in columns.values())
    assert placed >= len(product.quality)


@pytest.mark.parametrize("name", PRODUCT_NAMES)
def test_export_import_export_is_stable(name: str, tmp_path: Path) -> None:
    product = CATALOG.by_name(name)
    document = odcs.export_contract(product)
    path = tmp_path / f"{name}.odcs.yaml"
    path.write_text(odcs.contract_yaml(document), encoding="utf-8")

    result = odcs.load_contract(path)

    assert result.notes == []
    assert rules_as_set(result.product) == rules_as_set(product)
    assert odcs.export_contract(result.product) == document
    # and the spec YAML written by import reads back to the same product
    again = DataProduct.model_validate(yaml.safe_load(odcs.product_yaml(result.product)))
    assert again.model_dump() == result.product.model_dump()


def test_contract_places_fields_where_odcs_has_them() -> None:
    document = odcs.export_contract(CATALOG.by_name("order_events"))

    members = document["team"]["members"]
    assert members[0] == {"username": "#checkout-data", "role": "owner"}
    assert [m["username"] for m in members[1:]] == ["#finance-analytics", "analytics@tardis-eats.example"]
    assert document["team"]["name"] == "checkout"
    frequency, latency = document["slaProperties"]
    assert frequency == {
        "property": "frequency",
        "value": "0 * * * *",
        "scheduler": "cron",
        "schedule": "0 * * * *",
    }
    # freshness is an SLA ODCS tools read: the newest updated_at at most 1 day old
    assert latency == {"property": "latency", "value": 1, "unit": "d", "element": "order_events.updated_at"}
    props = {p["name"]: p for p in document["schema"][0]["properties"]}
    assert props["order_id"]["primaryKey"] is True
    assert props["order_id"]["primaryKeyPosition"] == 1
    assert props["placed_at"]["partitioned"] is True
    assert props["customer_email"]["classification"] == "restricted"
    assert props["total_amount"]["logicalType"] == "number"
    # one-column rules sit at their property, where ODCS tools test them
    at = {name: {q["name"]: q for q in prop.get("quality", [])} for name, prop in props.items()}
    assert at["order_id"]["unique_order_id"]["metric"] == "duplicateValues"
    assert "arguments" not in at["order_id"]["unique_order_id"]
    assert at["currency"]["accepted_values_currency"]["arguments"] == {"validValues": ["EUR", "GBP"]}
    assert at["updated_at"]["freshness_updated_at"]["mustBeLessOrEqualTo"] == 86400
    assert at["updated_at"]["freshness_updated_at"]["severity"] == "warning"
    # a not_null rule on three columns: nullValues at each of them, one rule again on import
    not_null = "not_null_order_id_customer_id_placed_at"
    assert {name for name, checks in at.items() if not_null in checks} == {
        "order_id",
        "customer_id",
        "placed_at",
    }
    table_level = {q["name"]: q for q in document["schema"][0]["quality"]}
    assert set(table_level) == {"row_count", "no_huge_orders"}
    custom = {c["property"]: c["value"] for c in document["customProperties"]}
    assert "vendor" not in document["customProperties"][0]  # v3.1.0 has no vendor field
    assert custom["tardisSource"]["kafka"]["topic"] == "checkout.order.v1"
    assert custom["tardisLoad"] == {
        "type": "upsert",
        "version_by": "updated_at",
        "partition_by": ["day(placed_at)"],
    }


EDGE_SPEC = {
    "apiVersion": "tardis/v1",
    "kind": "DataProduct",
    "name": "edge_cases",
    "version": "2.1.0-rc.1",
    "description": "Every corner of the spec that ODCS must carry.",
    "owner": {"tribe": "platform", "squad": "data_platform", "contact": "platform@example.com"},
    "source": {
        "files": {
            "uri": "s3://bucket/drops/",
            "format": "csv",
            "pattern": "*.csv.gz",
            "options": {"sep": ";"},
        }
    },
    "schedule": "streaming",
    "load": {
        "type": "scd2",
        "key": ["tenant_id", "item_id"],
        "version_by": "changed_at",
        "partition_by": ["bucket(16, item_id)", "day(changed_at)"],
        "reject_threshold": 0.05,
    },
    "schema": [
        {"name": "tenant_id", "type": "bigint", "required": True},
        {"name": "item_id", "type": "string", "required": True, "description": "Item."},
        {"name": "tags", "type": "array<string>"},
        {"name": "attributes", "type": "map<string,array<struct<k:string,v:decimal(5,2)>>>"},
        {"name": "address", "type": "struct<street:string,zip:int>", "pii": True},
        {"name": "score", "type": "float"},
        {"name": "changed_at", "type": "timestamp", "required": True},
        {"name": "valid_on", "type": "date"},
    ],
    "quality": [
        {"row_count": {"min": 5, "max": 5}},
        {"row_count": {"min": 1, "max": 100}, "name": "bounded_rows", "severity": "warn"},
        {"row_count": {"max": 10}},
        {"range": {"column": "score", "min": 0, "max": 1}, "description": "A probability."},
        {"freshness": {"column": "valid_on", "max_age": "30m"}},
        {"accepted_values": {"column": "tenant_id", "values": [1, 2, 3]}},
        {"sql": "select count(*) from {{ this }} as t\nwhere t.score > 1", "severity": "warn"},
    ],
}


def test_every_spec_shape_round_trips() -> None:
    product = DataProduct.model_validate(EDGE_SPEC)
    document = odcs.export_contract(product)

    assert official_errors(document) == []
    result = odcs.import_contract(document)
    assert result.notes == []
    assert rules_as_set(result.product) == rules_as_set(product)
    assert odcs.export_contract(result.product) == document
    assert "sql: |" in odcs.product_yaml(result.product)  # multi-line SQL stays a readable block


def test_a_broken_export_is_reported_by_the_official_schema() -> None:
    document = odcs.export_contract(CATALOG.by_name("recipes"))
    document["kind"] = "Contract"
    del document["id"]

    problems = odcs.contract_problems(document)

    assert any(p.startswith("kind:") for p in problems)
    assert any("'id' is a required property" in p for p in problems)


FOREIGN = """\
apiVersion: v3.0.2
kind: DataContract
id: 53581432-6c55-4ba2-a65f-72344a91553a
name: shipments
version: 0.3.0
domain: operations
status: draft
description:
  usage: Shipments handed to carriers.
team:
  name: logistics
  members:
    - {username: ops@example.com, role: owner}
    - {username: "#ops-alerts", role: stakeholder}
    - {username: someone@example.com, role: data steward}
schema:
  - name: shipments
    physicalType: table
    properties:
      - {name: shipment_id, physicalType: VARCHAR(36), logicalType: string, required: true, primaryKey: true}
      - name: weight_kg
        logicalType: number
        quality:
          - {type: library, metric: nullValues, mustBe: 0}
      - {name: shipped_at, logicalType: timestamp, tags: [pii]}
    quality:
      - {type: text, description: Shipments are complete by 6 am.}
      - {type: library, metric: rowCount, mustBeGreaterThan: 0, name: Has rows}
customProperties:
  - property: source
    value: {kafka: {topic: ops.shipment.v1, format: avro}}
"""


def test_a_contract_written_elsewhere_imports_with_notes(tmp_path: Path) -> None:
    path = tmp_path / "shipments.yaml"
    path.write_text(FOREIGN, encoding="utf-8")

    result = odcs.load_contract(path)

    product = result.product
    assert product.name == "shipments"
    assert product.description == "Shipments handed to carriers."
    assert (product.owner.tribe, product.owner.squad, product.owner.contact) == (
        "operations",
        "logistics",
        "ops@example.com",
    )
    assert product.stakeholders == ["#ops-alerts"]
    assert product.load.type == "upsert"
    assert product.load.key == ["shipment_id"]
    assert [(c.name, c.type, c.required, c.pii) for c in product.schema_] == [
        ("shipment_id", "string", True, False),
        ("weight_kg", "double", False, False),
        ("shipped_at", "timestamp", False, True),
    ]
    assert sorted(rule.kind for rule in product.quality) == ["not_null", "row_count"]
    (row_count,) = [rule for rule in product.quality if rule.row_count is not None]
    assert row_count.row_count is not None and row_count.row_count.min == 1
    (not_null,) = [rule for rule in product.quality if rule.not_null is not None]
    assert not_null.not_null == ["weight_kg"]
    notes = {(note.field, note.line): note.message for note in result.notes}
    assert any("someone@example.com" in m and "not carried over" in m for m in notes.values())
    assert any("type text is not kept" in m for m in notes.values())
    assert any("'Has rows' is not snake_case" in m for m in notes.values())
    assert all(str(note.path) == str(path) for note in result.notes)


def test_a_contract_without_source_lists_what_to_supply(tmp_path: Path) -> None:
    path = tmp_path / "shipments.yaml"
    path.write_text(
        FOREIGN.split("customProperties:")[0].replace("domain: operations\n", ""), encoding="utf-8"
    )

    with pytest.raises(odcs.MissingAnswersError) as caught:
        odcs.load_contract(path)

    # both missing items at once, each with how to supply it
    by_field = {p.field: p for p in caught.value.problems}
    assert "the contract does not say the tribe" in by_field["domain"].message
    assert "--tribe" in by_field["domain"].fix
    (source,) = [p for p in caught.value.problems if "where the data" in p.message]
    assert "`source` in an answers file" in source.fix
    template = yaml.safe_load(caught.value.answers_template())
    assert set(template) == {"tribe", "source"}


def test_a_value_the_spec_refuses_is_reported_at_its_contract_field(tmp_path: Path) -> None:
    path = tmp_path / "shipments.yaml"
    path.write_text(FOREIGN.replace("version: 0.3.0", "version: 'third'"), encoding="utf-8")

    with pytest.raises(odcs.ContractFileError) as caught:
        odcs.load_contract(path)

    (problem,) = caught.value.problems
    assert (problem.line, problem.field) == (5, "version")
    assert "'third' is not a semantic version" in problem.message
    assert problem.fix == "write MAJOR.MINOR.PATCH, e.g. 1.0.0"


def test_cli_export_then_import_gives_a_spec_tardis_validate_accepts(tmp_path: Path) -> None:
    specs = tmp_path / "product_specs"
    shutil.copytree(SPECS, specs)
    original = specs / "consumer" / "order_events.yaml"
    contract = tmp_path / "order_events.odcs.yaml"

    exported = runner.invoke(
        app, ["contract", "export", "order_events", "--specs", str(specs), "--out", str(contract)]
    )
    assert exported.exit_code == 0, exported.output
    original.unlink()  # the imported spec takes its place (names are unique)
    imported = runner.invoke(app, ["contract", "import", str(contract), "--out", str(original)])
    assert imported.exit_code == 0, imported.output
    validated = runner.invoke(app, ["validate", str(specs)])

    assert validated.exit_code == 0, validated.output
    assert rules_as_set(load_catalog([specs]).by_name("order_events")) == rules_as_set(
        CATALOG.by_name("order_events")
    )
    again = runner.invoke(app, ["contract", "export", "order_events", "--specs", str(specs)])
    assert again.exit_code == 0
    assert again.stdout == contract.read_text(encoding="utf-8")


def test_cli_export_of_an_unknown_product_suggests_the_name() -> None:
    result = runner.invoke(app, ["contract", "export", "order_event", "--specs", str(SPECS)])

    assert result.exit_code == 1
    assert "did you mean 'order_events'?" in result.output


def test_cli_import_of_an_invalid_contract_names_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(FOREIGN.replace("version: 0.3.0\n", "version: 0.3.0\nstatus2: draft\n"), encoding="utf-8")

    result = runner.invoke(app, ["contract", "import", str(path)])

    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    match = PROBLEM_LINE.match(lines[0])
    assert match is not None, lines[0]
    assert match["path"] == str(path)
    assert (match["line"], match["col"], match["field"]) == ("6", "1", "status2")
    assert "unknown field 'status2'" in match["rest"]
    assert "Traceback" not in result.output


def test_the_export_check_uses_the_official_schema() -> None:
    # the schema `tardis contract export` checks against is the standard's file the tests judge with
    fixture = json.loads((OFFICIAL_SCHEMAS / f"odcs-json-schema-{odcs.ODCS_API_VERSION}.json").read_text())
    assert odcs.official_schema() == fixture
    assert "v3.1.0" in fixture["properties"]["apiVersion"]["enum"]
