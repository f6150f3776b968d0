"""Dagster's own processes for the integration tests that use the platform as its users do: a free
loopback port, `dagster-webserver` / `dagster-daemon` started in process groups of their own (ended
by those ids, with every code server and run they spawned), and the webserver's GraphQL endpoint."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from repo_root import PROJECT_ROOT

BIN = Path(sys.executable).parent


def free_port() -> int:
    """A TCP port free on the loopback interface right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def webserver_command(port: int) -> list[str]:
    """`dagster-webserver` on the repository's workspace.yaml, bound to loopback at `port`."""
    return [str(BIN / "dagster-webserver"), "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)]


def daemon_command() -> list[str]:
    """`dagster-daemon run` on the repository's workspace.yaml."""
    return [str(BIN / "dagster-daemon"), "run", "-w", "workspace.yaml"]


@contextmanager
def dagster_processes(
    commands: Mapping[str, list[str]], env: Mapping[str, str], logs: Path
) -> Iterator[list[subprocess.Popen]]:
    """Start each command from the repository root (output in `logs/<name>.log`); on exit end each
    one's process group by its recorded id: SIGTERM, then SIGKILL after 60 s."""
    logs.mkdir(parents=True, exist_ok=True)
    started: list[subprocess.Popen] = []
    try:
        for name, command in commands.items():
            log = (logs / f"{name}.log").open("wb")
            started.append(
                subprocess.Popen(
                    command,
                    cwd=PROJECT_ROOT,
                    env=dict(env),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        yield started
    finally:
        for process in started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)  # its own group: the code servers and runs
        for process in started:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)


def graphql(port: int, query: str, variables: Mapping[str, object] | None = None) -> dict:
    """The webserver's answer to one GraphQL query."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query, "variables": dict(variables or {})}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def serving(port: int) -> bool:
    """Whether the webserver answers on `port` yet (its /server_info page)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=5) as response:
            return response.status == 200
    except OSError:
        return False
