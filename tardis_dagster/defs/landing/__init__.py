"""Landing: sources (files, Kafka) into the append-only raw layer."""

import dagster as dg

from tardis_dagster.core.settings import Settings
from tardis_dagster.core.specs import SpecCatalog
from tardis_dagster.defs.landing import files, kafka


def landing_definitions(catalog: SpecCatalog, settings: Settings) -> dg.Definitions:
    """The raw assets of every files and Kafka product, the Kafka landing job and its sensor."""
    files_assets = files.files_landing_assets(catalog.products, settings.namespace_prefix)
    kafka_assets = kafka.kafka_landing_assets(catalog.products, settings)
    sensor = kafka.kafka_sensor(catalog.products, settings) if kafka_assets else None
    return dg.Definitions(
        assets=[*([files_assets] if files_assets is not None else []), *kafka_assets],
        jobs=[kafka.landing_job(kafka_assets)] if kafka_assets else [],
        sensors=[sensor] if sensor is not None else [],
    )
