"""Alerts: tell a product's owner and stakeholders when its checks, runs or freshness break, once per
incident, and again when it recovers.

`routing` reads the channel configuration, `incidents` decides when to speak, `message` says what,
`channels` delivers it, and `sensors` watches the Dagster instance (`alert_definitions`).
"""

from tardis_dagster.defs.alerts.sensors import alert_definitions

__all__ = ["alert_definitions"]
