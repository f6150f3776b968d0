"""Streaming mode (`schedule: streaming`): the Kafka landing query as a long-running stream.

The same Spark code as a landing run (`spark_jobs/land_kafka.py`), with a processing-time trigger
instead of `availableNow`. Dagster keeps seeing the asset move: every report interval the stream
records a materialization of `raw/<product>` (offsets, records, lag) on the Dagster instance, so
lineage, freshness and downstream automation stay correct without a run per micro-batch. Locally
`tardis stream <product>` runs it; in production the same script runs as a streaming EMR job.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import dagster as dg

from tardis_dagster.core.settings import get_settings
from tardis_dagster.core.specs import DataProduct
from tardis_dagster.defs.landing.kafka import LAYER, landing_extras
from tardis_dagster.jobs import land_kafka
from tardis_dagster.jobs.common import spark_session


@dataclass(frozen=True)
class StreamReport:
    """What one report interval of a stream did."""

    records: int
    quarantined: int
    lag: int
    end_offsets: dict[str, int]


def report_to_instance(instance: dg.DagsterInstance, key: dg.AssetKey) -> Callable[[dict[str, object]], None]:
    """A reporter recording each interval as a runless materialization of `key`."""

    def report(metadata: dict[str, object]) -> None:
        instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=key, metadata=metadata))

    return report


def _plain(metadata: dict[str, dict[str, object]]) -> dict[str, object]:
    """Pipes-style `{type, raw_value}` metadata as Dagster metadata values."""
    values: dict[str, object] = {}
    for name, entry in metadata.items():
        kind, raw = entry["type"], entry["raw_value"]
        if kind == "md":
            values[name] = dg.MetadataValue.md(str(raw))
        elif kind == "json":
            values[name] = dg.MetadataValue.json(raw)  # type: ignore[arg-type]
        elif kind == "table_schema":
            columns = [dg.TableColumn(c["name"], c["type"]) for c in raw["columns"]]  # type: ignore[index]
            values[name] = dg.TableSchema(columns=columns)
        else:
            values[name] = raw
    return values


def stream(
    product: DataProduct,
    report: Callable[[dict[str, object]], None],
    trigger_seconds: int = 10,
    report_seconds: int = 30,
    max_seconds: float | None = None,
    on_report: Callable[[StreamReport], None] = lambda _r: None,
) -> None:
    """Run the landing stream until stopped (Ctrl-C) or `max_seconds`, reporting every interval."""
    if product.source.kafka is None:
        raise ValueError(f"{product.name} has no kafka source: only Kafka products stream")
    extras = landing_extras(product)
    settings = get_settings()
    spark = spark_session(
        f"tardis-stream-{product.name}", None if settings.deployment == "prod" else settings.spark_remote
    )
    changes = land_kafka.ensure_tables(spark, extras)
    stream_id = f"stream-{uuid.uuid4().hex[:12]}"
    query = land_kafka.start_query(spark, extras, stream_id, {"processingTime": f"{trigger_seconds} seconds"})
    started = time.monotonic()
    since_ms = int(time.time() * 1000)
    before = land_kafka.landed_offsets(spark, extras)
    try:
        while True:
            wait = report_seconds
            if max_seconds is not None:
                wait = min(wait, max(0.0, max_seconds - (time.monotonic() - started)))
            if query.awaitTermination(wait):  # the query ended on its own
                error = query.exception()
                if error is not None:
                    raise error
                break
            now_ms = int(time.time() * 1000)
            metadata, landed, quarantined = land_kafka.materialization_metadata(
                spark, extras, stream_id, before, changes, since_ms
            )
            metadata["stream_id"] = {"type": "text", "raw_value": stream_id}
            report(_plain(metadata))
            end_offsets: dict[str, int] = metadata["end_offsets"]["raw_value"]
            lag = int(metadata["consumer_lag"]["raw_value"])
            on_report(StreamReport(landed, quarantined, lag, end_offsets))
            since_ms, before, changes = now_ms, end_offsets, []
            if max_seconds is not None and time.monotonic() - started >= max_seconds:
                break
    finally:
        if query.isActive:
            query.stop()


def asset_key(product: DataProduct) -> dg.AssetKey:
    """The raw asset a stream materializes."""
    return dg.AssetKey([LAYER, product.name])


def default_instance() -> dg.DagsterInstance:
    """The local Dagster instance (the one `make dev` runs `dagster dev` on)."""
    home = get_settings().dagster_home
    home.mkdir(parents=True, exist_ok=True)
    return dg.DagsterInstance.from_config(str(home))
