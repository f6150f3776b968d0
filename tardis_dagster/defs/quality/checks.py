"""Post-publish quality checks: each spec's `quality:` rules as Dagster asset checks on its published table.

One multi-asset check per tribe (as the std layer has one multi-asset per tribe); a run executes the
`quality_checks` Spark job once per selected product, which reports one result per rule. The checks
target the published asset: `std/<name>` for kafka/files products, `mart/<name>` for SQL products.
Rules with severity `error` are blocking: a failure stops downstream assets in the same run.

No `from __future__ import annotations` here: Dagster inspects the `context` annotation at runtime.
"""

from collections.abc import Collection, Iterator

import dagster as dg

from tardis_dagster.core import naming
from tardis_dagster.core.jobs_io import QualityChecksInput
from tardis_dagster.core.quality import compile_rules, describe_rule, published_table, read_tables
from tardis_dagster.core.specs import DataProduct, QualityRule, SpecCatalog
from tardis_dagster.lib.attributes import published_key
from tardis_dagster.lib.code_references import CODE_REFERENCES, product_references, rule_location
from tardis_dagster.lib.execution import by_tribe
from tardis_dagster.lib.spark_runner import SparkJobRunner

JOB = "quality_checks"
# Built once: conditions are immutable, and building one per check is slow at thousands of products.
_EAGER = dg.AutomationCondition.eager()


def check_spec(product: DataProduct, rule: QualityRule) -> dg.AssetCheckSpec:
    """The asset check of one rule on the product's published asset (run after each publish)."""
    return dg.AssetCheckSpec(
        rule.check_name,
        asset=published_key(product),
        description=rule.description or describe_rule(rule),
        blocking=rule.severity == "error",
        automation_condition=_EAGER,
        metadata={
            "rule": rule.kind,
            "severity": rule.severity,
            CODE_REFERENCES: product_references(product, rule_location(product, rule.check_name)),
        },
    )


def quality_input(
    product: DataProduct, catalog: SpecCatalog, names: Collection[str] | None = None, prefix: str = ""
) -> QualityChecksInput:
    """What the `quality_checks` Spark job needs: the table, the tables its rules may read with their
    PII columns (by lineage), and the compiled rules.

    `names` limits the rules to those check names (a subset selection); `prefix` is the namespace
    prefix of a `tardis test` run (settings).
    """

    def resolve(name: str) -> str:
        try:
            return published_table(catalog.by_name(name), prefix)
        except KeyError:  # validated specs name known products; otherwise the SQL fails, as a check
            return naming.std_table(name, prefix)

    def lookup(name: str) -> DataProduct | None:
        try:
            return catalog.by_name(name)
        except KeyError:
            return None

    rules = [r for r in compile_rules(product, resolve, prefix) if names is None or r.name in names]
    tables = read_tables(product, lookup, prefix)
    return QualityChecksInput(
        table=published_table(product, prefix),
        asset_key=published_key(product).to_escaped_user_string(),
        # The flagged columns and, for a SQL product, those its SQL derives from upstream PII.
        pii_columns=tables[published_table(product, prefix)],
        rules=rules,
        read_tables=tables,
    )


def quality_checks(
    catalog: SpecCatalog, published_keys: Collection[dg.AssetKey] | None = None, prefix: str = ""
) -> list[dg.AssetChecksDefinition]:
    """One multi-asset check per tribe over the products that have quality rules.

    `published_keys`, when given, are the asset keys defined in the code location: products whose
    published asset is not among them (e.g. a layer not built yet) get no checks, since a check must
    target a defined asset.
    """
    products = [
        p
        for p in catalog.products
        if p.quality and (published_keys is None or published_key(p) in published_keys)
    ]
    return [_tribe_checks(tribe, group, catalog, prefix) for tribe, group in by_tribe(products)]


def _tribe_checks(
    tribe: str, products: list[DataProduct], catalog: SpecCatalog, prefix: str = ""
) -> dg.AssetChecksDefinition:
    by_key = {published_key(p): p for p in products}
    specs = [check_spec(p, rule) for p in products for rule in p.quality]

    @dg.multi_asset_check(
        name=f"quality_{tribe}",
        specs=specs,
        can_subset=True,
        compute_kind="spark",
        description="Post-publish quality rules of the tribe's products, on their published tables.",
    )
    def _quality(
        context: dg.AssetCheckExecutionContext, spark: SparkJobRunner
    ) -> Iterator[dg.AssetCheckResult]:
        selected: dict[dg.AssetKey, set[str]] = {}
        for check_key in context.selected_asset_check_keys:
            selected.setdefault(check_key.asset_key, set()).add(check_key.name)
        failed: list[str] = []
        for key in sorted(selected, key=lambda k: k.to_user_string()):
            try:
                job_input = quality_input(by_key[key], catalog, selected[key], prefix)
                yield from spark.results(context.op_execution_context, JOB, job_input)
            except Exception as exc:  # the other products are still checked; the step fails below
                context.log.error(f"quality checks of {key.to_user_string()} failed to run: {exc}")
                failed.append(key.to_user_string())
        if failed:
            raise dg.Failure(description=f"quality checks failed to run for: {', '.join(failed)}")

    return _quality


def quality_definitions(
    catalog: SpecCatalog, published_keys: Collection[dg.AssetKey], prefix: str = ""
) -> dg.Definitions:
    """The post-publish quality checks of every product whose published asset is defined (on tables
    under `prefix`, settings' `namespace_prefix`)."""
    return dg.Definitions(asset_checks=quality_checks(catalog, published_keys, prefix))
