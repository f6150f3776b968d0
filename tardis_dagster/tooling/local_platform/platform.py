"""Start, probe and stop the local platform's services, idempotently."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from tardis_dagster.core.settings import ensure_home, get_settings
from tardis_dagster.tooling.local_platform.kafka import KafkaService
from tardis_dagster.tooling.local_platform.postgres import PostgresService, postgres_enabled
from tardis_dagster.tooling.local_platform.service import LocalService
from tardis_dagster.tooling.local_platform.spark_cluster import (
    ClusterPorts,
    cluster_enabled,
    cluster_services,
)
from tardis_dagster.tooling.local_platform.spark_connect import SparkConnectService, pyspark_home


class ServiceFailedError(RuntimeError):
    """A service did not become healthy; the message names it and quotes its log."""


@dataclass(frozen=True)
class ServiceStatus:
    """One row of `tardis local status`."""

    service: str
    pid: int | None
    port: int
    healthy: bool
    started: bool = False  # True when this call started it
    log: str = ""


def services() -> list[LocalService]:
    """The services of the local platform, in start order.

    With `TARDIS_SPARK_CLUSTER=1` (or a cluster still running from such an `up`), a Spark standalone
    master and two workers come before the Connect server, which then runs its executors on them.
    """
    cluster = cluster_services(get_settings().home, pyspark_home())
    # Postgres (Dagster's production storage) only with TARDIS_POSTGRES=1 or while one runs.
    postgres = PostgresService(get_settings().home / "postgres")
    extra = [postgres] if postgres_enabled() or postgres.process.pid() is not None else []
    if cluster_enabled() or any(svc.process.pid() is not None for svc in cluster):
        return [
            KafkaService(),
            *cluster,
            SparkConnectService(ClusterPorts.from_environment().master_url),
            *extra,
        ]
    return [KafkaService(), SparkConnectService(), *extra]


def _wait_healthy(svc: LocalService, gone: Callable[[], bool]) -> None:
    """Wait until `svc` answers; fail early, with its log, if `gone()` says the process ended."""
    deadline = time.monotonic() + svc.startup_timeout_s
    while time.monotonic() < deadline:
        if gone():
            raise ServiceFailedError(
                f"{svc.name} exited during start-up. Last lines of {svc.process.log_file}:\n"
                f"{svc.process.log_tail()}"
            )
        if svc.healthy():
            return
        time.sleep(1.0)
    raise ServiceFailedError(
        f"{svc.name} did not become healthy within {svc.startup_timeout_s:.0f}s. "
        f"Last lines of {svc.process.log_file}:\n{svc.process.log_tail()}"
    )


def up(progress: Callable[[str], None] = lambda _msg: None) -> list[ServiceStatus]:
    """Start every service that is not already running and healthy; wait until each answers."""
    ensure_home(get_settings())  # private before any service writes its data into it
    result = []
    for svc in services():
        pid = svc.process.pid()
        if pid is not None and svc.healthy():
            progress(f"{svc.name}: already running (pid {pid})")
            result.append(ServiceStatus(svc.name, pid, svc.port, True, log=str(svc.process.log_file)))
            continue
        if pid is not None:
            # Ours but not answering yet: maybe still starting, so wait before giving up on it.
            progress(f"{svc.name}: running (pid {pid}) but not healthy yet, waiting")
            _wait_healthy(svc, lambda pid=pid, svc=svc: svc.process.pid() != pid)
            result.append(ServiceStatus(svc.name, pid, svc.port, True, log=str(svc.process.log_file)))
            continue
        if svc.port_open():
            raise ServiceFailedError(
                f"{svc.name}: port {svc.port} is taken by a process that `tardis local` did not start; "
                "stop it or set another port in the environment (see README)."
            )
        progress(f"{svc.name}: preparing")
        try:
            svc.prepare()
        except (OSError, RuntimeError) as exc:  # a failed config write or storage format names the service
            raise ServiceFailedError(f"{svc.name} could not be prepared: {exc}") from exc
        progress(f"{svc.name}: starting")
        proc = svc.process.start(svc.command(), svc.environment())
        pid = proc.pid
        try:
            # Our own child: poll() knows when it ends (no /proc race while it is still exec-ing).
            _wait_healthy(svc, lambda proc=proc: proc.poll() is not None)
        except ServiceFailedError:
            svc.process.stop(pid=pid)
            raise
        progress(f"{svc.name}: healthy on 127.0.0.1:{svc.port} (pid {pid})")
        result.append(ServiceStatus(svc.name, pid, svc.port, True, True, str(svc.process.log_file)))
    return result


def status() -> list[ServiceStatus]:
    """The state of each service: our pid (if running), its port and whether it answers."""
    rows = []
    for svc in services():
        pid = svc.process.pid()
        rows.append(
            ServiceStatus(
                svc.name, pid, svc.port, pid is not None and svc.healthy(), log=str(svc.process.log_file)
            )
        )
    return rows


def down(progress: Callable[[str], None] = lambda _msg: None) -> list[str]:
    """Stop what `up` started (by recorded pid only), in reverse order; return the names stopped."""
    stopped = []
    for svc in reversed(services()):
        if svc.process.stop():
            progress(f"{svc.name}: stopped")
            stopped.append(svc.name)
        else:
            progress(f"{svc.name}: not running")
    return stopped
