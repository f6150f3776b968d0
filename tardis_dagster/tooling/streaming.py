"""Streaming mode (`schedule: streaming`): the Kafka landing job as a long-running stream.

The same job script as a landing run (`jobs/land_kafka.py`), started by the job runner in its
streaming mode (a processing-time trigger instead of `availableNow`). Dagster keeps seeing the asset
move: every report interval the job reports a `KafkaLandingResult`, recorded as a runless
materialization of `raw/<product>` on the Dagster instance, so lineage, freshness and downstream
automation stay correct without a run per micro-batch. Locally `tardis stream <product>` runs it;
in production the same script runs as a streaming EMR job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import dagster as dg

from tardis_dagster.core import naming
from tardis_dagster.core.jobs_io import KafkaLandingResult, from_extras, to_extras
from tardis_dagster.core.settings import Settings
from tardis_dagster.core.specs import DataProduct
from tardis_dagster.defs.landing.kafka import OP_NAME, landing_input
from tardis_dagster.lib.attributes import table_key
from tardis_dagster.lib.metadata import dagster_metadata
from tardis_dagster.lib.spark_runner import SparkJobRunner


@dataclass(frozen=True)
class StreamReport:
    """What one report interval of a stream did."""

    records: int
    quarantined: int
    lag: int
    end_offsets: dict[str, int]


def report_to_instance(
    instance: dg.DagsterInstance, key: dg.AssetKey
) -> Callable[[dict[str, dg.MetadataValue]], None]:
    """A reporter recording each interval as a runless materialization of `key`."""

    def report(metadata: dict[str, dg.MetadataValue]) -> None:
        instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=key, metadata=metadata))

    return report


def stream(
    product: DataProduct,
    settings: Settings,
    report: Callable[[dict[str, dg.MetadataValue]], None],
    trigger_seconds: int = 10,
    report_seconds: int = 30,
    max_seconds: float | None = None,
    on_report: Callable[[StreamReport], None] = lambda _r: None,
) -> None:
    """Run the landing stream until stopped (Ctrl-C) or `max_seconds`, reporting every interval."""
    if product.source.kafka is None:
        raise ValueError(f"{product.name} has no kafka source: only Kafka products stream")
    runner = SparkJobRunner(
        mode="local", spark_remote=settings.spark_remote, s3_endpoint=settings.s3_endpoint
    )
    request = {
        "job": to_extras(landing_input(product, settings)),
        "trigger_seconds": trigger_seconds,
        "report_seconds": report_seconds,
        "max_seconds": max_seconds,
    }
    for reported in runner.stream(OP_NAME, request):
        result = from_extras(KafkaLandingResult, reported)
        report(dagster_metadata(result.metadata()))
        on_report(
            StreamReport(
                result.records_landed, result.records_quarantined, result.consumer_lag, result.end_offsets
            )
        )


def asset_key(product: DataProduct) -> dg.AssetKey:
    """The raw asset a stream materializes."""
    return table_key(naming.RAW, product.name)


def default_instance(settings: Settings) -> dg.DagsterInstance:
    """The local Dagster instance (the one `make dev` runs `dagster dev` on)."""
    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    return dg.DagsterInstance.from_config(str(settings.dagster_home))
