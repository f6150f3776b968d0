"""Platform telemetry: the compute every Dagster step and Spark query used, written for `platform_telemetry`.

Collected automatically: a run-status sensor fires for every finished run (success or failure) and
writes one JSON-lines file per run into the product's files location, one record per step with the
assets it materialized, their product and owner, start, end and duration (from Dagster's own step
stats). The Spark UI REST API (`settings.spark_ui_url`: the local Connect server's UI, or EMR's live
UI / History Server in production) adds each Spark job's executor CPU time, run time and bytes
read/written, one record per Spark job (query): the job runner tags every Spark job of a step with
the run and step (`spark_job_tag`, set as `TARDIS_SPARK_JOB_TAG` for the job process). Memory-seconds
are estimated from run time. When the UI cannot be reached the records carry Dagster's step duration
only, marked `metrics_source=dagster`, and the cost models fall back to duration as CPU-seconds.
"""

from __future__ import annotations

import json
import urllib.request
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from tardis_dagster.core import naming
from tardis_dagster.core.naming import spark_job_tag


class TelemetryRecord(BaseModel):
    """One record of `platform_telemetry` (field names are the product's contract columns)."""

    record_id: str
    run_id: str
    step_key: str
    query_id: str | None = None
    asset_key: str | None = None
    data_product: str | None = None
    tribe: str | None = None
    squad: str | None = None
    compute_resource_id: str | None = None
    engine: str = "spark"
    started_at: datetime
    ended_at: datetime
    duration_seconds: float
    executor_cpu_seconds: float | None = None
    executor_run_seconds: float | None = None
    memory_gb_seconds: float | None = None
    bytes_read: int | None = None
    bytes_written: int | None = None
    metrics_source: str = "dagster"


def tag_spark_session(spark: Any, run_id: str, step_key: str) -> str:
    """Tag every Spark job this session runs from now on with the step (Spark Connect `addTag`)."""
    tag = spark_job_tag(run_id, step_key)
    spark.addTag(tag)
    return tag


def _get(url: str, timeout: float) -> Any:
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an http(s) URL: {url}")
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - scheme checked above
        return json.loads(response.read().decode())


def spark_metrics(
    ui_url: str, tag: str, *, gb_per_core: float = 2.0, timeout: float = 5.0
) -> list[dict[str, Any]]:
    """Per Spark job carrying `tag`: executor CPU/run time, memory-seconds and bytes from the UI REST API.

    Memory-seconds are estimated as executor run time times the executor memory per core
    (`gb_per_core`); Spark reports peak memory per task, not memory held over time.
    """
    base = ui_url.rstrip("/") + "/api/v1/applications"
    apps = _get(base, timeout)
    out = []
    for app in apps[:1]:  # the live UI serves one application: the running server
        jobs = [
            j
            for j in _get(f"{base}/{app['id']}/jobs", timeout)
            if any(tag in t for t in j.get("jobTags", []))
        ]
        if not jobs:
            continue
        stages = {s["stageId"]: s for s in _get(f"{base}/{app['id']}/stages", timeout)}
        for job in jobs:
            parts = [stages[i] for i in job.get("stageIds", []) if i in stages]
            run_s = sum(s.get("executorRunTime", 0) for s in parts) / 1000
            out.append(
                {
                    "query_id": f"job-{job['jobId']}",
                    "executor_cpu_seconds": sum(s.get("executorCpuTime", 0) for s in parts) / 1e9,
                    "executor_run_seconds": run_s,
                    "memory_gb_seconds": run_s * gb_per_core,
                    "bytes_read": sum(s.get("inputBytes", 0) for s in parts),
                    "bytes_written": sum(s.get("outputBytes", 0) for s in parts),
                    "started_at": job.get("submissionTime"),
                    "ended_at": job.get("completionTime"),
                }
            )
    return out


def _time(value: float | str | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, tz=UTC)
    return datetime.strptime(value.replace("GMT", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z")


def records_for_run(
    run_id: str,
    step_stats: Iterable[Any],
    owners: Mapping[str, tuple[str, str, str]],
    *,
    compute_resource_id: str,
    spark_ui_url: str | None = None,
    planned: Mapping[str, list[str]] | None = None,
) -> list[TelemetryRecord]:
    """Telemetry records for one finished run from its step stats (`instance.get_run_step_stats`).

    `owners` maps an asset key path ("std/recipes") to (product, tribe, squad). A step that
    materialized several assets is charged to the first; one that materialized none (it failed) to
    the first asset it was planned to materialize (`planned`: step key -> asset key paths, see
    `planned_assets`); one without either keeps its step key only.
    """
    records = []
    for stats in step_stats:
        if stats.start_time is None:
            continue  # never started (skipped): it used no compute
        started = _time(stats.start_time)
        ended = _time(stats.end_time) or datetime.now(UTC)
        events = [m.dagster_event for m in (stats.materialization_events or []) if m.dagster_event]
        assets = [e.asset_key.to_user_string() for e in events if e.asset_key is not None]
        assets = assets or list((planned or {}).get(stats.step_key, []))
        asset = assets[0] if assets else None
        product, tribe, squad = owners.get(asset or "", (None, None, None))
        base = {
            "run_id": run_id,
            "step_key": stats.step_key,
            "asset_key": asset,
            "data_product": product,
            "tribe": tribe,
            "squad": squad,
            "compute_resource_id": compute_resource_id,
        }
        measured = []
        if spark_ui_url:
            try:
                measured = spark_metrics(spark_ui_url, spark_job_tag(run_id, stats.step_key))
            except (OSError, ValueError, KeyError):
                measured = []  # the UI is gone once an application ends: keep the step duration
        if not measured:
            records.append(
                TelemetryRecord(
                    record_id=f"{run_id}/{stats.step_key}",
                    started_at=started,
                    ended_at=ended,
                    duration_seconds=max((ended - started).total_seconds(), 0.0),
                    metrics_source="dagster",
                    **base,
                )
            )
            continue
        for job in measured:
            job_start, job_end = _time(job.pop("started_at")) or started, _time(job.pop("ended_at")) or ended
            records.append(
                TelemetryRecord(
                    record_id=f"{run_id}/{stats.step_key}/{job['query_id']}",
                    started_at=job_start,
                    ended_at=job_end,
                    duration_seconds=max((job_end - job_start).total_seconds(), 0.0),
                    metrics_source="spark_ui",
                    **base,
                    **job,
                )
            )
    return records


def planned_assets(instance: Any, run_id: str) -> dict[str, list[str]]:
    """Step key -> the asset key paths it was planned to materialize (the run's planned events)."""
    from dagster import DagsterEventType

    planned: dict[str, list[str]] = defaultdict(list)
    records = instance.get_records_for_run(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION_PLANNED)
    for record in records.records:
        event = record.event_log_entry.dagster_event
        if event is not None and event.step_key and event.asset_key is not None:
            planned[event.step_key].append(event.asset_key.to_user_string())
    return dict(planned)


def write_records(records: list[TelemetryRecord], folder: Path, run_id: str) -> Path | None:
    """Write a run's records as `<folder>/run-<run_id>.json` (JSON lines); rewriting a run replaces it."""
    if not records:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"run-{run_id}.json"
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(record.model_dump_json() + "\n")
    tmp.replace(path)  # atomic: landing never sees half a file
    return path


def owners_by_asset(products: Iterable[Any]) -> dict[str, tuple[str, str, str]]:
    """Asset key path -> (product, tribe, squad) for every layer a product has an asset in."""
    owners: dict[str, tuple[str, str, str]] = defaultdict(lambda: (None, None, None))  # type: ignore[arg-type]
    for p in products:
        for layer in naming.PRODUCT_LAYERS:
            owners[f"{layer}/{p.name}"] = (p.name, p.owner.tribe, p.owner.squad)
    return dict(owners)
