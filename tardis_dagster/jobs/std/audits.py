"""The blocking audits of write-audit-publish, run on the audit branch before anything is published.

The published table passed these audits when it was published, so only the keys a batch touches can
break key uniqueness: the key audits read those keys' rows on the branch, not the whole table.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812 - the PySpark convention

from tardis_dagster.core.jobs_io import AuditResult, ContractColumn, LoadPolicy, StandardizeInput
from tardis_dagster.jobs.std.evolution import normalized
from tardis_dagster.jobs.std.loads import HISTORY_COLUMNS, IS_CURRENT, VALID_FROM
from tardis_dagster.jobs.tables import quote


def contract_columns(spark: SparkSession, table: str) -> list[tuple[str, str]]:
    """The table's contract columns (name, type), without the platform's own and the history columns."""
    return [
        (f.name, f.dataType.simpleString())
        for f in spark.table(table).schema.fields
        if not f.name.startswith("_") and f.name not in HISTORY_COLUMNS
    ]


def run_audits(
    spark: SparkSession,
    job: StandardizeInput,
    branch: str,
    batch: DataFrame,
    rows: int,
    rejected: int,
    examples: tuple[tuple[str, str], ...] = (),
) -> list[AuditResult]:
    """Each audit's name, whether it passed, and a detail a person can act on (`LoadPolicy.audit_names`).

    `examples`: a few rejected records as (source id, reason), shown when too many were rejected.
    """
    table, load = job.table, job.load
    results = [_schema(spark, table, job.columns)]
    if load.key:
        key = [quote(k) for k in load.key]
        null_keys = batch.where(" OR ".join(f"{k} IS NULL" for k in key)).count()
        results.append(AuditResult("key_not_null", null_keys == 0, f"{null_keys} rows with a null key"))
        if load.type in ("upsert", "scd2", "full"):
            results.append(_key_unique(spark, table, branch, batch, load))
    share = rejected / (rows + rejected) if rows + rejected else 0.0
    threshold = float(load.reject_threshold)
    detail = f"{rejected} of {rows + rejected} rows rejected ({share:.2%}; threshold {threshold:.2%})"
    if share > threshold and examples:
        # The rows themselves, so the owner sees what to fix (reasons never quote a PII value).
        shown = "; ".join(f"{source}: {reason}" for source, reason in examples)
        detail += f"; e.g. {shown}; every one in {job.rejects_table}"
    results.append(AuditResult("reject_share", share <= threshold, detail))
    return results


def _schema(spark: SparkSession, table: str, columns: list[ContractColumn]) -> AuditResult:
    actual = dict(contract_columns(spark, table))
    expected = {c.name: normalized(c.type) for c in columns}
    differences = [
        f"{name}: published {actual.get(name, 'missing')}, contract {expected.get(name, 'missing')}"
        for name in sorted(set(actual) | set(expected))
        if actual.get(name) != expected.get(name)
    ]
    detail = "; ".join(differences) if differences else f"{len(expected)} columns match the contract"
    return AuditResult("contract_schema", not differences, detail)


def _key_unique(
    spark: SparkSession, table: str, branch: str, batch: DataFrame, load: LoadPolicy
) -> AuditResult:
    key = [quote(k) for k in load.key]
    on_branch = spark.sql(f"SELECT * FROM {table} VERSION AS OF '{branch}'")
    if load.type != "full":  # a full load's batch is the whole table
        on_branch = on_branch.join(batch.select(*key).distinct(), list(load.key), "left_semi")
    if load.type == "scd2":
        grouped = on_branch.groupBy(*key).agg(
            F.count("*").alias("versions"),
            F.countDistinct(VALID_FROM).alias("distinct_versions"),
            F.sum(F.col(IS_CURRENT).cast("int")).alias("current"),
        )
        broken = grouped.where("versions <> distinct_versions OR current <> 1").count()
        detail = f"{broken} keys with a repeated version or not exactly one current row"
    else:
        broken = on_branch.groupBy(*key).count().where("count > 1").count()
        detail = f"{broken} keys appear more than once"
    return AuditResult("key_unique", broken == 0, detail)


def nothing_new(load: LoadPolicy) -> list[AuditResult]:
    """The audits of a run with no new raw rows: the published table is unchanged, so all pass."""
    detail = "no new raw rows since the last run: the published table is unchanged"
    return [AuditResult(name, True, detail) for name in load.audit_names]
