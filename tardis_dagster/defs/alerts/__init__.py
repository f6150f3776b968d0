"""Alerts: tell a product's owner and stakeholders when its checks, runs or freshness break, once per
incident, and again when it recovers.

`routing` reads the channel configuration, `incidents` decides when to speak, `message` says what,
`channels` delivers it, and `sensors` watches the Dagster instance (`alert_definitions`).
"""

import dagster as dg

from tardis_dagster.core.settings import Settings
from tardis_dagster.core.specs import SpecCatalog
from tardis_dagster.defs.alerts.sensors import alert_sensors


def alert_definitions(catalog: SpecCatalog, settings: Settings) -> dg.Definitions:
    """The alert sensors: owners and stakeholders hear of failed checks, runs and missed freshness."""
    return dg.Definitions(sensors=alert_sensors(catalog, settings))
