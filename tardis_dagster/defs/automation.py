"""The platform's automation: one automation-condition sensor over every asset, running by default.

Dagster adds a `default_automation_condition_sensor` for assets with automation conditions, but
creates it STOPPED: data would stop at raw until someone found the Automation page. This sensor
covers the same assets (so that default one is not created) and starts RUNNING in `dagster dev` and
after a deploy alike. What it runs is decided by each asset's condition: std, quality checks,
staging, vault and SQL products are eager (they follow their inputs, in the same run where they can),
the cost report too; raw landing is started by the `kafka_new_records` sensor and the cron schedules.
"""

from __future__ import annotations

import dagster as dg

SENSOR_NAME = "tardis_automation"
# Dagster's default interval: a new batch waits at most this long before std/vault are requested.
INTERVAL_SECONDS = 30


def automation_sensor() -> dg.AutomationConditionSensorDefinition:
    """The sensor evaluating the automation conditions of every asset and check of the code location."""
    return dg.AutomationConditionSensorDefinition(
        SENSOR_NAME,
        target=dg.AssetSelection.all(),
        default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=INTERVAL_SECONDS,
        description=(
            "Runs std, checks, staging, vault, SQL products and reports when their inputs update "
            "(each asset's automation condition). Running by default: data flows with no clicks."
        ),
    )


def automation_definitions() -> dg.Definitions:
    """The platform's automation sensor."""
    return dg.Definitions(sensors=[automation_sensor()])
