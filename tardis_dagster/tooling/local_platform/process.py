"""Background processes owned by the local platform, tracked by pid file and stopped by pid only."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tardis_dagster.core.jobs_io import PII_KEY_ENV

# Secrets a service never needs: kept out of its environment (and so out of any page that shows it).
WITHHELD_ENV = (PII_KEY_ENV,)


@dataclass(frozen=True)
class ManagedProcess:
    """One long-running process: its pid file, its log, and the marker that proves it is ours."""

    name: str
    state_dir: Path

    @property
    def pid_file(self) -> Path:
        return self.state_dir / "pid"

    @property
    def log_file(self) -> Path:
        return self.state_dir / f"{self.name}.log"

    def pid(self) -> int | None:
        """The recorded pid if that process is still alive and still ours, else None."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        return pid if _is_ours(pid, self.state_dir) else None

    def start(self, cmd: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        """Start `cmd` in its own session, logging to the log file; record its pid, return the process."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            proc = subprocess.Popen(
                cmd,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.state_dir,
                env={**service_environment(env), "TARDIS_SERVICE_DIR": str(self.state_dir)},
                start_new_session=True,  # its own process group, so `down` stops the whole tree
            )
        self.pid_file.write_text(str(proc.pid))
        return proc

    def stop(self, timeout_s: float = 30.0, pid: int | None = None) -> bool:
        """Stop the recorded process group (TERM, then KILL after `timeout_s`). True if it was running.

        `pid` is given by the caller that started the process itself (its identity is known).
        """
        pid = pid if pid is not None else self.pid()
        if pid is None or not _alive(pid):
            self.pid_file.unlink(missing_ok=True)
            return False
        _signal_group(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.2)
        if _alive(pid):
            _signal_group(pid, signal.SIGKILL)
            while _alive(pid):
                time.sleep(0.1)
        self.pid_file.unlink(missing_ok=True)
        return True

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of the log, for error messages."""
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log written)"


def service_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment plus `extra`, without the secrets in `WITHHELD_ENV`."""
    env = {**os.environ, **(extra or {})}
    for name in WITHHELD_ENV:
        env.pop(name, None)
    return env


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped) counts as gone.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _is_ours(pid: int, state_dir: Path) -> bool:
    """A pid is ours only if alive and started with our service dir in its environment.

    Pids are reused by the OS; this keeps `down` from ever signalling a stranger.
    """
    if not _alive(pid):
        return False
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes()
    except (FileNotFoundError, PermissionError):
        return False
    return f"TARDIS_SERVICE_DIR={state_dir}".encode() in environ.split(b"\0")


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)
