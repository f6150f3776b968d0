"""The broker's end offsets per partition: read by the landing job (lag) and the Kafka sensor.

Read as a `read_committed` consumer sees them, like the landing reads: the last stable offset, not
the high watermark, so records of a transaction still open are not counted as waiting to land.
"""

from __future__ import annotations

import time
from typing import Any

TIMEOUT_S = 10.0
RETRIES = 2  # a partition whose leader moved answers again after a metadata refresh
RETRY_WAIT_S = 0.5


def end_offsets(
    bootstrap: str, topics: list[str], kafka_options: dict[str, str] | None = None
) -> dict[str, dict[str, int]]:
    """The end offset per partition of each existing topic for a `read_committed` consumer (the last
    stable offset; no data is consumed).

    One metadata request and one batched ListOffsets (per partition leader) for all the topics: the
    sensor asks for every Kafka product's topic each tick, so a round trip per partition would grow
    with the platform (thousands of partitions).
    """
    from confluent_kafka import TopicPartition
    from confluent_kafka.admin import AdminClient

    # log_level 4 (warnings): closing an admin client logs an info line per request it still held
    admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 4, **(kafka_options or {})})
    metadata = admin.list_topics(timeout=TIMEOUT_S)
    existing = [t for t in topics if t in metadata.topics and metadata.topics[t].error is None]
    partitions = [TopicPartition(t, p) for t in existing for p in sorted(metadata.topics[t].partitions)]
    result: dict[str, dict[str, int]] = {t: {} for t in existing}
    for attempt in range(RETRIES + 1):
        failed = _list_latest(admin, partitions, result)
        if not failed:
            return result
        if attempt < RETRIES:
            time.sleep(RETRY_WAIT_S)
            partitions = failed
    # A partition without a leader now (a new topic, a broker restarting): its topic is left out this
    # time, as if it did not exist yet, rather than reported with a partial set of partitions.
    for topic in {tp.topic for tp in failed}:
        result.pop(topic, None)
    return result


def _list_latest(admin: Any, partitions: list[Any], into: dict[str, dict[str, int]]) -> list[Any]:
    """Put each partition's latest `read_committed` offset into `into`; return those that failed."""
    from confluent_kafka import IsolationLevel, KafkaException
    from confluent_kafka.admin import OffsetSpec

    if not partitions:
        return []
    futures = admin.list_offsets(
        {tp: OffsetSpec.latest() for tp in partitions},
        isolation_level=IsolationLevel.READ_COMMITTED,
        request_timeout=TIMEOUT_S,
    )
    failed = []
    for tp, future in futures.items():
        try:
            into[tp.topic][str(tp.partition)] = future.result(timeout=TIMEOUT_S).offset
        except KafkaException:
            failed.append(tp)
    return failed
