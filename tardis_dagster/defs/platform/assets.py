"""The `platform/adoption` asset: the adoption report from the specs, their git history and the instance.

Data products, assets, tribes and squads publishing, new products per month, the median time from a
product's first commit to its first publication, and products whose checks fail: Markdown tables in
the materialization's metadata, a chart (inline and as a PNG) and a self-contained HTML page in the
lake beside the cost report.

No `from __future__ import annotations` here: Dagster inspects the `context` annotation at runtime.
"""

import base64
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

import dagster as dg
from dagster._core.definitions.assets.graph.base_asset_graph import BaseAssetGraph

from tardis_dagster.core.settings import Settings
from tardis_dagster.core.specs import SpecCatalog
from tardis_dagster.defs.platform import adoption_chart
from tardis_dagster.defs.platform.adoption import AdoptionReport, ProductFacts, adoption, markdown
from tardis_dagster.defs.platform.git_history import SpecHistory, spec_history
from tardis_dagster.defs.platform.publication import Publication, publication
from tardis_dagster.lib.attributes import published_key

LAYER = "platform"
ADOPTION_KEY = dg.AssetKey([LAYER, "adoption"])
SCHEDULE = "0 6 * * *"  # once a day: a KPI, not an alert


def specs_root(catalog: SpecCatalog, settings: Settings) -> Path:
    """The folder the specs were loaded from: the global model's, else the configured one."""
    model = catalog.model
    return (
        model.model_path.parent if model is not None and model.model_path is not None else settings.specs_dir
    )


def product_facts(catalog: SpecCatalog, history: SpecHistory, published: Publication) -> list[ProductFacts]:
    """The facts of every product of `catalog`."""
    commits = {path.resolve(): when for path, when in history.first_commit.items()}
    return [
        ProductFacts(
            name=p.name,
            tribe=p.owner.tribe,
            squad=p.owner.squad,
            source=p.source.kind,
            first_commit=commits.get(p.spec_path.resolve()),
            first_published=published.first_published.get(p.name),
            failing_checks=tuple(published.failing_checks.get(p.name, ())),
        )
        for p in catalog.products
    ]


def assets_by_tribe(graph: BaseAssetGraph) -> dict[str, int]:
    """Materializable assets of the code location per owning tribe (the `tribe` tag every asset has)."""
    counts: Counter[str] = Counter()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if node.is_materializable:
            counts[node.tags.get("tribe", "-")] += 1
    counts["platform"] += 1  # this report itself
    return dict(counts)


def build_report(
    catalog: SpecCatalog, root: Path, instance: dg.DagsterInstance, graph: BaseAssetGraph
) -> AdoptionReport:
    """The report of `catalog`, with the git history of `root` and what `instance` recorded."""
    history = spec_history(root)
    published = publication(
        instance, {p.name: published_key(p) for p in catalog.products}, graph.asset_check_keys
    )
    notes = [history.note] if history.note else []
    return adoption(product_facts(catalog, history, published), assets_by_tribe(graph), notes)


def report_metadata(report: AdoptionReport, folder: Path) -> Mapping[str, object]:
    """Write the chart and the page into `folder`; the materialization's metadata."""
    sections = markdown(report)
    png = adoption_chart.render_png(report, folder / "adoption.png")
    page = folder / "adoption.html"
    folder.mkdir(parents=True, exist_ok=True)
    page.write_text(adoption_chart.render_html(sections, png), encoding="utf-8")
    metadata: dict[str, object] = {
        "products": report.products,
        "published_products": report.published,
        "assets": report.assets,
        "tribes": report.tribes,
        "squads": report.squads,
        "products_with_failing_checks": len(report.failing),
        "report": dg.MetadataValue.url(page.as_uri()),
        "report_path": dg.MetadataValue.path(str(page)),
    }
    if report.median_time_to_publish is not None:
        metadata["median_hours_to_first_publish"] = round(
            report.median_time_to_publish.total_seconds() / 3600, 2
        )
    for key, text in sections.items():
        metadata[key] = dg.MetadataValue.md(text)
    if png is not None:
        metadata["png_path"] = dg.MetadataValue.path(str(png))
        inline = base64.b64encode(png.read_bytes()).decode()
        metadata["chart"] = dg.MetadataValue.md(
            f"![new data products per month](data:image/png;base64,{inline})"
        )
    if report.notes:
        metadata["git_history"] = dg.MetadataValue.text(" ".join(report.notes))
    return metadata


def adoption_asset(catalog: SpecCatalog, settings: Settings, products: dg.Definitions) -> dg.AssetsDefinition:
    """`platform/adoption`, materialized daily by the platform's automation (or from the UI).

    `products` are the definitions the report counts (every layer's assets and checks); their graph
    is resolved when the report runs, not when the code location loads.
    """
    root = specs_root(catalog, settings)
    folder = settings.home / "lake" / LAYER / "adoption"

    @dg.asset(
        key=ADOPTION_KEY,
        group_name="platform",
        owners=["team:platform"],
        tags={"tribe": "platform", "squad": "platform", "layer": LAYER},
        kinds={"html", "git"},
        description=(
            "Adoption report: data products, assets, tribes and squads publishing, new products per "
            "month, median time from first commit to first publish, products with failing checks."
        ),
        automation_condition=dg.AutomationCondition.on_cron(SCHEDULE),
    )
    def platform_adoption(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        graph = products.resolve_asset_graph()
        report = build_report(catalog, root, context.instance, graph)
        for note in report.notes:
            context.log.warning(note)
        return dg.MaterializeResult(metadata=report_metadata(report, folder))

    return platform_adoption
