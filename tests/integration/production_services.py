"""Services of the production path started by tests on ports of their own: moto (S3 + Glue), a
Spark standalone master and worker, and a Spark Connect server configured by the test.

Each is a context manager that starts one process, waits until it serves, and stops it by pid.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tardis_dagster.core.settings import get_settings
from tardis_dagster.tooling.local_platform.spark_cluster import ClusterPorts
from tardis_dagster.tooling.local_platform.spark_connect import LOOPBACK, pyspark_home

CONNECT_SERVER_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"


def free_port() -> int:
    """A TCP port nobody listens on now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, proc: subprocess.Popen, what: str, log: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        with socket.socket() as probe:
            if probe.connect_ex((LOOPBACK, port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not listen on {port} within {timeout_s} s:\n{log.read_text()[-3000:]}")


@contextmanager
def _process(cmd: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _base_env() -> dict[str, str]:
    # PATH and JAVA_HOME of this process, Spark's own home, and loopback for everything Spark binds.
    return {
        **os.environ,
        "SPARK_HOME": str(pyspark_home()),
        "PYSPARK_PYTHON": sys.executable,
        "SPARK_LOCAL_IP": LOOPBACK,
    }


@contextmanager
def moto_server(log: Path) -> Iterator[str]:
    """moto in server mode (every service it emulates, S3 and Glue included); yields its endpoint."""
    port = free_port()
    cmd = [str(Path(sys.executable).parent / "moto_server"), "-H", LOOPBACK, "-p", str(port)]
    with _process(cmd, _base_env(), log) as proc:
        _wait_for_port(port, proc, "moto_server", log, 30)
        yield f"http://{LOOPBACK}:{port}"


@contextmanager
def standalone_cluster(folder: Path, workers: int = 1) -> Iterator[str]:
    """A Spark standalone master and `workers` workers (1 core, 1 GB each); yields the master URL."""
    spark_class = str(pyspark_home() / "bin" / "spark-class")
    port, ui = free_port(), free_port()
    master = f"spark://{LOOPBACK}:{port}"
    env = _base_env() | {"SPARK_WORKER_DIR": str(folder / "work")}
    with _process(
        [
            spark_class,
            "org.apache.spark.deploy.master.Master",
            *("--host", LOOPBACK, "--port", str(port), "--webui-port", str(ui)),
        ],
        env,
        folder / "master.log",
    ) as master_proc:
        _wait_for_port(port, master_proc, "spark master", folder / "master.log", 60)
        with _workers(spark_class, master, env, folder, workers):
            yield master


@contextmanager
def _workers(spark_class: str, master: str, env: dict[str, str], folder: Path, count: int) -> Iterator[None]:
    if count == 0:
        yield
        return
    log = folder / f"worker{count}.log"
    port, ui = free_port(), free_port()
    cmd = [
        spark_class,
        "org.apache.spark.deploy.worker.Worker",
        *("--host", LOOPBACK, "--port", str(port), "--webui-port", str(ui)),
        *("--cores", "1", "--memory", "1g", master),
    ]
    with _process(cmd, env, log) as proc:
        _wait_for_port(port, proc, "spark worker", log, 60)
        with _workers(spark_class, master, env, folder, count - 1):
            yield


@dataclass(frozen=True)
class ConnectServer:
    """A running Spark Connect server: its client URL and its UI port."""

    remote: str
    ui_port: int


@contextmanager
def connect_server(
    confs: dict[str, str], folder: Path, env: dict[str, str] | None = None, driver_memory: str = "1g"
) -> Iterator[ConnectServer]:
    """A Spark Connect server with `confs` (its port and UI port are set here)."""
    port, ui_port = free_port(), free_port()
    confs = confs | {"spark.connect.grpc.binding.port": str(port), "spark.ui.port": str(ui_port)}
    cmd = [
        str(pyspark_home() / "bin" / "spark-submit"),
        *("--class", CONNECT_SERVER_CLASS, "--name", "tardis-test-connect"),
        *("--driver-memory", driver_memory),
    ]
    for key, value in confs.items():
        cmd += ["--conf", f"{key}={value}"]
    log = folder / "spark-connect.log"
    with _process(cmd, _base_env() | (env or {}), log) as proc:
        _wait_for_port(port, proc, "spark connect server", log, 180)
        yield ConnectServer(f"sc://{LOOPBACK}:{port}", ui_port)


def ui_executors(spark_ui_port: int) -> list[dict]:
    """The executors the Spark UI's REST API lists for the server's application."""
    base = f"http://{LOOPBACK}:{spark_ui_port}/api/v1/applications"
    with urllib.request.urlopen(base, timeout=10) as response:
        (app,) = json.load(response)
    with urllib.request.urlopen(f"{base}/{app['id']}/allexecutors", timeout=10) as response:
        return json.load(response)


@dataclass(frozen=True)
class PlatformCluster:
    """The shared platform's Connect server on a standalone cluster (`tardis local up --cluster`)."""

    remote: str
    ui_port: int  # its Spark UI (REST API)
    master_ui_port: int


def platform_cluster() -> PlatformCluster | None:
    """The shared platform's Connect server, if it is up and its master is a standalone cluster."""
    settings = get_settings()
    base = f"http://{LOOPBACK}:{settings.spark_ui_port}/api/v1/applications"
    try:
        with urllib.request.urlopen(base, timeout=60) as response:
            (app,) = json.load(response)
        with urllib.request.urlopen(f"{base}/{app['id']}/environment", timeout=60) as response:
            properties = dict(json.load(response)["sparkProperties"])
    except (OSError, ValueError):
        return None
    if not properties.get("spark.master", "").startswith("spark://"):
        return None
    return PlatformCluster(
        settings.spark_remote, settings.spark_ui_port, ClusterPorts.from_environment().master_ui
    )
