"""Services a test starts for itself (its own ports and folders), stopped by pid when it is done.

The platform's `up`/`down` own the shared services; a test that needs another shape (a Spark cluster
when the shared platform runs local Spark, a second Connect server) starts them with `running`.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from tardis_dagster.tooling.local_platform.service import LocalService


class EphemeralServiceError(RuntimeError):
    """A service a test started did not become healthy; the message quotes its log."""


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running(services: Sequence[LocalService]) -> Iterator[list[int]]:
    """Prepare and start `services` in order, each healthy before the next; stop all by pid at exit."""
    started: list[tuple[LocalService, int]] = []
    try:
        for svc in services:
            svc.prepare()
            proc = svc.process.start(svc.command(), svc.environment())
            started.append((svc, proc.pid))
            deadline = time.monotonic() + svc.startup_timeout_s
            while not svc.healthy():
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise EphemeralServiceError(
                        f"{svc.name} did not become healthy. Last lines of {svc.process.log_file}:\n"
                        f"{svc.process.log_tail()}"
                    )
                time.sleep(1.0)
        yield [pid for _svc, pid in started]
    finally:
        for svc, pid in reversed(started):
            svc.process.stop(pid=pid)
