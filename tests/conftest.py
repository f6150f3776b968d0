"""Shared fixtures: the real local platform (Kafka + Spark Connect), started once per test session."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tardis_dagster.tooling import local_platform


@pytest.fixture(scope="session")
def platform() -> Iterator[None]:
    """Start the local platform if it is not running, and stop it afterwards only if we started it.

    `make test` / CI start it up front (so its start-up is visible in the log); this fixture makes a
    plain `pytest` run work too.
    """
    started = [row.service for row in local_platform.up() if row.started]
    yield
    if started and not os.environ.get("TARDIS_KEEP_PLATFORM"):
        local_platform.down()


@pytest.fixture(scope="session")
def spark(platform: None):
    """A Spark Connect session on the local server."""
    from pyspark.sql import SparkSession

    from tardis_dagster.core.settings import get_settings

    return SparkSession.builder.remote(get_settings().spark_remote).getOrCreate()
