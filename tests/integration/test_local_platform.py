"""`tardis local up|status|down` on a second, isolated platform (own home and ports).

Isolated so that stopping it cannot disturb the platform the other tests use.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tardis_dagster.core.settings import get_settings

pytestmark = pytest.mark.platform


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"


def _group_members(pgid: int) -> list[int]:
    """Pids of live processes in process group `pgid` (a service and any children it spawned)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _env(tmp_path: Path, ports: dict[str, int]) -> dict[str, str]:
    env = {
        **os.environ,
        **{k: str(v) for k, v in ports.items()},
        "TARDIS_HOME": str(tmp_path / "home"),
        "TARDIS_JARS_DIR": str(get_settings().jars_dir),  # reuse resolved jars: no second download
        "TARDIS_SPARK_DRIVER_MEMORY": "1g",
        "COLUMNS": "200",
    }
    env.pop("SPARK_REMOTE", None)
    env.pop("TARDIS_KAFKA_BOOTSTRAP", None)
    return env


def _tardis(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tardis_dagster.tooling.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_a_service_that_fails_to_start_is_named_with_its_log(tmp_path: Path) -> None:
    # Kafka's controller port is already taken, so the broker exits during start-up.
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        ports = {
            "TARDIS_KAFKA_PORT": _free_port(),
            "TARDIS_KAFKA_CONTROLLER_PORT": blocker.getsockname()[1],
            "TARDIS_SPARK_CONNECT_PORT": _free_port(),
            "TARDIS_SPARK_UI_PORT": _free_port(),  # the suite's own server holds the default UI port
        }
        env = _env(tmp_path, ports)
        try:
            result = _tardis(env, "local", "up")
        finally:
            _tardis(env, "local", "down")
    out = result.stdout + result.stderr
    assert result.returncode == 1
    assert "kafka" in out and ("exited during start-up" in out or "did not become healthy" in out)
    assert "Last lines of" in out and "kafka.log" in out
    assert "Traceback" not in out
    assert not (tmp_path / "home" / "spark" / "pid").exists()  # nothing after the failed service started


def test_up_twice_status_down(tmp_path: Path) -> None:
    ports = {
        "TARDIS_KAFKA_PORT": _free_port(),
        "TARDIS_KAFKA_CONTROLLER_PORT": _free_port(),
        "TARDIS_SPARK_CONNECT_PORT": _free_port(),
        "TARDIS_SPARK_UI_PORT": _free_port(),  # the suite's own server holds the default UI port
    }
    env = _env(tmp_path, ports)

    def tardis(*args: str) -> subprocess.CompletedProcess[str]:
        return _tardis(env, *args)

    def pids() -> dict[str, int]:
        home = tmp_path / "home"
        return {
            name: int((home / d / "pid").read_text()) for name, d in (("kafka", "kafka"), ("spark", "spark"))
        }

    try:
        first = tardis("local", "up")
        assert first.returncode == 0, first.stdout + first.stderr
        started = pids()
        assert all(_alive(p) for p in started.values())
        assert all(
            _port_open(port) for port in ports.values() if port != ports["TARDIS_KAFKA_CONTROLLER_PORT"]
        )

        second = tardis("local", "up")
        assert second.returncode == 0, second.stdout + second.stderr
        assert "already running" in second.stdout
        assert pids() == started  # nothing new was started

        status = tardis("local", "status")
        assert status.returncode == 0, status.stdout
        for name, pid in (("kafka", started["kafka"]), ("spark-connect", started["spark"])):
            line = next(line for line in status.stdout.splitlines() if name in line)
            assert str(pid) in line and "yes" in line
    finally:
        down = tardis("local", "down")
    assert down.returncode == 0, down.stdout + down.stderr
    assert not any(_alive(p) for p in started.values())
    assert not any(_group_members(p) for p in started.values())  # no child left behind either
    assert not any(_port_open(port) for port in ports.values())
    assert "stopped: " in down.stdout

    status = tardis("local", "status")
    assert status.returncode == 1  # nothing healthy any more
