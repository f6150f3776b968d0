"""ODCS contracts written the way the standard's examples and datacontract-cli's fixtures are written
(tests/fixtures/odcs/contracts/, v3.0.0 to v3.2.0) import with `tardis contract import`, and `tardis
validate` accepts every spec written; what each contract says lands where the spec keeps it."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tardis_dagster.core.quality import render_rule_sql, sql_literal
from tardis_dagster.core.specs import DataProduct, load_catalog
from tardis_dagster.tooling.cli import app
from tardis_dagster.tooling.contracts import odcs

CONTRACTS = Path(__file__).resolve().parents[1] / "fixtures" / "odcs" / "contracts"
NOTE = re.compile(r"^note: (?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<field>\S+): (?P<message>.+)$")

runner = CliRunner()


@dataclass(frozen=True)
class Case:
    """One contract, the flags its import needs, and what the specs it gives must say."""

    contract: str
    check: Callable[[dict[str, DataProduct], list[str]], None]
    flags: tuple[str, ...] = ()


def rules(product: DataProduct, kind: str) -> list:
    """The bodies of the product's rules of one kind (a list of columns, a mapping or the SQL)."""
    bodies = [getattr(rule, kind) for rule in product.quality if rule.kind == kind]
    return [body.model_dump() if hasattr(body, "model_dump") else body for body in bodies]


def column(product: DataProduct, name: str):
    found = product.column(name)
    assert found is not None, name
    return found


def check_full_example(products: dict[str, DataProduct], notes: list[str]) -> None:
    assert set(products) == {"payments", "sellers"}  # two schema objects, two products
    payments, sellers = products["payments"], products["sellers"]
    assert payments.description.startswith("Payments received by sellers.")
    assert "Limitations: Seller side only" in payments.description
    assert (payments.owner.tribe, payments.owner.squad) == ("seller", "payouts")
    assert payments.owner.contact == "#seller-payments"  # the owner 'daustin' is no contact: support is
    assert payments.source.kafka is not None and payments.source.kafka.topic == "seller.payment.v1"
    assert sellers.source.files is not None and sellers.source.files.format == "parquet"
    assert payments.schedule == "0 0 * * *"  # frequency: 1 d
    assert payments.load.key == ["payment_id"] and payments.load.partition_by == ["payment_date"]
    assert column(payments, "payment_id").pii and not column(payments, "seller_id").pii
    assert column(payments, "amount").type == "decimal(12,2)"
    assert column(sellers, "seller_name").pii  # classification: confidential
    assert rules(payments, "not_null") == [["seller_id"]]
    assert rules(payments, "row_count") == [{"min": 1001, "max": None}]  # mustBeGreaterThan: 1000
    assert rules(payments, "freshness") == [{"column": "payment_date", "max_age": "4d"}]  # latency SLA
    assert rules(sellers, "unique") == [["seller_id"]]
    for field in (
        "price",
        "tags",
        "tenant",
        "contractCreatedTs",
        "slaProperties[1]",
        "schema[0].relationships",
    ):
        assert any(f" {field}: " in note and "not carried" in note for note in notes), field
    assert any("schema[0].properties[2].quality[0].businessImpact: not carried" in note for note in notes)
    assert any("team[0]: team member 'ceastwood'" in note for note in notes)
    for unused in ("servers[0]: not carried", "roles[0]: access role", "support[1]: support channel"):
        assert any(unused in note for note in notes), unused
    assert any("schema[0].physicalName: not carried over" in note for note in notes)


def check_team_object(products: dict[str, DataProduct], notes: list[str]) -> None:
    product = products["fleet_positions"]
    assert (product.owner.squad, product.owner.contact) == ("fleet_ops", "ada@example.com")
    assert product.stakeholders == ["#fleet-alerts"]
    kafka = product.source.kafka
    assert kafka is not None
    assert (kafka.topic, kafka.format, kafka.registry_subject) == (
        "fleet.van_position.v1",
        "json",
        "fleet.van_position.v1-value",
    )
    assert {r["column"]: (r["min"], r["max"]) for r in rules(product, "range")} == {
        "lat": (-90, 90),
        "lon": (-180, 180),
    }
    assert any("grace@example.com" in note and "not carried" in note for note in notes)


def check_kafka_server(products: dict[str, DataProduct], notes: list[str]) -> None:
    product = products["parcel_scans"]
    assert product.owner.model_dump() == {"tribe": "operations", "squad": "depots", "contact": "#depot-data"}
    assert product.source.kafka is not None and product.source.kafka.format == "avro"
    assert product.source.kafka.registry_subject == "depot.parcel_scan.v1-value"
    assert any("placeholder" in note for note in notes)  # the contract has no description


def check_s3_files(products: dict[str, DataProduct], notes: list[str]) -> None:
    product = products["supplier_invoices"]
    files = product.source.files
    assert files is not None  # the prod server, {model} filled in, the glob as the pattern
    assert (files.uri, files.pattern, files.format) == ("s3://invoices/invoices/", "*.json", "json")
    assert product.load.type == "append"
    assert rules(product, "unique") == [["invoice_id"]]
    assert column(product, "amount").type == "decimal(14,2)"
    assert any("servers[0]: not carried over: no product lands from this server" in note for note in notes)


def check_sla(products: dict[str, DataProduct], notes: list[str]) -> None:
    product = products["stock_levels"]
    assert product.source.files is not None  # the `source` custom property older exports wrote
    assert product.schedule == "0 * * * *"
    assert product.load.key == ["sku", "warehouse_id"]
    (freshness,) = [rule for rule in product.quality if rule.freshness is not None]
    assert freshness.freshness is not None and freshness.freshness.max_age == "4h"
    assert freshness.description == "Counts are at most 4 hours old."
    assert column(product, "on_hand").type == "int"  # integer with format i32
    assert rules(product, "range") == [{"column": "on_hand", "min": 0, "max": None}]
    assert any("SLA 'retention' not carried over" in note for note in notes)
    assert any("SLA 'generalAvailability' not carried over" in note for note in notes)


def check_completeness(products: dict[str, DataProduct], notes: list[str]) -> None:
    product = products["air_quality"]
    assert rules(product, "not_null") == [["station_id"]]
    assert rules(product, "row_count") == [{"min": 100, "max": 1000000}]
    (tolerance,) = [rule for rule in product.quality if rule.sql is not None]
    # missing means null, '' or 'N/A'; fewer than 5 percent of rows may be missing
    assert tolerance.sql is not None and "IN ('', 'N/A')" in tolerance.sql and "< 5" in tolerance.sql
    assert "100.0 *" in tolerance.sql and tolerance.severity == "warn"


def check_validity(products: dict[str, DataProduct], notes: list[str]) -> None:
    product = products["sensor_readings"]
    assert rules(product, "unique") == [["reading_id"]]
    assert rules(product, "accepted_values") == [
        {"column": "status", "values": ["ok", "degraded", "offline"]}
    ]
    (tolerance,) = rules(product, "sql")
    assert "NOT IN ('ugm3', 'ppm')" in tolerance and "<= 5" in tolerance
    assert any("businessImpact: not carried" in note for note in notes)


def check_sql_custom_text(products: dict[str, DataProduct], notes: list[str]) -> None:
    product = products["refunds"]
    by_name = {rule.name: rule.sql for rule in product.quality}
    assert by_name["no_negative_refunds"] == "SELECT COUNT(*) FROM {{ this }} WHERE `amount` < 0"
    # the object's physical table name becomes {{ this }}; mustBeLessThan 10 wraps the query
    assert by_name["few_large_refunds"] == (
        "select case when (SELECT COUNT(*) FROM {{ this }} WHERE amount > 5000) < 10 then 0 else 1 end"
    )
    assert len(product.quality) == 2
    assert any("of type custom is not kept" in note for note in notes)
    assert any("of type text is not kept" in note for note in notes)


def check_classification(products: dict[str, DataProduct], notes: list[str]) -> None:
    product = products["members"]
    assert {c.name for c in product.schema_ if c.pii} == {"email", "phone", "birth_date", "street", "iban"}


def check_enum(products: dict[str, DataProduct], notes: list[str]) -> None:
    product = products["tickets"]
    assert {r["column"]: r["values"] for r in rules(product, "accepted_values")} == {
        "status": ["open", "pending", "closed"],
        "priority": [1, 2, 3],
    }
    assert column(product, "priority").type == "int" and column(product, "ticket_id").type == "string"
    assert any("enum labels and descriptions not carried over" in note for note in notes)


def check_data_types(products: dict[str, DataProduct], notes: list[str]) -> None:
    product = products["transactions"]
    types = {c.name: c.type for c in product.schema_}
    assert types == {
        "account_id": "string",
        "txn_ref_date": "date",
        "txn_time": "string",
        "amount": "double",
        "age": "int",  # the physicalType wins over the logicalType's i64
        "is_open": "boolean",
        "latest_txns": "array<string>",
        "customer_details": "string",
        "merchant": "struct<merchant_id:string,mcc:int>",
        "line_items": "array<struct<sku:string,price:decimal(10,2)>>",
        "booked_at": "timestamp",
    }
    assert rules(product, "range") == [
        {"column": "amount", "min": 0, "max": None},
        {"column": "age", "min": 18, "max": 99},  # exclusiveMaximum 100 on an integer
    ]
    assert any("length(`account_id`) < 11" in sql for sql in rules(product, "sql"))
    for reported in (
        "pattern: not carried",
        "time has no Spark type",
        "json has no Spark type",
        "without items",
    ):
        assert any(reported in note for note in notes), reported


def check_roles(products: dict[str, DataProduct], notes: list[str]) -> None:
    product = products["risk_scores"]
    assert (product.owner.squad, product.owner.contact) == ("risk_models", "risk-owners@example.com")
    assert any("roles[1].firstLevelApprovers: used as the owner's contact" in note for note in notes)


def check_support(products: dict[str, DataProduct], notes: list[str]) -> None:
    product = products["menu_ratings"]
    assert product.owner.contact == "#menu-ratings-help"
    assert rules(product, "range") == [{"column": "stars", "min": 1, "max": 5}]


def check_free_text_names(products: dict[str, DataProduct], notes: list[str]) -> None:
    product = products["orders_event_stream"]
    assert (product.owner.tribe, product.owner.squad) == ("checkout", "checkout_team")
    assert product.owner.contact == "checkout@example.com"  # role spelled OWNER
    assert [c.name for c in product.schema_] == ["order_id", "customer_email", "placed_at"]
    assert column(product, "customer_email").pii
    assert product.source.kafka is not None and product.source.kafka.topic == "orders"
    assert any("column 'OrderId' imported as 'order_id'" in note for note in notes)


def check_multi_object(products: dict[str, DataProduct], notes: list[str]) -> None:
    assert set(products) == {"waste"}  # --schema-object waste: the other object is left out
    files = products["waste"].source.files
    assert files is not None and files.uri == "./drops/waste/"


def check_partitioned(products: dict[str, DataProduct], notes: list[str]) -> None:
    product = products["daily_sales"]
    assert product.version == "1.4.0"
    assert product.load.key == ["sale_date", "store_id"]  # by primaryKeyPosition
    assert product.load.partition_by == ["sale_date", "store_id"]  # by partitionKeyPosition
    assert any("version '1.4' imported as '1.4.0'" in note for note in notes)


def check_team_list(products: dict[str, DataProduct], notes: list[str]) -> None:
    product = products["vouchers"]
    assert product.owner.contact == "#vouchers"
    # stakeholder spelled either way; one who left the team (dateOut) is not alerted
    assert product.stakeholders == ["growth@example.com", "#finance-analytics"]
    assert product.description == (
        "Vouchers handed out in campaigns.\n\nUsage: Campaign reporting.\n\n"
        "Limitations: No vouchers before 2023."
    )
    assert rules(product, "unique") == [["voucher_code"]]


def check_minimal(products: dict[str, DataProduct], notes: list[str]) -> None:
    product = products["courier_shifts"]
    assert product.owner.model_dump() == {
        "tribe": "operations",
        "squad": "couriers",
        "contact": "#courier-data",
    }
    assert product.schedule == "0 6 * * *"
    assert product.source.files is not None and product.source.files.options == {"delimiter": ";"}


CASES = [
    Case(
        "full_example_two_tables", check_full_example, ("--answers", "full_example_two_tables.answers.yaml")
    ),
    Case("team_object_v320", check_team_object),
    Case(
        "kafka_server_avro",
        check_kafka_server,
        ("--tribe", "operations", "--squad", "depots", "--contact", "#depot-data"),
    ),
    Case("s3_files_glob", check_s3_files),
    Case("sla_latency_frequency", check_sla),
    Case("quality_completeness", check_completeness),
    Case("quality_validity", check_validity),
    Case("quality_sql_custom_text", check_sql_custom_text),
    Case("classification_pii", check_classification),
    Case("enum_v320", check_enum),
    Case("data_types", check_data_types),
    Case("roles_owner", check_roles, ("--squad", "risk_models")),
    Case("support_channels", check_support),
    Case("free_text_names", check_free_text_names),
    Case("multi_object_choose", check_multi_object, ("--schema-object", "waste")),
    Case("partitioned_keys", check_partitioned),
    Case("team_list_v302", check_team_list, ("--squad", "growth")),
    Case("minimal", check_minimal, ("--answers", "minimal.answers.yaml")),
]


@pytest.mark.parametrize("case", CASES, ids=[case.contract for case in CASES])
def test_contract_imports_and_validates(case: Case, tmp_path: Path) -> None:
    out = tmp_path / "product_specs"
    flags = [str(CONTRACTS / f) if f.endswith(".answers.yaml") else f for f in case.flags]
    contract = CONTRACTS / f"{case.contract}.odcs.yaml"

    imported = runner.invoke(app, ["contract", "import", str(contract), "--out", str(out), *flags])

    assert imported.exit_code == 0, imported.output
    assert "Traceback" not in imported.output
    validated = runner.invoke(app, ["validate", str(out)])
    assert validated.exit_code == 0, validated.output
    catalog = load_catalog([out])
    assert catalog.problems == []
    notes = [line for line in imported.output.splitlines() if line.startswith("note: ")]
    for note in notes:  # every note points at the contract's file, line and field
        match = NOTE.match(note)
        assert match is not None and match["path"] == str(contract), note
    case.check({product.name: product for product in catalog.products}, notes)


def test_the_contracts_cover_every_section_of_the_standard() -> None:
    sections: set[str] = set()
    for path in CONTRACTS.glob("*.odcs.yaml"):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        sections |= set(document)
        for obj in document.get("schema") or []:
            for prop in obj.get("properties") or []:
                sections |= {key for key in ("classification", "quality") if key in prop}
    assert {"schema", "quality", "slaProperties", "roles", "servers", "team", "classification"} <= sections
    assert len(list(CONTRACTS.glob("*.odcs.yaml"))) >= 15
    versions = {yaml.safe_load(p.read_text())["apiVersion"] for p in CONTRACTS.glob("*.odcs.yaml")}
    assert {"v3.0.0", "v3.0.2", "v3.1.0", "v3.2.0"} <= versions


def test_what_is_missing_is_listed_at_once_with_how_to_supply_it(tmp_path: Path) -> None:
    contract = CONTRACTS / "minimal.odcs.yaml"

    result = runner.invoke(app, ["contract", "import", str(contract)])

    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = result.output.splitlines()
    missing = [line for line in lines if "the contract does not say" in line]
    assert len(missing) == 4, result.output
    for needed, how in [
        ("the tribe", "--tribe"),
        ("the squad", "--squad"),
        ("the owner's contact", "--contact"),
        ("where the data", "`source`"),
    ]:
        (line,) = [line for line in missing if needed in line]
        assert line.startswith(f"{contract}:") and how in line and "--answers" in line
    # the answers file to fill in, printed after the list: filled in, the import goes through
    template = yaml.safe_load(result.output.split("--answers:\n", 1)[1])
    assert set(template) == {"tribe", "squad", "contact", "source"}
    answers = tmp_path / "answers.yaml"
    filled = {
        "tribe": "operations",
        "squad": "couriers",
        "contact": "#courier-data",
        "source": {"files": {"uri": "s3://couriers/shifts/", "format": "csv"}},
    }
    answers.write_text(yaml.safe_dump(filled), encoding="utf-8")
    again = runner.invoke(app, ["contract", "import", str(contract), "--answers", str(answers)])
    assert again.exit_code == 0, again.output


def test_a_contract_with_several_objects_needs_a_folder_or_a_choice(tmp_path: Path) -> None:
    contract = CONTRACTS / "multi_object_choose.odcs.yaml"

    one_file = runner.invoke(app, ["contract", "import", str(contract), "--out", str(tmp_path / "x.yaml")])
    printed = runner.invoke(app, ["contract", "import", str(contract)])

    assert one_file.exit_code == 1
    assert "has 2 schema objects" in one_file.output and "--schema-object" in one_file.output
    assert printed.exit_code == 0
    names = [yaml.safe_load(text)["name"] for text in printed.stdout.split("---\n")]
    assert names == ["batches", "waste"]


def test_an_unknown_schema_object_names_the_ones_there_are() -> None:
    contract = CONTRACTS / "multi_object_choose.odcs.yaml"

    result = runner.invoke(app, ["contract", "import", str(contract), "--schema-object", "wast"])

    assert result.exit_code == 1
    (line,) = [line for line in result.output.splitlines() if line.strip()]
    assert "no schema object named 'wast'" in line and "batches, waste" in line


def test_a_bad_answers_file_is_reported_at_its_line(tmp_path: Path) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text("tribe: operations\nsquadd: couriers\n", encoding="utf-8")

    result = runner.invoke(
        app, ["contract", "import", str(CONTRACTS / "minimal.odcs.yaml"), "--answers", str(answers)]
    )

    assert result.exit_code == 1
    (line,) = [line for line in result.output.splitlines() if line.strip()]
    assert line.startswith(f"{answers}:2:1: squadd: unknown answer 'squadd'")


def test_imported_tolerances_decide_on_spark(spark) -> None:  # type: ignore[no-untyped-def]
    """Thresholds ODCS states (percent of missing values, a share of invalid values, a query compared with
    mustBeLessThan) become `sql` rules; on real rows they return 0 within the tolerance and 1 beyond it."""

    def sql_rule(contract: str, name: str | None = None) -> str:
        product = odcs.load_contract(CONTRACTS / f"{contract}.odcs.yaml").product
        (sql,) = [rule.sql for rule in product.quality if rule.sql and name in (None, rule.name)]
        assert sql is not None
        return sql

    def verdict(sql: str, columns: str, rows: list[tuple]) -> int:
        values = ", ".join(
            "(" + ", ".join(sql_literal(v) if v is not None else "NULL" for v in row) + ")" for row in rows
        )
        inline = f"WITH odcs_rule_input AS (SELECT * FROM VALUES {values} AS t({columns})) "
        return spark.sql(inline + render_rule_sql(sql, "odcs_rule_input")).collect()[0][0]

    missing = sql_rule("quality_completeness")  # pollutant missing (null, '' or 'N/A') in < 5% of rows
    air = "station_id, pollutant"
    assert verdict(missing, air, [("s1", "no2")] * 97 + [("s1", "N/A"), ("s1", ""), ("s1", None)]) == 0
    assert verdict(missing, air, [("s1", "no2")] * 95 + [("s1", "")] * 5) == 1
    invalid = sql_rule("quality_validity")  # unit outside {ugm3, ppm} in <= 5% of rows
    readings = "reading_id, status, unit"
    assert verdict(invalid, readings, [("r", "ok", "ppm")] * 95 + [("r", "ok", "mg")] * 5) == 0
    assert verdict(invalid, readings, [("r", "ok", "ppm")] * 94 + [("r", "ok", "mg")] * 6) == 1
    large = sql_rule("quality_sql_custom_text", "few_large_refunds")  # fewer than 10 refunds over 5000
    refunds = "refund_id, amount"
    assert verdict(large, refunds, [("a", 6000.0)] * 9 + [("b", 10.0)]) == 0
    assert verdict(large, refunds, [("a", 6000.0)] * 10) == 1


# Loosely typed pieces in the places ODCS has them: any mix must import or be refused with reasons.
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(width=16),
    st.sampled_from([float("inf"), float("-inf"), float("nan"), 1e300, 10**30]),
    st.sampled_from(["", "x", "Order Id", "#team", "a@b.io", "owner", "v3.1.0", "1.0", "d", "h", "string"]),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=6,
)
_QUALITY = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["library", "sql", "text", "custom", 3]),
        "metric": st.sampled_from(
            ["nullValues", "missingValues", "invalidValues", "duplicateValues", "rowCount", "x"]
        ),
        "mustBe": _SCALARS,
        "mustBeLessThan": _SCALARS,
        "mustBeBetween": st.lists(st.integers(0, 9), max_size=3),
        "unit": st.sampled_from(["percent", "rows"]),
        "arguments": _VALUES,
        "query": st.sampled_from(["select count(*) from ${object}", "drop table x", "select", 5]),
        "customProperties": _VALUES,
        "severity": _SCALARS,
        "name": _SCALARS,
    },
)
_PROPERTY = st.fixed_dictionaries(
    {"name": _SCALARS},
    optional={
        "logicalType": st.sampled_from(
            ["string", "integer", "number", "date", "time", "array", "object", "x"]
        ),
        "physicalType": st.sampled_from(
            ["VARCHAR(3)", "map<string,int>", "json", "NUMBER(40,2)", "struct<>", "int"]
        ),
        "logicalTypeOptions": _VALUES,
        "required": _SCALARS,
        "primaryKey": _SCALARS,
        "primaryKeyPosition": _SCALARS,
        "partitioned": _SCALARS,
        "classification": _SCALARS,
        "unique": _SCALARS,
        "enum": _VALUES,
        "items": _VALUES,
        "properties": _VALUES,
        "quality": st.lists(_QUALITY, max_size=2),
        "tags": _VALUES,
    },
)
_CONTRACT = st.fixed_dictionaries(
    {
        "apiVersion": st.just("v3.1.0"),
        "kind": st.just("DataContract"),
        "id": _SCALARS,
        "version": _SCALARS,
        "status": st.just("active"),
        "schema": st.lists(
            st.fixed_dictionaries(
                {"name": _SCALARS, "properties": st.lists(_PROPERTY, max_size=3)},
                optional={"quality": st.lists(_QUALITY, max_size=2), "physicalName": _SCALARS},
            ),
            max_size=2,
        ),
    },
    optional={
        "name": _SCALARS,
        "domain": _SCALARS,
        "description": _VALUES,
        "team": _VALUES,
        "roles": _VALUES,
        "support": _VALUES,
        "servers": st.lists(
            st.fixed_dictionaries(
                {"type": st.sampled_from(["kafka", "s3", "local", "postgres", "custom"])},
                optional={"format": _SCALARS, "location": _SCALARS, "environment": _SCALARS},
            ),
            max_size=2,
        ),
        "slaProperties": st.lists(
            st.fixed_dictionaries(
                {"property": st.sampled_from(["frequency", "latency", "retention"])},
                optional={"value": _SCALARS, "unit": _SCALARS, "element": _SCALARS, "schedule": _SCALARS},
            ),
            max_size=2,
        ),
        "customProperties": _VALUES,
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(contract=_CONTRACT)
def test_any_contract_imports_or_is_refused_with_reasons(contract: dict) -> None:
    try:
        results = odcs.import_contracts(contract)
    except odcs.ContractImportError as refused:
        assert refused.errors or refused.missing
        for error in refused.errors:
            assert error.message and error.fix
        return
    for result in results:  # what imports is a valid spec
        assert DataProduct.model_validate(result.product.model_dump(by_alias=True)) == result.product


def test_infinite_and_missing_numbers_never_crash_the_import(tmp_path: Path) -> None:
    # YAML's .inf and .nan are numbers to the JSON Schema, but there is no SQL literal for them
    contract = (CONTRACTS / "quality_completeness.odcs.yaml").read_text(encoding="utf-8")
    contract = contract.replace("mustBeLessThan: 5", "mustBeLessThan: .inf").replace(
        "mustBeBetween: [100, 1000000]", "mustBeBetween: [.nan, 1000000]"
    )
    path = tmp_path / "odd.odcs.yaml"
    path.write_text(contract, encoding="utf-8")

    result = runner.invoke(app, ["contract", "import", str(path)])

    assert result.exception is None and "Traceback" not in result.output
    assert result.exit_code == 0, result.output
    assert "no operator (mustBe, mustBeLessThan, ...); not carried over" in result.output
    assert "rowCount operator has no Tardis rule" in result.output
