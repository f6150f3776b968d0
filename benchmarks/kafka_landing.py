"""Kafka landing throughput: Tardis' landing job against a minimal Structured Streaming baseline.

Produces N JSON order events (~200 bytes each) to a new topic, then lands them twice from the
same topic, on the same local Spark Connect server:
  - baseline: a hand-written Structured Streaming job, Kafka to Parquet, no decoding;
  - reference: the same job with one `from_json` of the value into the topic's schema, no
    validation: what parsing alone costs, a floor for any landing that decodes JSON;
  - tardis: the `raw/<product>` landing asset (JSON Schema validation, decoding, quarantine split,
    Iceberg commits with exactly-once offsets), run through Dagster and Pipes like production.
Prints events/s and MB/s of each and their ratio. Needs `tardis local up`.

    python benchmarks/kafka_landing.py [N]        # 1,000,000 events
    python benchmarks/kafka_landing.py --smoke    # 500 events: checks it runs (CI), figures meaningless
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
import uuid
from pathlib import Path

import dagster as dg
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
from pyspark.sql import SparkSession
from pyspark.sql import functions as F  # noqa: N812 - the PySpark convention

from tardis_dagster.core.settings import get_settings, project_dir
from tardis_dagster.core.specs import load_catalog
from tardis_dagster.defs.landing.kafka import kafka_landing_assets, payload_schema
from tardis_dagster.defs.resources import SparkJobRunner
from tardis_dagster.tooling import local_platform

STATUSES = ["placed", "paid", "shipped", "delivered", "cancelled"]
SMOKE = 500


def event(i: int) -> bytes:
    """One valid order event of about 200 bytes."""
    return json.dumps(
        {
            "order_id": f"ord-{i:09d}",
            "customer_id": f"cus-{i % 50_000:07d}",
            "status": STATUSES[i % 5],
            "box_size": 2 + i % 3,
            "total_amount": round(20 + (i % 500) / 10, 2),
            "currency": "EUR",
            "placed_at": "2026-11-20T10:15:00Z",
            "updated_at": "2026-11-20T10:16:00Z",
        },
        separators=(",", ":"),
    ).encode()


def produce(topic: str, n: int, bootstrap: str) -> tuple[float, int]:
    """Produce n events; returns (seconds, total value bytes)."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])[topic].result(timeout=30)
    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "linger.ms": 20,
            "batch.size": 1_000_000,
            "queue.buffering.max.messages": 2_000_000,
            "compression.type": "lz4",
        }
    )
    started, size = time.perf_counter(), 0
    for i in range(n):
        value = event(i)
        size += len(value)
        while True:
            try:
                producer.produce(topic, key=value[12:25], value=value)
                break
            except BufferError:
                producer.poll(0.1)
        if i % 100_000 == 0:
            producer.poll(0)
    producer.flush(120)
    return time.perf_counter() - started, size


def baseline(
    spark: SparkSession, topic: str, bootstrap: str, folder: Path, ddl: str | None = None
) -> tuple[float, int]:
    """Kafka -> Parquet with Structured Streaming, availableNow; (seconds, rows).

    Nothing is decoded, or with `ddl` the value is parsed by one `from_json` (no validation).
    """
    started = time.perf_counter()
    stream = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", bootstrap)
        .option("subscribe", topic)
        .option("startingOffsets", "earliest")
        .load()
    )
    if ddl is not None:
        stream = stream.withColumn("payload", F.from_json(F.col("value").cast("string"), ddl))
    query = (
        stream.writeStream.format("parquet")
        .option("path", str(folder / "data"))
        .option("checkpointLocation", str(folder / "checkpoint"))
        .trigger(availableNow=True)
        .start()
    )
    query.awaitTermination()
    seconds = time.perf_counter() - started
    return seconds, spark.read.parquet(str(folder / "data")).count()


def tardis(topic: str, folder: Path) -> tuple[float, int, float]:
    """The landing asset through Dagster; (seconds, rows in raw, seconds inside the Spark job)."""
    demo = load_catalog([project_dir() / "product_specs"]).by_name("order_events")
    name = f"bench_orders_{uuid.uuid4().hex[:8]}"
    shutil.copytree(demo.spec_path.parent / "schemas", folder / "schemas")
    text = demo.spec_path.read_text().replace("name: order_events\n", f"name: {name}\n", 1)
    (folder / f"{name}.yaml").write_text(
        text.replace(f"topic: {demo.source.kafka.topic}", f"topic: {topic}", 1)
    )
    shutil.copy(project_dir() / "product_specs" / "_model.yaml", folder / "_model.yaml")
    product = load_catalog([folder]).by_name(name)
    started = time.perf_counter()
    result = dg.materialize(
        kafka_landing_assets([product], get_settings()),
        resources={"spark": SparkJobRunner(spark_remote=get_settings().spark_remote)},
    )
    seconds = time.perf_counter() - started
    (materialization,) = result.get_asset_materialization_events()
    metadata = materialization.materialization.metadata
    print(f"tardis job phases (s): {metadata['phase_seconds'].value}")
    return seconds, int(metadata["records_landed"].value), float(metadata["job_seconds"].value)


def main(n: int) -> None:
    """Produce, land twice, print the figures."""
    if not all(s.healthy for s in local_platform.status()):
        raise SystemExit("the local platform is not running: `tardis local up` first")
    settings = get_settings()
    topic = f"bench.orders.{uuid.uuid4().hex[:8]}"
    produce_s, size = produce(topic, n, settings.kafka_bootstrap)
    mb = size / 1e6
    print(f"produced {n:,} events, {mb:.1f} MB ({size / n:.0f} bytes each) in {produce_s:.1f} s")
    spark = SparkSession.builder.remote(settings.spark_remote).getOrCreate()
    with tempfile.TemporaryDirectory(dir=settings.home) as tmp:
        base_s, base_rows = baseline(spark, topic, settings.kafka_bootstrap, Path(tmp) / "baseline")
        demo = load_catalog([project_dir() / "product_specs"]).by_name("order_events")
        ddl = payload_schema(demo, settings)["payload_ddl"]
        parse_s, parse_rows = baseline(spark, topic, settings.kafka_bootstrap, Path(tmp) / "parse", ddl)
        (Path(tmp) / "tardis").mkdir()
        tardis_s, tardis_rows, job_s = tardis(topic, Path(tmp) / "tardis")
    if base_rows != n or parse_rows != n or tardis_rows != n:
        raise SystemExit(
            f"row counts differ: produced {n}, baseline {base_rows}, parse {parse_rows}, tardis {tardis_rows}"
        )
    print(f"{'pipeline':<44} {'seconds':>8} {'events/s':>10} {'MB/s':>7}")
    for label, seconds in (
        ("baseline: Kafka -> Parquet, no decoding", base_s),
        ("reference: + from_json, no validation", parse_s),
        ("tardis: landing asset, end to end", tardis_s),
        ("tardis: inside the Spark job", job_s),
    ):
        print(f"{label:<44} {seconds:>8.1f} {n / seconds:>10,.0f} {mb / seconds:>7.1f}")
    print(f"ratio tardis/baseline throughput: end to end {base_s / tardis_s:.2f}, job {base_s / job_s:.2f}")
    print(f"ratio parse-only reference/baseline throughput: {base_s / parse_s:.2f}")


def arguments() -> argparse.Namespace:
    """The size: N events, or `--smoke` (tiny, for CI)."""
    parser = argparse.ArgumentParser(description="Kafka landing throughput against Structured Streaming.")
    parser.add_argument("n", nargs="?", type=int, default=1_000_000, help="events to produce and land")
    parser.add_argument("--smoke", action="store_true", help=f"{SMOKE} events: only checks it runs")
    args = parser.parse_args()
    if args.smoke:
        args.n = SMOKE
    if args.n < 1:
        parser.error("N must be at least 1")
    return args


if __name__ == "__main__":
    main(arguments().n)
