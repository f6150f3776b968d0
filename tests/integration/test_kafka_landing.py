"""Kafka landing on the real platform: broker, Spark's Kafka source, Iceberg, Dagster Pipes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import dagster as dg
import pytest
from kafka_helpers import consume_all, produce, product_on_fresh_topic

from tardis_dagster.core.naming import QUARANTINE_CHECK
from tardis_dagster.core.settings import get_settings
from tardis_dagster.defs.landing.kafka import kafka_landing_assets
from tardis_dagster.defs.resources import SparkJobRunner
from tardis_dagster.jobs.land_kafka import checkpoint_location
from tardis_dagster.tooling.demo import kafka as demo_kafka

pytestmark = pytest.mark.platform


def _land(product, raise_on_error: bool = True, instance=None) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        kafka_landing_assets([product], get_settings()),
        resources={"spark": SparkJobRunner(spark_remote=get_settings().spark_remote)},
        raise_on_error=raise_on_error,
        instance=instance,
    )


def _metadata(result: dg.ExecuteInProcessResult) -> dict[str, object]:
    (event,) = result.get_asset_materialization_events()
    return {k: v.value for k, v in event.materialization.metadata.items()}


def _assert_every_offset_once(spark, product, produced: int) -> None:
    """No gap, no duplicate: each offset of the topic is in exactly one of raw and quarantine."""
    raw, quarantine = f"raw.{product.name}", f"raw.{product.name}__quarantine"
    rows = spark.sql(
        f"select `partition`, `offset` from {raw} union all select `partition`, `offset` from {quarantine}"
    ).collect()
    coordinates = [(r[0], r[1]) for r in rows]
    assert len(coordinates) == len(set(coordinates)) == produced
    by_partition: dict[int, list[int]] = {}
    for partition, offset in coordinates:
        by_partition.setdefault(partition, []).append(offset)
    for offsets in by_partition.values():
        assert sorted(offsets) == list(range(len(offsets)))


@pytest.mark.parametrize(
    "demo_product", [pytest.param("order_events", marks=pytest.mark.cluster), "customers", "subscriptions"]
)
def test_topic_lands_decoded_with_bad_records_quarantined(tmp_path: Path, spark, demo_product: str) -> None:
    product = product_on_fresh_topic(tmp_path, demo_product)
    (report,) = demo_kafka.produce([product], get_settings().kafka_bootstrap, count=200, malformed_share=0.03)
    assert report.malformed == 6

    result = _land(product)
    meta = _metadata(result)
    raw, quarantine = f"raw.{product.name}", f"raw.{product.name}__quarantine"

    good = report.produced - report.malformed
    assert spark.table(raw).count() == good == meta["records_landed"] == meta["dagster/row_count"]
    assert spark.table(quarantine).count() == report.malformed == meta["records_quarantined"]
    _assert_every_offset_once(spark, product, report.produced)
    # Coordinates, raw bytes and the decoded payload are all there.
    key_column = product.load.key[0] if product.load.key else product.schema_[0].name
    row = spark.sql(
        f"select topic, key, value, headers, payload.{key_column} as k from {raw} limit 1"
    ).collect()[0]
    assert row["topic"] == product.source.kafka.topic
    assert row["value"] and row["k"] and bytes(row["key"]).decode() == row["k"]
    assert any(h["key"] == "source" for h in row["headers"])
    # Coordinates, key and value bytes are exactly the broker's; the decoded key field matches the key.
    produced = consume_all(product.source.kafka.topic)
    for r in spark.sql(
        f"select `partition`, `offset`, key, value, payload.{key_column} k from {raw}"
    ).collect():
        key, value = produced[(r["partition"], r["offset"])]
        assert (bytes(r["key"]), bytes(r["value"])) == (key, value)
        assert r["k"] == key.decode()
    assert spark.sql(f"select count(*) from {raw} where payload is null").collect()[0][0] == 0
    reasons = [r[0] for r in spark.sql(f"select reason from {quarantine}").collect()]
    assert all(reasons)
    # Metadata: offsets per partition, lag, bytes, snapshot; the quarantine share (3% > 1%) fails its check.
    assert meta["consumer_lag"] == 0
    assert sum(meta["end_offsets"].values()) == report.produced
    assert meta["bytes_landed"] > 0 and "| partition |" in meta["offsets"]
    assert str(meta["iceberg_snapshot_id"]).isdigit()
    (check,) = result.get_asset_check_evaluations()
    assert check.check_name == QUARANTINE_CHECK and not check.passed
    assert result.success  # quarantining bad records never fails the landing run itself

    # Landing again adds nothing; new records land alone.
    again = _metadata(_land(product))
    assert again["records_landed"] == 0 and again["records_quarantined"] == 0
    assert spark.table(raw).count() == good


@pytest.mark.cluster
def test_exactly_once_after_a_crash_between_commit_and_checkpoint(tmp_path: Path, spark) -> None:
    product = product_on_fresh_topic(tmp_path, "order_events")
    bootstrap = get_settings().kafka_bootstrap
    (first,) = demo_kafka.produce([product], bootstrap, count=120, malformed_share=0.0, seed=1)
    _land(product)
    (more,) = demo_kafka.produce([product], bootstrap, count=40, malformed_share=0.0, seed=4)
    _land(product)
    checkpoint = Path(urlparse(checkpoint_location(spark, f"raw.{product.name}")).path)
    commits = sorted((checkpoint / "commits").glob("[0-9]*"), key=lambda p: int(p.name))
    assert commits

    # The Iceberg commit of the last batch happened, its checkpoint commit did not: Spark replays it.
    commits[-1].unlink()
    (commits[-1].parent / f".{commits[-1].name}.crc").unlink(missing_ok=True)  # written together with it
    (second,) = demo_kafka.produce([product], bootstrap, count=60, malformed_share=0.0, seed=2)
    _land(product)
    _assert_every_offset_once(spark, product, first.produced + more.produced + second.produced)

    # The whole checkpoint is lost: the table's own offsets still prevent any duplicate.
    shutil.rmtree(checkpoint)
    (third,) = demo_kafka.produce([product], bootstrap, count=30, malformed_share=0.0, seed=3)
    meta = _metadata(_land(product))
    assert meta["records_landed"] == third.produced
    _assert_every_offset_once(
        spark, product, first.produced + more.produced + second.produced + third.produced
    )


def test_new_optional_field_becomes_a_column_and_an_incompatible_change_is_refused(
    tmp_path: Path, spark
) -> None:
    product = product_on_fresh_topic(tmp_path, "order_events")
    schema_file = product.resolve_path(product.source.kafka.schema_)
    schema = json.loads(Path(schema_file).read_text())
    without_coupon = {
        **schema,
        "properties": {k: v for k, v in schema["properties"].items() if k != "coupon_code"},
    }
    Path(schema_file).write_text(json.dumps(without_coupon))
    order = {
        "order_id": "ord-1",
        "customer_id": "cus-1",
        "status": "placed",
        "placed_at": "2026-11-01T10:00:00Z",
        "updated_at": "2026-11-01T10:00:00Z",
    }
    produce(product.source.kafka.topic, [(b"ord-1", json.dumps(order).encode())])
    _land(product)
    payload = spark.table(f"raw.{product.name}").schema["payload"].dataType
    assert "coupon_code" not in payload.fieldNames()

    # Version 2 of the topic schema adds an optional field: it appears as a column, no manual step.
    Path(schema_file).write_text(json.dumps(schema))
    produce(
        product.source.kafka.topic,
        [(b"ord-2", json.dumps({**order, "order_id": "ord-2", "coupon_code": "WELCOME10"}).encode())],
    )
    meta = _metadata(_land(product))
    assert "added payload.coupon_code" in meta["schema_changes"]
    rows = {
        r[0]: r[1]
        for r in spark.sql(f"select payload.order_id, payload.coupon_code from raw.{product.name}").collect()
    }
    assert rows == {"ord-1": None, "ord-2": "WELCOME10"}

    # A narrowing change (number -> string for total_amount) is refused, naming the field.
    narrowed = {**schema, "properties": {**schema["properties"], "total_amount": {"type": "string"}}}
    Path(schema_file).write_text(json.dumps(narrowed))
    instance = dg.DagsterInstance.ephemeral()
    result = _land(product, raise_on_error=False, instance=instance)
    assert not result.success
    # The job's own error, forwarded by Pipes into the run's event log, names the field.
    logged = [e.dagster_event for e in instance.all_logs(result.run_id) if e.dagster_event is not None]
    errors = [getattr(e.event_specific_data, "error", None) for e in logged]
    messages = " ".join(err.to_string() for err in errors if err is not None)
    assert "field 'total_amount' changed type from double to string" in messages
    assert spark.table(f"raw.{product.name}").count() == 2  # nothing landed under the bad schema


def test_exactly_once_when_the_landing_job_is_killed_mid_run_three_times(tmp_path: Path, spark) -> None:
    product = product_on_fresh_topic(tmp_path, "order_events", partitions=3)
    (report,) = demo_kafka.produce(
        [product], get_settings().kafka_bootstrap, count=20_000, malformed_share=0.001
    )
    raw = f"raw.{product.name}"
    env = {**os.environ, "TARDIS_KAFKA_MAX_OFFSETS_PER_TRIGGER": "600"}  # many small batches to land in
    script = Path(__file__).with_name("land_in_subprocess.py")

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, str(script), str(product.spec_path.parent), product.name],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own group: SIGKILL reaches the Pipes job process too
        )

    def landed() -> int:
        return spark.table(raw).count() if spark.catalog.tableExists(raw) else 0

    kills = 0
    while kills < 3:
        before = landed()
        job = start()
        deadline = time.monotonic() + 300
        while landed() == before and job.poll() is None and time.monotonic() < deadline:
            time.sleep(0.5)
        if job.poll() is not None:
            break  # finished before we could kill it: nothing left to interrupt
        os.killpg(job.pid, signal.SIGKILL)
        job.wait()
        kills += 1
        _assert_no_duplicates(spark, product)
    assert kills == 3, "the backlog was too small to interrupt the landing three times"

    final = start()
    assert final.wait(timeout=600) == 0
    _assert_every_offset_once(spark, product, report.produced)


def _assert_no_duplicates(spark, product) -> None:
    raw, quarantine = f"raw.{product.name}", f"raw.{product.name}__quarantine"
    duplicates = spark.sql(
        f"select `partition`, `offset`, count(*) n from (select `partition`, `offset` from {raw} "
        f"union all select `partition`, `offset` from {quarantine}) group by 1, 2 having n > 1"
    ).count()
    assert duplicates == 0
