"""The adoption report, the platform's one KPI: who publishes data products, how many, how fast.

Pure functions over typed facts (from the specs, the git history and the Dagster instance): the
numbers, and the same numbers as Markdown tables for the asset's metadata.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

UNCOMMITTED = "not committed"


@dataclass(frozen=True)
class ProductFacts:
    """One product: its owners, when its spec was first committed and first published, what fails."""

    name: str
    tribe: str
    squad: str
    source: str  # kafka | files | sql
    first_commit: datetime | None = None
    first_published: datetime | None = None
    failing_checks: tuple[str, ...] = ()

    @property
    def time_to_publish(self) -> timedelta | None:
        """First commit to first publication; zero when it was published before it was committed
        (e.g. tried on a local platform first)."""
        if self.first_commit is None or self.first_published is None:
            return None
        return max(self.first_published - self.first_commit, timedelta(0))


@dataclass(frozen=True)
class TribeRow:
    """One tribe's line of the report."""

    tribe: str
    squads: int
    products: int
    published: int
    assets: int


@dataclass(frozen=True)
class MonthRow:
    """New products (by first commit) of one tribe in one month (`YYYY-MM`)."""

    month: str
    tribe: str
    new_products: int


@dataclass(frozen=True)
class AdoptionReport:
    """The report's numbers."""

    products: int
    published: int
    assets: int
    tribes: int
    squads: int
    by_tribe: list[TribeRow]
    new_per_month: list[MonthRow]  # every month from the first commit to the last, zeros included
    uncommitted: list[str]
    median_time_to_publish: timedelta | None
    timed_products: int  # products the median is computed over
    failing: dict[str, tuple[str, ...]]
    notes: list[str] = field(default_factory=list)


def adoption(
    products: Sequence[ProductFacts], assets_by_tribe: Mapping[str, int], notes: Sequence[str] = ()
) -> AdoptionReport:
    """The report over `products`; `assets_by_tribe` counts the code location's assets per owning tribe."""
    tribes: dict[str, list[ProductFacts]] = defaultdict(list)
    for product in products:
        tribes[product.tribe].append(product)
    rows = [
        TribeRow(
            tribe=tribe,
            squads=len({p.squad for p in owned}),
            products=len(owned),
            published=sum(p.first_published is not None for p in owned),
            assets=assets_by_tribe.get(tribe, 0),
        )
        for tribe, owned in sorted(tribes.items())
    ]
    durations = [d for p in products if (d := p.time_to_publish) is not None]
    return AdoptionReport(
        products=len(products),
        published=sum(p.first_published is not None for p in products),
        assets=sum(assets_by_tribe.values()),
        tribes=len(tribes),
        squads=len({(p.tribe, p.squad) for p in products}),
        by_tribe=rows,
        new_per_month=new_per_month(products),
        uncommitted=sorted(p.name for p in products if p.first_commit is None),
        median_time_to_publish=statistics.median(durations) if durations else None,
        timed_products=len(durations),
        failing={
            p.name: p.failing_checks for p in sorted(products, key=lambda p: p.name) if p.failing_checks
        },
        notes=list(notes),
    )


def new_per_month(products: Sequence[ProductFacts]) -> list[MonthRow]:
    """New products per month and tribe, by first commit; months without any are listed with zeros so
    a chart shows the gaps."""
    counts = Counter((p.first_commit.strftime("%Y-%m"), p.tribe) for p in products if p.first_commit)
    if not counts:
        return []
    months = _months(min(m for m, _ in counts), max(m for m, _ in counts))
    tribes = sorted({t for _, t in counts})
    return [MonthRow(m, t, counts.get((m, t), 0)) for m in months for t in tribes]


def _months(first: str, last: str) -> list[str]:
    year, month = map(int, first.split("-"))
    out = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def describe_duration(value: timedelta | None) -> str:
    """`3 d 4 h`, `5 h 12 min`, `40 min`; `-` for none."""
    if value is None:
        return "-"
    minutes = int(value.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    def cell(value: object) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def markdown(report: AdoptionReport) -> dict[str, str]:
    """The report as Markdown, one entry per metadata key: summary, by_tribe, new_products_per_month,
    failing_checks."""
    median = describe_duration(report.median_time_to_publish)
    summary = _table(
        ("metric", "value"),
        [
            ("data products", report.products),
            ("published (std or mart materialized)", report.published),
            ("assets", report.assets),
            ("tribes publishing", report.tribes),
            ("squads publishing", report.squads),
            ("median time from first commit to first publish", f"{median} (over {report.timed_products})"),
            ("products with failing checks", len(report.failing)),
        ],
    )
    if report.notes:
        summary += "\n\n" + "\n".join(f"> {note}" for note in report.notes)
    by_tribe = _table(
        ("tribe", "squads", "products", "published", "assets"),
        [(r.tribe, r.squads, r.products, r.published, r.assets) for r in report.by_tribe],
    )
    monthly: dict[str, int] = defaultdict(int)
    for row in report.new_per_month:
        monthly[row.month] += row.new_products
    months: list[tuple[str, int]] = list(monthly.items())
    if report.uncommitted:
        months.append((UNCOMMITTED, len(report.uncommitted)))
    per_month = _table(("month", "new products"), months) if months else "No product has been committed yet."
    failing = (
        _table(("product", "failing checks"), [(p, ", ".join(c)) for p, c in report.failing.items()])
        if report.failing
        else "No product has a failing check."
    )
    return {
        "summary": summary,
        "by_tribe": by_tribe,
        "new_products_per_month": per_month,
        "failing_checks": failing,
    }
