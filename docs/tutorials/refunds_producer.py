"""Stand-in for a backend service in the README tutorial: produces refund events to a local Kafka topic.

    python docs/tutorials/refunds_producer.py shop.refunds.v1 [COUNT]

Each event is one JSON object (refund_id, order_id, customer_email, amount, reason, refunded_at) on the
local broker (`tardis local up`); the topic is created with 3 partitions if it does not exist.
"""

from __future__ import annotations

import argparse
import json

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from tardis_dagster.core.settings import get_settings

REASONS = ("damaged", "late", "wrong_item", "changed_mind")


def refund_event(i: int) -> dict:
    """The i-th refund event, as the checkout service would emit it."""
    return {
        "refund_id": f"rf-{i:05d}",
        "order_id": f"ord-{1000 + i}",
        "customer_email": f"customer{i % 7}@example.com",
        "amount": round(4.5 + (i * 7) % 40, 2),
        "reason": REASONS[i % len(REASONS)],
        "refunded_at": f"2026-11-{1 + i % 28:02d}T{8 + i % 12:02d}:15:00Z",
    }


def main(topic: str, count: int) -> None:
    """Create the topic when missing and produce `count` events, waiting until the broker has them all."""
    bootstrap = get_settings().kafka_bootstrap
    admin = AdminClient({"bootstrap.servers": bootstrap})
    if topic not in admin.list_topics(timeout=10).topics:
        admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])[topic].result(
            timeout=30
        )
    producer = Producer({"bootstrap.servers": bootstrap})
    for i in range(count):
        event = refund_event(i)
        producer.produce(topic, key=event["refund_id"].encode(), value=json.dumps(event).encode())
    if producer.flush(30) != 0:
        raise SystemExit(f"the broker at {bootstrap} did not take every event: is `tardis local up` running?")
    print(f"produced {count} refund events to {topic}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Produce refund events to a local Kafka topic.")
    parser.add_argument("topic")
    parser.add_argument("count", nargs="?", type=int, default=50)
    options = parser.parse_args()
    main(options.topic, options.count)
