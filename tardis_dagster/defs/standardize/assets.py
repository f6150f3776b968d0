"""The `std/<product>` assets: one subsettable multi-asset running the `standardize` Spark job.

Each asset depends on its raw table and carries the blocking audits of write-audit-publish as
asset checks (contract schema, key not null, key unique, reject share); a failed audit means the
batch was not published. An upsert product's asset also writes its change stream
`std.<product>__changes` (every version; the vault stages it), part of the same asset.

No `from __future__ import annotations` here: Dagster inspects the `context` annotation at runtime.
"""

from collections.abc import Iterable, Iterator

import dagster as dg

from tardis_dagster.core.naming import CHANGES_SUFFIX, audit_names, has_change_stream
from tardis_dagster.core.settings import get_settings, pii_key
from tardis_dagster.core.specs import DataProduct
from tardis_dagster.defs.quality.checks import freshness_policy
from tardis_dagster.lib.attributes import asset_attributes, table_key, table_name
from tardis_dagster.lib.execution import by_tribe, each_selected_asset
from tardis_dagster.lib.spark_runner import SparkJobRunner

LAYER = "std"
PII_KEY_ENV = "TARDIS_PII_KEY"
AUDIT_CHECK = "audits"
# Built once: conditions are immutable, and building one per asset is slow at thousands of products.
_EAGER = dg.AutomationCondition.eager()


def standardizable(product: DataProduct) -> bool:
    """Products this layer standardizes: the landed ones (kafka, files)."""
    return product.source.kind in ("kafka", "files")


def load_extras(product: DataProduct) -> dict[str, object]:
    """The spec's `load` section as the job reads it."""
    return {
        "type": product.load.type,
        "key": list(product.load.key),
        "version_by": product.load.version_by,
        "reject_threshold": product.load.reject_threshold,
    }


def standardize_extras(product: DataProduct) -> dict[str, object]:
    """What the `standardize` Spark job needs to know about a product."""
    return {
        "product": product.name,
        "asset_key": table_key(LAYER, product.name).to_user_string(),
        "raw_table": table_name("raw", product.name),
        "source_kind": product.source.kind,
        "table": table_name(LAYER, product.name),
        "rejects_table": table_name(LAYER, f"{product.name}__rejects"),
        "changes_table": changes_table(product),
        "columns": [
            {
                "name": c.name,
                "type": c.data_type.spark_ddl,
                "required": c.required,
                "pii": c.pii,
                "description": c.description,
            }
            for c in product.schema_
        ],
        "load": load_extras(product),
        "partition_by": [p.spark_expr for p in product.load.partitions],
        "pii_key_env": PII_KEY_ENV,
    }


def changes_table(product: DataProduct) -> str | None:
    """`std.<product>__changes`, every version of an upsert product (the vault stages it), else None."""
    return table_name(LAYER, product.name + CHANGES_SUFFIX) if has_change_stream(product.load.type) else None


def std_spec(product: DataProduct) -> dg.AssetSpec:
    """The asset spec of `std/<product>`, downstream of `raw/<product>`."""
    attributes = asset_attributes(product, LAYER)
    attributes["metadata"]["rejects_table"] = table_name(LAYER, f"{product.name}__rejects")
    changes = changes_table(product)
    if changes:
        attributes["metadata"]["changes_table"] = changes
    attributes["metadata"]["dagster/column_schema"] = dg.TableSchema(
        columns=[
            dg.TableColumn(
                c.name, str(c.data_type), description=c.description, tags={"pii": ""} if c.pii else {}
            )
            for c in product.schema_
        ]
    )
    return dg.AssetSpec(
        kinds={"spark", "iceberg"},
        skippable=True,  # an unpublished batch (failed audit) materializes nothing
        deps=[table_key("raw", product.name)],
        automation_condition=_EAGER,
        freshness_policy=freshness_policy(product),  # the spec's `freshness` rule, as Dagster tracks it
        **attributes,
    )


def standardize_assets(products: Iterable[DataProduct]) -> list[dg.AssetsDefinition]:
    """One multi-asset per tribe standardizing its supported landed products."""
    return [
        _tribe_assets(tribe, group) for tribe, group in by_tribe(p for p in products if standardizable(p))
    ]


def _tribe_assets(tribe: str, products: list[DataProduct]) -> dg.AssetsDefinition:
    by_key = {table_key(LAYER, p.name): p for p in products}
    # One blocking check per asset whose metadata lists each audit: at thousands of products, a check
    # per audit quadruples what Dagster builds at load time.
    checks = [
        dg.AssetCheckSpec(
            AUDIT_CHECK,
            asset=key,
            blocking=True,
            description="Write-audit-publish: "
            + ", ".join(audit_names(load_extras(product)))
            + " must pass to publish.",
        )
        for key, product in by_key.items()
    ]

    @dg.multi_asset(
        name=f"standardize_{tribe}",
        specs=[std_spec(p) for p in by_key.values()],
        check_specs=checks,
        can_subset=True,
        description="Type, deduplicate and hash PII of new raw data; publish only after the audits pass.",
    )
    def _standardize(
        context: dg.AssetExecutionContext, spark: SparkJobRunner
    ) -> Iterator[dg.MaterializeResult]:
        secrets = {PII_KEY_ENV: pii_key(get_settings())}
        yield from each_selected_asset(
            context,
            lambda key: spark.results(context, "standardize", standardize_extras(by_key[key]), secrets),
            "standardizing",
        )

    return _standardize
