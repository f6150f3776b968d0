"""Raw landing assets for products with a `files` source (parquet, json, csv; local or s3://).

All files products are asset specs of ONE subsettable multi-asset, the way dagster-dbt serves a
whole dbt project: one op instead of one per product keeps thousands of products quick to load,
and a run still materializes only the products it selected. A product whose landing fails does not
stop the others; the step fails at the end, naming it.

No `from __future__ import annotations` here: Dagster inspects the `context` annotation at runtime.
"""

from collections.abc import Iterable, Iterator

import dagster as dg

from tardis_dagster.core import naming
from tardis_dagster.core.jobs_io import FilesLandingInput
from tardis_dagster.core.specs import DataProduct
from tardis_dagster.lib.attributes import asset_attributes, table_key
from tardis_dagster.lib.execution import each_selected_asset
from tardis_dagster.lib.spark_runner import SparkJobRunner

LAYER = naming.RAW
OP_NAME = "land_files"


def landing_input(product: DataProduct, prefix: str = "") -> FilesLandingInput:
    """What the `land_files` Spark job needs to know about a product (tables under `prefix`, see naming)."""
    files = product.source.files
    assert files is not None, f"{product.name} has no files source"
    return FilesLandingInput(
        product=product.name,
        asset_key=naming.asset_string(LAYER, product.name),
        uri=product.files_location(),
        format=files.format,
        pattern=files.glob,
        options=dict(files.reader_options),
        table=naming.raw_table(product.name, prefix),
        quarantine_table=naming.quarantine_table(product.name, prefix),
        redeliveries=product.load.type == "replace",
    )


def landing_spec(product: DataProduct) -> dg.AssetSpec:
    """The asset spec of `raw/<product>` for a files product."""
    attributes = asset_attributes(product, LAYER, spec_part=("source",))
    attributes["metadata"]["source_uri"] = product.files_location()
    attributes["metadata"]["quarantine_table"] = naming.quarantine_table(product.name)
    return dg.AssetSpec(
        kinds={"spark", "iceberg", product.source.files.format},  # type: ignore[union-attr]
        skippable=True,
        **attributes,
    )


def files_landing_assets(products: Iterable[DataProduct], prefix: str = "") -> dg.AssetsDefinition | None:
    """One multi-asset landing every files product (tables under `prefix`); None when there is none."""
    products = [p for p in products if p.source.kind == "files"]
    if not products:
        return None
    inputs_by_key = {table_key(LAYER, p.name): landing_input(p, prefix) for p in products}

    @dg.multi_asset(
        name=OP_NAME,
        specs=[landing_spec(p) for p in products],
        can_subset=True,
        description="Land new files of files products into their raw Iceberg tables.",
    )
    def _land(context: dg.AssetExecutionContext, spark: SparkJobRunner) -> Iterator[dg.MaterializeResult]:
        yield from each_selected_asset(
            context, lambda key: spark.results(context, OP_NAME, inputs_by_key[key]), "landing"
        )

    return _land
