"""Spark on a real standalone cluster: a job's tasks run in executors in the workers' JVMs.

When the shared platform already runs on the cluster (`tardis local up --cluster`,
`TARDIS_SPARK_CLUSTER=1`), the test uses it; otherwise it starts a master, two workers and a Connect
server of its own (own ports, own warehouse under tmp) and stops them by pid at the end. The proof
comes from Spark itself: the Connect server's UI REST API lists executors other than `driver` that
ran the job's tasks, and the master lists both workers ALIVE.
"""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from production_services import platform_cluster

from tardis_dagster.tooling.local_platform.ephemeral import free_port, running
from tardis_dagster.tooling.local_platform.spark_cluster import (
    CLUSTER_ENV,
    ClusterPorts,
    cluster_services,
    master_state,
)
from tardis_dagster.tooling.local_platform.spark_connect import SparkConnectService, pyspark_home

# In `make test-cluster` (the platform on the cluster) this is the proof that the core tests' jobs ran
# in worker executors: it checks the platform's own Connect server.
# `make test` leaves it to that pass (`cluster_only`) rather than also starting a cluster of its own.
pytestmark = [pytest.mark.platform, pytest.mark.cluster, pytest.mark.cluster_only]


@dataclass(frozen=True)
class Cluster:
    remote: str  # the Connect server on the cluster
    ui_port: int  # its Spark UI (REST API)
    master_ui_port: int


def _get(url: str):
    with urllib.request.urlopen(url, timeout=60) as response:
        return json.load(response)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    shared = platform_cluster()
    if shared is None and os.environ.get(CLUSTER_ENV):
        pytest.fail(f"{CLUSTER_ENV} is set but the platform's Connect server runs on no standalone cluster")
    if shared is not None:
        yield Cluster(shared.remote, shared.ui_port, shared.master_ui_port)
        return
    home = tmp_path_factory.mktemp("cluster")
    ports = ClusterPorts(master=free_port(), master_ui=free_port(), worker=free_port(), worker_ui=free_port())
    # Workers take worker+i / worker_ui+i: check the second ones are free too (rarely not).
    connect = SparkConnectService(
        ports.master_url,
        port=free_port(),
        ui_port=free_port(),
        state_dir=home / "spark",
        warehouse=home / "warehouse",
        driver_memory="1g",
    )
    with running([*cluster_services(home, pyspark_home(), ports), connect]):
        yield Cluster(connect.remote, connect.ui_port, ports.master_ui)


def test_a_job_runs_on_executors_in_the_worker_jvms(cluster: Cluster) -> None:
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.remote(cluster.remote).create()
    try:
        spark.addTag("tardis-cluster-proof")
        # 8 partitions and a shuffle: tasks go to executors, and data crosses JVMs.
        rows = spark.range(0, 100_000, 1, 8).selectExpr("id % 4 as k").groupBy("k").count().collect()
        assert sorted((r["k"], r["count"]) for r in rows) == [(k, 25_000) for k in range(4)]
    finally:
        spark.stop()

    base = f"http://127.0.0.1:{cluster.ui_port}/api/v1/applications"
    (app,) = _get(base)
    executors = _get(f"{base}/{app['id']}/allexecutors")
    driver = next(e for e in executors if e["id"] == "driver")
    workers = [e for e in executors if e["id"] != "driver" and e["totalTasks"] > 0]
    assert workers, f"no executor other than the driver ran tasks: {executors}"
    # Each executor is a JVM of its own (its own block manager port), not the driver's.
    assert all(e["hostPort"] != driver["hostPort"] for e in workers)
    # Connect prefixes a session's tags; the job of this test is found by its tag inside them.
    jobs = [
        j
        for j in _get(f"{base}/{app['id']}/jobs")
        if any("tardis-cluster-proof" in t for t in j.get("jobTags", []))
    ]
    assert jobs and all(j["status"] == "SUCCEEDED" for j in jobs)

    state = master_state(cluster.master_ui_port)
    assert state is not None
    alive = [w for w in state["workers"] if w["state"] == "ALIVE"]
    assert len(alive) == 2 and all(w["cores"] == 1 for w in alive)
    (application,) = [a for a in state["activeapps"] if a["id"] == app["id"]]
    assert application["cores"] >= 1


def test_the_cluster_was_started_from_the_pyspark_package() -> None:
    # The master and workers are the pyspark wheel's own classes, run by its spark-class script.
    master, *workers = cluster_services(Path("/nonexistent"), pyspark_home(), ClusterPorts(1, 2, 3, 4))
    assert master.command()[:2] == [
        str(pyspark_home() / "bin" / "spark-class"),
        "org.apache.spark.deploy.master.Master",
    ]
    assert [w.command()[1] for w in workers] == ["org.apache.spark.deploy.worker.Worker"] * 2
    assert workers[1].command()[-1] == "spark://127.0.0.1:1"
    assert "127.0.0.1" in master.command() and "--cores" in workers[0].command()
