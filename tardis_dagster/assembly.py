"""Assemble the code location's Definitions from a spec catalog, layer by layer."""

from __future__ import annotations

import dagster as dg

from tardis_dagster.core.settings import Settings, get_settings
from tardis_dagster.core.specs import SpecCatalog
from tardis_dagster.defs import schedules
from tardis_dagster.defs.alerts import alert_definitions
from tardis_dagster.defs.cost.assets import cost_report_asset, telemetry_sensors
from tardis_dagster.defs.dbt.assets import build_dbt_assets, dbt_resources
from tardis_dagster.defs.landing import files as files_landing
from tardis_dagster.defs.landing import kafka as kafka_landing
from tardis_dagster.defs.quality.checks import quality_checks
from tardis_dagster.defs.resources import build_resources
from tardis_dagster.defs.standardize.assets import standardize_assets


class SpecProblemsError(dg.DagsterInvalidDefinitionError):
    """The specs do not validate; the message lists every problem, one `path:line:col: ...` per line."""


def build_definitions(catalog: SpecCatalog, settings: Settings | None = None) -> dg.Definitions:
    """All assets, schedules and resources for the products in `catalog`.

    Invalid specs stop the code location from loading with the validator's own messages: publishing
    a product whose contract does not parse would be worse than not loading.
    """
    if catalog.problems:
        listing = "\n".join(str(p) for p in catalog.problems)
        raise SpecProblemsError(f"{len(catalog.problems)} problem(s) in the product specs:\n{listing}")
    settings = settings or get_settings()
    files_assets = files_landing.files_landing_assets(catalog.products)
    kafka_assets = kafka_landing.kafka_landing_assets(catalog.products)
    landing = [*([files_assets] if files_assets is not None else []), *kafka_assets]
    raw_keys = {key.path[-1]: key for a in landing for key in a.keys}
    assets = [*landing, *standardize_assets(catalog.products)]
    jobs, sensors = [], []
    if kafka_assets:
        jobs.append(kafka_landing.landing_job(kafka_assets))
        sensor = kafka_landing.kafka_sensor(catalog.products)
        if sensor is not None:
            sensors.append(sensor)
    sensors.extend(alert_definitions(catalog, settings))  # owners hear of failed checks, runs, freshness
    assets.append(build_dbt_assets())  # dbt: staging, vault, SQL products and cost models, one graph
    assets.append(cost_report_asset(catalog, settings))  # downstream of the dbt cost models
    sensors.extend(telemetry_sensors(catalog, settings))  # compute telemetry of every finished run
    return dg.Definitions(
        assets=assets,
        # Post-publish quality rules, on the published tables defined above.
        asset_checks=quality_checks(catalog, {key for a in assets for key in a.keys}),
        jobs=jobs,
        schedules=schedules.build(catalog.products, raw_keys),
        sensors=sensors,
        resources={**build_resources(settings), **dbt_resources()},
    )
