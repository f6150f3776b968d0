"""dbt's `prod` target against a Spark standalone cluster (issue 14, deliverable 4).

A master and one worker started from the pyspark package (127.0.0.1, ports of their own), a Spark
Connect server whose master is that cluster (the cluster's Spark Connect endpoint), and
`dbt build --target prod` of the models generated from one product's spec: staging, hub, satellite,
PIT and their tests. The prod target is configured from environment variables only
(TARDIS_DBT_SPARK_REMOTE, TARDIS_DBT_THREADS). The Spark UI's REST API shows the work ran on an
executor of the worker, not in the driver.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from production_services import connect_server, standalone_cluster, ui_executors
from vault_scenario import DBT_PROJECT, make_project, product_yaml, write_specs

from tardis_dagster.tooling.codegen.hashing import business_key_hash
from tardis_dagster.tooling.local_platform import jars
from tardis_dagster.tooling.local_platform.spark_connect import pyspark_home, server_confs

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
    """The dbt run on the cluster, a session on its Connect server, and the executors the UI lists."""

    returncode: int
    output: str
    spark: object
    executors: list[dict]


@pytest.fixture(scope="module")
def cluster_build(tmp_path_factory) -> Iterator[ClusterBuild]:
    root = tmp_path_factory.mktemp("dbt_prod")
    project = make_project(write_specs(root / "specs", {"accounts": ACCOUNTS}), root / "project")
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
            from pyspark.sql import SparkSession

            spark = SparkSession.builder.remote(server.remote).create()
            spark.sql("create namespace if not exists std")
            for table in ("accounts", "accounts__changes"):
                spark.sql(f"create table std.{table} ({COLUMNS}) using iceberg")
            values = ", ".join(
                f"('{key}', '{city}', timestamp'{at}', 'accounts-{i}', timestamp'{at}')"
                for i, (key, city, at) in enumerate(CHANGES)
            )
            spark.sql(f"insert into std.accounts__changes values {values}")
            spark.sql(
                "insert into std.accounts select customer_id, city, updated_at, _source_id, _loaded_at "
                "from (select *, row_number() over (partition by customer_id order by updated_at desc) as n "
                "from std.accounts__changes) where n = 1"
            )
            env = {
                **os.environ,
                "TARDIS_DBT_SPARK_REMOTE": server.remote,
                "TARDIS_DBT_THREADS": "1",
                "DBT_LOG_PATH": str(root / "logs"),
            }
            run = subprocess.run(
                [
                    str(Path(sys.executable).parent / "dbt"),
                    *("build", "--target", "prod", "--profiles-dir", str(DBT_PROJECT)),
                    *("--project-dir", str(project), "--target-path", str(root / "target")),
                ],
                cwd=project,
                env=env,
                capture_output=True,
                text=True,
                timeout=1200,
                check=False,
            )
            yield ClusterBuild(run.returncode, run.stdout + run.stderr, spark, ui_executors(server.ui_port))
            spark.stop()


def test_dbt_build_with_the_prod_target_passes_on_the_cluster(cluster_build: ClusterBuild) -> None:
    assert cluster_build.returncode == 0, cluster_build.output[-4000:]
    assert "Completed successfully" in cluster_build.output


def test_the_generated_vault_holds_the_history(cluster_build: ClusterBuild) -> None:
    spark = cluster_build.spark
    hubs = {row[0] for row in spark.sql("select customer_hk from vault.hub_customer").collect()}
    assert hubs == {business_key_hash(["C1"]), business_key_hash(["C2"])}
    cities = sorted(
        (row[0], row[1])
        for row in spark.sql("select customer_hk, city from vault.sat_customer_profile").collect()
    )
    assert cities == sorted(
        [(business_key_hash(["C1"]), c) for c in ("Oslo", "Rome", "Oslo")]
        + [(business_key_hash(["C2"]), "Paris")]
    )


def test_the_models_ran_on_an_executor_of_the_worker(cluster_build: ClusterBuild) -> None:
    workers = [e for e in cluster_build.executors if e["id"] != "driver"]
    assert workers, cluster_build.executors
    assert sum(e["completedTasks"] for e in workers) > 0
    driver = next(e for e in cluster_build.executors if e["id"] == "driver")
    assert driver["completedTasks"] == 0  # in local mode the driver runs every task itself
