"""The cost report: every section rendered from the modelled demo bill, HTML self-contained, PNG made."""

from __future__ import annotations

import json
import re

import pytest

from tardis_dagster.cost import dashboard
from tardis_dagster.cost.assets import read_report_data

pytestmark = pytest.mark.platform


@pytest.fixture(scope="module")
def report(spark, demo_cost_tables, tmp_path_factory) -> dict:
    data = read_report_data(spark, schema=demo_cost_tables)
    return dashboard.write_report(data, tmp_path_factory.mktemp("cost_report"))


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
