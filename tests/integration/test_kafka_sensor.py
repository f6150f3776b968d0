"""The Kafka sensor asks the broker for end offsets and requests runs only for topics with new records."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
from kafka_helpers import product_on_fresh_topic

from tardis_dagster.core.settings import get_settings
from tardis_dagster.defs.landing.kafka import (
    kafka_landing_assets,
    kafka_sensor,
    landing_job,
    topics_with_new_records,
)
from tardis_dagster.defs.resources import SparkJobRunner
from tardis_dagster.tooling.demo import kafka as demo_kafka

pytestmark = pytest.mark.platform


def test_topics_with_new_records_compares_every_partition() -> None:
    broker = {"a": {"0": 5, "1": 3}, "b": {"0": 2}, "c": {"0": 0}}
    landed = {"a": {"0": 5, "1": 2}, "b": {"0": 2}}
    assert topics_with_new_records(broker, landed) == {"a": {"0": 5, "1": 3}}


def test_sensor_requests_a_run_for_new_offsets_and_none_once_landed(tmp_path: Path, spark) -> None:
    product = product_on_fresh_topic(tmp_path, "order_events")
    key = dg.AssetKey(["raw", product.name])
    assets = kafka_landing_assets([product], get_settings())
    sensor = kafka_sensor([product], get_settings())
    assert sensor is not None
    defs = dg.Definitions(
        assets=assets,
        jobs=[landing_job(assets)],
        sensors=[sensor],
        resources={"spark": SparkJobRunner(spark_remote=get_settings().spark_remote)},
    )
    instance = dg.DagsterInstance.ephemeral()

    def evaluate() -> list[dg.RunRequest]:
        context = dg.build_sensor_context(instance=instance, definitions=defs)
        result = sensor(context)
        return list(result.run_requests) if isinstance(result, dg.SensorResult) else []

    assert evaluate() == []  # an empty topic: nothing to land
    demo_kafka.produce([product], get_settings().kafka_bootstrap, count=40, malformed_share=0.0)
    (request,) = evaluate()
    assert request.asset_selection == [key]
    assert evaluate()[0].run_key == request.run_key  # same offsets, same run key: Dagster dedupes

    result = defs.resolve_job_def("land_kafka_job").execute_in_process(
        instance=instance, asset_selection=[key]
    )
    assert result.success
    assert evaluate() == []  # everything landed
    demo_kafka.produce([product], get_settings().kafka_bootstrap, count=5, malformed_share=0.0, seed=9)
    (again,) = evaluate()
    assert again.run_key != request.run_key
