"""Helpers for Kafka landing tests: a product on a fresh topic, and a producer of good and bad records."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from repo_root import PROJECT_ROOT

from tardis_dagster.core.settings import get_settings
from tardis_dagster.core.specs import DataProduct, load_catalog

DEMO = PROJECT_ROOT / "product_specs"


def product_on_fresh_topic(tmp_path: Path, demo_product: str, partitions: int = 2) -> DataProduct:
    """A copy of a demo Kafka product with its own name and a new topic, so tests never collide."""
    demo = load_catalog([DEMO]).by_name(demo_product)
    suffix = uuid.uuid4().hex[:8]
    name = f"it_{demo_product}_{suffix}"
    topic = f"it.{demo_product}.{suffix}"
    folder = tmp_path / "specs"
    shutil.copytree(demo.spec_path.parent / "schemas", folder / "schemas")
    text = demo.spec_path.read_text()
    text = text.replace(f"name: {demo.name}\n", f"name: {name}\n", 1)
    text = text.replace(f"topic: {demo.source.kafka.topic}", f"topic: {topic}", 1)  # type: ignore[union-attr]
    (folder / f"{name}.yaml").write_text(text)
    (folder / "_model.yaml").write_text((DEMO / "_model.yaml").read_text())
    catalog = load_catalog([folder])
    assert not catalog.problems, [str(p) for p in catalog.problems]
    admin = AdminClient({"bootstrap.servers": get_settings().kafka_bootstrap})  # kept alive until created
    admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])[topic].result(
        timeout=30
    )
    return catalog.by_name(name)


def produce(topic: str, records: list[tuple[bytes | None, bytes]]) -> None:
    """Produce (key, value) records and wait until all are acknowledged."""
    producer = Producer({"bootstrap.servers": get_settings().kafka_bootstrap, "enable.idempotence": True})
    failures: list[str] = []
    for key, value in records:
        producer.produce(
            topic,
            key=key,
            value=value,
            headers=[("source", b"test")],
            on_delivery=lambda err, _msg: failures.append(str(err)) if err else None,
        )
    assert producer.flush(30) == 0 and not failures, failures


def consume_all(topic: str) -> dict[tuple[int, int], tuple[bytes | None, bytes | None]]:
    """Every record of `topic` by (partition, offset): its key and value bytes, read back from the broker."""
    consumer = Consumer(
        {
            "bootstrap.servers": get_settings().kafka_bootstrap,
            "group.id": "tardis-tests",
            "enable.auto.commit": False,
        }
    )
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        ends = {
            p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in partitions
        }
        consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
        records: dict[tuple[int, int], tuple[bytes | None, bytes | None]] = {}
        while len(records) < sum(ends.values()):
            msg = consumer.poll(5)
            assert msg is not None, "the broker stopped returning records"
            if msg.error() is None:
                records[(msg.partition(), msg.offset())] = (msg.key(), msg.value())
        return records
    finally:
        consumer.close()


def land_now(spark, product: DataProduct, settings=None, registry_url: str = ""):
    """Land the product's topic once, in this process, with the landing job's own functions (no Dagster
    run around it: cheaper, and the same query, decoding and ledger as `land_kafka`'s main)."""
    from tardis_dagster.defs.landing.kafka import landing_input
    from tardis_dagster.jobs import land_kafka

    job = landing_input(product, settings or get_settings())
    changes = land_kafka.ensure_tables(spark, job)
    before = land_kafka.landed_offsets(spark, job)
    run_id = f"test-{uuid.uuid4().hex[:12]}"
    land_kafka.run_available_now(spark, job, run_id, print, registry_url)
    stats = land_kafka.run_stats(spark, [job.table, job.quarantine_table], run_id)
    return land_kafka.landing_result(spark, job, stats, before, changes)


def fresh_topic(partitions: int = 1) -> str:
    """A new topic of its own for one test."""
    topic = f"it.committed.{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": get_settings().kafka_bootstrap})
    admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])[topic].result(
        timeout=30
    )
    return topic
