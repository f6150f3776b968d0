"""Dagster definitions of the cost layer: the cost report asset and the telemetry sensors.

The report reads the cost tables the dbt cost models build (`cost.cost_daily`, ...), forecasts the
next 12 months, renders `report.html` (self-contained) and `report.png` into the lake and links them
in the materialization's metadata with Markdown headline tables.
"""

from pathlib import Path

import dagster as dg

from tardis_dagster.core import naming
from tardis_dagster.core.settings import Settings
from tardis_dagster.core.specs import SpecCatalog
from tardis_dagster.defs.cost import dashboard, telemetry
from tardis_dagster.defs.cost import forecast as cost_forecast
from tardis_dagster.lib.attributes import table_key

COST_SCHEMA = naming.COST
UPSTREAM = ("cost_daily", "cost_product_daily", "cost_query", "cost_reconciliation")
BUDGET_FILE = "platform/cost_budget.csv"  # under the specs folder: budgets are reviewed like specs
TELEMETRY_PRODUCT = "platform_telemetry"


def report_folder(settings: Settings) -> Path:
    """Where the report lands: the lake's `cost/` folder beside the warehouse."""
    return settings.home / "lake" / COST_SCHEMA / "report"


def read_report_data(
    spark, schema: str = COST_SCHEMA, budget_path: Path | None = None
) -> dashboard.CostReportData:
    """The report's inputs from the cost tables, the forecast from `cost_daily`, and the budget if any."""
    daily = spark.table(f"{schema}.cost_daily").toPandas()
    products = spark.table(f"{schema}.cost_product_daily").toPandas()
    queries = spark.sql(
        f"select * from {schema}.cost_query where usage_date >= "
        f"(select add_months(max(usage_date), -1) from {schema}.cost_query)"
    ).toPandas()
    budget = cost_forecast.load_budget(budget_path) if budget_path and budget_path.exists() else None
    result = cost_forecast.forecast(daily) if not daily.empty else None
    return dashboard.CostReportData(daily, products, queries, result, budget)


def cost_report_asset(
    catalog: SpecCatalog, settings: Settings, schema: str = COST_SCHEMA
) -> dg.AssetsDefinition:
    """The `cost/cost_report` asset, downstream of the dbt cost models (read from `schema`: tests
    point it at cost tables of their own, as the dbt var `cost_schema` does for the models)."""

    @dg.asset(
        key=table_key(COST_SCHEMA, naming.COST_REPORT),
        deps=[table_key(COST_SCHEMA, name) for name in UPSTREAM],
        group_name="platform",
        owners=["team:finops"],
        tags={"tribe": "platform", "squad": "finops", "layer": COST_SCHEMA},
        kinds={"html", "spark"},
        description=(
            "Cost report: spend by tribe/squad over time, top products and queries, month-over-month "
            "movers, 12-month forecast vs budget, unallocated share. Self-contained HTML in the lake."
        ),
        automation_condition=dg.AutomationCondition.eager(),
    )
    def cost_report(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        from pyspark.sql import SparkSession

        spark = SparkSession.builder.remote(settings.spark_remote).getOrCreate()
        data = read_report_data(spark, schema, budget_path=settings.specs_dir / BUDGET_FILE)
        written = dashboard.write_report(data, report_folder(settings))
        context.log.info(f"cost report written to {written['html']}")
        metadata: dict[str, object] = {
            "report": dg.MetadataValue.url(written["html"].as_uri()),
            "report_path": dg.MetadataValue.path(str(written["html"])),
            "png_path": dg.MetadataValue.path(str(written["png"])),
            "total_cost_usd": float(data.daily["effective_cost"].astype(float).sum()),
        }
        if data.forecast is not None:
            metadata["forecast_method"] = data.forecast.method
            if data.forecast.backtest.mape is not None:
                metadata["forecast_backtest_mape"] = round(data.forecast.backtest.mape, 4)
        for key, text in written["markdown"].items():
            metadata[key] = dg.MetadataValue.md(text)
        return dg.MaterializeResult(metadata=metadata)

    return cost_report


def telemetry_sensors(catalog: SpecCatalog, settings: Settings) -> list[dg.SensorDefinition]:
    """Run-status sensors that write telemetry for every finished run into `platform_telemetry`'s folder."""
    product = next((p for p in catalog.products if p.name == TELEMETRY_PRODUCT), None)
    if product is None or product.source.files is None or product.source.files.is_remote:
        return []  # remote (s3://) telemetry is written by the production deployment's own uploader
    folder = Path(product.files_location())
    owners = telemetry.owners_by_asset(catalog.products)
    spark_ui = settings.spark_ui_url  # local: the Connect server's UI; production: EMR's / History Server
    compute = settings.compute_resource_id or f"spark-connect:{settings.spark_connect_port}"

    def record(context: dg.RunStatusSensorContext) -> dg.SkipReason:
        run_id = context.dagster_run.run_id
        stats = context.instance.get_run_step_stats(run_id)
        records = telemetry.records_for_run(
            run_id,
            stats,
            owners,
            compute_resource_id=compute,
            spark_ui_url=spark_ui,
            planned=telemetry.planned_assets(context.instance, run_id),  # a failed step served them too
        )
        path = telemetry.write_records(records, folder, run_id)
        return dg.SkipReason(f"telemetry of {len(records)} step(s) written to {path}")

    sensors = []
    for status in (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE):

        @dg.run_status_sensor(
            run_status=status,
            name=f"cost_telemetry_on_{status.value.lower()}",
            description="Writes the compute each step of a finished run used (platform_telemetry).",
            default_status=dg.DefaultSensorStatus.RUNNING,
        )
        def _sensor(context: dg.RunStatusSensorContext) -> dg.SkipReason:
            return record(context)

        sensors.append(_sensor)
    return sensors


def cost_definitions(catalog: SpecCatalog, settings: Settings) -> dg.Definitions:
    """The cost layer's assets and sensors (the dbt cost models come with the dbt assets)."""
    return dg.Definitions(
        assets=[cost_report_asset(catalog, settings)], sensors=telemetry_sensors(catalog, settings)
    )
