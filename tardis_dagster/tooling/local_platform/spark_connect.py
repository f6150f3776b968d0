"""The local Spark Connect server: one warm JVM with the Iceberg session catalog, shared by every client."""

from __future__ import annotations

import sys
from pathlib import Path

from tardis_dagster.core.jobs_io import HUGE_METHODS_JIT
from tardis_dagster.core.settings import get_settings
from tardis_dagster.tooling.local_platform import jars
from tardis_dagster.tooling.local_platform.service import LocalService


def pyspark_home() -> Path:
    """SPARK_HOME of the installed pyspark wheel (it ships bin/spark-submit and the Connect jar)."""
    import pyspark

    return Path(pyspark.__file__).resolve().parent


LOOPBACK = "127.0.0.1"

# Binary literals of 16 bytes or more (how Spark prints them: 0x<hex>) are redacted in plan strings and
# SQL descriptions. Defence in depth: the PII hash takes its key as data, never as a literal.
BINARY_LITERAL_REDACTION = "0x[0-9A-Fa-f]{32,}"


def server_confs(
    warehouse: Path,
    metastore: Path,
    extra_jars: list[Path],
    port: int,
    ui_port: int = 4040,
    event_log_dir: Path | None = None,
) -> dict[str, str]:
    """Spark configuration of the local server; production (EMR + Glue) differs only in these values."""
    confs = {
        # Loopback only: by default Spark Connect listens on every interface, and the driver's RPC and
        # block manager on the machine's external address. (The UI follows SPARK_LOCAL_IP, see
        # `SparkConnectService.environment`.)
        "spark.connect.grpc.binding.address": LOOPBACK,
        "spark.connect.grpc.binding.port": str(port),
        "spark.driver.host": LOOPBACK,
        "spark.driver.bindAddress": LOOPBACK,
        "spark.sql.redaction.string.regex": BINARY_LITERAL_REDACTION,
        "spark.jars": ",".join(str(j) for j in extra_jars),
        "spark.sql.extensions": "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions",
        # Iceberg as the session catalog, so dbt-spark and Spark jobs see the same tables.
        "spark.sql.catalog.spark_catalog": "org.apache.iceberg.spark.SparkSessionCatalog",
        "spark.sql.catalog.spark_catalog.type": "hive",
        "spark.sql.catalogImplementation": "hive",
        # Many clients share this server: a cached table would hide another client's fresh commit.
        "spark.sql.catalog.spark_catalog.cache-enabled": "false",
        "spark.sql.warehouse.dir": str(warehouse),
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.sources.default": "iceberg",
        "spark.hadoop.javax.jdo.option.ConnectionURL": (
            f"jdbc:derby:;databaseName={metastore / 'metastore_db'};create=true"
        ),
        # Iceberg's Hive client may be the first to open a fresh metastore: let any client create it.
        "spark.hadoop.datanucleus.schema.autoCreateAll": "true",
        "spark.hadoop.hive.metastore.schema.verification": "false",
        # Iceberg mirrors its schema into the metastore; a struct gaining a field is not "incompatible".
        "spark.hadoop.hive.metastore.disallow.incompatible.col.type.changes": "false",
        # pyspark ships HikariCP, not the BoneCP pool the embedded metastore asks for by default.
        "spark.hadoop.datanucleus.connectionPoolingType": "HikariCP",
        # The embedded Derby metastore has no Hive lock tables; commits all go through this one JVM.
        "spark.hadoop.iceberg.engine.hive.lock-enabled": "false",
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={metastore} {HUGE_METHODS_JIT}",
        # s3:// URIs read through S3A, as EMR's s3:// does; endpoints/credentials come per session.
        "spark.hadoop.fs.s3.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem",
        # The UI's REST API gives each job's CPU time and bytes to the platform telemetry (cost/).
        "spark.ui.enabled": "true",
        "spark.ui.port": str(ui_port),
        "spark.port.maxRetries": "0",  # on the configured port or not at all: telemetry reads it there
        "spark.ui.retainedJobs": "500",
        "spark.ui.retainedStages": "1000",
        "spark.sql.ui.retainedExecutions": "100",
        "spark.sql.shuffle.partitions": "8",
        "spark.connect.session.manager.defaultSessionTimeout": "60m",
    }
    if event_log_dir is not None:
        # Uncompressed, so the log can be read (and checked for secrets) with plain tools.
        confs |= {
            "spark.eventLog.enabled": "true",
            "spark.eventLog.dir": event_log_dir.as_uri(),
            "spark.eventLog.compress": "false",
        }
    return confs


class SparkConnectService(LocalService):
    """spark-submit of the Spark Connect server class from the pyspark wheel."""

    name = "spark-connect"
    startup_timeout_s = 180.0

    def __init__(
        self,
        master: str | None = None,
        *,
        port: int | None = None,
        ui_port: int | None = None,
        state_dir: Path | None = None,
        warehouse: Path | None = None,
        driver_memory: str | None = None,
    ) -> None:
        """The platform's server; `master` (spark://...) runs its executors on a standalone cluster.

        The keyword arguments let a test run a second server of its own (own ports and folders).
        """
        settings = get_settings()
        self.master = master
        self.port = port or settings.spark_connect_port
        self.ui_port = ui_port or settings.spark_ui_port
        self.remote = f"sc://127.0.0.1:{self.port}"
        self.warehouse = warehouse or settings.warehouse_dir
        self.driver_memory = driver_memory or settings.spark_driver_memory
        super().__init__(state_dir or settings.home / "spark")

    @property
    def event_log_dir(self) -> Path:
        """Where the server writes its Spark event log (one file per application)."""
        return self.state_dir / "events"

    def prepare(self) -> None:
        """Resolve the connector jars and create the warehouse and metastore folders."""
        self.warehouse.mkdir(parents=True, exist_ok=True)
        (self.state_dir / "metastore").mkdir(parents=True, exist_ok=True)
        self.event_log_dir.mkdir(parents=True, exist_ok=True)
        self._jars = jars.extra_jars("spark", pyspark_home() / "jars")

    def command(self) -> list[str]:
        confs = server_confs(
            self.warehouse,
            self.state_dir / "metastore",
            self._jars,
            self.port,
            self.ui_port,
            self.event_log_dir,
        )
        if self.master:
            from tardis_dagster.tooling.local_platform.spark_cluster import executor_confs

            confs |= executor_confs() | {"spark.executorEnv.PYSPARK_PYTHON": sys.executable}
        cmd = [
            str(pyspark_home() / "bin" / "spark-submit"),
            "--class",
            "org.apache.spark.sql.connect.service.SparkConnectServer",
            "--name",
            "tardis-spark-connect",
            "--driver-memory",
            self.driver_memory,
            *(["--master", self.master] if self.master else []),
        ]
        for key, value in confs.items():
            cmd += ["--conf", f"{key}={value}"]
        return cmd

    def environment(self) -> dict[str, str]:
        # SPARK_LOCAL_IP: the UI's Jetty binds to it (0.0.0.0 without it), and so does anything else
        # that picks "the local address" itself.
        return {
            "SPARK_HOME": str(pyspark_home()),
            "PYSPARK_PYTHON": sys.executable,
            "SPARK_LOCAL_IP": LOOPBACK,
        }

    def healthy(self) -> bool:
        """A real `select 1` and a catalog call through Spark Connect (the metastore is ready too)."""
        if not self.port_open():
            return False
        try:
            from pyspark.sql import SparkSession

            spark = SparkSession.builder.remote(self.remote).getOrCreate()
            if spark.sql("select 1 as ok").collect()[0]["ok"] != 1:
                return False
            spark.sql("show namespaces").collect()
            return True
        except Exception:  # any client error means "not healthy yet"
            return False
