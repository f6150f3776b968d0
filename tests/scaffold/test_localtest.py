"""`tardis test` pieces without the platform: synthetic records against the JSON Schema validator, the
namespace prefix through naming and the quality SQL, and the Markdown report."""

from __future__ import annotations

import json
import re

import jsonschema

from tardis_dagster.core import naming
from tardis_dagster.tooling.localtest.report import TestReport, markdown
from tardis_dagster.tooling.localtest.run import CheckOutcome, RunOutcome, StepTiming
from tardis_dagster.tooling.localtest.sample_data import (
    TestData,
    invalid_json_records,
    json_records,
)
from tardis_dagster.tooling.localtest.tables import TableCount
from tardis_dagster.tooling.localtest.workspace import new_prefix

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "order_id": {"type": "string"},
        "placed_at": {"type": "string", "format": "date-time"},
        "day": {"type": "string", "format": "date"},
        "status": {"enum": ["placed", "paid"]},
        "boxes": {"type": "integer", "minimum": 1},
        "total": {"type": ["number", "null"]},
        "gift": {"type": "boolean"},
        "email": {"type": "string", "format": "email"},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["order_id", "placed_at", "boxes"],
    "additionalProperties": False,
}


def test_synthetic_records_are_valid_and_distinct_by_key() -> None:
    validator = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
    records = json_records(SCHEMA, 20)
    for record in records:
        validator.validate(record)
    assert len({r["order_id"] for r in records}) == 20  # a key column stays unique
    assert {r["status"] for r in records} == {"placed", "paid"}


def test_synthetic_invalid_records_are_refused() -> None:
    validator = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
    not_json, missing = invalid_json_records(SCHEMA)
    try:
        json.loads(not_json)
        raise AssertionError("the first invalid record parses")
    except json.JSONDecodeError:
        pass
    assert not validator.is_valid(json.loads(missing))


def test_prefix_moves_every_table_but_not_the_asset_key() -> None:
    prefix = new_prefix()
    assert re.fullmatch(r"tardis_test_[0-9a-f]{8}_", prefix)
    assert naming.raw_table("orders", prefix) == f"{prefix}raw.orders"
    assert naming.changes_table("orders", "upsert", prefix) == f"{prefix}std.orders__changes"
    assert naming.published_table("facts", "sql", prefix) == f"{prefix}mart.facts"
    assert naming.asset_path(naming.STD, "orders") == ["std", "orders"]
    assert naming.raw_table("orders") == "raw.orders"  # no prefix outside `tardis test`


def test_markdown_report_names_the_failing_check() -> None:
    outcome = RunOutcome(
        success=True,
        steps=[StepTiming("standardize_consumer", ["std/orders"], 4.2, "succeeded")],
        checks=[
            CheckOutcome("std/orders", "audits", False, "ERROR", "failed=reject_share"),
            CheckOutcome("raw/orders", "quarantine_share", False, "ERROR", "", {"records_quarantined": "2"}),
        ],
    )
    report = TestReport(
        "orders",
        "tardis_test_00000000_",
        TestData("synthetic", "topic t", 20, 2),
        outcome,
        counts=[TableCount("std", "tardis_test_00000000_std.orders", 0)],
    )
    text = markdown(report)
    assert report.failed
    assert text.startswith("### `tardis test orders`: FAILED: check audits of std/orders\n")
    assert "| std/orders | audits | FAILED | ERROR | failed=reject_share |" in text
    # the two synthetic invalid records are what the quarantine must show
    assert "| raw/orders | quarantine_share | failed as expected (synthetic invalid records) |" in text
    assert "| standardize_consumer | std/orders | succeeded | 4.2 |" in text


def test_synthetic_csv_has_one_row_std_must_reject(tmp_path) -> None:
    import csv
    import shutil

    from repo_root import PROJECT_ROOT

    from tardis_dagster.core.specs import load_catalog
    from tardis_dagster.tooling.localtest.sample_data import write_files

    tree = tmp_path / "product_specs"
    shutil.copytree(PROJECT_ROOT / "product_specs", tree, ignore=shutil.ignore_patterns(".*"))
    (tree / "operations" / "suppliers.yaml").write_text(
        "apiVersion: tardis/v1\nkind: DataProduct\nname: suppliers\nversion: 1.0.0\ndescription: S.\n"
        "owner: {tribe: operations, squad: menu, contact: '#menu-data'}\n"
        "source:\n  files: {uri: ../../drops/suppliers/, format: csv}\nschedule: '0 6 * * *'\n"
        "load: {type: full, key: [supplier_id], reject_threshold: 0.05}\nschema:\n"
        "  - {name: supplier_id, type: string, required: true}\n  - {name: rating, type: double}\n",
        encoding="utf-8",
    )
    catalog = load_catalog([tree])
    assert not catalog.problems, [str(p) for p in catalog.problems]
    drop = tmp_path / "drop"
    drop.mkdir()
    valid, invalid = write_files(catalog.by_name("suppliers"), drop)
    rows = list(csv.DictReader((drop / "synthetic.csv").open(encoding="utf-8")))
    assert (valid, invalid) == (21, 1)  # 1 of 22 rows is under the 5% threshold
    assert [r["rating"] for r in rows].count("not-a-value") == 1
    assert len({r["supplier_id"] for r in rows}) == 22
