"""The adoption chart in the cost report's style: a Vega-Lite spec with its data inline, rendered to PNG
by vl-convert (no browser), and a self-contained HTML page holding that PNG and the report's tables."""

from __future__ import annotations

import base64
import html
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tardis_dagster.defs.platform.adoption import AdoptionReport

_WIDTH = 760  # as the cost report's charts
_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"


def chart_spec(report: AdoptionReport) -> dict[str, Any]:
    """New products per month stacked by tribe (bars) and the running total of products (line)."""
    rows = [
        {"month": r.month, "tribe": r.tribe, "new_products": r.new_products} for r in report.new_per_month
    ]
    total = 0
    running = []
    for month in dict.fromkeys(r["month"] for r in rows):
        total += sum(r["new_products"] for r in rows if r["month"] == month)
        running.append({"month": month, "products": total})
    x = {"field": "month", "type": "ordinal", "title": None, "axis": {"labelAngle": 0}}
    return {
        "$schema": _SCHEMA,
        "title": "New data products per month, by tribe (bars), and products in total (line)",
        "width": _WIDTH,
        "height": 260,
        "layer": [
            {
                "data": {"values": rows},
                "mark": "bar",
                "encoding": {
                    "x": x,
                    "y": {"field": "new_products", "type": "quantitative", "stack": "zero", "title": "new"},
                    "color": {"field": "tribe", "type": "nominal"},
                    "tooltip": ["month", "tribe", "new_products"],
                },
            },
            {
                "data": {"values": running},
                "mark": {"type": "line", "point": True, "color": "#222"},
                "encoding": {
                    "x": x,
                    "y": {"field": "products", "type": "quantitative", "title": "in total"},
                    "tooltip": ["month", "products"],
                },
            },
        ],
        "resolve": {"scale": {"y": "independent"}},
    }


def render_png(report: AdoptionReport, path: Path, scale: float = 1.0) -> Path | None:
    """The chart as a PNG at `path`; None when no product has been committed (nothing to draw)."""
    if not report.new_per_month:
        return None
    import vl_convert as vlc  # loaded only when a chart is drawn

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(vlc.vegalite_to_png(chart_spec(report), scale=scale))
    return path


def render_html(sections: dict[str, str], png: Path | None, title: str = "Tardis adoption report") -> str:
    """One self-contained page: the chart (inline PNG) and each Markdown section as preformatted text."""
    image = (
        f'<img alt="adoption chart" src="data:image/png;base64,{_base64(png)}">'
        if png is not None
        else "<p><em>No product has been committed yet: no chart.</em></p>"
    )
    body = "".join(
        f"<section><h2>{html.escape(key.replace('_', ' '))}</h2><pre>{html.escape(text)}</pre></section>"
        for key, text in sections.items()
    )
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:980px;color:#222}"
        "pre{background:#f4f6f8;padding:.6rem .9rem;border-radius:6px;overflow-x:auto}</style></head><body>"
        f"<h1>{html.escape(title)}</h1><p>Generated {generated}.</p>{image}{body}</body></html>"
    )


def _base64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()
