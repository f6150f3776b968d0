"""Fixtures shared by the integration tests: the demo pipeline, built once per session."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import dagster as dg
import pytest
from isolation import Isolated
from repo_root import PROJECT_ROOT

from tardis_dagster.assembly import build_definitions
from tardis_dagster.core.settings import get_settings
from tardis_dagster.core.specs import DataProduct, load_catalog
from tardis_dagster.tooling.demo import files as demo_files
from tardis_dagster.tooling.demo import kafka as demo_kafka


@dataclass
class DemoPipeline:
    """The demo's products (all but the platform's own) and the run that built their layers."""

    # The cost models read the platform's own bill (`tardis demo costs`); tests/cost covers them.
    LAYERS: ClassVar[frozenset[str]] = frozenset({"raw", "std", "stg", "vault", "mart"})
    products: list[DataProduct]
    result: dg.ExecuteInProcessResult


@pytest.fixture(scope="session")
def demo_pipeline(spark) -> DemoPipeline:
    """Demo files and events landed, standardized, and `dbt build` of staging, vault and SQL products,
    through the same Dagster definitions `dagster dev` loads (errors are left to the tests)."""
    catalog = load_catalog([PROJECT_ROOT / "product_specs"])
    demo = [p for p in catalog.products if p.owner.tribe != "platform"]
    for product in demo:
        if product.source.files is not None:
            folder = Path(product.files_location())
            existing = len(list(folder.glob(f"*.{product.source.files.format}"))) if folder.exists() else 0
            folder.mkdir(parents=True, exist_ok=True)
            demo_files.generate(product, folder, files=1, rows_per_file=50, first_file=existing)
    demo_kafka.produce(demo, get_settings().kafka_bootstrap, count=100)

    defs = build_definitions(catalog)
    graph = defs.resolve_asset_graph()
    keys = [
        k
        for k in graph.get_all_asset_keys()
        if k.path[0] in DemoPipeline.LAYERS and graph.get(k).is_materializable
    ]
    owners = {p.name for p in demo}
    selected = [k for k in keys if k.path[0] not in ("raw", "std") or k.path[-1] in owners]
    assets = list({id(a): a for a in (defs.get_assets_def(k) for k in selected)}.values())
    result = dg.materialize(assets, selection=selected, resources=defs.resources, raise_on_error=False)
    return DemoPipeline(demo, result)


@pytest.fixture
def isolated(spark) -> Iterator[Isolated]:
    """A topic and table namespaces of the test's own (tests/integration/isolation.py), dropped after."""
    own = Isolated.fresh()
    yield own
    own.drop(spark)
