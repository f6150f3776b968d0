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


def test_a_spark_step_gets_its_cpu_time_and_bytes_from_the_spark_ui(platform, spark, tmp_path: Path) -> None:
    """A real Spark job through the job runner: its Spark jobs carry the step's tag, and the UI's
    REST API gives their executor CPU time, so the record is measured, not just timed."""
    import uuid

    from tardis_dagster.resources import SparkJobRunner
    from tardis_dagster.settings import get_settings
    from tardis_dagster.specs import load_catalog
    from tardis_dagster.standardize.assets import standardize_assets

    name = f"telemetry_test_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.yaml").write_text(
        f"apiVersion: tardis/v1\nkind: DataProduct\nname: {name}\nversion: 1.0.0\n"
        "description: Telemetry test.\n"
        'owner: {tribe: operations, squad: menu, contact: "#menu"}\n'
        "source:\n  files: {uri: ./drops/, format: csv}\nload: {type: append}\n"
        "schema:\n  - {name: id, type: bigint}\n"
    )
    product = load_catalog([tmp_path]).by_name(name)
    spark.sql("create namespace if not exists raw")
    spark.sql(
        f"create table raw.{name} using iceberg as select cast(id as string) id, 'a.csv' _source_file, "
        "current_timestamp() _ingested_at from range(20000)"
    )
    settings = get_settings()
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            standardize_assets([product]),
            resources={"spark": SparkJobRunner(spark_remote=settings.spark_remote)},
            instance=instance,
        )
        assert result.success
        stats = instance.get_run_step_stats(result.run_id)
    records = telemetry.records_for_run(
        result.run_id,
        stats,
        telemetry.owners_by_asset([product]),
        compute_resource_id="spark-connect",
        spark_ui_url=settings.spark_ui_url,
    )
    assert records and {r.metrics_source for r in records} == {"spark_ui"}
    assert {r.data_product for r in records} == {name}
    assert sum(r.executor_cpu_seconds or 0 for r in records) > 0
    assert sum(r.bytes_written or 0 for r in records) > 0
