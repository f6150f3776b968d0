"""Run one Kafka landing of a spec file in this process (the test kills it with SIGKILL mid-run)."""

from __future__ import annotations

import sys
from pathlib import Path

import dagster as dg

from tardis_dagster.core.settings import get_settings
from tardis_dagster.core.specs import load_catalog
from tardis_dagster.defs.landing.kafka import kafka_landing_assets
from tardis_dagster.defs.resources import SparkJobRunner

if __name__ == "__main__":
    spec_dir, name = Path(sys.argv[1]), sys.argv[2]
    product = load_catalog([spec_dir]).by_name(name)
    result = dg.materialize(
        kafka_landing_assets([product], get_settings()),
        resources={"spark": SparkJobRunner(spark_remote=get_settings().spark_remote)},
    )
    sys.exit(0 if result.success else 1)
