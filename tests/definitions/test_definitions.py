"""The code location: it loads, validates, and its assets carry what the specs say (snapshot)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
from repo_root import PROJECT_ROOT

from tardis_dagster.assembly import SpecProblemsError, build_definitions
from tardis_dagster.core.specs import load_catalog
from tardis_dagster.defs.platform.maintenance import MAINTENANCE_KEY

SNAPSHOT = Path(__file__).parent / "snapshots" / "demo_definitions.json"


def _summary(defs: dg.Definitions) -> dict[str, object]:
    """What a reviewer wants to see change in a diff: every asset's identity, ownership and schedule."""
    assets = {}
    for spec in sorted(defs.resolve_all_asset_specs(), key=lambda s: s.key.to_user_string()):
        assets[spec.key.to_user_string()] = {
            "group": spec.group_name,
            "owners": list(spec.owners),
            "tags": {k: v for k, v in sorted(spec.tags.items()) if not k.startswith("dagster/kind/")},
            "kinds": sorted(spec.kinds),
            "table": spec.metadata.get("dagster/table_name"),
            "description": spec.description,
        }
    schedules = {
        s.name: {
            "cron": s.cron_schedule,
            "assets": sorted(k.to_user_string() for k in _schedule_keys(defs, s)),
        }
        for s in sorted(defs.schedules or [], key=lambda s: s.name)
    }
    graph = defs.resolve_asset_graph()
    checks = sorted(f"{c.asset_key.to_user_string()}:{c.name}" for c in graph.asset_check_keys)
    sensors = sorted(s.name for s in defs.sensors or [])
    return {"assets": assets, "schedules": schedules, "checks": checks, "sensors": sensors}


def _schedule_keys(defs: dg.Definitions, schedule: dg.ScheduleDefinition) -> set[dg.AssetKey]:
    job = defs.resolve_job_def(schedule.job_name)
    return set(job.asset_layer.selected_asset_keys)


def test_demo_definitions_match_snapshot() -> None:
    defs = build_definitions(load_catalog([PROJECT_ROOT / "product_specs"]))
    summary = _summary(defs)
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    assert summary == json.loads(SNAPSHOT.read_text()), "run with UPDATE_SNAPSHOTS=1 and review the diff"


def test_every_asset_has_owner_tribe_squad_kinds_and_table() -> None:
    defs = build_definitions(load_catalog([PROJECT_ROOT / "product_specs"]))
    specs = list(defs.resolve_all_asset_specs())
    assert specs
    for spec in specs:
        assert spec.owners and spec.owners[0].startswith("team:"), spec.key  # the squad, then the contact
        assert spec.tags["tribe"] == spec.group_name, spec.key
        assert spec.tags["squad"], spec.key
        assert spec.description
        if "html" in spec.kinds or spec.key == MAINTENANCE_KEY:  # a report, or work over many tables
            continue
        assert {"spark", "iceberg"} <= set(spec.kinds), spec.key
        layer, table = spec.key.path
        assert spec.metadata["dagster/table_name"] == f"{layer}.{table}"


def test_invalid_specs_stop_the_code_location_with_the_validator_messages(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("apiVersion: tardis/v1\nkind: DataProduct\nname: Bad Name\n")
    with pytest.raises(SpecProblemsError) as raised:
        build_definitions(load_catalog([tmp_path]))
    assert f"{tmp_path / 'broken.yaml'}:3:" in str(raised.value)


def test_dagster_definitions_validate_passes_for_the_workspace(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "dagster"), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "DAGSTER_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All code locations passed validation" in result.stdout + result.stderr


def test_an_error_freshness_rule_becomes_the_std_assets_freshness_policy(tmp_path: Path) -> None:
    (tmp_path / "fresh.yaml").write_text(
        "apiVersion: tardis/v1\nkind: DataProduct\nname: fresh_one\nversion: 1.0.0\ndescription: Fresh.\n"
        'owner: {tribe: marketing, squad: loyalty, contact: "#loyalty"}\n'
        "source:\n  files: {uri: ./drops/, format: csv}\nload: {type: append}\n"
        "schema:\n  - {name: seen_at, type: timestamp}\n"
        "quality:\n  - freshness: {column: seen_at, max_age: 6h}\n"
    )
    defs = build_definitions(load_catalog([tmp_path]))
    spec = next(s for s in defs.resolve_all_asset_specs() if s.key.to_user_string() == "std/fresh_one")
    assert spec.freshness_policy is not None
    assert spec.freshness_policy.fail_window.to_timedelta().total_seconds() == 6 * 3600


def test_files_schedules_and_the_sensors_run_once_loaded() -> None:
    # Data flows after a merge with nobody starting anything in the UI: files products land by cron,
    # Kafka products by the sensor (their cron schedules are started by hand, for fixed-time landings).
    catalog = load_catalog([PROJECT_ROOT / "product_specs"])
    defs = build_definitions(catalog)
    files = {f"raw/{p.name}" for p in catalog.products if p.source.kind == "files"}
    status = {
        s.name: (s.default_status, {k.to_user_string() for k in _schedule_keys(defs, s)})
        for s in defs.schedules or []
    }
    running = {name for name, (state, _) in status.items() if state == dg.DefaultScheduleStatus.RUNNING}
    assert running == {name for name, (_, keys) in status.items() if keys & files}
    assert files <= {k for name in running for k in status[name][1]}  # every files product is scheduled
    assert running != set(status)  # the demo's Kafka-only crons stay stopped
    landing = [s for s in defs.sensors or [] if s.name in ("kafka_new_records", "tardis_automation")]
    assert len(landing) == 2 and all(s.default_status == dg.DefaultSensorStatus.RUNNING for s in landing)
