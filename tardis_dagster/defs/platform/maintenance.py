"""The `platform/table_maintenance` asset: Iceberg snapshot expiry and small-file compaction, daily.

Covers the tables Tardis's own jobs write (raw, quarantine, std, rejects, change streams), which a
minute-by-minute landing fills with snapshots and small files; the job (`jobs/table_maintenance.py`)
never expires a snapshot the landing ledger or std's incremental read still needs. Runs through the
platform's automation at night, or from the UI.

No `from __future__ import annotations` here: Dagster inspects the `context` annotation at runtime.
"""

import dagster as dg

from tardis_dagster.core import naming
from tardis_dagster.core.jobs_io import MaintainedTable, MaintenanceInput
from tardis_dagster.core.specs import SpecCatalog
from tardis_dagster.lib.spark_runner import SparkJobRunner

MAINTENANCE_KEY = dg.AssetKey(["platform", "table_maintenance"])
JOB = "table_maintenance"
SCHEDULE = "0 3 * * *"  # at night, when landings are few: compaction commits race fewer appends


def maintained_tables(catalog: SpecCatalog, prefix: str = "") -> list[MaintainedTable]:
    """Every table the platform's jobs write for the landed products, raw ones with their readers."""
    tables = []
    for product in catalog.products:
        if product.source.kind == "sql":
            continue  # dbt builds mart tables (one commit per run)
        changes = naming.changes_table(product.name, product.load.type, prefix)
        std = naming.std_table(product.name, prefix)
        readers = [std, *([changes] if changes else [])]
        tables += [
            MaintainedTable(naming.raw_table(product.name, prefix), read_by=readers),
            MaintainedTable(naming.quarantine_table(product.name, prefix)),
            *(MaintainedTable(table) for table in readers),
            MaintainedTable(naming.rejects_table(product.name, prefix)),
        ]
    return tables


def maintenance_asset(catalog: SpecCatalog, prefix: str = "") -> dg.AssetsDefinition:
    """`platform/table_maintenance` over the tables of `catalog`'s landed products."""
    job = MaintenanceInput(tables=maintained_tables(catalog, prefix))

    @dg.asset(
        key=MAINTENANCE_KEY,
        group_name="platform",
        owners=["team:platform"],
        tags={"tribe": "platform", "squad": "platform", "layer": "platform"},
        kinds={"iceberg", "spark"},
        description=(
            "Iceberg maintenance of the raw and std tables: small files compacted, snapshots older "
            f"than {job.snapshot_retention_hours} h expired (the newest {job.retain_last} and any the "
            "landing ledger or std's incremental read needs are kept)."
        ),
        automation_condition=dg.AutomationCondition.on_cron(SCHEDULE),
    )
    def table_maintenance(context: dg.AssetExecutionContext, spark: SparkJobRunner):
        return spark.results(context, JOB, job)

    return table_maintenance
