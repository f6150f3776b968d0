"""Streaming mode: the same landing code as a long-running query, reporting to Dagster as it goes."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import dagster as dg
import pytest
from kafka_helpers import product_on_fresh_topic

from tardis_dagster.core.settings import get_settings
from tardis_dagster.tooling import streaming
from tardis_dagster.tooling.demo import kafka as demo_kafka

pytestmark = pytest.mark.platform


def test_stream_lands_records_as_they_arrive_and_reports_each_interval(tmp_path: Path, spark) -> None:
    product = product_on_fresh_topic(tmp_path, "order_events")
    bootstrap = get_settings().kafka_bootstrap
    (first,) = demo_kafka.produce([product], bootstrap, count=50, malformed_share=0.0, seed=11)
    instance = dg.DagsterInstance.ephemeral()
    key = streaming.asset_key(product)
    reports: list[streaming.StreamReport] = []

    def produce_later() -> None:
        time.sleep(25)  # while the stream runs
        demo_kafka.produce([product], bootstrap, count=30, malformed_share=0.0, seed=12)

    producer = threading.Thread(target=produce_later)
    producer.start()
    streaming.stream(
        product,
        get_settings(),
        streaming.report_to_instance(instance, key),
        trigger_seconds=2,
        report_seconds=10,
        max_seconds=60,
        on_report=reports.append,
    )
    producer.join()

    assert spark.table(f"raw.{product.name}").count() == first.produced + 30
    assert sum(r.records for r in reports) == first.produced + 30  # each record reported in one interval
    assert reports[-1].lag == 0
    # Dagster saw the asset materialize during the stream, with offsets in the metadata.
    events = instance.fetch_materializations(key, limit=100).records
    assert len(events) == len(reports) >= 3
    latest = events[0].asset_materialization
    assert sum(latest.metadata["end_offsets"].value.values()) == first.produced + 30
