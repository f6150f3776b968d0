"""The cost report: the `cost/cost_report` asset materialized on the modelled demo bill writes every
section into the lake, HTML self-contained, PNG made, linked with Markdown headlines in its metadata."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from tardis_dagster.core.settings import get_settings
from tardis_dagster.defs.cost import dashboard
from tardis_dagster.defs.cost.assets import cost_report_asset, report_folder

pytestmark = pytest.mark.platform


@pytest.fixture(scope="module")
def materialized(spark, catalog, demo_cost_tables, tmp_path_factory) -> tuple[Path, dg.AssetMaterialization]:
    """The report asset materialized in a home of its own (its lake) on the demo cost tables."""
    settings = dataclasses.replace(get_settings(), home=tmp_path_factory.mktemp("cost_report_home"))
    result = dg.materialize([cost_report_asset(catalog, settings, schema=demo_cost_tables)])
    assert result.success
    (event,) = result.get_asset_materialization_events()
    assert event.asset_key == dg.AssetKey(["cost", "cost_report"])
    return report_folder(settings), event.materialization


@pytest.fixture(scope="module")
def report(materialized) -> dict:
    """What the materialization's metadata points at: the HTML, the PNG and the Markdown headlines."""
    _, materialization = materialized
    metadata = materialization.metadata
    return {
        "html": Path(metadata["report_path"].value),
        "png": Path(metadata["png_path"].value),
        "markdown": {k: v.value for k, v in metadata.items() if isinstance(v, dg.MarkdownMetadataValue)},
    }


def test_the_asset_writes_the_report_into_the_lake_and_links_it(
    materialized, demo_cost_tables, spark
) -> None:
    folder, materialization = materialized
    metadata = materialization.metadata
    html, png = folder / "report.html", folder / "report.png"
    assert folder.parts[-3:] == ("lake", "cost", "report") and html.is_file() and png.is_file()
    assert metadata["report"] == dg.MetadataValue.url(html.as_uri())
    assert metadata["report_path"] == dg.MetadataValue.path(str(html))
    assert metadata["png_path"] == dg.MetadataValue.path(str(png))
    (total,) = spark.sql(f"select sum(effective_cost) from {demo_cost_tables}.cost_daily").first()
    assert metadata["total_cost_usd"].value == pytest.approx(float(total))
    assert "trend" in metadata["forecast_method"].value
    assert "forecast_backtest_mape" not in metadata  # two months of history: none held out, none claimed
    for key in dashboard.SECTIONS:  # a headline per section: its summary line and a Markdown table
        assert isinstance(metadata[key], dg.MarkdownMetadataValue), key
        summary, table = metadata[key].value.split("\n\n", 1)
        assert summary and table.splitlines()[1].startswith("|---|"), key


def _embedded_specs(page: str) -> dict:
    match = re.search(r'<script type="application/json" id="cost-report-specs">(.*?)</script>', page, re.S)
    assert match, "chart specs are not embedded in the page"
    return json.loads(match.group(1).replace("<\\/", "</"))


def test_every_section_is_on_the_page_with_its_chart_data(report) -> None:
    page = report["html"].read_text(encoding="utf-8")
    specs = _embedded_specs(page)
    assert list(specs) == list(dashboard.SECTIONS)
    for key in dashboard.SECTIONS:
        assert f'<section id="{key}">' in page and f'id="chart-{key}"' in page
        assert specs[key]["data"]["values"], f"{key} has no chart data"
    tribes = {v["tribe"] for v in specs["spend_over_time"]["data"]["values"]}
    assert {"consumer", "marketing", "operations", "platform", "(shared)", "(unallocated)"} <= tribes
    assert {v["allocation"] for v in specs["unallocated_share"]["data"]["values"]} == {
        "allocated",
        "shared",
        "unallocated",
    }
    assert {v["series"] for v in specs["forecast_vs_budget"]["data"]["values"]} >= {"actual", "forecast"}
    assert {v["provider"] for v in specs["spend_by_provider"]["data"]["values"]} == {"AWS"}  # the demo's CUR


def test_spend_by_provider_sums_each_providers_month() -> None:
    daily = pd.DataFrame(
        {
            "month": ["2026-10", "2026-10", "2026-11", "2026-11", "2026-11"],
            "provider": ["AWS", "Microsoft", "AWS", "AWS", "Oracle"],
            "effective_cost": [10.0, 4.0, 3.0, 2.0, 7.0],
        }
    )
    section = dashboard.spend_by_provider(daily)
    got = {(r.month, r.provider): r.effective_cost for r in section.table.itertuples()}
    assert got == {
        ("2026-10", "AWS"): 10.0,
        ("2026-10", "Microsoft"): 4.0,
        ("2026-11", "AWS"): 5.0,
        ("2026-11", "Oracle"): 7.0,
    }
    assert section.summary.index("Oracle") < section.summary.index("AWS")  # the month's largest first


def test_the_page_needs_no_network(report) -> None:
    page = report["html"].read_text(encoding="utf-8")
    assert "<script src" not in page and "<link" not in page
    bundle = page.rsplit("<script>", 1)[1]
    assert len(bundle) > 500_000 and "vega" in bundle  # Vega, Vega-Lite and Vega-Embed are inline


def test_markdown_headlines_for_dagster(report) -> None:
    markdown = report["markdown"]
    assert set(markdown) == set(dashboard.SECTIONS)
    assert "| tribe | squad |" in markdown["spend_over_time"]
    assert "Method:" in markdown["forecast_vs_budget"]


def test_png_is_produced(report) -> None:
    png = report["png"].read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
