"""Billing exports as AWS and FinOps deliver them, landed and standardized on the real platform:
gzip CSV in RFC 4180 dialect (JSON tags with doubled quotes, the literal NULL FOCUS writes),
identical line items, and a file the spec does not read. Totals are reconciled to the file itself."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import uuid
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import dagster as dg
import pytest
from cost_build import run_dbt, write_source_table
from pyspark.sql import functions as F  # noqa: N812 - the PySpark convention
from repo_root import PROJECT_ROOT
from spec_builder import product_yaml, write_product

from tardis_dagster.core.settings import get_settings
from tardis_dagster.core.specs import load_catalog
from tardis_dagster.defs.landing.files import files_landing_assets
from tardis_dagster.defs.resources import SparkJobRunner
from tardis_dagster.defs.standardize.assets import standardize_assets
from tardis_dagster.tooling.demo import costs as cost_demo

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


def _write_export(
    folder: Path, rows: list[list[str]], file: str = "focus-2026-11-00001.csv.gz", header: list[str] = HEADER
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    text = io.StringIO()
    writer = csv.writer(text, quoting=csv.QUOTE_MINIMAL)  # doubles a quote inside a quoted value
    writer.writerow(header)
    writer.writerows(rows)
    path = folder / file
    path.write_bytes(gzip.compress(text.getvalue().encode()))
    return path


def _file_totals(path: Path) -> dict[str, Decimal]:
    """Billed cost per charge day, computed from the delivered file itself (not from any table)."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    with gzip.open(path, "rt", newline="") as f:
        for row in csv.DictReader(f):
            totals[row["ChargePeriodStart"][:10]] += Decimal(row["BilledCost"])
    return dict(totals)


def _focus_product(
    tmp_path: Path, prefix: str, load: str = "{type: append, reject_threshold: 0}", columns=COLUMNS
):
    """A FOCUS CSV export product reading `tmp_path/drops/` (the literal NULL the export writes is null)."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    text = product_yaml(
        name,
        description="A FOCUS export as CSV, for the cost export tests.",
        owner="platform/finops/#finops",
        source="files: {uri: ./drops/, format: csv, options: {nullValue: 'NULL'}}",
        load=load,
        schema=columns,
    )
    return write_product(tmp_path, text, name)


def _land_and_standardize(product, spark, raise_on_error: bool = True) -> dg.ExecuteInJobResult:
    products = product if isinstance(product, list) else [product]
    return dg.materialize(
        [files_landing_assets(products), *standardize_assets(products, get_settings())],
        resources={"spark": SparkJobRunner(spark_remote=get_settings().spark_remote)},
        raise_on_error=raise_on_error,
    )


def test_a_gzip_csv_focus_export_lands_whole_and_reconciles_to_the_file(tmp_path: Path, spark) -> None:
    product = _focus_product(tmp_path, "it_focus")
    export = _write_export(tmp_path / "drops", _rows())
    (tmp_path / "drops" / "manifest.xlsx").write_bytes(b"not a csv")  # delivered beside it, never read

    assert _land_and_standardize(product, spark).success

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
    product = _focus_product(tmp_path, "it_focus_bad")
    rows = _rows()
    rows[2][5] = '["not", "a", "map"]'
    _write_export(tmp_path / "drops", rows)

    result = _land_and_standardize(product, spark, raise_on_error=False)

    assert not result.success
    (audit,) = result.get_asset_check_evaluations()
    detail = audit.metadata["reject_share"].value
    assert "1 of 5 rows rejected" in detail and "#000000000003: tags: value" in detail
    assert spark.table(f"std.{product.name}").count() == 0  # nothing of the bill published


# A billing period's re-deliveries: the FOCUS columns above and the period each line item belongs to.
PERIOD_HEADER = [*HEADER, "BillingPeriodStart"]
PERIOD_COLUMNS = COLUMNS + "{name: billing_period_start, type: timestamp, required: true}\n"


def _item(day: str, service: str, cost: str, period: str) -> list[str]:
    return ["111", f"{day}T00:00:00Z", "Usage", service, cost, "{}", f"{period}-01T00:00:00Z"]


def _delivered(folder: Path, file: str, items: list[list[str]], written: float) -> Path:
    """One export file of a delivery; `written`: its modification time (AWS writes each delivery later)."""
    path = _write_export(folder, items, file, PERIOD_HEADER)
    os.utime(path, (written, written))
    return path


def _published(spark, product) -> dict[str, list[tuple[str, Decimal]]]:
    """std's line items per billing period, as sorted (service, cost) pairs."""
    items: dict[str, list[tuple[str, Decimal]]] = defaultdict(list)
    for r in spark.table(f"std.{product.name}").collect():
        items[r["billing_period_start"].strftime("%Y-%m")].append((r["service_name"], r["billed_cost"]))
    return {period: sorted(pairs) for period, pairs in items.items()}


def _expected(*files: Path) -> dict[str, list[tuple[str, Decimal]]]:
    """The same, read from the delivered files themselves."""
    items: dict[str, list[tuple[str, Decimal]]] = defaultdict(list)
    for path in files:
        with gzip.open(path, "rt", newline="") as f:
            for row in csv.DictReader(f):
                items[row["BillingPeriodStart"][:7]].append((row["ServiceName"], Decimal(row["BilledCost"])))
    return {period: sorted(pairs) for period, pairs in items.items()}


def _std_changes(result: dg.ExecuteInJobResult, product) -> tuple[int, int, int]:
    (event,) = [
        e for e in result.get_asset_materialization_events() if e.asset_key.path == ["std", product.name]
    ]
    metadata = {k: v.value for k, v in event.materialization.metadata.items()}
    return metadata["rows_inserted"], metadata["rows_updated"], metadata["rows_deleted"]


def test_a_redelivered_billing_period_replaces_that_periods_rows(tmp_path: Path, spark) -> None:
    product = _focus_product(
        tmp_path,
        "it_focus_redelivery",
        load="{type: replace, key: [billing_period_start], reject_threshold: 0}",
        columns=PERIOD_COLUMNS,
    )
    drops, t0 = tmp_path / "drops", 1_780_000_000.0
    october = _delivered(
        drops / "BILLING_PERIOD=2026-10" / "20261102T0600Z",
        "part-00001.csv.gz",
        [
            _item("2026-10-30", "Amazon EC2", "1.00", "2026-10"),
            _item("2026-10-31", "Amazon S3", "2.00", "2026-10"),
        ],
        t0,
    )
    first = _delivered(
        drops / "BILLING_PERIOD=2026-11" / "20261105T0600Z",
        "part-00001.csv.gz",
        [
            _item("2026-11-01", "Amazon EC2", "10.00", "2026-11"),
            _item("2026-11-02", "Amazon RDS", "20.00", "2026-11"),
            _item("2026-11-03", "Amazon S3", "30.00", "2026-11"),
        ],
        t0 + 60,
    )
    assert _land_and_standardize(product, spark).success
    assert _published(spark, product) == _expected(october, first)

    # AWS delivers November again in a folder of its own, in two files: EC2 re-rated (10 -> 12), RDS
    # gone, S3 unchanged, a new MSK line; a stale row of the first delivery must not survive.
    second_folder = drops / "BILLING_PERIOD=2026-11" / "20261203T0600Z"
    second = [
        _delivered(
            second_folder,
            "part-00001.csv.gz",
            [
                _item("2026-11-01", "Amazon EC2", "12.00", "2026-11"),
                _item("2026-11-03", "Amazon S3", "30.00", "2026-11"),
            ],
            t0 + 120,
        ),
        _delivered(
            second_folder,
            "part-00002.csv.gz",
            [_item("2026-11-04", "Amazon MSK", "5.00", "2026-11")],
            t0 + 121,
        ),
    ]
    result = _land_and_standardize(product, spark)
    assert result.success
    assert _published(spark, product) == _expected(october, *second)
    assert _published(spark, product)["2026-11"] == [
        ("Amazon EC2", Decimal("12.0000000000")),
        ("Amazon MSK", Decimal("5.0000000000")),
        ("Amazon S3", Decimal("30.0000000000")),
    ]
    assert _std_changes(result, product) == (3, 0, 3)  # the second delivery's rows in, the first's out

    # Delivered as an overwrite: AWS rewrites a file in place. part-00001 now holds only S3; part-00002
    # MSK re-rated and one more line. Both land again; nothing of their earlier versions survives.
    rewritten = [
        _delivered(
            second_folder,
            "part-00001.csv.gz",
            [_item("2026-11-03", "Amazon S3", "30.00", "2026-11")],
            t0 + 180,
        ),
        _delivered(
            second_folder,
            "part-00002.csv.gz",
            [
                _item("2026-11-04", "Amazon MSK", "6.00", "2026-11"),
                _item("2026-11-05", "AWS Lambda", "0.50", "2026-11"),
            ],
            t0 + 181,
        ),
    ]
    result = _land_and_standardize(product, spark)
    assert result.success
    assert _published(spark, product) == _expected(october, *rewritten)
    # By position: part-00001's row 1 (S3) and part-00002's row 1 (MSK) replace theirs, Lambda is
    # new, part-00001's row 2 is no more.
    assert _std_changes(result, product) == (1, 2, 1)

    # Nothing delivered since: a rerun lands nothing and publishes the same bill.
    raw_rows = spark.table(f"raw.{product.name}").count()
    assert _land_and_standardize(product, spark).success
    assert spark.table(f"raw.{product.name}").count() == raw_rows == 2 + 3 + 3 + 3
    assert _published(spark, product) == _expected(october, *rewritten)


def _demo_product(tmp_path: Path, name: str):
    """The demo's own cost spec, under a name of the test's own, reading `tmp_path/drops/<name>/`."""
    text = (PROJECT_ROOT / "product_specs" / "platform" / f"{name}.yaml").read_text()
    own = f"it_{name}_{uuid.uuid4().hex[:8]}"
    text = text.replace(f"name: {name}\n", f"name: {own}\n", 1)
    text = text.replace(f"../../.tardis/demo/files/{name}/", f"./drops/{name}/")
    return write_product(tmp_path, text, own)


def test_the_demo_bill_lands_as_aws_delivers_it(tmp_path: Path, spark) -> None:
    cur, focus = _demo_product(tmp_path, "aws_cur"), _demo_product(tmp_path, "focus_costs")
    products = load_catalog([PROJECT_ROOT / "product_specs"]).products
    bill = cost_demo.generate(products, month=date(2026, 10, 1), months=2, seed=5)
    written = cost_demo.write_files(bill, {"aws_cur": cur, "focus_costs": focus})
    # Data Exports' layout: a folder per billing period and delivery; the open month delivered twice.
    layout = sorted(p.relative_to(tmp_path / "drops").as_posix() for paths in written.values() for p in paths)
    assert layout == [
        "aws_cur/data/BILLING_PERIOD=2026-09/20261001T060000Z/aws_cur-00001.snappy.parquet",
        "aws_cur/data/BILLING_PERIOD=2026-10/20261016T060000Z/aws_cur-00001.snappy.parquet",
        "aws_cur/data/BILLING_PERIOD=2026-10/20261101T060000Z/aws_cur-00001.snappy.parquet",
        "focus_costs/data/BILLING_PERIOD=2026-09/20261001T060000Z/focus_costs-00001.csv.gz",
        "focus_costs/data/BILLING_PERIOD=2026-10/20261016T060000Z/focus_costs-00001.csv.gz",
        "focus_costs/data/BILLING_PERIOD=2026-10/20261101T060000Z/focus_costs-00001.csv.gz",
    ]

    assert _land_and_standardize([cur, focus], spark).success

    # raw keeps both deliveries of October (the early one with its estimate); std the final bill only.
    for product, rows in ((cur, bill.cur), (focus, bill.focus)):
        raw = spark.table(f"raw.{product.name}")
        assert raw.where("_source_file like '%/20261016T060000Z/%'").count() > 0
        std = spark.table(f"std.{product.name}")
        assert std.count() == len(rows)
        assert spark.table(f"std.{product.name}__rejects").count() == 0
    cur_std = spark.table(f"std.{cur.name}")
    assert cur_std.where("line_item_line_item_description like 'Estimated%'").count() == 0
    published = {
        (r[0].strftime("%Y-%m"), r[1])
        for r in cur_std.groupBy("bill_billing_period_start_date")
        .agg(F.sum("line_item_unblended_cost"))
        .collect()
    }
    expected: dict[str, Decimal] = defaultdict(Decimal)
    for r in bill.cur:
        expected[f"{r['bill_billing_period_start_date']:%Y-%m}"] += r["line_item_unblended_cost"]
    # CUR Parquet carries amounts as doubles, as AWS writes them: equal to well under a cent.
    assert {m for m, _ in published} == set(expected)
    assert all(abs(total - expected[m]) < Decimal("0.000001") for m, total in published)
    # The reservation's upfront fee is on the bill (and amortized away by the cost models).
    (fee,) = cur_std.where("line_item_line_item_type = 'Fee'").collect()
    assert fee["line_item_unblended_cost"] == Decimal("700.8") and fee["reservation_reservation_a_r_n"]

    # FOCUS: per billing period and provider, exactly the bill (gzip CSV: amounts as written).
    focus_std = spark.table(f"std.{focus.name}")
    got = {
        (r[0].strftime("%Y-%m"), r[1]): r[2]
        for r in focus_std.groupBy("billing_period_start", "provider_name")
        .agg(F.sum("effective_cost"))
        .collect()
    }
    want: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for r in bill.focus:
        want[(f"{r['billing_period_start']:%Y-%m}", r["provider_name"])] += r["effective_cost"]
    assert got == dict(want) and {p for _, p in got} == {"AWS", "Microsoft"}
    # Two line items alike in all but their CUR id are two identical FOCUS rows, both kept.
    pairs = focus_std.where("charge_description like '%data transfer to US West%'").groupBy(
        "billing_period_start"
    )
    assert sorted(r[1] for r in pairs.count().collect()) == [2, 2]
    tags = (
        focus_std.where("provider_name = 'Microsoft' and service_name = 'Azure OpenAI'")
        .select("tags")
        .first()
    )
    assert tags[0]["tribe"] == "marketing"

    # The cost models over what was published reconcile, per day and provider, to the delivered files.
    source, out = f"it_cost_src_{uuid.uuid4().hex[:8]}", f"it_cost_{uuid.uuid4().hex[:8]}"
    catalog = {p.name: p for p in products}
    spark.sql(f"CREATE NAMESPACE IF NOT EXISTS {source}")
    for name, product in (("aws_cur", cur), ("focus_costs", focus)):
        spark.sql(f"CREATE TABLE {source}.{name} USING iceberg AS SELECT * FROM std.{product.name}")
    for name in ("k8s_allocations", "platform_telemetry"):
        write_source_table(spark, source, catalog[name], [])
    run_dbt(tmp_path / "dbt", source, out, ["focus", "cur"])
    # The final deliveries (the early one of October is replaced), read with Python's csv and gzip.
    final = [p for p in written["focus_costs"] if "/20261016T060000Z/" not in p.as_posix()]
    from_files: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for path in final:
        with gzip.open(path, "rt", newline="") as f:
            for row in csv.DictReader(f):
                from_files[(row["ChargePeriodStart"][:10], row["ProviderName"])] += Decimal(
                    row["EffectiveCost"]
                )
    reconciled = spark.sql(f"select * from {out}.cost_reconciliation").collect()
    focus_days = {
        (str(r["usage_date"]), r["provider"]): r["bill_effective_cost"]
        for r in reconciled
        if r["cost_input"] == "focus"
    }
    assert focus_days == dict(from_files)
    assert all(r["difference"] == 0 for r in reconciled)
    # The CUR of the same bill, amortized by the models' rules, gives AWS's FOCUS EffectiveCost each day.
    cur_days = {
        str(r["usage_date"]): r["bill_effective_cost"] for r in reconciled if r["cost_input"] == "cur"
    }
    aws_days = {day: total for (day, provider), total in from_files.items() if provider == "AWS"}
    assert cur_days.keys() == aws_days.keys()
    assert all(abs(cur_days[d] - aws_days[d]) < Decimal("0.000001") for d in aws_days)


# A legacy CUR (CUR 1) export: AWS's own column names, tags as one column per key, ARN columns.
LEGACY_HEADER = [
    "identity/LineItemId", "identity/TimeInterval", "bill/BillingPeriodStartDate",
    "bill/BillingPeriodEndDate", "bill/PayerAccountId", "lineItem/UsageAccountId", "lineItem/LineItemType",
    "lineItem/UsageStartDate",
    "lineItem/UsageEndDate", "lineItem/ProductCode", "lineItem/UnblendedCost", "reservation/ReservationARN",
    "resourceTags/user:tribe", "resourceTags/user:squad",
]  # fmt: skip
RI = "arn:aws:ec2:us-east-1:210000000002:reserved-instances/ri-legacy"


def _legacy_item(
    item_id: str, item_type: str, cost: str, arn: str = "", tribe: str = "", squad: str = ""
) -> list[str]:
    day = "2026-10-02T00:00:00Z"
    return [
        item_id, f"{day}/2026-10-03T00:00:00Z", "2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z",
        "111122223333", "210000000002", item_type, day, "2026-10-03T00:00:00Z", "AmazonEC2", cost, arn,
        tribe, squad,
    ]  # fmt: skip


def test_a_legacy_cur_export_lands_into_the_cur2_contract(tmp_path: Path, spark) -> None:
    cur = _demo_product(tmp_path, "aws_cur")
    text = (tmp_path / f"{cur.name}.yaml").read_text().replace("format: parquet", "format: csv")
    cur = write_product(tmp_path, text, cur.name)
    # CUR 1's layout: <report>/<yyyymmdd-yyyymmdd>/<assembly id>/<report>-1.csv.gz
    folder = tmp_path / "drops" / "aws_cur" / "legacy" / "20261001-20261101" / "0f3c9a8e-assembly"
    _write_export(
        folder,
        [
            _legacy_item("li-usage", "Usage", "10.5", tribe="consumer", squad="checkout"),
            _legacy_item("li-untagged", "Usage", "2.25"),
            _legacy_item("li-ri-fee", "Fee", "700.8", arn=RI),
        ],
        "legacy-1.csv.gz",
        LEGACY_HEADER,
    )

    result = _land_and_standardize(cur, spark)
    assert result.success
    assert spark.table(f"std.{cur.name}__rejects").count() == 0
    rows = {r["identity_line_item_id"]: r for r in spark.table(f"std.{cur.name}").collect()}
    assert rows["li-usage"]["resource_tags"] == {"user_tribe": "consumer", "user_squad": "checkout"}
    assert rows["li-usage"]["line_item_unblended_cost"] == Decimal("10.5")
    assert rows["li-untagged"]["resource_tags"] == {}  # empty tag cells are no tags
    # The ARN that makes a Fee an RI upfront fee (amortized, not counted again) is kept.
    assert rows["li-ri-fee"]["reservation_reservation_a_r_n"] == RI
    (std,) = [e for e in result.get_asset_materialization_events() if e.asset_key.path[0] == "std"]
    lineage = std.materialization.metadata["dagster/column_lineage"].value
    tags = {dep.column_name for dep in lineage.deps_by_column["resource_tags"]}
    assert tags == {"resourceTags/user:tribe", "resourceTags/user:squad"}
