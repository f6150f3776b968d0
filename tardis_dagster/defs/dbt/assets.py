"""The dbt project in Dagster: one multi-asset over every dbt model, on the same graph as the Spark
assets.

A dbt source whose schema is `std` IS the standardized asset of the product with that table name
(whatever the source's own name; `<product>__changes`, an upsert product's change stream that staging
reads, is written by the same asset), so raw -> std -> stg -> hubs/links/satellites is one lineage graph,
and hand-written models (e.g. models/cost/) that declare such a source join it too. Owners, tags,
groups and descriptions come from the `meta.tardis` block the generator writes from the specs;
dbt tests become asset checks. The manifest is parsed when the definitions are built: by `dagster dev`
(`prepare_if_dev`), when none exists yet (a fresh checkout), or, for a production image, at image build
time (`dagster-dbt project prepare-and-package`). Nothing happens at import time.

No `from __future__ import annotations` here: Dagster inspects the `context` annotation at runtime.
"""

import json
import os
import shutil
import sys
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from tardis_dagster.core import naming
from tardis_dagster.core.settings import Settings
from tardis_dagster.core.specs import DataProduct, SpecCatalog
from tardis_dagster.lib.attributes import owners, table_key
from tardis_dagster.lib.code_references import (
    CODE_REFERENCES,
    model_references,
    product_references,
    satellite_references,
)

PLATFORM_OWNER = {"tribe": "platform", "squad": "platform"}
# Built once: conditions are immutable. Every model runs when what it reads updates, in the same run
# where it can (eager requests a model together with the parents requested on the same tick).
_EAGER = dg.AutomationCondition.eager()
_MODEL_TYPES = ("model", "seed", "snapshot")


@cache
def _on_cron(cron: str) -> dg.AutomationCondition:
    """The condition of a SQL product scheduled by cron (one object per distinct cron)."""
    return dg.AutomationCondition.on_cron(cron, cron_timezone="UTC")


def dbt_executable() -> str:
    """dbt from PATH, else the one installed beside this Python (a venv that is not activated)."""
    return shutil.which("dbt") or os.fspath(Path(sys.executable).parent / "dbt")


@cache
def dbt_project(settings: Settings) -> DbtProject:
    """The dbt project of these settings (its folder and profile target)."""
    folder = settings.dbt_project_dir
    return DbtProject(project_dir=folder, profiles_dir=folder, target=settings.dbt_target)


def _tardis_meta(props: Mapping[str, Any]) -> dict[str, str]:
    meta = props.get("config", {}).get("meta") or props.get("meta") or {}
    return {**PLATFORM_OWNER, **(meta.get("tardis") or {})}


class TardisDbtTranslator(DagsterDbtTranslator):
    """Asset keys `[schema, table]` (the layer and the table, like every Tardis asset); std sources
    are the standardized assets; ownership, code references to the spec and eager automation for
    every model.

    Given the spec catalog, a model's owners add the spec's contact and its code references open the
    spec part that generated it: the product's vault mapping (staging), its satellite entry, its
    source (SQL products), or the hub's or link's entry in `_model.yaml`.
    """

    def __init__(
        self, settings: DagsterDbtTranslatorSettings | None = None, catalog: SpecCatalog | None = None
    ) -> None:
        super().__init__(settings)
        self._catalog = catalog
        self._products = {p.name: p for p in catalog.products} if catalog is not None else {}

    def _product(self, props: Mapping[str, Any]) -> DataProduct | None:
        return self._products.get(_tardis_meta(props).get("product", ""))

    def _contact(self, props: Mapping[str, Any]) -> str | None:
        product = self._product(props)
        if product is not None:
            return product.owner.contact
        hub_name = _tardis_meta(props).get("hub")
        model = self._catalog.model if self._catalog is not None else None
        hub = model.hub(hub_name) if model is not None and hub_name else None
        return hub.owner.contact if hub is not None else None

    def _code_references(self, props: Mapping[str, Any]) -> dg.CodeReferencesMetadataValue | None:
        meta = _tardis_meta(props)
        product = self._product(props)
        model = self._catalog.model if self._catalog is not None else None
        name = props.get("alias") or props["name"]
        if product is not None:
            if meta.get("layer") == naming.MART:
                return product_references(product, ("source",))
            prefix = naming.VAULT_PREFIXES["satellite"]
            if meta.get("layer") == naming.VAULT and name.startswith(prefix):
                return satellite_references(product, name.removeprefix(prefix))
            return product_references(product, ("vault",))
        if meta.get("link"):
            return model_references(model, "links", meta["link"])
        if meta.get("hub"):
            return model_references(model, "hubs", meta["hub"])
        return None

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        """`std/<table>` for any source in schema std (`std/<product>` for its change stream);
        `<schema>/<alias>` for models."""
        props = dbt_resource_props
        if props["resource_type"] == "source":
            table = props.get("identifier") or props["name"]
            return table_key(
                props["schema"], naming.std_table_of(table) if props["schema"] == naming.STD else table
            )
        if props["resource_type"] in ("model", "seed", "snapshot"):
            return table_key(props["schema"], props.get("alias") or props["name"])
        return super().get_asset_key(props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        """The owning tribe, as for every other Tardis asset."""
        return _tardis_meta(dbt_resource_props)["tribe"]

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> Sequence[str] | None:
        """`team:<squad>` and the spec's contact (the product's, or the hub's in `_model.yaml`)."""
        return owners(_tardis_meta(dbt_resource_props)["squad"], self._contact(dbt_resource_props))

    def get_automation_condition(
        self, dbt_resource_props: Mapping[str, Any]
    ) -> dg.AutomationCondition | None:
        """Eager for models: staging, vault and SQL products follow their inputs with no clicks.

        A SQL product whose spec gives a cron `schedule` is built on that cron instead, once its
        inputs have updated since the tick (`on_cron`): the analyst asked for that time, not for
        every upstream change.
        """
        if dbt_resource_props["resource_type"] not in _MODEL_TYPES:
            return None
        product = self._product(dbt_resource_props)
        if (
            product is not None
            and product.source.kind == "sql"
            and product.schedule not in (None, "on_upstream", "streaming")
        ):
            return _on_cron(product.schedule)
        return _EAGER

    def get_tags(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, str]:
        """tribe, squad and layer (the same tags the Spark assets carry)."""
        meta = _tardis_meta(dbt_resource_props)
        layer = meta.get("layer") or dbt_resource_props.get("schema", "")
        return {"tribe": meta["tribe"], "squad": meta["squad"], "layer": layer, "source": "dbt"}

    def get_metadata(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, Any]:
        """dagster-dbt's metadata, the table name and, for models, code references to the spec."""
        key = self.get_asset_key(dbt_resource_props)
        metadata = {
            **super().get_metadata(dbt_resource_props),
            "dagster/table_name": naming.qualified(*key.path),
        }
        references = (
            self._code_references(dbt_resource_props)
            if dbt_resource_props["resource_type"] in _MODEL_TYPES
            else None
        )
        if references is not None:
            metadata[CODE_REFERENCES] = references
        return metadata

    def get_description(self, dbt_resource_props: Mapping[str, Any]) -> str:
        """The model's description (from the spec), else dagster-dbt's default."""
        return dbt_resource_props.get("description") or super().get_description(dbt_resource_props)

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        """dagster-dbt's spec, with the iceberg kind every Tardis table has."""
        spec = super().get_asset_spec(manifest, unique_id, project)
        return spec.merge_attributes(kinds={"iceberg"})


# Several projects' sources (the generated one, cost models' own) may name the same std table.
TRANSLATOR_SETTINGS = DagsterDbtTranslatorSettings(
    enable_asset_checks=True, enable_duplicate_source_asset_keys=True
)
TRANSLATOR = TardisDbtTranslator(settings=TRANSLATOR_SETTINGS)  # without specs: no contacts, no references


def prepare(project: DbtProject) -> None:
    """Make sure a manifest exists: parsed under `dagster dev` on every load (so edits show), and once
    on a fresh checkout; a production image ships the manifest it was built with."""
    if shutil.which("dbt"):
        project.prepare_if_dev()
    if not project.manifest_path.exists():
        parse_project(project)


def parse_project(project: DbtProject) -> None:
    """`dbt parse`: write the manifest Dagster reads (what `prepare_if_dev` does under `dagster dev`)."""
    cli = DbtCliResource(project_dir=project, dbt_executable=dbt_executable())
    # Parsed aside and moved in whole: another process loading the definitions meanwhile (a second
    # test worker, a sensor's run) reads the old manifest or the new one, never half of one.
    aside = Path(project.manifest_path).parent / f"parse-{os.getpid()}"
    cli.cli(["parse", "--quiet"], target_path=aside).wait()
    (aside / "manifest.json").replace(project.manifest_path)
    shutil.rmtree(aside, ignore_errors=True)


def build_dbt_assets(
    project: DbtProject, catalog: SpecCatalog | None = None, prefix: str = ""
) -> dg.AssetsDefinition:
    """One multi-asset over the dbt project: `dbt build` of the selected models and their tests.

    dbt-spark `session` connects to the Spark Connect server its profile names (`SPARK_REMOTE`). A
    namespace `prefix` (settings, `tardis test`) builds every model and reads every source under
    `<prefix><layer>` (the project's `tardis_schema_prefix` var).
    """
    args = ["build", "--vars", json.dumps({"tardis_schema_prefix": prefix})] if prefix else ["build"]
    prepare(project)
    translator = TRANSLATOR if catalog is None else TardisDbtTranslator(TRANSLATOR_SETTINGS, catalog)

    @dbt_assets(
        manifest=project.manifest_path, project=project, dagster_dbt_translator=translator, name="dbt"
    )
    def _dbt(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
        yield from dbt.cli(args, context=context).stream()

    return _dbt


def dbt_resources(project: DbtProject) -> dict[str, DbtCliResource]:
    """The `dbt` resource: the same project locally and in production (only the profile target differs)."""
    return {"dbt": DbtCliResource(project_dir=project, dbt_executable=dbt_executable())}


def dbt_definitions(settings: Settings, catalog: SpecCatalog | None = None) -> dg.Definitions:
    """The dbt layer: staging, vault, SQL products and cost models as one multi-asset, and its resource
    (with `catalog`, models carry their spec's contact and code references)."""
    project = dbt_project(settings)
    assets = build_dbt_assets(project, catalog, settings.namespace_prefix)
    return dg.Definitions(assets=[assets], resources=dbt_resources(project))
