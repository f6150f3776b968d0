"""Telemetry from a real Dagster run: a record per step with asset and owner, in the product's shape,
written by the run-status sensors into the `platform_telemetry` folder for every finished run."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest

from tardis_dagster.core.settings import get_settings
from tardis_dagster.core.specs import DataProduct, SpecCatalog, load_catalog
from tardis_dagster.defs.cost import telemetry
from tardis_dagster.defs.cost.assets import TELEMETRY_PRODUCT, telemetry_sensors
from tardis_dagster.defs.resources import SparkJobRunner
from tardis_dagster.defs.standardize.assets import standardize_assets


def test_spark_job_tags_carry_run_and_step() -> None:
    tag = telemetry.spark_job_tag("run-1", "standardize_recipes")
    assert tag == "tardis-run-1-standardize_recipes" and "," not in tag


@dataclass
class SensedRun:
    """A finished run in a Dagster instance, and the telemetry its run-status sensor wrote."""

    result: dg.ExecuteInProcessResult
    step_keys: set[str]
    path: Path
    records: list[dict]


def _sense(instance, result, catalog: SpecCatalog, status: str) -> SensedRun:
    """Evaluate the platform's `cost_telemetry_on_<status>` sensor on a finished run of `instance`."""
    (sensor,) = [
        s for s in telemetry_sensors(catalog, get_settings()) if s.name == f"cost_telemetry_on_{status}"
    ]
    event = result.get_run_success_event() if status == "success" else result.get_run_failure_event()
    context = dg.build_run_status_sensor_context(
        sensor_name=sensor.name,
        dagster_event=event,
        dagster_instance=instance,
        dagster_run=result.dagster_run,
    )
    outcome = sensor(context)
    folder = Path(catalog.by_name(TELEMETRY_PRODUCT).files_location())
    path = folder / f"run-{result.run_id}.json"
    assert isinstance(outcome, dg.SkipReason) and str(path) in outcome.skip_message
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    step_keys = {s.step_key for s in instance.get_run_step_stats(result.run_id)}
    return SensedRun(result, step_keys, path, records)


@pytest.fixture(scope="module")
def sensed_catalog(catalog, tmp_path_factory) -> SpecCatalog:
    """A temporary files product on its own raw table, and `platform_telemetry` landing from a temp folder."""
    root = tmp_path_factory.mktemp("telemetry_specs")
    name = f"telemetry_test_{uuid.uuid4().hex[:8]}"
    (root / f"{name}.yaml").write_text(
        f"apiVersion: tardis/v1\nkind: DataProduct\nname: {name}\nversion: 1.0.0\n"
        "description: Telemetry test.\n"
        'owner: {tribe: operations, squad: menu, contact: "#menu"}\n'
        "source:\n  files: {uri: ./drops/, format: csv}\nload: {type: append}\n"
        "schema:\n  - {name: id, type: bigint}\n"
    )
    (product,) = load_catalog([root]).products
    sink: DataProduct = catalog.by_name(TELEMETRY_PRODUCT).model_copy(deep=True)
    sink.spec_path = catalog.by_name(TELEMETRY_PRODUCT).spec_path  # private: model_copy does not carry it
    sink.source.files.uri = str(root / "platform_telemetry")
    return SpecCatalog(products=[product, sink], model=None, problems=[])


@pytest.fixture(scope="module")
def product(sensed_catalog) -> DataProduct:
    """The temporary product whose asset the runs materialize."""
    return next(p for p in sensed_catalog.products if p.name != TELEMETRY_PRODUCT)


@pytest.fixture(scope="module")
def spark_run(spark, sensed_catalog, product) -> Iterator[SensedRun]:
    """A real Spark job through the job runner (standardize of a 20,000-row raw table), then the sensor."""
    spark.sql("create namespace if not exists raw")
    spark.sql(
        f"create table raw.{product.name} using iceberg as select cast(id as string) id, "
        "'a.csv' _source_file, current_timestamp() _ingested_at from range(20000)"
    )
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            standardize_assets([product], get_settings()),
            resources={"spark": SparkJobRunner(spark_remote=get_settings().spark_remote)},
            instance=instance,
        )
        assert result.success
        yield _sense(instance, result, sensed_catalog, "success")


@pytest.mark.platform
def test_the_success_sensor_writes_every_step_of_a_run_into_platform_telemetry(
    spark_run, sensed_catalog, product, cost_products
) -> None:
    assert spark_run.path.parent == Path(sensed_catalog.by_name(TELEMETRY_PRODUCT).files_location())
    assert spark_run.records and {r["run_id"] for r in spark_run.records} == {spark_run.result.run_id}
    assert {r["step_key"] for r in spark_run.records} == spark_run.step_keys
    assert {(r["asset_key"], r["data_product"], r["tribe"], r["squad"]) for r in spark_run.records} == {
        (f"std/{product.name}", product.name, "operations", "menu")
    }
    contract = cost_products["platform_telemetry"].schema_
    for record in spark_run.records:  # lands as platform_telemetry without renaming
        assert set(record) <= {c.name for c in contract}
        assert all(record[c.name] is not None for c in contract if c.required)


@pytest.mark.platform
def test_a_spark_step_gets_its_cpu_time_and_bytes_from_the_spark_ui(spark_run) -> None:
    """The step's Spark jobs carry its tag, and the UI's REST API gives their executor CPU time, so
    the records the sensor writes are measured, not just timed."""
    records = spark_run.records
    assert {r["metrics_source"] for r in records} == {"spark_ui"}
    assert sum(r["executor_cpu_seconds"] or 0 for r in records) > 0
    assert sum(r["bytes_written"] or 0 for r in records) > 0


def test_the_failure_sensor_writes_a_failed_runs_steps_too(sensed_catalog, product) -> None:

    @dg.asset(key=dg.AssetKey(["std", product.name]))
    def broken() -> None:
        raise RuntimeError("this step fails")

    with dg.instance_for_test() as instance:
        result = dg.materialize([broken], instance=instance, raise_on_error=False)
        assert not result.success
        sensed = _sense(instance, result, sensed_catalog, "failure")
    (record,) = sensed.records
    assert record["step_key"] in sensed.step_keys and record["metrics_source"] == "dagster"
    assert record["duration_seconds"] >= 0
    # It materialized nothing, but its compute was spent on the asset it was planned to materialize.
    assert (record["asset_key"], record["data_product"], record["tribe"], record["squad"]) == (
        f"std/{product.name}",
        product.name,
        "operations",
        "menu",
    )
