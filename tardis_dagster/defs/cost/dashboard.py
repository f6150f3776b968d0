"""The cost report: a self-contained HTML page, a PNG of its charts and Markdown headline tables.

Charts are Vega-Lite specs with their data inline; the page carries the Vega/Vega-Lite/Vega-Embed
bundle that `vl-convert-python` ships, so it opens with no network at all. The same specs render to
PNG through vl-convert (no browser needed), for README screenshots and Dagster metadata.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from tardis_dagster.defs.cost.forecast import Forecast, against_budget

SECTIONS = (
    "spend_over_time",
    "top_products",
    "movers",
    "forecast_vs_budget",
    "unallocated_share",
    "spend_by_provider",
)
_WIDTH = 760


@dataclass
class CostReportData:
    """What the report shows, read from the cost tables (column names as in the dbt models)."""

    daily: pd.DataFrame  # cost.cost_daily
    products: pd.DataFrame  # cost.cost_product_daily
    queries: pd.DataFrame  # cost.cost_query
    forecast: Forecast | None = None
    budget: pd.DataFrame | None = None


@dataclass
class Section:
    """One part of the report: a chart, a table and a line of text."""

    key: str
    title: str
    summary: str
    chart: dict[str, Any]
    table: pd.DataFrame = field(default_factory=pd.DataFrame)


def _money(value: float) -> str:
    return f"${value:,.2f}"


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]) or out[column].map(type).eq(type(pd.NaT)).any():
            out[column] = out[column].astype(str)
        elif out[column].dtype == object:
            out[column] = out[column].map(lambda v: v.isoformat() if hasattr(v, "isoformat") else v)
    return json.loads(out.to_json(orient="records", double_precision=2))


def _prepare(data: CostReportData) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    daily = data.daily.assign(
        usage_date=pd.to_datetime(data.daily["usage_date"]),
        effective_cost=data.daily["effective_cost"].astype(float),
    )
    daily["month"] = daily["usage_date"].dt.to_period("M").astype(str)
    products = data.products.assign(
        usage_date=pd.to_datetime(data.products["usage_date"]),
        effective_cost=data.products["effective_cost"].astype(float),
    )
    products["month"] = products["usage_date"].dt.to_period("M").astype(str)
    queries = data.queries.assign(effective_cost=data.queries["effective_cost"].astype(float))
    return daily, products, queries


def spend_over_time(daily: pd.DataFrame) -> Section:
    """Daily spend stacked by tribe; the table shows each squad's spend in the last month."""
    per_day = daily.groupby(["usage_date", "tribe"], as_index=False)["effective_cost"].sum()
    last = daily["month"].max()
    squads = (
        daily[daily["month"] == last]
        .groupby(["tribe", "squad"], as_index=False)["effective_cost"]
        .sum()
        .sort_values("effective_cost", ascending=False)
    )
    chart = {
        "title": "Daily effective cost by tribe",
        "width": _WIDTH,
        "height": 260,
        "data": {"values": _records(per_day)},
        "mark": {"type": "area", "interpolate": "monotone"},
        "encoding": {
            "x": {"field": "usage_date", "type": "temporal", "title": None},
            "y": {"field": "effective_cost", "type": "quantitative", "stack": "zero", "title": "USD per day"},
            "color": {"field": "tribe", "type": "nominal"},
            "tooltip": [{"field": "usage_date", "type": "temporal"}, "tribe", "effective_cost"],
        },
    }
    total = daily["effective_cost"].sum()
    summary = (
        f"{_money(total)} from {daily['usage_date'].min():%Y-%m-%d} to {daily['usage_date'].max():%Y-%m-%d}; "
        f"{_money(squads['effective_cost'].sum())} in {last}."
    )
    return Section("spend_over_time", "Spend over time by tribe and squad", summary, chart, squads)


def top_products(products: pd.DataFrame, queries: pd.DataFrame, n: int = 15) -> Section:
    """The most expensive data products last month, and the most expensive steps/queries."""
    last = products["month"].max()
    top = (
        products[
            (products["month"] == last)
            & (products["allocation"] == "allocated")
            & ~products["data_product"].str.startswith("(")  # squad-level cost is no product
        ]
        .groupby(["data_product", "tribe", "squad"], as_index=False)["effective_cost"]
        .sum()
        .sort_values("effective_cost", ascending=False)
        .head(n)
    )
    chart = {
        "title": f"Top data products, {last}",
        "width": _WIDTH,
        "height": 22 * max(len(top), 1),
        "data": {"values": _records(top)},
        "mark": "bar",
        "encoding": {
            "y": {"field": "data_product", "type": "nominal", "sort": "-x", "title": None},
            "x": {"field": "effective_cost", "type": "quantitative", "title": "USD"},
            "color": {"field": "tribe", "type": "nominal"},
            "tooltip": ["data_product", "squad", "effective_cost"],
        },
    }
    top_queries = (
        queries.groupby(["data_product", "step_key", "query_id"], as_index=False, dropna=False)
        .agg(
            effective_cost=("effective_cost", "sum"),
            cpu_seconds=("cpu_seconds", "sum"),
            runs=("run_id", "nunique"),
        )
        .sort_values("effective_cost", ascending=False)
        .head(n)
    )
    summary = (
        f"Top product {top.iloc[0]['data_product']} at {_money(top.iloc[0]['effective_cost'])} in {last}; "
        f"the costliest query is {top_queries.iloc[0]['step_key']}/{top_queries.iloc[0]['query_id']}."
        if len(top) and len(top_queries)
        else "No product cost yet."
    )
    table = top_queries.rename(columns={"step_key": "step", "query_id": "query"})
    return Section("top_products", "Top products and queries", summary, chart, table)


def movers(daily: pd.DataFrame, n: int = 10) -> Section:
    """Month-over-month change per squad between the last two months."""
    months = sorted(daily["month"].unique())
    if len(months) < 2:
        table = pd.DataFrame(columns=["tribe", "squad", "previous", "current", "change", "change_pct"])
        chart = {"title": "Month-over-month movers (needs two months)", "data": {"values": []}, "mark": "bar"}
        return Section("movers", "Month-over-month movers", "Only one month of history.", chart, table)
    previous, current = months[-2], months[-1]
    pivot = (
        daily[daily["month"].isin([previous, current])]
        .pivot_table(index=["tribe", "squad"], columns="month", values="effective_cost", aggfunc="sum")
        .fillna(0.0)
        .reset_index()
        .rename(columns={previous: "previous", current: "current"})
        .rename_axis(columns=None)
    )
    pivot["change"] = pivot["current"] - pivot["previous"]
    pivot["change_pct"] = (pivot["change"] / pivot["previous"].where(pivot["previous"].abs() > 0)).round(4)
    table = pivot.reindex(pivot["change"].abs().sort_values(ascending=False).index).head(n)
    chart = {
        "title": f"Change {previous} → {current} by squad",
        "width": _WIDTH,
        "height": 22 * max(len(table), 1),
        "data": {"values": _records(table.assign(label=table["tribe"] + " / " + table["squad"]))},
        "mark": "bar",
        "encoding": {
            "y": {"field": "label", "type": "nominal", "sort": "-x", "title": None},
            "x": {"field": "change", "type": "quantitative", "title": "USD"},
            "color": {"condition": {"test": "datum.change > 0", "value": "#c0392b"}, "value": "#27ae60"},
            "tooltip": ["label", "previous", "current", "change", "change_pct"],
        },
    }
    top = table.iloc[0]
    summary = (
        f"Biggest mover: {top['tribe']}/{top['squad']} {_money(top['change'])} ({previous} → {current})."
    )
    return Section("movers", "Month-over-month movers", summary, chart, table)


def forecast_vs_budget(daily: pd.DataFrame, result: Forecast | None, budget: pd.DataFrame | None) -> Section:
    """Monthly actuals and the 12-month forecast per tribe, with the budget where one is given."""
    actual = daily.groupby(["month", "tribe"], as_index=False)["effective_cost"].sum()
    actual = actual.rename(columns={"effective_cost": "usd"}).assign(series="actual")
    if result is None:
        chart = {"title": "Monthly cost (no forecast)", "data": {"values": _records(actual)}, "mark": "line"}
        return Section("forecast_vs_budget", "Forecast vs budget", "No forecast.", chart)
    compared = against_budget(result, budget)
    forecast_rows = compared[["month", "tribe", "forecast"]].rename(columns={"forecast": "usd"})
    budget_rows = compared[["month", "tribe", "budget"]].dropna().rename(columns={"budget": "usd"})
    values = pd.concat(
        [actual, forecast_rows.assign(series="forecast"), budget_rows.assign(series="budget")],
        ignore_index=True,
    )
    chart = {
        "title": "Monthly cost by tribe: actual, forecast and budget",
        "width": _WIDTH,
        "height": 280,
        "data": {"values": _records(values)},
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": {"field": "month", "type": "temporal", "timeUnit": "yearmonth", "title": None},
            "y": {"field": "usd", "type": "quantitative", "title": "USD per month"},
            "color": {"field": "tribe", "type": "nominal"},
            "strokeDash": {"field": "series", "type": "nominal"},
            "tooltip": ["month", "tribe", "series", "usd"],
        },
    }
    bt = result.backtest
    error = (
        f"backtest MAPE {bt.mape:.1%} on {', '.join(bt.holdout_months)} "
        f"(naive last-month: {bt.naive_mape:.1%})"
        if bt.mape is not None and bt.naive_mape is not None
        else "no backtest: fewer than four full months of history"
    )
    total = compared["forecast"].sum()
    over = ""
    if compared["budget"].notna().any():
        budget, variance = _money(compared["budget"].sum()), _money(compared["variance"].sum())
        over = f"; budget {budget}, forecast minus budget {variance}"
    summary = f"Next 12 months: {_money(total)}{over}. Method: {result.method}; {error}."
    return Section("forecast_vs_budget", "Forecast vs budget", summary, chart, compared)


def _monthly_bars(
    title: str,
    per: pd.DataFrame,
    series: str,
    stack: str,
    colors: dict[str, list[str]] | None = None,
    extra_tooltip: list[str] | None = None,
) -> dict[str, Any]:
    """A Vega-Lite bar per month of `per`, stacked by `series` (stack "zero": USD, "normalize": share)."""
    color: dict[str, Any] = {"field": series, "type": "nominal"}
    if colors:
        color["scale"] = colors
    return {
        "title": title,
        "width": _WIDTH,
        "height": 220,
        "data": {"values": _records(per)},
        "mark": "bar",
        "encoding": {
            "x": {"field": "month", "type": "ordinal", "title": None},
            "y": {
                "field": "effective_cost",
                "type": "quantitative",
                "stack": stack,
                "title": "share" if stack == "normalize" else "USD",
            },
            "color": color,
            "tooltip": ["month", series, "effective_cost", *(extra_tooltip or [])],
        },
    }


def unallocated_share(daily: pd.DataFrame) -> Section:
    """Per month, how much of the bill is allocated, shared or unallocated."""
    per = daily.groupby(["month", "allocation"], as_index=False)["effective_cost"].sum()
    totals = per.groupby("month")["effective_cost"].transform("sum")
    per["share"] = (per["effective_cost"] / totals).round(4)
    colors = {"domain": ["allocated", "shared", "unallocated"], "range": ["#2e86de", "#f6b93b", "#e55039"]}
    chart = _monthly_bars(
        "Allocated, shared and unallocated cost per month", per, "allocation", "normalize", colors, ["share"]
    )
    last = per[per["month"] == per["month"].max()].set_index("allocation")["share"]
    summary = (
        f"In {per['month'].max()}: unallocated {last.get('unallocated', 0.0):.1%}, "
        f"shared {last.get('shared', 0.0):.1%} of the bill."
    )
    return Section("unallocated_share", "Unallocated and shared share", summary, chart, per)


def spend_by_provider(daily: pd.DataFrame) -> Section:
    """Per month, each cloud provider's bill (a FOCUS export may hold AWS, Azure and OCI together)."""
    per = daily.groupby(["month", "provider"], as_index=False)["effective_cost"].sum()
    chart = _monthly_bars("Effective cost per month by provider", per, "provider", "zero")
    last = per[per["month"] == per["month"].max()].sort_values("effective_cost", ascending=False)
    shown = ", ".join(f"{r.provider} {_money(r.effective_cost)}" for r in last.itertuples())
    summary = f"In {per['month'].max()}: {shown}."
    return Section("spend_by_provider", "Spend by provider", summary, chart, per)


def build_sections(data: CostReportData) -> list[Section]:
    """All report sections, in page order."""
    daily, products, queries = _prepare(data)
    return [
        spend_over_time(daily),
        top_products(products, queries),
        movers(daily),
        forecast_vs_budget(daily, data.forecast, data.budget),
        unallocated_share(daily),
        spend_by_provider(daily),
    ]


def _table_html(frame: pd.DataFrame, limit: int = 20) -> str:
    if frame.empty:
        return "<p><em>No rows.</em></p>"
    shown = frame.head(limit).copy()
    for column in shown.columns:
        if pd.api.types.is_float_dtype(shown[column]):
            shown[column] = shown[column].map(lambda v: "" if pd.isna(v) else f"{v:,.2f}")
    return shown.to_html(index=False, border=0, classes="data", na_rep="")


_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:980px;
color:#222}
h1{margin-bottom:.2rem} .meta{color:#666;margin-top:0} section{margin:2.5rem 0}
table.data{border-collapse:collapse;font-size:.85rem;margin-top:.8rem}
table.data th,table.data td{padding:.25rem .6rem;border-bottom:1px solid #ddd;text-align:right}
table.data th:first-child,table.data td:first-child{text-align:left}
.summary{background:#f4f6f8;padding:.6rem .9rem;border-radius:6px}
"""


def render_html(sections: list[Section], title: str = "Tardis platform cost report") -> str:
    """The whole report as one HTML document; chart data and the Vega libraries are inline."""
    import vl_convert as vlc  # the bundle is ~1 MB of JS: loaded only when a report is rendered

    specs = {
        s.key: {"$schema": "https://vega.github.io/schema/vega-lite/v5.json", **s.chart} for s in sections
    }
    # Specs travel as a JSON data block (not code): the bundler minifies the snippet, never the data.
    data = json.dumps(specs).replace("</", "<\\/")
    snippet = (
        "const specs = JSON.parse(document.getElementById('cost-report-specs').textContent);"
        "for (const [key, spec] of Object.entries(specs)) {"
        " vegaEmbed('#chart-' + key, spec, {actions: false, renderer: 'svg'}); }"
    )
    body = []
    for s in sections:
        body.append(
            f'<section id="{s.key}"><h2>{html.escape(s.title)}</h2>'
            f'<p class="summary">{html.escape(s.summary)}</p>'
            f'<div id="chart-{s.key}" class="chart"></div>{_table_html(s.table)}</section>'
        )
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>"
        f"<p class='meta'>Generated {generated}. Effective (amortized) cost in USD.</p>"
        + "".join(body)
        + f'<script type="application/json" id="cost-report-specs">{data}</script>'
        + f"<script>{vlc.javascript_bundle(snippet)}</script></body></html>"
    )


def render_png(sections: list[Section], path: Path, scale: float = 1.0) -> Path:
    """All charts stacked in one PNG (rendered by vl-convert, no browser)."""
    import vl_convert as vlc

    combined = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": "Tardis platform cost report",
        "vconcat": [s.chart for s in sections if s.chart.get("data", {}).get("values")],
        "resolve": {"scale": {"color": "independent"}},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(vlc.vegalite_to_png(combined, scale=scale))
    return path


def _markdown(frame: pd.DataFrame) -> str:
    def cell(value: Any) -> str:
        if isinstance(value, float):
            return "" if pd.isna(value) else f"{value:,.2f}"
        return str(value).replace("|", "\\|")

    lines = ["| " + " | ".join(map(str, frame.columns)) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def markdown_tables(sections: list[Section], rows: int = 10) -> dict[str, str]:
    """Headline Markdown per section (summary line + a small table) for Dagster metadata."""
    out = {}
    for s in sections:
        table = s.table.head(rows)
        text = s.summary
        if not table.empty:
            text += "\n\n" + _markdown(table)
        out[s.key] = text
    return out


def write_report(data: CostReportData, folder: Path) -> dict[str, Any]:
    """Write report.html and report.png into `folder`; return paths, sections and Markdown headlines."""
    sections = build_sections(data)
    folder.mkdir(parents=True, exist_ok=True)
    html_path = folder / "report.html"
    html_path.write_text(render_html(sections), encoding="utf-8")
    png_path = render_png(sections, folder / "report.png")
    return {"html": html_path, "png": png_path, "sections": sections, "markdown": markdown_tables(sections)}
