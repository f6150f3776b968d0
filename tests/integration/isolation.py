"""Isolation of a test that runs a whole code location (daemon, sensors, automation) on the platform.

Such a code location would otherwise write the demo's shared tables, which the demo tests, on another
xdist worker, compare and read meanwhile. It gets a topic and table namespaces of its own instead
(TARDIS_NAMESPACE_PREFIX); the `isolated` fixture (conftest) drops the namespaces at the end.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from kafka_helpers import fresh_topic

from tardis_dagster.tooling.localtest.tables import drop_namespaces
from tardis_dagster.tooling.localtest.workspace import LAYERS


@dataclass(frozen=True)
class Isolated:
    """A topic and a namespace prefix of one test's own."""

    topic: str
    prefix: str

    @classmethod
    def fresh(cls) -> Isolated:
        """A new topic (2 partitions) and prefix `it_auto_<8 hex>_`."""
        return cls(fresh_topic(partitions=2), f"it_auto_{uuid.uuid4().hex[:8]}_")

    def table(self, layer: str, name: str) -> str:
        """`<prefix><layer>.<name>`."""
        return f"{self.prefix}{layer}.{name}"

    def drop(self, spark) -> None:
        """Drop every namespace of the prefix, with its tables and folders."""
        drop_namespaces(spark, [self.prefix + layer for layer in LAYERS], self.prefix)
