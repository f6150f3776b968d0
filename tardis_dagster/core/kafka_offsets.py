"""The broker's end offsets per partition: read by the landing job (lag) and the Kafka sensor.

Read as a `read_committed` consumer sees them, like the landing reads: the last stable offset, not
the high watermark, so records of a transaction still open are not counted as waiting to land.
"""

from __future__ import annotations


def end_offsets(
    bootstrap: str, topics: list[str], kafka_options: dict[str, str] | None = None
) -> dict[str, dict[str, int]]:
    """The end offset per partition of each existing topic for a `read_committed` consumer (the last
    stable offset; no data is consumed)."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "tardis-offsets",
            "enable.auto.commit": False,
            **(kafka_options or {}),
            # librdkafka asks the broker for the last stable offset under this isolation level.
            "isolation.level": "read_committed",
        }
    )
    try:
        metadata = consumer.list_topics(timeout=10)
        result = {}
        for topic in topics:
            if topic not in metadata.topics or metadata.topics[topic].error is not None:
                continue
            result[topic] = {
                str(p): consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
                for p in sorted(metadata.topics[topic].partitions)
            }
        return result
    finally:
        consumer.close()
