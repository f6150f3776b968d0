"""dbt's `prod` target against a Spark standalone cluster (issue 14, deliverable 4).

A master and one worker started from the pyspark package (127.0.0.1, ports of their own), a Spark
Connect server whose master is that cluster (the cluster's Spark Connect endpoint), and
`dbt build --target prod` of the models generated from one product's spec: staging, hub, satellite,
PIT and their tests. The prod target is configured from environment variables only
(TARDIS_DBT_SPARK_REMOTE, TARDIS_DBT_THREADS). The Spark UI's REST API shows the work ran on an
executor of the worker, not in the driver. In `make test`'s cluster pass (marker `cluster_only`) it
runs on the platform's own cluster instead, its tables under a prefix of their own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from production_services import connect_server, platform_cluster, standalone_cluster, ui_executors
from vault_scenario import DBT_PROJECT, make_project, product_yaml, write_specs

from tardis_dagster.tooling.codegen.hashing import business_key_hash
from tardis_dagster.tooling.local_platform import jars
from tardis_dagster.tooling.local_platform.spark_cluster import CLUSTER_ENV
from tardis_dagster.tooling.local_platform.spark_connect import pyspark_home, server_confs
from tardis_dagster.tooling.localtest.tables import drop_namespaces

pytestmark = [pytest.mark.cluster, pytest.mark.cluster_only]

ACCOUNTS = product_yaml(
    "accounts",
    """\
load: {type: upsert, key: [customer_id], version_by: updated_at}
schema:
  - {name: customer_id, type: string}
  - {name: city, type: string}
  - {name: updated_at, type: timestamp}
vault:
  hubs:
    - {hub: customer, key: [customer_id]}
  satellites:
    - {satellite: customer_profile, parent: customer, columns: [city]}
""",
)
COLUMNS = "customer_id string, city string, updated_at timestamp, _source_id string, _loaded_at timestamp"
# C1 moves Oslo -> Rome -> Oslo (three satellite rows), C2 stays in Paris (one).
CHANGES = [
    ("C1", "Oslo", "2024-01-01 10:00:00"),
    ("C1", "Rome", "2024-01-01 11:00:00"),
    ("C1", "Oslo", "2024-01-01 12:00:00"),
    ("C2", "Paris", "2024-01-01 10:00:00"),
]


@dataclass
class ClusterBuild:
    """The dbt run on the cluster, a session on its Connect server, the schema prefix of its tables,
    and how many tasks each executor ran during the build (from the UI's REST API)."""

    returncode: int
    output: str
    spark: object
    prefix: str
    tasks_run: dict[str, int]


def _completed_tasks(ui_port: int) -> dict[str, int]:
    return {e["id"]: e["completedTasks"] for e in ui_executors(ui_port)}


def _build(root: Path, project: Path, remote: str, ui_port: int, prefix: str) -> Iterator[ClusterBuild]:
    """Stage the product's std tables, then `dbt build --target prod` against `remote`."""
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.remote(remote).create()
    spark.sql(f"create namespace if not exists {prefix}std")
    for table in ("accounts", "accounts__changes"):
        spark.sql(f"create table {prefix}std.{table} ({COLUMNS}) using iceberg")
    values = ", ".join(
        f"('{key}', '{city}', timestamp'{at}', 'accounts-{i}', timestamp'{at}')"
        for i, (key, city, at) in enumerate(CHANGES)
    )
    spark.sql(f"insert into {prefix}std.accounts__changes values {values}")
    spark.sql(
        f"insert into {prefix}std.accounts select customer_id, city, updated_at, _source_id, _loaded_at "
        "from (select *, row_number() over (partition by customer_id order by updated_at desc) as n "
        f"from {prefix}std.accounts__changes) where n = 1"
    )
    env = {
        **os.environ,
        "TARDIS_DBT_SPARK_REMOTE": remote,
        "TARDIS_DBT_THREADS": "1",
        "DBT_LOG_PATH": str(root / "logs"),
    }
    before = _completed_tasks(ui_port)
    run = subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"),
            *("build", "--target", "prod", "--profiles-dir", str(DBT_PROJECT)),
            *("--project-dir", str(project), "--target-path", str(root / "target")),
            *(("--vars", json.dumps({"tardis_schema_prefix": prefix})) if prefix else ()),
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    after = _completed_tasks(ui_port)
    tasks = {executor: count - before.get(executor, 0) for executor, count in after.items()}
    try:
        yield ClusterBuild(run.returncode, run.stdout + run.stderr, spark, prefix, tasks)
    finally:
        spark.stop()


@pytest.fixture(scope="module")
def cluster_build(tmp_path_factory) -> Iterator[ClusterBuild]:
    """In the cluster pass on the platform's own cluster (tables under a prefix of their own);
    otherwise on a master, a worker and a Connect server the test starts."""
    root = tmp_path_factory.mktemp("dbt_prod")
    project = make_project(write_specs(root / "specs", {"accounts": ACCOUNTS}), root / "project")
    shared = platform_cluster()
    if shared is None and os.environ.get(CLUSTER_ENV):
        pytest.fail(f"{CLUSTER_ENV} is set but the platform's Connect server runs on no standalone cluster")
    if shared is not None:
        prefix = f"it_prod_{uuid.uuid4().hex[:8]}_"
        try:
            yield from _build(root, project, shared.remote, shared.ui_port, prefix)
        finally:
            from pyspark.sql import SparkSession

            spark = SparkSession.builder.remote(shared.remote).create()
            drop_namespaces(spark, [f"{prefix}{layer}" for layer in ("std", "stg", "vault")], prefix)
            spark.stop()
        return
    with standalone_cluster(root / "cluster") as master:
        confs = server_confs(
            root / "warehouse",
            root / "metastore",
            jars.extra_jars("spark", pyspark_home() / "jars"),
            0,
        ) | {
            "spark.master": master,
            "spark.executor.memory": "512m",
            "spark.cores.max": "1",
        }
        (root / "metastore").mkdir()
        with connect_server(confs, root / "spark") as server:
            yield from _build(root, project, server.remote, server.ui_port, "")


def test_dbt_build_with_the_prod_target_passes_on_the_cluster(cluster_build: ClusterBuild) -> None:
    assert cluster_build.returncode == 0, cluster_build.output[-4000:]
    assert "Completed successfully" in cluster_build.output


def test_the_generated_vault_holds_the_history(cluster_build: ClusterBuild) -> None:
    spark = cluster_build.spark
    vault = f"{cluster_build.prefix}vault"
    hubs = {row[0] for row in spark.sql(f"select customer_hk from {vault}.hub_customer").collect()}
    assert hubs == {business_key_hash(["C1"]), business_key_hash(["C2"])}
    cities = sorted(
        (row[0], row[1])
        for row in spark.sql(f"select customer_hk, city from {vault}.sat_customer_profile").collect()
    )
    assert cities == sorted(
        [(business_key_hash(["C1"]), c) for c in ("Oslo", "Rome", "Oslo")]
        + [(business_key_hash(["C2"]), "Paris")]
    )


def test_the_models_ran_on_an_executor_of_the_worker(cluster_build: ClusterBuild) -> None:
    tasks = cluster_build.tasks_run
    assert sum(count for executor, count in tasks.items() if executor != "driver") > 0, tasks
    assert tasks.get("driver", 0) == 0  # in local mode the driver runs every task itself
