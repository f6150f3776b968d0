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
