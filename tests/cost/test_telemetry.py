"""Telemetry from a real Dagster run: a record per step with asset and owner, in the product's shape."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg

from tardis_dagster.cost import telemetry


def test_a_finished_run_becomes_telemetry_records(cost_products, tmp_path: Path) -> None:
    @dg.asset(key=dg.AssetKey(["std", "recipes"]))
    def recipes() -> None:
        return None

    with dg.instance_for_test() as instance:
        result = dg.materialize([recipes], instance=instance)
        assert result.success
        stats = instance.get_run_step_stats(result.run_id)
    owners = {"std/recipes": ("recipes", "operations", "menu")}
    records = telemetry.records_for_run(
        result.run_id, stats, owners, compute_resource_id="spark-connect:15002"
    )
    assert len(records) == 1
    (record,) = records
    assert (record.asset_key, record.data_product, record.tribe, record.squad) == (
        "std/recipes",
        "recipes",
        "operations",
        "menu",
    )
    assert record.metrics_source == "dagster" and record.duration_seconds >= 0

    path = telemetry.write_records(records, tmp_path, result.run_id)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    contract = {c.name for c in cost_products["platform_telemetry"].schema_}
    assert set(lines[0]) <= contract  # lands as platform_telemetry without renaming
    assert {c.name for c in cost_products["platform_telemetry"].schema_ if c.required} <= set(lines[0])


def test_spark_job_tags_carry_run_and_step() -> None:
    tag = telemetry.spark_job_tag("run-1", "standardize_recipes")
    assert tag == "tardis-run-1-standardize_recipes" and "," not in tag
