"""Post-publish quality checks on the real platform: every rule type on real Iceberg tables through
the real Spark job runner, failing on crafted bad data with a PII-masked sample, passing on clean data."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
from spec_builder import product_yaml

from tardis_dagster.core.quality import published_table
from tardis_dagster.core.settings import get_settings
from tardis_dagster.core.specs import SpecCatalog, load_catalog
from tardis_dagster.defs.quality.checks import quality_checks
from tardis_dagster.defs.resources import SparkJobRunner
from tardis_dagster.lib.attributes import published_key

pytestmark = pytest.mark.platform

SCHEMA = """\
{name: order_id, type: string}
{name: email, type: string, pii: true}
{name: status, type: string}
{name: qty, type: int}
{name: total, type: "decimal(10,2)"}
{name: placed_at, type: timestamp}
"""
QUALITY = """\
  - row_count: {min: 1, max: 3}
  - freshness: {column: placed_at, max_age: 1h}
    severity: warn
  - not_null: [order_id, email]
  - unique: [order_id]
  - accepted_values: {column: status, values: [placed, paid]}
  - range: {column: total, min: 0}
    severity: warn
  - sql: "select count(*) from {{ this }} where qty > 100"
    name: no_bulk_orders
"""
COLUMNS = "order_id string, email string, status string, qty int, total decimal(10,2), placed_at timestamp"
# One crafted defect per row; email holds (stand-in) HMAC hashes, which samples must still mask.
BAD_ROWS = [
    "('o1', 'hash_e1', 'placed', 1, 10.00, timestamp'2020-01-01 10:00:00')",
    "('o1', 'hash_e2', 'paid', 2, 20.00, timestamp'2020-01-01 11:00:00')",  # duplicate order_id
    "(null, 'hash_e3', 'paid', 1, 5.00, timestamp'2020-01-01 12:00:00')",  # null order_id
    "('o4', 'hash_e4', 'lost', 1, 5.00, timestamp'2020-01-01 13:00:00')",  # status not accepted
    "('o5', 'hash_e5', 'paid', 1, -5.00, timestamp'2020-01-01 14:00:00')",  # negative total
    "('o6', 'hash_e6', 'paid', 500, 5.00, timestamp'2020-01-01 15:00:00')",  # bulk order (sql rule)
]
GOOD_ROWS = [
    "('o1', 'hash_e1', 'placed', 1, 10.00, current_timestamp())",
    "('o2', 'hash_e2', 'paid', 2, 20.00, current_timestamp() - interval 10 minutes)",
    "('o3', 'hash_e3', null, null, null, null)",  # nulls where the rules allow them
]
BROKEN_SQL = '  - sql: "select count(*) from {{ this }} where no_such_column > 1"\n    name: broken_sql\n'


@pytest.fixture
def catalog(tmp_path: Path, spark) -> Iterator[SpecCatalog]:
    """Three products: crafted bad data, clean data, and one whose table was never published."""
    suffix = uuid.uuid4().hex[:8]
    names = {kind: f"quality_test_{kind}_{suffix}" for kind in ("bad", "good", "missing")}
    for kind, name in names.items():
        extra = BROKEN_SQL if kind == "bad" else ""
        text = product_yaml(
            name,
            description="Orders, for the post-publish quality check test.",
            owner="quality/contracts/#contracts",
            source="files: {uri: ./drops/, format: csv}",
            schema=SCHEMA,
            quality=QUALITY + extra,
        )
        (tmp_path / f"{name}.yaml").write_text(text)
    loaded = load_catalog([tmp_path])
    assert not loaded.problems, [str(p) for p in loaded.problems]
    spark.sql("CREATE NAMESPACE IF NOT EXISTS std")
    tables = [published_table(loaded.by_name(names[kind])) for kind in ("bad", "good")]
    for table, rows in zip(tables, (BAD_ROWS, GOOD_ROWS), strict=True):
        spark.sql(f"CREATE TABLE {table} ({COLUMNS}) USING iceberg")
        spark.sql(f"INSERT INTO {table} VALUES {', '.join(rows)}")
    yield loaded
    for table in tables:
        spark.sql(f"DROP TABLE IF EXISTS {table} PURGE")


def _run_checks(catalog: SpecCatalog, selection: dg.AssetSelection) -> dg.ExecuteInProcessResult:
    """Execute quality checks only (the published tables already exist) with the real runner."""
    return dg.materialize(
        [*quality_checks(catalog), *(dg.AssetSpec(published_key(p)) for p in catalog.products)],
        selection=selection,
        resources={"spark": SparkJobRunner(spark_remote=get_settings().spark_remote)},
        raise_on_error=False,
    )


def _by_product(result: dg.ExecuteInProcessResult) -> dict[str, dict[str, dg.AssetCheckEvaluation]]:
    found: dict[str, dict[str, dg.AssetCheckEvaluation]] = {}
    for evaluation in result.get_asset_check_evaluations():
        product = evaluation.asset_key.path[-1].split("_")[2]
        found.setdefault(product, {})[evaluation.check_name] = evaluation
    return found


def _value(evaluation: dg.AssetCheckEvaluation, key: str):
    return evaluation.metadata[key].value


def test_quality_checks_fail_on_bad_data_with_masked_samples_and_pass_on_clean_data(catalog) -> None:
    result = _run_checks(catalog, dg.AssetSelection.all_asset_checks())
    # Failed blocking (error-severity) checks fail the step, so downstream assets of a run do not start.
    [failure] = result.get_step_failure_events()
    assert failure.step_failure_data.error.cls_name == "DagsterAssetCheckFailedError"
    checks = _by_product(result)
    bad, good, missing = checks["bad"], checks["good"], checks["missing"]
    rules = {
        "row_count",
        "freshness_placed_at",
        "not_null_order_id_email",
        "unique_order_id",
        "accepted_values_status",
        "range_total",
        "no_bulk_orders",
    }
    assert set(bad) == rules | {"broken_sql"}
    assert set(good) == rules and set(missing) == rules

    # Every rule fails on the crafted bad data, with the rule's severity.
    assert not any(e.passed for e in bad.values())
    severities = {name: e.severity for name, e in bad.items()}
    assert severities.pop("freshness_placed_at") == dg.AssetCheckSeverity.WARN
    assert severities.pop("range_total") == dg.AssetCheckSeverity.WARN
    assert set(severities.values()) == {dg.AssetCheckSeverity.ERROR}

    # Row rules: the failing rows are counted and sampled, PII masked.
    expected_failing = {
        "not_null_order_id_email": 1,
        "unique_order_id": 2,
        "accepted_values_status": 1,
        "range_total": 1,
        "no_bulk_orders": 1,
    }
    for name, count in expected_failing.items():
        evaluation = bad[name]
        assert _value(evaluation, "failing_rows") == count, name
        assert _value(evaluation, "total_rows") == 6, name
        sample = _value(evaluation, "sample")
        lines = sample.splitlines()
        assert lines[0] == "| order_id | email | status | qty | total | placed_at |" + (
            " _rows_with_key |" if name == "unique_order_id" else ""
        ), name
        assert len(lines) == 2 + count, name
        assert "hash_e" not in sample and "| *** |" in sample, name
        assert "```sql" in _value(evaluation, "sql"), name
    assert "| o4 | *** | lost |" in _value(bad["accepted_values_status"], "sample")
    assert "| null | *** | paid |" in _value(bad["not_null_order_id_email"], "sample")
    assert "| 2 |" in _value(bad["unique_order_id"], "sample")  # rows sharing the key
    assert "| -5.00 |" in _value(bad["range_total"], "sample")
    assert "| 500 |" in _value(bad["no_bulk_orders"], "sample")

    # Aggregates report what they observed.
    assert _value(bad["row_count"], "row_count") == 6
    assert _value(bad["freshness_placed_at"], "age_seconds") > 3600
    assert _value(bad["freshness_placed_at"], "newest").startswith("2020-01-01T15:00:00")

    # A rule whose SQL cannot run fails with the error, the others are unaffected.
    assert "no_such_column" in _value(bad["broken_sql"], "error")

    # Clean data passes every rule, nulls allowed where the rules allow them.
    assert all(e.passed for e in good.values()), {n: e.metadata for n, e in good.items() if not e.passed}
    assert _value(good["unique_order_id"], "failing_rows") == 0
    assert "sample" not in good["unique_order_id"].metadata
    assert _value(good["row_count"], "row_count") == 3
    assert _value(good["freshness_placed_at"], "age_seconds") < 3600

    # A product whose table was never published fails every rule, saying why.
    assert not any(e.passed for e in missing.values())
    assert "does not exist" in _value(missing["row_count"], "error")


def test_a_subset_runs_only_the_selected_rules_and_warnings_do_not_fail_the_run(catalog) -> None:
    bad = next(p for p in catalog.products if "_bad_" in p.name)
    key = published_key(bad)
    result = _run_checks(
        catalog,
        dg.AssetSelection.checks(
            dg.AssetCheckKey(key, "range_total"), dg.AssetCheckKey(key, "freshness_placed_at")
        ),
    )
    assert result.success  # failed warn-severity checks alert but do not block
    found = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert set(found) == {"range_total", "freshness_placed_at"}
    assert not found["range_total"].passed and found["range_total"].metadata["failing_rows"].value == 1


def test_clean_data_passes_and_the_run_succeeds(catalog) -> None:
    good = next(p for p in catalog.products if "_good_" in p.name)
    result = _run_checks(catalog, dg.AssetSelection.checks_for_assets(published_key(good)))
    assert result.success
    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) == 7 and all(e.passed for e in evaluations)


# --- Hostile SQL and PII by lineage (issue 18) -------------------------------------------------------

CLEAR_EMAILS = ["alice@example.com", "bob@example.com"]
HASHED = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"  # a stand-in HMAC
PII_QUALITY = """\
  - sql: >-
      select email as contact, lower(email) as lowered, concat('<', hashed, '>') as wrapped, qty
      from {{ this }} where qty > 100
    name: bulk_contacts
  - sql: >-
      select a.order_id, b.email as other from {{ this }} a join {{ this }} b
      on a.order_id <> b.order_id where a.qty > 100
    name: bulk_pairs
  - sql: "select max(length(email)) from {{ this }}"
    name: longest_email
  - sql: "select count(*) from {{ this }} where cast(email as int) > 0"
    name: numeric_emails
"""


def test_a_check_selecting_pii_under_another_name_leaks_nothing_into_metadata_or_alerts(
    tmp_path: Path, spark
) -> None:
    from tardis_dagster.defs.alerts.message import make_alert
    from tardis_dagster.defs.alerts.sensors import describe_evaluation

    name = f"quality_test_pii_{uuid.uuid4().hex[:8]}"
    schema = SCHEMA + "{name: hashed, type: string, pii: true}\n"
    text = product_yaml(
        name,
        description="Orders with clear emails, for the PII lineage test.",
        owner="quality/contracts/#contracts",
        source="files: {uri: ./drops/, format: csv}",
        schema=schema,
        quality=PII_QUALITY,
    )
    (tmp_path / f"{name}.yaml").write_text(text)
    catalog = load_catalog([tmp_path])
    assert not catalog.problems, [str(p) for p in catalog.problems]
    product = catalog.by_name(name)
    table = published_table(product)
    spark.sql("CREATE NAMESPACE IF NOT EXISTS std")
    spark.sql(f"CREATE TABLE {table} ({COLUMNS}, hashed string) USING iceberg")
    rows = [
        f"('o{i}', '{email}', 'paid', 500, 5.00, current_timestamp(), '{HASHED}')"
        for i, email in enumerate(CLEAR_EMAILS)
    ]
    spark.sql(f"INSERT INTO {table} VALUES {', '.join(rows)}")
    try:
        result = _run_checks(catalog, dg.AssetSelection.checks_for_assets(published_key(product)))
    finally:
        spark.sql(f"DROP TABLE IF EXISTS {table} PURGE")
    found = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert set(found) == {"bulk_contacts", "bulk_pairs", "longest_email", "numeric_emails"}
    assert not any(e.passed for e in found.values())

    contacts = _value(found["bulk_contacts"], "sample").splitlines()
    assert contacts[0] == "| contact | lowered | wrapped | qty |"
    assert contacts[2:] == ["| *** | *** | *** | 500 |"] * 2  # qty derives from no PII: shown
    assert _value(found["bulk_pairs"], "sample").splitlines()[2] in ("| o0 | *** |", "| o1 | *** |")
    assert _value(found["longest_email"], "value") == "*** (derived from a PII column)"
    assert "failing_rows" not in found["longest_email"].metadata  # the count would be the length
    assert "CAST" in _value(found["numeric_emails"], "error")  # Spark's error, its quoted value scrubbed

    for evaluation in found.values():
        alert = make_alert(
            "failure",
            "incident",
            "check",
            product,
            published_key(product).path,
            "http://dagster/assets",
            check=evaluation.check_name,
            value=describe_evaluation(evaluation),
        )
        shown = [alert.text(), str(alert.as_json()), *(str(v.value) for v in evaluation.metadata.values())]
        for text in shown:
            assert not any(email in text for email in CLEAR_EMAILS), text
            assert "@example.com" not in text and HASHED not in text, text


def _row_set(spark, table: str) -> list[tuple]:
    return sorted(tuple(r) for r in spark.sql(f"SELECT * FROM {table}").collect())


def test_the_quality_job_refuses_sql_that_would_change_a_table(spark) -> None:
    # The validator refuses such SQL (tests/specs/test_sql_guard.py); here the job gets it anyway,
    # as if from a tampered or older input, and must neither run it nor pass.
    from tardis_dagster.core.jobs_io import QualityChecksInput, RuleSQL
    from tardis_dagster.jobs.quality_checks import run_checks

    table = f"std.quality_test_dml_{uuid.uuid4().hex[:8]}"
    other = f"{table}_other"
    spark.sql("CREATE NAMESPACE IF NOT EXISTS std")
    for name in (table, other):
        spark.sql(f"CREATE TABLE {name} (order_id string, email string) USING iceberg")
        spark.sql(f"INSERT INTO {name} VALUES ('o1', 'a@example.com'), ('o2', 'b@example.com')")
    hostile = {
        "cte_delete": f"with x as (select 1) delete from {table} where order_id = 'o1'",
        "delete": f"delete from {table}",
        "insert": f"insert into {table} select * from {table}",
        "merge": f"merge into {table} t using {table} s on t.order_id = s.order_id when matched then delete",
        "update": f"update {table} set email = null",
        "truncate": f"truncate table {table}",
        "drop": f"drop table {other}",
        "two_statements": f"select count(*) from {table}; delete from {table}",
        "raw": "select count(*) from raw.anything",
        "not_allowed_table": f"select count(*) from {other}",
    }
    rules = [
        RuleSQL(name, "sql", "ERROR", "query", sql, None, "hostile") for name, sql in hostile.items()
    ] + [
        # A failing rows rule whose sample query is the hostile part.
        RuleSQL(
            "sample_delete",
            "not_null",
            "ERROR",
            "rows",
            f"select count(*) as failing_rows from {table}",
            f"delete from {table}",
            "x",
        )
    ]
    job = QualityChecksInput(table=table, asset_key="std/x", rules=rules, pii_columns=["email"])
    before, before_other = _row_set(spark, table), _row_set(spark, other)
    try:
        results = {r.name: r for r in run_checks(spark, job)}
        # The second layer alone: a user's query runs as a subquery, which Spark parses only as a query.
        for sql in (hostile["cte_delete"], hostile["drop"], hostile["two_statements"]):
            with pytest.raises(Exception, match="PARSE_SYNTAX_ERROR"):
                spark.sql(f"SELECT * FROM (\n{sql}\n) AS tardis_checked").collect()
        after, after_other = _row_set(spark, table), _row_set(spark, other)
    finally:
        for name in (table, other):
            spark.sql(f"DROP TABLE IF EXISTS {name} PURGE")
    assert (after, after_other) == (before, before_other)
    for name in hostile:
        assert not results[name].passed, name
        assert results[name].metadata["error"].value.startswith("refused, not run:"), name
    assert "DELETE is not allowed" in results["cte_delete"].metadata["error"].value
    # The count runs (and fails: 2 rows); its hostile sample is refused, not run.
    assert not results["sample_delete"].passed
    assert "refused, not run" in results["sample_delete"].metadata["sample"].value
