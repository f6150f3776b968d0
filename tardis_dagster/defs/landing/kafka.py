"""Raw landing assets for products with a `kafka` source, and the sensor that starts them.

All Kafka products are asset specs of ONE subsettable multi-asset (like files landing); each
selected product runs the `land_kafka` Spark job, which reports a materialization and the blocking
`quarantine_share` check. The sensor compares the broker's end offsets with the offsets landed
(from the latest materialization) and requests a run only for topics with new records.

No `from __future__ import annotations` here: Dagster inspects the `context` annotation at runtime.
"""

import base64
import hashlib
import json
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import dagster as dg

from tardis_dagster.core.settings import get_settings
from tardis_dagster.core.specs import DataProduct
from tardis_dagster.lib.attributes import asset_attributes, table_name
from tardis_dagster.lib.execution import by_tribe, each_selected_asset
from tardis_dagster.lib.spark_runner import SparkJobRunner

LAYER = "raw"
OP_NAME = "land_kafka"
QUARANTINE_CHECK = "quarantine_share"


def payload_schema(product: DataProduct) -> dict[str, str]:
    """The topic schema in the forms the job needs: its text, a descriptor set, and a Spark DDL."""
    from tardis_dagster.core.formats import avro, protobuf, spark_types
    from tardis_dagster.core.formats import jsonschema as json_format

    kafka = product.source.kafka
    assert kafka is not None, f"{product.name} has no kafka source"
    if kafka.schema_ is not None:
        path = Path(product.resolve_path(kafka.schema_))
        text = path.read_text()
    else:
        text = registry_schema(product)
        path = None
    if kafka.format == "json":
        schema = json_format.load(path) if path else json.loads(text)
        return {
            "schema_text": json.dumps(schema),
            "payload_ddl": spark_types.json_schema_to_spark_ddl(schema),
        }
    if kafka.format == "avro":
        schema = avro.parse_schema(path or text)
        return {"schema_text": json.dumps(schema), "payload_ddl": spark_types.avro_to_spark_ddl(schema)}
    if path is None:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"{product.name}.proto"
            path.write_text(text)
            descriptor = protobuf.compile_descriptor_set(path)
    else:
        descriptor = protobuf.compile_descriptor_set(path)
    return {
        "descriptor_b64": base64.b64encode(descriptor).decode(),
        "message": kafka.message or "",
        "payload_ddl": spark_types.protobuf_to_spark_ddl(descriptor, kafka.message or ""),
    }


def registry_schema(product: DataProduct) -> str:
    """The latest schema of the spec's `registry_subject`, from the configured schema registry."""
    from tardis_dagster.core.formats.registry import RegistryClient

    kafka = product.source.kafka
    assert kafka is not None and kafka.registry_subject is not None
    url = get_settings().schema_registry_url
    if not url:
        raise dg.DagsterInvariantViolationError(
            f"{product.name} reads its schema from registry subject {kafka.registry_subject!r}: "
            "set TARDIS_SCHEMA_REGISTRY_URL to the schema registry"
        )
    text, _schema_type = RegistryClient(url).latest_schema(kafka.registry_subject)
    return text


def landing_extras(product: DataProduct) -> dict[str, object]:
    """What the `land_kafka` Spark job needs to know about a product."""
    kafka = product.source.kafka
    assert kafka is not None, f"{product.name} has no kafka source"
    return {
        "product": product.name,
        "asset_key": dg.AssetKey([LAYER, product.name]).to_user_string(),
        "topic": kafka.topic,
        "bootstrap": get_settings().kafka_bootstrap,
        "format": kafka.format,
        "wire_format": kafka.registry_subject is not None,
        "table": table_name(LAYER, product.name),
        "quarantine_table": table_name(LAYER, f"{product.name}__quarantine"),
        "quarantine_threshold": kafka.quarantine_threshold,
        "max_offsets_per_trigger": get_settings().kafka_max_offsets_per_trigger,
        "min_partitions": get_settings().kafka_min_partitions,
        **payload_schema(product),
    }


def landing_spec(product: DataProduct) -> dg.AssetSpec:
    """The asset spec of `raw/<product>` for a Kafka product."""
    attributes = asset_attributes(product, LAYER)
    kafka = product.source.kafka
    assert kafka is not None
    attributes["metadata"].update(
        {
            "topic": kafka.topic,
            "format": kafka.format,
            "quarantine_table": table_name(LAYER, f"{product.name}__quarantine"),
        }
    )
    return dg.AssetSpec(kinds={"spark", "iceberg", "kafka"}, skippable=True, **attributes)


def quarantine_check(product: DataProduct) -> dg.AssetCheckSpec:
    """The share of a run's records sent to quarantine stays under the spec's threshold."""
    threshold = product.source.kafka.quarantine_threshold  # type: ignore[union-attr]
    return dg.AssetCheckSpec(
        QUARANTINE_CHECK,
        asset=dg.AssetKey([LAYER, product.name]),
        # Not blocking: quarantining is the designed outcome for bad records, never a failed landing run.
        blocking=False,
        description=(
            f"At most {threshold:.1%} of a run's records may fail to decode "
            "(source.kafka.quarantine_threshold)."
        ),
    )


def kafka_landing_assets(products: Iterable[DataProduct]) -> list[dg.AssetsDefinition]:
    """One multi-asset per tribe landing its Kafka products."""
    return [
        _tribe_assets(tribe, group)
        for tribe, group in by_tribe(p for p in products if p.source.kind == "kafka")
    ]


def _tribe_assets(tribe: str, products: list[DataProduct]) -> dg.AssetsDefinition:
    by_key = {dg.AssetKey([LAYER, p.name]): p for p in products}

    @dg.multi_asset(
        name=f"{OP_NAME}_{tribe}",
        specs=[landing_spec(p) for p in by_key.values()],
        check_specs=[quarantine_check(p) for p in by_key.values()],
        can_subset=True,
        description="Land new Kafka records of Kafka products into their raw Iceberg tables.",
    )
    def _land(context: dg.AssetExecutionContext, spark: SparkJobRunner) -> Iterator[dg.MaterializeResult]:
        yield from each_selected_asset(
            context,
            lambda key: spark.results(context, "land_kafka", landing_extras(by_key[key])),
            "landing",
        )

    return _land


def landed_end_offsets(instance: dg.DagsterInstance, key: dg.AssetKey) -> dict[str, int]:
    """The `end_offsets` metadata of the asset's latest materialization ({} if never landed)."""
    event = instance.get_latest_materialization_event(key)
    if event is None or event.asset_materialization is None:
        return {}
    value = event.asset_materialization.metadata.get("end_offsets")
    return {str(p): int(o) for p, o in (value.value if value is not None else {}).items()}  # type: ignore[union-attr]


def topics_with_new_records(
    broker: Mapping[str, Mapping[str, int]], landed: Mapping[str, Mapping[str, int]]
) -> dict[str, dict[str, int]]:
    """Topics whose broker end offsets are beyond what was landed, with those end offsets."""
    return {
        topic: dict(ends)
        for topic, ends in broker.items()
        if any(offset > landed.get(topic, {}).get(partition, 0) for partition, offset in ends.items())
    }


def kafka_sensor(
    products: Iterable[DataProduct], job_name: str = "land_kafka_job"
) -> dg.SensorDefinition | None:
    """Requests a landing run for the Kafka products whose topics have records not landed yet.

    The run key is the end offsets, so the same offsets never start two runs.
    """
    # Streaming products are landed by their long-running query, not by sensor-started runs.
    keyed = {
        p.source.kafka.topic: dg.AssetKey([LAYER, p.name])
        for p in products
        if p.source.kafka is not None and p.schedule != "streaming"
    }
    if not keyed:
        return None

    @dg.sensor(
        name="kafka_new_records",
        job_name=job_name,
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Lands Kafka topics with offsets beyond those landed (reads broker metadata only).",
    )
    def _sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
        from tardis_dagster.jobs.land_kafka import end_offsets  # pyspark: not at code-location load

        broker = end_offsets(get_settings().kafka_bootstrap, list(keyed))
        landed = {topic: landed_end_offsets(context.instance, key) for topic, key in keyed.items()}
        new = topics_with_new_records(broker, landed)
        if not new:
            return dg.SkipReason("no topic has records beyond those landed")
        run_key = hashlib.sha256(json.dumps(new, sort_keys=True).encode()).hexdigest()[:32]
        return dg.SensorResult(
            run_requests=[dg.RunRequest(run_key=run_key, asset_selection=[keyed[t] for t in sorted(new)])]
        )

    return _sensor


def landing_job(assets: list[dg.AssetsDefinition]):
    """The job the sensor starts (any subset of the Kafka landing assets)."""
    return dg.define_asset_job("land_kafka_job", selection=dg.AssetSelection.assets(*assets))
