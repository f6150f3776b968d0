"""Dagster as in production, on one machine: the daemon and the webserver on a DAGSTER_HOME holding
deploy/dagster.postgres-local.yaml, whose run, event-log and schedule storage is a real PostgreSQL
(Debian's package, started here on its own port and stopped by pid). A new Kafka record batch is landed
by the `kafka_new_records` sensor and std and the vault's hub follow through the `tardis_automation`
sensor, nobody clicking; the runs and the materializations are read through the webserver's GraphQL,
and no SQLite file appears under DAGSTER_HOME. One product (`deliveries`, the same copy as
test_automation_default, on a topic and in namespaces of its own), one batch of 20 events.
Runtime: ~2.5 minutes here with the shared platform up, most of it the runs.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
from dagster_processes import daemon_command, dagster_processes, free_port, graphql, webserver_command
from isolation import Isolated
from repo_root import PROJECT_ROOT
from test_automation_default import PRODUCT, _produce_events, _specs

from tardis_dagster.tooling.local_platform.ephemeral import running
from tardis_dagster.tooling.local_platform.postgres import DATABASE, USER, PostgresService

pytestmark = pytest.mark.platform

TIMEOUT = 900  # seconds from the daemon's start until landing, std and the hub are materialized
WANTED = [["raw", PRODUCT], ["std", PRODUCT], ["vault", "hub_delivery"]]
LATEST = """
query ($path: [String!]!) {
  assetOrError(assetKey: {path: $path}) {
    ... on Asset { assetMaterializations(limit: 1) { runId } }
  }
}
"""
RUNS = """
query ($ids: [String!]!) {
  runsOrError(filter: {runIds: $ids}) {
    ... on Runs { results { runId status tags { key value } } }
  }
}
"""


@pytest.fixture
def postgres_env() -> Iterator[dict[str, str]]:
    """A PostgreSQL of this test's own (folder under /tmp, free port); stopped by pid at the end."""
    folder = Path(tempfile.mkdtemp(prefix="tardis-pg-"))
    service = PostgresService(folder, free_port())
    try:
        with running([service]):
            yield {
                "DAGSTER_PG_HOST": "127.0.0.1",
                "DAGSTER_PG_PORT": str(service.port),
                "DAGSTER_PG_DB": DATABASE,
                "DAGSTER_PG_USERNAME": USER,
                # The server trusts loopback; the instance schema still wants the variable set.
                "DAGSTER_PG_PASSWORD": "unused-with-loopback-trust",
            }
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def production_home(
    tmp_path: Path, postgres_env: dict[str, str], isolated: Isolated
) -> Iterator[tuple[Path, int]]:
    """Webserver and daemon on the Postgres instance, ended by their process-group ids at the end."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "deploy" / "dagster.postgres-local.yaml", home / "dagster.yaml")
    env = {**os.environ, **postgres_env, "DAGSTER_HOME": str(home)}
    os.environ.update(postgres_env)  # for the schema creation below, in this process
    # Create the schema once before two processes would migrate it at the same time.
    dg.DagsterInstance.from_config(str(home)).dispose()
    routing = tmp_path / "alerts.yaml"
    routing.write_text("log_file:\n  path: alerts.log\n")
    port = free_port()
    env |= {
        "TARDIS_SPECS_DIR": str(_specs(tmp_path / "specs", isolated.topic)),
        "TARDIS_NAMESPACE_PREFIX": isolated.prefix,
        "TARDIS_ALERTS_CONFIG": str(routing),
        "TARDIS_DAGSTER_URL": f"http://127.0.0.1:{port}",
    }
    commands = {"daemon": daemon_command(), "webserver": webserver_command(port)}
    try:
        with dagster_processes(commands, env, tmp_path / "logs"):
            yield home, port
    finally:
        for name in postgres_env:
            os.environ.pop(name, None)


def _latest_run(port: int, path: list[str]) -> str | None:
    try:
        answer = graphql(port, LATEST, {"path": path})
    except OSError:
        return None  # the webserver is still starting
    asset = (answer.get("data") or {}).get("assetOrError") or {}
    found = asset.get("assetMaterializations") or []
    return found[0]["runId"] if found else None


def test_daemon_on_postgres_lands_and_standardizes_a_new_batch(
    production_home: tuple[Path, int], isolated: Isolated, spark
) -> None:
    home, port = production_home
    ids = _produce_events(20, isolated.topic)
    deadline = time.monotonic() + TIMEOUT
    run_ids: dict[str, str] = {}
    while time.monotonic() < deadline and len(run_ids) < len(WANTED):
        for path in WANTED:
            if "/".join(path) not in run_ids and (run_id := _latest_run(port, path)):
                run_ids["/".join(path)] = run_id
        time.sleep(5)
    assert len(run_ids) == len(WANTED), (
        f"materialized within {TIMEOUT}s: {run_ids}; see {home.parent / 'logs'}"
    )
    answer = graphql(port, RUNS, {"ids": sorted(set(run_ids.values()))})
    runs = {r["runId"]: r for r in answer["data"]["runsOrError"]["results"]}
    tags = {rid: {t["key"]: t["value"] for t in run["tags"]} for rid, run in runs.items()}
    assert set(runs) == set(run_ids.values()), runs  # the webserver serves every run from Postgres
    # The landing run was launched by the daemon's sensor, std's by the automation sensor.
    assert tags[run_ids[f"raw/{PRODUCT}"]].get("dagster/sensor_name") == "kafka_new_records"
    # one landing run per owning squad, tagged so the instance limits each squad's runs
    assert tags[run_ids[f"raw/{PRODUCT}"]].get("tardis/squad") == "operations.logistics"
    assert tags[run_ids[f"std/{PRODUCT}"]].get("dagster/sensor_name") == "tardis_automation"
    assert tags[run_ids["vault/hub_delivery"]].get("dagster/sensor_name") == "tardis_automation"
    assert runs[run_ids[f"raw/{PRODUCT}"]]["status"] == "SUCCESS"
    # ...into the namespaces of TARDIS_NAMESPACE_PREFIX, not the shared ones.
    standardized = {
        r[0] for r in spark.table(isolated.table("std", PRODUCT)).select("delivery_event_id").collect()
    }
    assert standardized and standardized <= set(ids)  # a batch may hold the first events only
    # Everything lives in Postgres: no SQLite storage was created under DAGSTER_HOME.
    sqlite = [p for p in home.rglob("*") if p.suffix in (".db", ".sqlite", ".sqlite3")]
    assert sqlite == [], sqlite
