"""One `tardis test` run: the product's assets and checks materialized through the code location's own
definitions (`build_definitions`, as `dagster dev` loads them) on a temporary Dagster instance."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import dagster as dg

from tardis_dagster.assembly import build_definitions
from tardis_dagster.core.naming import QUARANTINE_CHECK
from tardis_dagster.tooling.localtest.workspace import LAYERS, Workspace

# Dagster's step-by-step log stays off the terminal: the report says what happened.
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@dataclass(frozen=True)
class StepTiming:
    """A step of the run and how long it took."""

    step: str
    assets: list[str]
    seconds: float
    status: str  # succeeded | failed | skipped


@dataclass(frozen=True)
class CheckOutcome:
    """One asset check's result."""

    asset: str
    check: str
    passed: bool
    severity: str
    detail: str = ""
    values: dict[str, str] = field(default_factory=dict)  # the check's metadata as text


@dataclass
class RunOutcome:
    """What the run did: steps, checks, materialized assets and errors."""

    success: bool
    steps: list[StepTiming] = field(default_factory=list)
    checks: list[CheckOutcome] = field(default_factory=list)
    materialized: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    build_seconds: float = 0.0  # building the definitions (the throwaway dbt project parsed)

    def failing_checks(self, expected_quarantine: int | None = None) -> list[CheckOutcome]:
        """Checks that failed with ERROR severity (a WARN is reported only). With synthetic data,
        `expected_quarantine` invalid records were made on purpose: a quarantine share of exactly
        those is what the run must show, not a failure."""
        return [
            c
            for c in self.checks
            if not c.passed
            and c.severity == "ERROR"
            and not (
                expected_quarantine is not None
                and c.check == QUARANTINE_CHECK
                and c.values.get("records_quarantined") == str(expected_quarantine)
            )
        ]


def selected_keys(defs: dg.Definitions) -> list[dg.AssetKey]:
    """The run's assets: every table asset of the workspace's catalog (landing, std, staging, vault,
    marts); the platform's own (cost report, adoption) are left out."""
    keys = [key for assets in defs.assets or [] for key in assets.keys]  # type: ignore[union-attr]
    return sorted({k for k in keys if k.path[0] in LAYERS}, key=lambda k: k.to_user_string())


def run_product(workspace: Workspace) -> RunOutcome:
    """Materialize the workspace's assets and their checks in one in-process run and report it."""
    start = time.monotonic()
    defs = build_definitions(workspace.catalog, workspace.settings)
    build_seconds = time.monotonic() - start
    keys = selected_keys(defs)
    job = defs.resolve_implicit_global_asset_job_def()
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(
            instance=instance, asset_selection=keys, raise_on_error=False, run_config=QUIET
        )
        outcome = RunOutcome(success=result.success, build_seconds=build_seconds)
        outcome.steps = _timings(instance, result.run_id)
        for evaluation in result.get_asset_check_evaluations():
            outcome.checks.append(
                CheckOutcome(
                    asset=evaluation.asset_key.to_user_string(),
                    check=evaluation.check_name,
                    passed=evaluation.passed,
                    severity=evaluation.severity.value,
                    detail=_check_detail(evaluation),
                    values={k: str(getattr(v, "value", v)) for k, v in (evaluation.metadata or {}).items()},
                )
            )
        outcome.materialized = sorted(
            {e.asset_key.to_user_string() for e in result.get_asset_materialization_events() if e.asset_key}
        )
        for failure in result.get_step_failure_events():
            data = failure.step_failure_data
            message = data.user_failure_data.description if data.user_failure_data else None
            if message is None and data.error is not None:
                message = data.error.message.strip().splitlines()[-1]
            outcome.errors.append(f"{failure.step_key}: {message or 'failed'}")
    return outcome


# Metadata of dbt test results that says nothing about the data.
_NOISE = frozenset({"unique_id", "invocation_id", "Execution Duration", "table"})
FAILED_ROWS = "dagster_dbt/failed_row_count"


def _check_detail(evaluation: dg.AssetCheckEvaluation) -> str:
    """The failing value or the audits that failed, from the check's metadata (never a sample row)."""
    parts = []
    for key, value in (evaluation.metadata or {}).items():
        if "sample" in key or key in _NOISE or (key.startswith("dagster/") and key != FAILED_ROWS):
            continue  # samples may hold row values; the report shows counts and reasons only
        text = str(getattr(value, "value", value))
        if len(text) <= 120:
            parts.append(f"{key}={text}")
    if evaluation.description:
        parts.insert(0, evaluation.description)
    return "; ".join(parts)[:300]


def _timings(instance: dg.DagsterInstance, run_id: str) -> list[StepTiming]:
    """Per step: its assets, wall seconds from start to end, and status."""
    starts: dict[str, float] = {}
    ends: dict[str, tuple[float, str]] = {}
    assets: dict[str, set[str]] = {}
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or event.step_key is None:
            continue
        step = event.step_key
        if event.event_type == dg.DagsterEventType.STEP_START:
            starts[step] = entry.timestamp
        elif event.event_type == dg.DagsterEventType.STEP_SUCCESS:
            ends[step] = (entry.timestamp, "succeeded")
        elif event.event_type == dg.DagsterEventType.STEP_FAILURE:
            ends[step] = (entry.timestamp, "failed")
        elif event.event_type == dg.DagsterEventType.STEP_SKIPPED:
            ends[step] = (entry.timestamp, "skipped")
        elif event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION and event.asset_key:
            assets.setdefault(step, set()).add(event.asset_key.to_user_string())
    timings = []
    for step in sorted(set(starts) | set(ends), key=lambda s: starts.get(s, ends.get(s, (0.0, ""))[0])):
        end, status = ends.get(step, (starts.get(step, 0.0), "failed"))
        seconds = max(end - starts.get(step, end), 0.0)
        timings.append(StepTiming(step, sorted(assets.get(step, set())), seconds, status))
    return timings
