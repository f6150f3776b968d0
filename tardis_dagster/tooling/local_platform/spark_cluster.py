"""A Spark standalone cluster on this machine: one master and two workers from the pyspark package.

With it (`tardis local up --cluster`, or `TARDIS_SPARK_CLUSTER=1` for `make test`) the Spark Connect
server runs its executors in the workers' JVMs (`--master spark://127.0.0.1:<port>`), so every job
crosses JVMs as on EMR: serialized tasks, jars shipped by the driver, shuffles between processes.
Each worker offers 1 core and a modest memory; everything binds to 127.0.0.1 on ports of its own.
The warehouse is a local folder, the same path for every JVM on this machine.

Environment (read here, only by the local platform's tooling): `TARDIS_SPARK_CLUSTER` (1 = start
the cluster), `TARDIS_SPARK_MASTER_PORT` (7177), `TARDIS_SPARK_MASTER_UI_PORT` (18180),
`TARDIS_SPARK_WORKER_PORT` (7178: workers take this and the next; their UIs 18181, 18182).
"""

from __future__ import annotations

import json
import os
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tardis_dagster.core.jobs_io import HUGE_METHODS_JIT
from tardis_dagster.tooling.local_platform.service import LocalService

LOOPBACK = "127.0.0.1"
CLUSTER_ENV = "TARDIS_SPARK_CLUSTER"
WORKERS = 2
WORKER_CORES = 1
WORKER_MEMORY = "1536m"  # an executor of 1g plus headroom
EXECUTOR_MEMORY = "1g"


def cluster_enabled() -> bool:
    """Whether the local platform runs Spark on the standalone cluster (`TARDIS_SPARK_CLUSTER=1`)."""
    return os.environ.get(CLUSTER_ENV, "").strip().lower() in ("1", "true", "yes")


def _port(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


@dataclass(frozen=True)
class ClusterPorts:
    """The ports of one cluster: the master's RPC and UI; worker i uses worker + i and worker_ui + i."""

    master: int
    master_ui: int
    worker: int
    worker_ui: int

    @classmethod
    def from_environment(cls) -> ClusterPorts:
        """The platform's ports (environment overrides, else defaults nobody else uses)."""
        return cls(
            master=_port("TARDIS_SPARK_MASTER_PORT", 7177),
            master_ui=_port("TARDIS_SPARK_MASTER_UI_PORT", 18180),
            worker=_port("TARDIS_SPARK_WORKER_PORT", 7178),
            worker_ui=_port("TARDIS_SPARK_WORKER_UI_PORT", 18181),
        )

    @property
    def master_url(self) -> str:
        return f"spark://{LOOPBACK}:{self.master}"


def executor_confs() -> dict[str, str]:
    """What the Connect server's executors need on the cluster, beside the jars the driver ships them."""
    return {
        "spark.executor.cores": str(WORKER_CORES),
        "spark.executor.memory": EXECUTOR_MEMORY,
        "spark.executor.extraJavaOptions": HUGE_METHODS_JIT,  # the JIT flag, as on the driver
        "spark.cores.max": str(WORKERS * WORKER_CORES),
    }


def master_state(ui_port: int) -> dict | None:
    """The master's JSON status page (`/json/`: status, workers, applications), or None if it is down."""
    try:
        with urllib.request.urlopen(f"http://{LOOPBACK}:{ui_port}/json/", timeout=2) as response:
            return json.load(response)
    except (OSError, ValueError):
        return None


def _spark_class(spark_home: Path) -> str:
    return str(spark_home / "bin" / "spark-class")


class _ClusterProcess(LocalService):
    """Common environment of the master and the workers."""

    def __init__(self, state_dir: Path, spark_home: Path, ports: ClusterPorts) -> None:
        self.spark_home = spark_home
        self.ports = ports
        super().__init__(state_dir)

    def prepare(self) -> None:
        """Create the state folder (the workers also get a work folder for executor files)."""
        self.state_dir.mkdir(parents=True, exist_ok=True)

    def environment(self) -> dict[str, str]:
        # SPARK_LOCAL_IP: the RPC endpoints and UIs bind to loopback, never the machine's address.
        return {
            "SPARK_HOME": str(self.spark_home),
            "SPARK_LOCAL_IP": LOOPBACK,
            "SPARK_LOG_DIR": str(self.state_dir),
            "SPARK_NO_DAEMONIZE": "1",
        }


class SparkMasterService(_ClusterProcess):
    """`spark-class org.apache.spark.deploy.master.Master` on loopback."""

    name = "spark-master"
    startup_timeout_s = 60.0

    def __init__(self, state_dir: Path, spark_home: Path, ports: ClusterPorts) -> None:
        super().__init__(state_dir, spark_home, ports)
        self.port = ports.master

    def command(self) -> list[str]:
        return [
            _spark_class(self.spark_home),
            "org.apache.spark.deploy.master.Master",
            "--host",
            LOOPBACK,
            "--port",
            str(self.ports.master),
            "--webui-port",
            str(self.ports.master_ui),
        ]

    def healthy(self) -> bool:
        """The master's status page says ALIVE."""
        state = master_state(self.ports.master_ui)
        return state is not None and state.get("status") == "ALIVE"


class SparkWorkerService(_ClusterProcess):
    """`spark-class org.apache.spark.deploy.worker.Worker` with 1 core, registered with the master."""

    startup_timeout_s = 60.0

    def __init__(self, state_dir: Path, spark_home: Path, ports: ClusterPorts, index: int) -> None:
        self.name = f"spark-worker-{index + 1}"
        self.index = index
        super().__init__(state_dir, spark_home, ports)
        self.port = ports.worker + index

    def command(self) -> list[str]:
        return [
            _spark_class(self.spark_home),
            "org.apache.spark.deploy.worker.Worker",
            "--host",
            LOOPBACK,
            "--port",
            str(self.port),
            "--webui-port",
            str(self.ports.worker_ui + self.index),
            "--cores",
            str(WORKER_CORES),
            "--memory",
            WORKER_MEMORY,
            "--work-dir",
            str(self.state_dir / "work"),
            self.ports.master_url,
        ]

    def healthy(self) -> bool:
        """The master lists this worker as ALIVE (registered, so it takes executors)."""
        state = master_state(self.ports.master_ui) or {}
        return any(
            w.get("host") == LOOPBACK and w.get("port") == self.port and w.get("state") == "ALIVE"
            for w in state.get("workers", [])
        )


def cluster_services(home: Path, spark_home: Path, ports: ClusterPorts | None = None) -> list[LocalService]:
    """The master and its workers, in start order, with their state under `home/spark-cluster/`."""
    ports = ports or ClusterPorts.from_environment()
    root = home / "spark-cluster"
    return [
        SparkMasterService(root / "master", spark_home, ports),
        *(SparkWorkerService(root / f"worker-{i + 1}", spark_home, ports, i) for i in range(WORKERS)),
    ]
