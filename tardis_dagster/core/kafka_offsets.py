"""The broker's end offsets per partition: read by the landing job (lag) and the Kafka sensor.

Read as a `read_committed` consumer sees them, like the landing reads: the last stable offset, not
the high watermark, so records of a transaction still open are not counted as waiting to land.
"""

from __future__ import annotations

TIMEOUT_S = 10.0


def end_offsets(
    bootstrap: str, topics: list[str], kafka_options: dict[str, str] | None = None
) -> dict[str, dict[str, int]]:
    """The end offset per partition of each existing topic for a `read_committed` consumer (the last
    stable offset; no data is consumed).

    One metadata request and one batched ListOffsets (per partition leader) for all the topics: the
    sensor asks for every Kafka product's topic each tick, so a round trip per partition would grow
    with the platform (thousands of partitions).
    """
    from confluent_kafka import IsolationLevel, TopicPartition
    from confluent_kafka.admin import AdminClient, OffsetSpec

    admin = AdminClient({"bootstrap.servers": bootstrap, **(kafka_options or {})})
    metadata = admin.list_topics(timeout=TIMEOUT_S)
    partitions = [
        TopicPartition(topic, p)
        for topic in topics
        if topic in metadata.topics and metadata.topics[topic].error is None
        for p in sorted(metadata.topics[topic].partitions)
    ]
    result: dict[str, dict[str, int]] = {
        topic: {} for topic in topics if topic in metadata.topics and metadata.topics[topic].error is None
    }
    if not partitions:
        return result
    futures = admin.list_offsets(
        {tp: OffsetSpec.latest() for tp in partitions},
        isolation_level=IsolationLevel.READ_COMMITTED,
        request_timeout=TIMEOUT_S,
    )
    for tp, future in futures.items():
        result[tp.topic][str(tp.partition)] = future.result(timeout=TIMEOUT_S).offset
    return result
