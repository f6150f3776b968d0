"""Raw landing assets for products with a `files` source (parquet, json, csv; local or s3://).

No `from __future__ import annotations` here: Dagster inspects the `context` annotation at runtime.
"""


from collections.abc import Iterable

import dagster as dg

from tardis_dagster.factory.attributes import asset_attributes, table_name
from tardis_dagster.resources.spark import SparkJobRunner
from tardis_dagster.specs import DataProduct

LAYER = "raw"


def landing_extras(product: DataProduct) -> dict[str, object]:
    """What the `land_files` Spark job needs to know about a product."""
    files = product.source.files
    assert files is not None, f"{product.name} has no files source"
    return {
        "product": product.name,
        "uri": product.files_location(),
        "format": files.format,
        "pattern": files.glob,
        "options": files.reader_options,
        "table": table_name(LAYER, product.name),
        "quarantine_table": table_name(LAYER, f"{product.name}__quarantine"),
    }


def files_landing_asset(product: DataProduct) -> dg.AssetsDefinition:
    """The asset `raw/<product>`: lands files not landed before, quarantining the unparseable ones."""
    attributes = asset_attributes(product, LAYER)
    attributes["metadata"]["source_uri"] = product.files_location()
    extras = landing_extras(product)

    @dg.asset(
        name=product.name,
        key_prefix=[LAYER],
        kinds={"spark", "iceberg", product.source.files.format},  # type: ignore[union-attr]
        **{k: v for k, v in attributes.items() if k != "key"},
    )
    def _land(context: dg.AssetExecutionContext, spark: SparkJobRunner) -> dg.MaterializeResult:
        return spark.run(context, "land_files", extras).get_materialize_result()

    return _land


def build(products: Iterable[DataProduct]) -> list[dg.AssetsDefinition]:
    """Landing assets for every product with a `files` source."""
    return [files_landing_asset(p) for p in products if p.source.kind == "files"]
