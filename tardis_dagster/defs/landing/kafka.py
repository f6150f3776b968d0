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
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

import dagster as dg

from tardis_dagster.core import naming
from tardis_dagster.core.jobs_io import REGISTRY_URL_ENV, KafkaLandingInput, KafkaLandingResult
from tardis_dagster.core.kafka_offsets import end_offsets
from tardis_dagster.core.settings import Settings
from tardis_dagster.core.specs import DataProduct
from tardis_dagster.lib.attributes import asset_attributes, table_key
from tardis_dagster.lib.code_references import CODE_REFERENCES, product_references
from tardis_dagster.lib.execution import by_tribe, each_selected_asset
from tardis_dagster.lib.spark_runner import SparkJobRunner

LAYER = naming.RAW
SQUAD_TAG = "tardis/squad"  # run tag: the owning `tribe.squad` (deploy/dagster.yaml limits runs per value)
OP_NAME = "land_kafka"
JOB_NAME = "land_kafka_job"


def payload_schema(product: DataProduct, settings: Settings) -> dict[str, str]:
    """The topic schema in the forms the job needs: its text, a descriptor set, and a Spark DDL."""
    from tardis_dagster.core.formats import avro, protobuf, spark_types
    from tardis_dagster.core.formats import jsonschema as json_format

    kafka = product.source.kafka
    assert kafka is not None, f"{product.name} has no kafka source"
    if kafka.schema_ is not None:
        path = Path(product.resolve_path(kafka.schema_))
        text = path.read_text()
    else:
        text = registry_schema(product, settings)
        path = None
    if kafka.format == "json":
        schema = json_format.load(path) if path else json.loads(text)
        # Formats as annotations (format_assertion: false) = the schema without its `format`s.
        schema = json_format.effective_schema(schema, format_assertion=kafka.format_assertion)
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


def registry_schema(product: DataProduct, settings: Settings) -> str:
    """The latest schema of the spec's `registry_subject`, from the configured schema registry."""
    from tardis_dagster.core.formats.registry import RegistryClient

    kafka = product.source.kafka
    assert kafka is not None and kafka.registry_subject is not None
    url = settings.schema_registry_url
    if not url:
        raise dg.DagsterInvariantViolationError(
            f"{product.name} reads its schema from registry subject {kafka.registry_subject!r}: "
            "set TARDIS_SCHEMA_REGISTRY_URL to the schema registry"
        )
    text, _schema_type = RegistryClient(url).latest_schema(kafka.registry_subject)
    return text


def landing_input(product: DataProduct, settings: Settings) -> KafkaLandingInput:
    """What the `land_kafka` Spark job needs to know about a product (its schema read now)."""
    kafka = product.source.kafka
    assert kafka is not None, f"{product.name} has no kafka source"
    return KafkaLandingInput(
        product=product.name,
        asset_key=naming.asset_string(LAYER, product.name),
        topic=kafka.topic,
        bootstrap=settings.kafka_bootstrap,
        format=kafka.format,
        wire_format=kafka.registry_subject is not None,
        table=naming.raw_table(product.name, settings.namespace_prefix),
        quarantine_table=naming.quarantine_table(product.name, settings.namespace_prefix),
        quarantine_threshold=kafka.quarantine_threshold,
        max_offsets_per_trigger=settings.kafka_max_offsets_per_trigger,
        min_partitions=settings.kafka_min_partitions,
        max_record_bytes=settings.kafka_max_record_bytes,
        format_assertion=kafka.format_assertion,
        **payload_schema(product, settings),
    )


def landing_secrets(product: DataProduct, settings: Settings) -> dict[str, str]:
    """The job's environment secrets: the registry URL (it may carry credentials) for a product whose
    records carry the wire format's schema id, which the job looks up in the registry."""
    kafka = product.source.kafka
    if kafka is None or kafka.registry_subject is None or not settings.schema_registry_url:
        return {}
    return {REGISTRY_URL_ENV: settings.schema_registry_url}


def landing_spec(product: DataProduct) -> dg.AssetSpec:
    """The asset spec of `raw/<product>` for a Kafka product."""
    attributes = asset_attributes(product, LAYER, spec_part=("source",))
    kafka = product.source.kafka
    assert kafka is not None
    attributes["metadata"].update(
        {
            "topic": kafka.topic,
            "format": kafka.format,
            "quarantine_table": naming.quarantine_table(product.name),
        }
    )
    return dg.AssetSpec(kinds={"spark", "iceberg", "kafka"}, skippable=True, **attributes)


def quarantine_check(product: DataProduct) -> dg.AssetCheckSpec:
    """The share of a run's records sent to quarantine stays under the spec's threshold."""
    threshold = product.source.kafka.quarantine_threshold  # type: ignore[union-attr]
    return dg.AssetCheckSpec(
        naming.QUARANTINE_CHECK,
        asset=table_key(LAYER, product.name),
        # Not blocking: quarantining is the designed outcome for bad records, never a failed landing run.
        blocking=False,
        description=(
            f"At most {threshold:.1%} of a run's records may fail to decode "
            "(source.kafka.quarantine_threshold)."
        ),
        metadata={CODE_REFERENCES: product_references(product, ("source", "kafka"))},
    )


def kafka_landing_assets(products: Iterable[DataProduct], settings: Settings) -> list[dg.AssetsDefinition]:
    """One multi-asset per tribe landing its Kafka products."""
    return [
        _tribe_assets(tribe, group, settings)
        for tribe, group in by_tribe(p for p in products if p.source.kind == "kafka")
    ]


def _tribe_assets(tribe: str, products: list[DataProduct], settings: Settings) -> dg.AssetsDefinition:
    by_key = {table_key(LAYER, p.name): p for p in products}

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
            lambda key: spark.results(
                context, OP_NAME, landing_input(by_key[key], settings), landing_secrets(by_key[key], settings)
            ),
            "landing",
        )

    return _land


def landed_end_offsets(
    instance: dg.DagsterInstance, keys: Sequence[dg.AssetKey]
) -> dict[dg.AssetKey, dict[str, int]]:
    """Per asset, the `end_offsets` metadata of its latest materialization ({} if never landed).

    One storage query for all the keys (asset records), not one per product: at 5,000 products the
    sensor's tick would otherwise be 5,000 event-log queries.
    """
    latest = {
        r.asset_entry.asset_key: r.asset_entry.last_materialization for r in instance.get_asset_records(keys)
    }
    landed: dict[dg.AssetKey, dict[str, int]] = {}
    for key in keys:
        event = latest.get(key)
        materialization = event.asset_materialization if event is not None else None
        value = materialization.metadata.get(KafkaLandingResult.END_OFFSETS) if materialization else None
        landed[key] = {str(p): int(o) for p, o in (value.value if value is not None else {}).items()}  # type: ignore[union-attr]
    return landed


def run_requests_by_squad(
    new: Mapping[str, Mapping[str, int]], keys: Mapping[str, dg.AssetKey], squads: Mapping[str, str]
) -> list[dg.RunRequest]:
    """One run per owning squad (`tribe.squad`) for the topics with new records, tagged `tardis/squad`
    (the production instance limits runs in flight per squad by that tag). The run key is the squad's
    topics and end offsets, so the same offsets never start two runs."""
    by_squad: dict[str, dict[str, dict[str, int]]] = {}
    for topic in sorted(new):
        by_squad.setdefault(squads[topic], {})[topic] = dict(new[topic])
    requests = []
    for squad, topics in sorted(by_squad.items()):
        digest = hashlib.sha256(json.dumps([squad, topics], sort_keys=True).encode()).hexdigest()[:32]
        requests.append(
            dg.RunRequest(
                run_key=digest,
                asset_selection=[keys[t] for t in sorted(topics)],
                tags={SQUAD_TAG: squad},
            )
        )
    return requests


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
    products: Iterable[DataProduct], settings: Settings, job_name: str = JOB_NAME
) -> dg.SensorDefinition | None:
    """Requests landing runs for the Kafka products whose topics have records not landed yet: one
    per owning squad (`run_requests_by_squad`), so squads' runs go in parallel and each is limited.
    """
    # Streaming products are landed by their long-running query, not by sensor-started runs.
    sensed = [p for p in products if p.source.kafka is not None and p.schedule != "streaming"]
    keyed = {p.source.kafka.topic: table_key(LAYER, p.name) for p in sensed}  # type: ignore[union-attr]
    squads = {p.source.kafka.topic: f"{p.owner.tribe}.{p.owner.squad}" for p in sensed}  # type: ignore[union-attr]
    if not keyed:
        return None

    @dg.sensor(
        name="kafka_new_records",
        job_name=job_name,
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Lands Kafka topics with offsets beyond those landed (reads broker metadata only); "
        "one run per owning squad.",
    )
    def _sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
        broker = end_offsets(settings.kafka_bootstrap, list(keyed))
        by_key = landed_end_offsets(context.instance, list(keyed.values()))
        new = topics_with_new_records(broker, {topic: by_key[key] for topic, key in keyed.items()})
        if not new:
            return dg.SkipReason("no topic has records beyond those landed")
        return dg.SensorResult(run_requests=run_requests_by_squad(new, keyed, squads))

    return _sensor


def landing_job(assets: list[dg.AssetsDefinition]):
    """The job the sensor starts (any subset of the Kafka landing assets)."""
    return dg.define_asset_job(JOB_NAME, selection=dg.AssetSelection.assets(*assets))
