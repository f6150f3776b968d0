"""The `std/<product>` assets: one subsettable multi-asset running the `standardize` Spark job.

Each asset depends on its raw table and carries the blocking audits of write-audit-publish as
asset checks (contract schema, key not null, key unique, reject share); a failed audit means the
batch was not published. An upsert product's asset also writes its change stream
`std.<product>__changes` (every version; the vault stages it), part of the same asset.

No `from __future__ import annotations` here: Dagster inspects the `context` annotation at runtime.
"""

from collections.abc import Iterable, Iterator

import dagster as dg

from tardis_dagster.core import naming
from tardis_dagster.core.jobs_io import PII_KEY_ENV, ContractColumn, LoadPolicy, StandardizeInput
from tardis_dagster.core.settings import Settings, pii_key
from tardis_dagster.core.specs import DataProduct, SpecCatalog
from tardis_dagster.lib.attributes import asset_attributes, table_key
from tardis_dagster.lib.code_references import CODE_REFERENCES, product_references
from tardis_dagster.lib.execution import by_tribe, each_selected_asset
from tardis_dagster.lib.freshness import freshness_policy
from tardis_dagster.lib.spark_runner import SparkJobRunner

LAYER = naming.STD
JOB = "standardize"
# Built once: conditions are immutable, and building one per asset is slow at thousands of products.
_EAGER = dg.AutomationCondition.eager()


def standardizable(product: DataProduct) -> bool:
    """Products this layer standardizes: the landed ones (kafka, files)."""
    return product.source.kind in ("kafka", "files")


def load_policy(product: DataProduct) -> LoadPolicy:
    """The spec's `load` section as the job reads it."""
    return LoadPolicy(
        type=product.load.type,
        key=list(product.load.key),
        version_by=product.load.version_by,
        reject_threshold=product.load.reject_threshold,
    )


def standardize_input(product: DataProduct, prefix: str = "") -> StandardizeInput:
    """What the `standardize` Spark job needs to know about a product (tables under `prefix`, see naming)."""
    return StandardizeInput(
        product=product.name,
        asset_key=naming.asset_string(LAYER, product.name),
        source_kind=product.source.kind,  # type: ignore[arg-type]
        raw_table=naming.raw_table(product.name, prefix),
        raw_asset_key=naming.asset_path(naming.RAW, product.name),
        table=naming.std_table(product.name, prefix),
        rejects_table=naming.rejects_table(product.name, prefix),
        changes_table=naming.changes_table(product.name, product.load.type, prefix),
        columns=[
            ContractColumn(
                name=c.name,
                type=c.data_type.spark_ddl,
                required=c.required,
                pii=c.pii,
                description=c.description,
            )
            for c in product.schema_
        ],
        load=load_policy(product),
        partition_by=[p.spark_expr for p in product.load.partitions],
        pii_key_env=PII_KEY_ENV,
    )


def std_spec(product: DataProduct) -> dg.AssetSpec:
    """The asset spec of `std/<product>`, downstream of `raw/<product>`."""
    attributes = asset_attributes(product, LAYER, spec_part=("schema",))
    attributes["metadata"]["rejects_table"] = naming.rejects_table(product.name)
    changes = naming.changes_table(product.name, product.load.type)
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
        deps=[table_key(naming.RAW, product.name)],
        automation_condition=_EAGER,
        freshness_policy=freshness_policy(product),  # the spec's `freshness` rule, as Dagster tracks it
        **attributes,
    )


def standardize_assets(products: Iterable[DataProduct], settings: Settings) -> list[dg.AssetsDefinition]:
    """One multi-asset per tribe standardizing its supported landed products."""
    return [
        _tribe_assets(tribe, group, settings)
        for tribe, group in by_tribe(p for p in products if standardizable(p))
    ]


def _tribe_assets(tribe: str, products: list[DataProduct], settings: Settings) -> dg.AssetsDefinition:
    by_key = {table_key(LAYER, p.name): p for p in products}
    # One blocking check per asset whose metadata lists each audit: at thousands of products, a check
    # per audit quadruples what Dagster builds at load time.
    checks = [
        dg.AssetCheckSpec(
            naming.AUDITS_CHECK,
            asset=key,
            blocking=True,
            description="Write-audit-publish: "
            + ", ".join(load_policy(product).audit_names)
            + " must pass to publish.",
            metadata={CODE_REFERENCES: product_references(product, ("load",))},
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
        secrets = {PII_KEY_ENV: pii_key(settings)}
        yield from each_selected_asset(
            context,
            lambda key: spark.results(
                context, JOB, standardize_input(by_key[key], settings.namespace_prefix), secrets
            ),
            "standardizing",
        )

    return _standardize


def standardize_definitions(catalog: SpecCatalog, settings: Settings) -> dg.Definitions:
    """The std layer: one multi-asset per tribe, with its blocking audit checks."""
    return dg.Definitions(assets=standardize_assets(catalog.products, settings))
