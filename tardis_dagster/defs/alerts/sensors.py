"""The alert sensors: failed checks, failed runs and missed freshness become incidents, and each
incident is announced once to the product's owner and stakeholders, with one recovery message.

- `tardis_alerts` polls the latest execution of every asset check and the freshness state of every
  asset of a product; its open incidents live in its cursor.
- `tardis_alerts_run_failure` / `tardis_alerts_run_recovery` (run status sensors) open an incident per
  product whose assets a failed run was to materialize, and close it when a run materializing them
  succeeds; their open incidents live in the instance's key-value store, one key per product, since
  two sensors share them.
"""

import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import dagster as dg
from dagster._core.definitions.freshness import FreshnessState
from dagster._core.storage.asset_check_execution_record import (
    AssetCheckExecutionRecord,
    AssetCheckExecutionRecordStatus,
)

from tardis_dagster.core import naming
from tardis_dagster.core.settings import Settings
from tardis_dagster.core.specs import DataProduct, SpecCatalog
from tardis_dagster.defs.alerts import incidents
from tardis_dagster.defs.alerts.channels import deliver
from tardis_dagster.defs.alerts.message import Alert, asset_link, checks_link, make_alert, run_link
from tardis_dagster.defs.alerts.routing import AlertRouting, load_routing

RUN_STATE_PREFIX = "tardis/alerts/run/"
SENSOR_INTERVAL_SECONDS = 60
MAX_METADATA_ENTRIES = 6
_LINK_LAYER_ORDER = (
    naming.STD,
    naming.MART,
    naming.RAW,
    naming.STG,
)  # which asset a run alert links to first


@dataclass(frozen=True)
class ProductIndex:
    """Which product an asset belongs to: `[layer, <product>]` or `[layer, <product>__<suffix>]`."""

    products: Mapping[str, DataProduct]

    @classmethod
    def of(cls, catalog: SpecCatalog) -> "ProductIndex":
        """The index of every valid product in `catalog`."""
        return cls({product.name: product for product in catalog.products})

    def product_for(self, key: dg.AssetKey) -> DataProduct | None:
        """The product owning the asset `key`, or None (vault tables, cost tables, foreign assets)."""
        if len(key.path) != 2 or key.path[0] not in naming.PRODUCT_LAYERS:
            return None
        return self.products.get(naming.product_of(key.path[1]))


@dataclass(frozen=True)
class AlertSetup:
    """Everything an alert sensor needs besides the instance: products, routing and the UI address."""

    index: ProductIndex
    routing: AlertRouting
    dagster_url: str


def alert_sensors(catalog: SpecCatalog, settings: Settings) -> list[dg.SensorDefinition]:
    """The alert sensors for the products of `catalog`, routed as `settings.alerts_config` says.

    The routing file is read here, once: an invalid one stops the code location from loading with
    a message naming its line, rather than dropping alerts later.
    """
    setup = AlertSetup(ProductIndex.of(catalog), load_routing(settings), settings.dagster_url)
    return [check_and_freshness_sensor(setup), *run_sensors(setup)]


# --- checks and freshness ---------------------------------------------------------------------------


def check_and_freshness_sensor(setup: AlertSetup) -> dg.SensorDefinition:
    """A sensor alerting on asset check failures and freshness misses of product assets."""

    @dg.sensor(
        name="tardis_alerts",
        minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Alerts owners and stakeholders once per failing check or missed freshness, "
        "and once more when it passes again.",
    )
    def tardis_alerts(context: dg.SensorEvaluationContext) -> dg.SkipReason:
        state = incidents.loads(context.cursor)
        repository = context.repository_def
        check_keys = [] if repository is None else list(repository.asset_graph.asset_check_keys)
        asset_keys = [] if repository is None else list(repository.asset_graph.get_all_asset_keys())
        check_keys = [k for k in check_keys if setup.index.product_for(k.asset_key) is not None]
        asset_keys = [k for k in asset_keys if setup.index.product_for(k) is not None]
        now = time.time()
        records = (
            context.instance.event_log_storage.get_latest_asset_check_execution_by_key(check_keys)
            if check_keys
            else {}
        )
        alerts = check_alerts(records.values(), setup, state, now)
        freshness = context.instance.get_freshness_state_records(asset_keys) if asset_keys else {}
        alerts += freshness_alerts(
            {key: record.freshness_state for key, record in freshness.items()}, setup, state, now
        )
        send_all(alerts, setup.routing, context.log)
        context.update_cursor(incidents.dumps(state))
        return dg.SkipReason(f"{len(alerts)} alert(s) sent, {len(state)} incident(s) open")

    return tardis_alerts


def check_alerts(
    records: Iterable[AssetCheckExecutionRecord],
    setup: AlertSetup,
    state: incidents.IncidentState,
    now: float,
) -> list[Alert]:
    """Alerts for check executions that open or close an incident (`state` is updated)."""
    alerts = []
    for record in records:
        if record.status not in (
            AssetCheckExecutionRecordStatus.SUCCEEDED,
            AssetCheckExecutionRecordStatus.FAILED,
        ):
            continue  # planned (running) checks say nothing yet
        product = setup.index.product_for(record.key.asset_key)
        if product is None:
            continue
        evaluation = record.event.asset_check_evaluation if record.event is not None else None
        path = record.key.asset_key.path
        incident = incidents.incident_id("check", "/".join(path), record.key.name)
        value = describe_evaluation(evaluation) if evaluation is not None else None
        failing = record.status == AssetCheckExecutionRecordStatus.FAILED
        kind = incidents.observe(state, incident, failing=failing, now=now, value=value)
        if kind is None:
            continue
        alerts.append(
            make_alert(
                kind,
                incident,
                "check",
                product,
                path,
                checks_link(setup.dagster_url, path),
                check=record.key.name,
                severity=evaluation.severity.value if evaluation is not None else None,
                value=value,
                run_link=run_link(setup.dagster_url, record.run_id),
            )
        )
    return alerts


def describe_evaluation(evaluation: dg.AssetCheckEvaluation) -> str:
    """The failing value of a check: its description and its scalar metadata (`failing_rows=3, ...`)."""
    parts = [evaluation.description] if evaluation.description else []
    shown = 0
    for name, entry in evaluation.metadata.items():
        value = entry.value
        if isinstance(value, str | int | float | bool) and shown < MAX_METADATA_ENTRIES:
            parts.append(f"{name}={value}")
            shown += 1
    return "; ".join(parts) if parts else ("passed" if evaluation.passed else "failed")


def freshness_alerts(
    states: Mapping[dg.AssetKey, FreshnessState],
    setup: AlertSetup,
    state: incidents.IncidentState,
    now: float,
) -> list[Alert]:
    """Alerts for assets whose freshness state turned FAIL, or PASS again (`state` is updated)."""
    alerts = []
    for key, freshness in states.items():
        if freshness not in (FreshnessState.FAIL, FreshnessState.PASS):
            continue  # WARN, UNKNOWN and NOT_APPLICABLE neither open nor close an incident
        product = setup.index.product_for(key)
        if product is None:
            continue
        incident = incidents.incident_id("freshness", "/".join(key.path))
        value = f"freshness state {freshness.value}"
        kind = incidents.observe(
            state, incident, failing=freshness == FreshnessState.FAIL, now=now, value=value
        )
        if kind is not None:
            link = asset_link(setup.dagster_url, key.path)
            alerts.append(make_alert(kind, incident, "freshness", product, key.path, link, value=value))
    return alerts


# --- runs -------------------------------------------------------------------------------------------


def run_sensors(setup: AlertSetup) -> list[dg.SensorDefinition]:
    """A run failure sensor opening run incidents and a run success sensor closing them."""

    @dg.run_failure_sensor(
        name="tardis_alerts_run_failure",
        minimum_interval_seconds=SENSOR_INTERVAL_SECONDS // 2,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Alerts owners and stakeholders once when runs of their product start failing.",
    )
    def tardis_alerts_run_failure(context: dg.RunFailureSensorContext) -> None:
        record_run(context.instance, context.dagster_run, setup, failing=True, log=context.log)

    @dg.run_status_sensor(
        run_status=dg.DagsterRunStatus.SUCCESS,
        name="tardis_alerts_run_recovery",
        minimum_interval_seconds=SENSOR_INTERVAL_SECONDS // 2,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Tells owners and stakeholders when a product whose runs failed runs fine again.",
    )
    def tardis_alerts_run_recovery(context: dg.RunStatusSensorContext) -> None:
        record_run(context.instance, context.dagster_run, setup, failing=False, log=context.log)

    return [tardis_alerts_run_failure, tardis_alerts_run_recovery]


def record_run(
    instance: dg.DagsterInstance, run: dg.DagsterRun, setup: AlertSetup, *, failing: bool, log: logging.Logger
) -> list[Alert]:
    """Open (failed run) or close (successful run) the run incidents of the products in `run`."""
    by_product: dict[str, list[dg.AssetKey]] = {}
    for key in run_asset_keys(instance, run):
        product = setup.index.product_for(key)
        if product is not None:
            by_product.setdefault(product.name, []).append(key)
    if not by_product:
        return []
    storage_keys = {name: RUN_STATE_PREFIX + name for name in by_product}
    stored = instance.daemon_cursor_storage.get_cursor_values(set(storage_keys.values()))
    state: incidents.IncidentState = {}
    for storage_key in storage_keys.values():
        state.update(incidents.loads(stored.get(storage_key)))
    value = run_error(instance, run) if failing else None
    now = time.time()
    alerts, changed = [], {}
    for name, keys in sorted(by_product.items()):
        product = setup.index.products[name]
        incident = incidents.incident_id("run", name)
        kind = incidents.observe(state, incident, failing=failing, now=now, value=value)
        if kind is None:
            continue
        key = min(keys, key=lambda k: (_LINK_LAYER_ORDER.index(k.path[0]), k.path))
        alerts.append(
            make_alert(
                kind,
                incident,
                "run",
                product,
                key.path,
                asset_link(setup.dagster_url, key.path),
                value=value,
                run_link=run_link(setup.dagster_url, run.run_id),
                details=(("Job", run.job_name),),
            )
        )
        own = {incident: state[incident]} if incident in state else {}
        changed[storage_keys[name]] = incidents.dumps(own)
    if changed:
        instance.daemon_cursor_storage.set_cursor_values(changed)
    send_all(alerts, setup.routing, log)
    return alerts


def run_asset_keys(instance: dg.DagsterInstance, run: dg.DagsterRun) -> set[dg.AssetKey]:
    """The assets a run was to materialize: its selection, or its planned materializations."""
    if run.asset_selection:
        return set(run.asset_selection)
    planned = instance.get_records_for_run(
        run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED
    ).records
    return {
        record.event_log_entry.dagster_event.asset_key
        for record in planned
        if record.event_log_entry.dagster_event is not None
        and record.event_log_entry.dagster_event.asset_key is not None
    }


def run_error(instance: dg.DagsterInstance, run: dg.DagsterRun) -> str:
    """The first step error of a failed run (`step: message`), or a plain `run failed`."""
    failures = instance.get_records_for_run(run.run_id, of_type=dg.DagsterEventType.STEP_FAILURE).records
    for record in failures:
        event = record.event_log_entry.dagster_event
        if event is not None and event.step_failure_data is not None and event.step_failure_data.error:
            error = event.step_failure_data.error
            while error.cause is not None:  # Dagster wraps the user's exception: report the root
                error = error.cause
            message = error.message.strip().splitlines()[0]
            return f"{event.step_key}: {message}"
    return f"run {run.run_id} failed"


# --- sending ----------------------------------------------------------------------------------------


def send_all(alerts: Sequence[Alert], routing: AlertRouting, log: logging.Logger) -> None:
    """Deliver every alert; a channel that fails is logged, never retried (no alert storms)."""
    for alert in alerts:
        for delivery in deliver(alert, routing):
            if delivery.ok:
                log.info(f"alert {alert.kind} {alert.incident} sent via {delivery.channel}")
            else:
                log.warning(
                    f"alert {alert.kind} {alert.incident} via {delivery.channel} failed: {delivery.error}"
                )
