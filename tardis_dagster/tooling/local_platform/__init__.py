"""The local platform: a real Kafka broker and a Spark Connect server, run from Maven-resolved jars.

`tardis local up|down|status` drives it; tests and `make dev` use the same functions.
"""

from tardis_dagster.tooling.local_platform.platform import ServiceStatus, down, status, up

__all__ = ["ServiceStatus", "down", "status", "up"]
