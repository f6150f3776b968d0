"""What one tick of the Kafka sensor costs at N Kafka products: Dagster's storage and the broker.

Each minute the sensor reads every product's landed end offsets (its latest materialization's
metadata) and the broker's end offsets of every topic.
- Storage, on Postgres (Debian's package, as in production on RDS; started for the run in a
  temporary folder, stopped by pid): Tardis reads all keys in one query (`landed_end_offsets`); the
  peer is the plain per-asset lookup (`get_latest_materialization_event` per key).
- Broker, on the local Kafka (`tardis local up`): N topics of 3 partitions are created, measured and
  deleted. Tardis asks once for all partitions (`end_offsets`: one batched ListOffsets); the peer is
  a `read_committed` consumer's watermark per partition (a round trip each).
Both sides of each are measured in the same run, best of 3.

    python benchmarks/sensor_tick.py [N ...]     # 500 and 5,000 products (topics: at most --max-topics)
    python benchmarks/sensor_tick.py --smoke     # 20 products: checks it runs (CI)
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import tempfile
import time
from pathlib import Path

import dagster as dg
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from tardis_dagster.core.jobs_io import KafkaLandingResult
from tardis_dagster.core.kafka_offsets import end_offsets
from tardis_dagster.core.settings import get_settings
from tardis_dagster.defs.landing.kafka import landed_end_offsets, run_requests_by_squad
from tardis_dagster.tooling.local_platform.ephemeral import running
from tardis_dagster.tooling.local_platform.postgres import DATABASE, USER, PostgresService

ROOT = Path(__file__).resolve().parents[1]
SMOKE_SIZES = [20]
REPEATS = 3  # best of, per side (a shared machine)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _fill(instance: dg.DagsterInstance, keys: list[dg.AssetKey]) -> None:
    """Two landings per product (the sensor must take the later), 3 partitions each."""
    for round_ in (1, 2):
        for i, key in enumerate(keys):
            offsets = {str(p): 1000 * round_ + i + p for p in range(3)}
            metadata = {KafkaLandingResult.END_OFFSETS: dg.MetadataValue.json(offsets)}
            instance.report_runless_asset_event(dg.AssetMaterialization(key, metadata=metadata))


def measure(instance: dg.DagsterInstance, n: int) -> tuple[float, float, float]:
    """(fill seconds, batched read seconds, per-key read seconds) for n products."""
    keys = [dg.AssetKey(["raw", f"bench_{n}_{i}"]) for i in range(n)]
    started = time.perf_counter()
    _fill(instance, keys)
    filled = time.perf_counter() - started
    batched, per_key = [], []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        landed = landed_end_offsets(instance, keys)
        batched.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        peer = {k: instance.get_latest_materialization_event(k) for k in keys}
        per_key.append(time.perf_counter() - t0)
    # Both sides read the same, later landing of every product.
    assert all(landed[k]["0"] == 2000 + i for i, k in enumerate(keys)), "batched read is wrong"
    assert all(peer[k] is not None for k in keys)
    topics = {f"t.{i}": {"0": 1} for i in range(n)}
    requests = run_requests_by_squad(
        topics, dict(zip(topics, keys, strict=True)), {t: f"s{i % 41}" for i, t in enumerate(topics)}
    )
    assert len(requests) == min(n, 41)
    return filled, min(batched), min(per_key)


PARTITIONS = 3


def _watermarks_per_partition(bootstrap: str, topics: list[str]) -> dict[str, dict[str, int]]:
    """The peer: a `read_committed` consumer asking for each partition's end offset in turn."""
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": "bench", "isolation.level": "read_committed"}
    )
    try:
        metadata = consumer.list_topics(timeout=10)
        return {
            t: {
                str(p): consumer.get_watermark_offsets(TopicPartition(t, p), timeout=10)[1]
                for p in metadata.topics[t].partitions
            }
            for t in topics
        }
    finally:
        consumer.close()


def measure_broker(n: int) -> tuple[float, float]:
    """(batched seconds, per-partition seconds) for n topics of PARTITIONS partitions."""
    bootstrap = get_settings().kafka_bootstrap
    admin = AdminClient({"bootstrap.servers": bootstrap})
    topics = [f"bench.sensor.{os.getpid()}.{i}" for i in range(n)]
    for future in admin.create_topics(
        [NewTopic(t, num_partitions=PARTITIONS, replication_factor=1) for t in topics]
    ).values():
        future.result(timeout=120)
    try:
        deadline = time.monotonic() + 120  # new topics' leaders are elected asynchronously
        while len(end_offsets(bootstrap, topics)) < n:
            if time.monotonic() > deadline:
                raise SystemExit(f"the {n} new topics did not all get a leader within 120 s")
            time.sleep(0.5)
        batched, per_partition = [], []
        for _ in range(REPEATS):
            t0 = time.perf_counter()
            ours = end_offsets(bootstrap, topics)
            batched.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            peer = _watermarks_per_partition(bootstrap, topics)
            per_partition.append(time.perf_counter() - t0)
        assert ours == peer, "the batched end offsets differ from the watermarks"
        return min(batched), min(per_partition)
    finally:
        for future in admin.delete_topics(topics).values():
            future.result(timeout=120)


def main(sizes: list[int], max_topics: int) -> None:
    """Start Postgres, then print one row per N for the storage, then for the broker."""
    state = Path(tempfile.mkdtemp(prefix="tardis-bench-pg-"))
    home = state / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "deploy" / "dagster.postgres-local.yaml", home / "dagster.yaml")
    service = PostgresService(state / "pg", _free_port())
    try:
        with running([service]):
            os.environ.update(
                {
                    "DAGSTER_PG_HOST": "127.0.0.1",
                    "DAGSTER_PG_PORT": str(service.port),
                    "DAGSTER_PG_DB": DATABASE,
                    "DAGSTER_PG_USERNAME": USER,
                    "DAGSTER_PG_PASSWORD": "unused-with-loopback-trust",
                }
            )
            with dg.DagsterInstance.from_config(str(home)) as instance:
                header = ("products", "fill s", "one query s", "per key s", "ratio")
                widths = (9, 8, 12, 10, 7)
                print(" ".join(f"{h:>{w}}" for h, w in zip(header, widths, strict=True)))
                for n in sizes:
                    filled, batched, per_key = measure(instance, n)
                    ratio = per_key / batched if batched else float("inf")
                    print(f"{n:>9} {filled:>8.1f} {batched:>12.3f} {per_key:>10.3f} {ratio:>6.1f}x")
    finally:
        shutil.rmtree(state, ignore_errors=True)
    print(f"\nbroker ({PARTITIONS} partitions per topic)")
    header = ("topics", "one ListOffsets s", "per partition s", "ratio")
    widths = (9, 18, 16, 7)
    print(" ".join(f"{h:>{w}}" for h, w in zip(header, widths, strict=True)))
    for n in sorted({min(n, max_topics) for n in sizes}):
        batched, per_partition = measure_broker(n)
        ratio = per_partition / batched if batched else float("inf")
        print(f"{n:>9} {batched:>18.3f} {per_partition:>16.3f} {ratio:>6.1f}x")


def arguments() -> argparse.Namespace:
    """The sizes: N products per measurement, or `--smoke` (tiny, for CI)."""
    parser = argparse.ArgumentParser(description="Kafka sensor tick storage cost for N products.")
    parser.add_argument("sizes", nargs="*", type=int, help="numbers of products (default 500 5000)")
    parser.add_argument(
        "--smoke", action="store_true", help=f"{SMOKE_SIZES[0]} products: only checks it runs"
    )
    parser.add_argument(
        "--max-topics", type=int, default=1000, help="topics made on the local broker at most (1000)"
    )
    args = parser.parse_args()
    args.sizes = SMOKE_SIZES if args.smoke else args.sizes or [500, 5000]
    if min(args.sizes) < 1:
        parser.error("each N must be at least 1")
    return args


if __name__ == "__main__":
    args = arguments()
    main(args.sizes, args.max_topics)
