"""Billing exports as AWS and FinOps deliver them, landed and standardized on the real platform:
gzip CSV in RFC 4180 dialect (JSON tags with doubled quotes, the literal NULL FOCUS writes),
identical line items, and a file the spec does not read. Totals are reconciled to the file itself."""

from __future__ import annotations

import csv
import gzip
import io
import json
import uuid
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import dagster as dg
import pytest
from spec_builder import product_yaml, write_product

from tardis_dagster.core.settings import get_settings
from tardis_dagster.defs.landing.files import files_landing_assets
from tardis_dagster.defs.resources import SparkJobRunner
from tardis_dagster.defs.standardize.assets import standardize_assets

pytestmark = pytest.mark.platform

# FOCUS 1.2 column names as the export writes them (PascalCase; they land as snake_case).
HEADER = ["BillingAccountId", "ChargePeriodStart", "ChargeCategory", "ServiceName", "BilledCost", "Tags"]
COLUMNS = """\
{name: billing_account_id, type: string, required: true}
{name: charge_period_start, type: timestamp, required: true}
{name: charge_category, type: string, required: true}
{name: service_name, type: string}
{name: billed_cost, type: "decimal(24,10)", required: true}
{name: tags, type: "map<string,string>"}
"""


def _rows() -> list[list[str]]:
    usage = [
        "111",
        "2026-11-01T00:00:00Z",
        "Usage",
        "Amazon EC2",
        "1.2500000000",
        '{"team":"menu","env":"prod"}',
    ]
    return [
        usage,
        usage,  # an identical line item (FOCUS has no line-item id): a second cost, not a duplicate
        ["111", "2026-11-01T00:00:00Z", "Usage", "Amazon S3", "0.0100000000", "NULL"],
        ["111", "2026-11-02T00:00:00Z", "Credit", "NULL", "-3.0000000000", "{}"],
        ["111", "2026-11-02T00:00:00Z", "Tax", "NULL", "0.4000000000", '{"team":"a \\"quoted\\" name"}'],
    ]


def _write_export(folder: Path, rows: list[list[str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    text = io.StringIO()
    writer = csv.writer(text, quoting=csv.QUOTE_MINIMAL)  # doubles a quote inside a quoted value
    writer.writerow(HEADER)
    writer.writerows(rows)
    path = folder / "focus-2026-11-00001.csv.gz"
    path.write_bytes(gzip.compress(text.getvalue().encode()))
    return path


def _file_totals(path: Path) -> dict[str, Decimal]:
    """Billed cost per charge day, computed from the delivered file itself (not from any table)."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    with gzip.open(path, "rt", newline="") as f:
        for row in csv.DictReader(f):
            totals[row["ChargePeriodStart"][:10]] += Decimal(row["BilledCost"])
    return dict(totals)


def test_a_gzip_csv_focus_export_lands_whole_and_reconciles_to_the_file(tmp_path: Path, spark) -> None:
    name = f"it_focus_{uuid.uuid4().hex[:8]}"
    text = product_yaml(
        name,
        description="A FOCUS export as CSV, for the cost export test.",
        owner="platform/finops/#finops",
        source="files: {uri: ./drops/, format: csv, options: {nullValue: 'NULL'}}",
        load="{type: append, reject_threshold: 0}",
        schema=COLUMNS,
    )
    product = write_product(tmp_path, text, name)
    export = _write_export(tmp_path / "drops", _rows())
    (tmp_path / "drops" / "manifest.xlsx").write_bytes(b"not a csv")  # delivered beside it, never read

    result = dg.materialize(
        [files_landing_assets([product]), *standardize_assets([product], get_settings())],
        resources={"spark": SparkJobRunner(spark_remote=get_settings().spark_remote)},
    )
    assert result.success

    raw = spark.table(f"raw.{product.name}")
    assert raw.count() == 5  # every row of the gzip file, the identical pair included
    (quarantined,) = spark.table(f"raw.{product.name}__quarantine").collect()
    assert quarantined["_source_file"].endswith("manifest.xlsx")
    assert "does not match the source's pattern '*.{csv,csv.gz}'" in quarantined["reason"]

    std = spark.table(f"std.{product.name}").collect()
    assert len(std) == 5 and spark.table(f"std.{product.name}__rejects").count() == 0
    by_row = {r["_source_id"].rsplit("#", 1)[1]: r for r in std}
    assert by_row["000000000001"]["tags"] == {"team": "menu", "env": "prod"}
    assert by_row["000000000002"]["tags"] == {"team": "menu", "env": "prod"}
    assert by_row["000000000003"]["tags"] is None  # the literal NULL FOCUS writes
    assert by_row["000000000004"]["service_name"] is None and by_row["000000000004"]["tags"] == {}
    assert by_row["000000000005"]["tags"] == json.loads('{"team":"a \\"quoted\\" name"}')

    published: dict[str, Decimal] = defaultdict(Decimal)
    for r in std:
        published[r["charge_period_start"].strftime("%Y-%m-%d")] += r["billed_cost"]
    assert (
        dict(published)
        == _file_totals(export)
        == {
            "2026-11-01": Decimal("2.51"),
            "2026-11-02": Decimal("-2.6"),
        }
    )


def test_a_tags_text_that_is_not_a_map_blocks_the_bill(tmp_path: Path, spark) -> None:
    name = f"it_focus_bad_{uuid.uuid4().hex[:8]}"
    text = product_yaml(
        name,
        description="A FOCUS export as CSV with one broken row, for the cost export test.",
        owner="platform/finops/#finops",
        source="files: {uri: ./drops/, format: csv, options: {nullValue: 'NULL'}}",
        load="{type: append, reject_threshold: 0}",
        schema=COLUMNS,
    )
    product = write_product(tmp_path, text, name)
    rows = _rows()
    rows[2][5] = '["not", "a", "map"]'
    _write_export(tmp_path / "drops", rows)

    result = dg.materialize(
        [files_landing_assets([product]), *standardize_assets([product], get_settings())],
        resources={"spark": SparkJobRunner(spark_remote=get_settings().spark_remote)},
        raise_on_error=False,
    )

    assert not result.success
    (audit,) = result.get_asset_check_evaluations()
    detail = audit.metadata["reject_share"].value
    assert "1 of 5 rows rejected" in detail and "#000000000003: tags: value" in detail
    assert spark.table(f"std.{product.name}").count() == 0  # nothing of the bill published
