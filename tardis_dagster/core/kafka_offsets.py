"""The broker's end offsets per partition: read by the landing job (lag) and the Kafka sensor."""

from __future__ import annotations


def end_offsets(
    bootstrap: str, topics: list[str], kafka_options: dict[str, str] | None = None
) -> dict[str, dict[str, int]]:
    """The broker's high watermark per partition of each existing topic (no data is consumed)."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "tardis-offsets",
            "enable.auto.commit": False,
            **(kafka_options or {}),
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
