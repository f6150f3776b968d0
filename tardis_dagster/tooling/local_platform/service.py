"""What every local service provides, so `platform.py` can start, probe and stop them alike."""

from __future__ import annotations

import socket
from abc import ABC, abstractmethod
from pathlib import Path

from tardis_dagster.tooling.local_platform.process import ManagedProcess


class LocalService(ABC):
    """A service of the local platform: prepared once, started in the background, probed for health."""

    name: str
    port: int
    startup_timeout_s: float = 120.0

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.process = ManagedProcess(self.name, state_dir)

    @abstractmethod
    def prepare(self) -> None:
        """Resolve jars and write configuration; idempotent."""

    @abstractmethod
    def command(self) -> list[str]:
        """The command line that runs the service in the foreground."""

    def environment(self) -> dict[str, str]:
        """Extra environment for the service process."""
        return {}

    @abstractmethod
    def healthy(self) -> bool:
        """A real round trip through the service (not just an open port)."""

    def port_open(self) -> bool:
        """Whether something accepts TCP connections on the service port."""
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.5)
            return sock.connect_ex(("127.0.0.1", self.port)) == 0
