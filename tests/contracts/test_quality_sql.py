"""Quality rules as SQL text, their Dagster checks and freshness policies: no Spark needed."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dagster as dg
import pytest

from tardis_dagster.core.quality import (
    compile_rules,
    count_query_sample_sql,
    published_table,
    render_rule_sql,
    sql_literal,
)
from tardis_dagster.core.specs import DataProduct, SpecCatalog, load_catalog
from tardis_dagster.defs.quality.checks import check_spec, quality_checks, quality_input
from tardis_dagster.jobs.quality_checks import markdown_sample
from tardis_dagster.lib.attributes import published_key
from tardis_dagster.lib.freshness import freshness_policy

PRODUCT = """\
apiVersion: tardis/v1
kind: DataProduct
name: {name}
version: 1.0.0
description: Orders, for the quality rule tests.
owner: {{tribe: {tribe}, squad: checkout, contact: "#checkout-data"}}
source:
{source}
load: {{type: append}}
schema:
  - {{name: order_id, type: string, required: true}}
  - {{name: email, type: string, pii: true}}
  - {{name: status, type: string}}
  - {{name: qty, type: int}}
  - {{name: total, type: "decimal(10,2)"}}
  - {{name: placed_at, type: timestamp}}
  - {{name: order_date, type: date}}
quality:
{quality}
"""
FILES = "  files: {uri: ./drops/, format: csv}"


def _catalog(tmp_path: Path, *products: tuple[str, str, str, str]) -> SpecCatalog:
    for name, tribe, source, quality in products:
        (tmp_path / f"{name}.yaml").write_text(
            PRODUCT.format(name=name, tribe=tribe, source=source, quality=quality)
        )
    catalog = load_catalog([tmp_path])
    assert not catalog.problems, [str(p) for p in catalog.problems]
    return catalog


def _product(tmp_path: Path, quality: str, name: str = "orders") -> DataProduct:
    return _catalog(tmp_path, (name, "consumer", FILES, quality)).by_name(name)


def _only_rule(tmp_path: Path, quality: str):
    [rule] = compile_rules(_product(tmp_path, quality))
    return rule


def test_not_null_counts_and_samples_rows_with_any_null(tmp_path: Path) -> None:
    rule = _only_rule(tmp_path, "  - not_null: [order_id, placed_at]")
    where = "`order_id` IS NULL OR `placed_at` IS NULL"
    assert rule.name == "not_null_order_id_placed_at"
    assert (rule.measure, rule.severity) == ("rows", "ERROR")
    assert rule.check_sql == f"SELECT COUNT(*) AS failing_rows FROM `std`.`orders` WHERE {where}"
    assert rule.sample_sql == f"SELECT * FROM `std`.`orders` WHERE {where} LIMIT 10"


def test_unique_counts_every_row_of_a_duplicated_key_and_ignores_null_keys(tmp_path: Path) -> None:
    rule = _only_rule(tmp_path, "  - unique: [order_id, status]")
    assert rule.check_sql == (
        "SELECT COALESCE(SUM(key_rows), 0) AS failing_rows FROM (SELECT COUNT(*) AS key_rows "
        "FROM `std`.`orders` WHERE `order_id` IS NOT NULL AND `status` IS NOT NULL "
        "GROUP BY `order_id`, `status` HAVING COUNT(*) > 1) AS duplicated"
    )
    assert rule.sample_sql is not None
    assert "COUNT(*) OVER (PARTITION BY `order_id`, `status`) AS _rows_with_key" in rule.sample_sql
    assert rule.sample_sql.endswith("WHERE _rows_with_key > 1 ORDER BY `order_id`, `status` LIMIT 10")


def test_accepted_values_escapes_literals_and_lets_nulls_pass(tmp_path: Path) -> None:
    rule = _only_rule(
        tmp_path, "  - accepted_values: {column: status, values: [paid, \"it's\", 'a\\b', 1, true]}"
    )
    assert rule.check_sql == (
        "SELECT COUNT(*) AS failing_rows FROM `std`.`orders` WHERE `status` IS NOT NULL AND "
        "`status` NOT IN ('paid', 'it\\'s', 'a\\\\b', '1', 'true')"
    )


def test_accepted_values_on_a_number_column_compares_numbers(tmp_path: Path) -> None:
    rule = _only_rule(tmp_path, "  - accepted_values: {column: qty, values: [1, 2, 3]}")
    assert rule.check_sql.endswith("WHERE `qty` IS NOT NULL AND `qty` NOT IN (1, 2, 3)")


def test_range_with_one_or_both_bounds(tmp_path: Path) -> None:
    product = _product(
        tmp_path,
        "  - range: {column: total, min: 0}\n  - range: {column: qty, min: 1, max: 9.5}\n    severity: warn",
    )
    low, both = compile_rules(product)
    assert low.check_sql.endswith("WHERE `total` IS NOT NULL AND (`total` < 0)")
    assert both.check_sql.endswith("WHERE `qty` IS NOT NULL AND (`qty` < 1 OR `qty` > 9.5)")
    assert both.severity == "WARN"


def test_row_count_is_an_aggregate_with_its_bounds(tmp_path: Path) -> None:
    rule = _only_rule(tmp_path, "  - row_count: {min: 1, max: 1000}")
    assert (rule.measure, rule.sample_sql) == ("aggregate", None)
    assert rule.check_sql == (
        "SELECT COUNT(*) AS row_count, (COUNT(*) >= 1 AND COUNT(*) <= 1000) AS passed FROM `std`.`orders`"
    )


def test_freshness_measures_the_newest_value_and_dates_count_to_the_end_of_their_day(tmp_path: Path) -> None:
    product = _product(
        tmp_path,
        "  - freshness: {column: placed_at, max_age: 2h}\n  - freshness: {column: order_date, max_age: 1d}",
    )
    stamp, day = compile_rules(product)
    assert stamp.measure == "aggregate"
    assert (
        "unix_timestamp(current_timestamp()) - unix_timestamp(MAX(`placed_at`)) AS age_seconds"
        in stamp.check_sql
    )
    assert "CAST(7200 AS BIGINT) AS max_age_seconds" in stamp.check_sql
    assert "COALESCE(age_seconds <= max_age_seconds, FALSE) AS passed" in stamp.check_sql
    assert "unix_timestamp(date_add(MAX(`order_date`), 1)) AS age_seconds" in day.check_sql


def test_sql_rule_renders_this_and_products_and_samples_a_count_query(tmp_path: Path) -> None:
    catalog = _catalog(
        tmp_path,
        (
            "orders",
            "consumer",
            FILES,
            "  - sql: \"select count(*) from {{ this }} o left anti join {{ product('order_totals') }} t "
            'using (order_id) -- {# why #} orphans"\n    name: no_orphans\n    severity: warn',
        ),
        (
            "order_totals",
            "finance",
            "  sql: \"select * from {{ product('orders') }}\"",
            "  - row_count: {min: 0}",
        ),
    )
    [rule] = quality_input(catalog.by_name("orders"), catalog).rules
    assert rule.measure == "query"
    assert rule.check_sql == (
        "select count(*) from `std`.`orders` o left anti join `mart`.`order_totals` t using (order_id) -- "
        " orphans"
    )
    assert rule.sample_sql == (
        "SELECT * FROM (SELECT * FROM `std`.`orders` o left anti join `mart`.`order_totals` t "
        "using (order_id) --  orphans\n) AS failing LIMIT 10"
    )


def test_only_count_star_queries_get_a_derived_sample() -> None:
    assert count_query_sample_sql("SELECT COUNT(1) AS n FROM t WHERE x") == (
        "SELECT * FROM (SELECT * FROM t WHERE x\n) AS failing LIMIT 10"
    )
    assert count_query_sample_sql("select sum(x) from t") is None
    assert count_query_sample_sql("select * from t where x > 1") is None
    assert render_rule_sql("select 1 from {{this}}", "std.a") == "select 1 from `std`.`a`"


def test_literals_are_typed_and_escaped() -> None:
    assert sql_literal(0.0) == "0"
    assert sql_literal(-2.5) == "-2.5"
    assert sql_literal(False) == "FALSE"
    assert sql_literal("o'k\\") == "'o\\'k\\\\'"
    with pytest.raises(ValueError, match="inf"):
        sql_literal(float("inf"))


def test_sql_products_publish_to_mart_and_landed_ones_to_std(tmp_path: Path) -> None:
    catalog = _catalog(
        tmp_path,
        ("orders", "consumer", FILES, "  - row_count: {min: 1}"),
        (
            "order_totals",
            "finance",
            "  sql: \"select * from {{ product('orders') }}\"",
            "  - row_count: {min: 1}",
        ),
    )
    assert published_table(catalog.by_name("orders")) == "std.orders"
    assert published_key(catalog.by_name("order_totals")) == dg.AssetKey(["mart", "order_totals"])


def test_checks_are_one_multi_check_per_tribe_targeting_published_assets(tmp_path: Path) -> None:
    catalog = _catalog(
        tmp_path,
        ("orders", "consumer", FILES, "  - row_count: {min: 1}\n  - unique: [order_id]\n    severity: warn"),
        (
            "order_totals",
            "finance",
            "  sql: \"select * from {{ product('orders') }}\"",
            "  - row_count: {min: 1}",
        ),
    )
    checks = quality_checks(catalog)
    assert [c.node_def.name for c in checks] == ["quality_consumer", "quality_finance"]
    specs = {f"{s.asset_key.to_user_string()}:{s.name}": s for c in checks for s in c.check_specs}
    assert set(specs) == {"std/orders:row_count", "std/orders:unique_order_id", "mart/order_totals:row_count"}
    assert specs["std/orders:row_count"].blocking  # error severity blocks downstream assets
    assert not specs["std/orders:unique_order_id"].blocking
    assert specs["std/orders:row_count"].description == "Row count at least 1."
    # Only checks whose published asset exists in the code location.
    only_std = quality_checks(catalog, {dg.AssetKey(["std", "orders"])})
    assert [s.asset_key for c in only_std for s in c.check_specs] == [dg.AssetKey(["std", "orders"])] * 2


def test_extras_carry_pii_columns_and_only_the_selected_rules(tmp_path: Path) -> None:
    catalog = _catalog(
        tmp_path, ("orders", "consumer", FILES, "  - row_count: {min: 1}\n  - not_null: [email]")
    )
    job = quality_input(catalog.by_name("orders"), catalog, {"not_null_email"})
    assert job.table == "std.orders"
    assert job.asset_key == "std/orders"
    assert job.pii_columns == ["email"]
    assert [r.name for r in job.rules] == ["not_null_email"]


def test_a_check_spec_names_its_rule(tmp_path: Path) -> None:
    product = _product(
        tmp_path, "  - range: {column: qty, max: 5}\n    description: Nobody orders more than 5."
    )
    spec = check_spec(product, product.quality[0])
    assert (spec.name, spec.description, spec.metadata["rule"]) == (
        "range_qty",
        "Nobody orders more than 5.",
        "range",
    )


def test_sample_masks_pii_values_but_not_nulls() -> None:
    table = markdown_sample(
        ["order_id", "email", "note"], [("o1", "abc123", "a|b"), ("o2", None, None)], {"email"}
    )
    assert table.splitlines() == [
        "| order_id | email | note |",
        "|---|---|---|",
        "| o1 | *** | a\\|b |",
        "| o2 | null | null |",
    ]


@pytest.mark.parametrize(
    ("quality", "expected"),
    [
        ("  - freshness: {column: placed_at, max_age: 2h}", (timedelta(hours=2), None)),
        (
            "  - freshness: {column: placed_at, max_age: 2h}\n"
            "  - freshness: {column: placed_at, max_age: 30m}\n    severity: warn\n    name: fresh_warn",
            (timedelta(hours=2), timedelta(minutes=30)),
        ),
        ("  - freshness: {column: placed_at, max_age: 2h}\n    severity: warn", None),
        ("  - freshness: {column: placed_at, max_age: 30s}", None),
        ("  - row_count: {min: 1}", None),
    ],
)
def test_freshness_policy_from_error_rules(tmp_path: Path, quality: str, expected) -> None:
    policy = freshness_policy(_product(tmp_path, quality))
    if expected is None:
        assert policy is None
    else:
        assert isinstance(policy, dg.FreshnessPolicy)
        fail, warn = expected
        assert policy.fail_window.to_timedelta() == fail
        assert (policy.warn_window.to_timedelta() if policy.warn_window else None) == warn
