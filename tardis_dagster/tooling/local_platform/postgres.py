"""A local PostgreSQL server (Debian's package) for Dagster's production-shaped storage.

`initdb` writes the cluster into `<state_dir>/data`; `postgres` listens on 127.0.0.1 at its own port
with its unix socket inside `<state_dir>/socket` (never /var/run), and is stopped by pid like every
other service. PostgreSQL refuses to run as root, so when this process is root the server (and
`initdb`) run as the package's `postgres` system user through `runuser`.
"""

from __future__ import annotations

import os
import pwd
import shutil
import stat
import subprocess
from pathlib import Path

from tardis_dagster.tooling.local_platform.service import LocalService

POSTGRES_ENV = "TARDIS_POSTGRES"
DEFAULT_PORT = 15432
DATABASE = "dagster"
USER = "dagster"
# Only loopback clients reach this server; `trust` keeps a local password out of every file.
HBA = "local all all trust\nhost all all 127.0.0.1/32 trust\n"
OS_USER = "postgres"  # created by Debian's postgresql package


class PostgresNotInstalledError(RuntimeError):
    """The Debian PostgreSQL package is missing; the message says how to install it."""


def postgres_enabled() -> bool:
    """Whether `tardis local up` also starts Postgres (`TARDIS_POSTGRES=1`)."""
    return os.environ.get(POSTGRES_ENV, "").strip().lower() in ("1", "true", "yes")


def postgres_bin_dir() -> Path:
    """The newest `/usr/lib/postgresql/<major>/bin` that holds a `postgres` binary."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=lambda p: int(p.parts[-3]))
    if not found:
        raise PostgresNotInstalledError(
            "PostgreSQL is not installed: no /usr/lib/postgresql/*/bin/postgres. "
            "Install the Debian package: apt-get install -y postgresql"
        )
    return found[-1].parent


def _as_server_user(cmd: list[str]) -> list[str]:
    # PostgreSQL exits with "root execution of the PostgreSQL server is not permitted".
    return ["runuser", "-u", OS_USER, "--", *cmd] if os.geteuid() == 0 else cmd


def _let_server_user_reach(folder: Path) -> None:
    """As root, give the server user search (not list) permission on `folder` and its parents."""
    if os.geteuid() != 0:
        return
    for part in [folder, *folder.parents]:
        mode = part.stat().st_mode
        if not mode & stat.S_IXOTH:
            part.chmod(mode | stat.S_IXOTH)


class PostgresService(LocalService):
    """PostgreSQL on 127.0.0.1:`port`, its cluster and socket inside `state_dir`."""

    name = "postgres"
    startup_timeout_s = 60.0

    def __init__(self, state_dir: Path, port: int = DEFAULT_PORT) -> None:
        super().__init__(state_dir)
        self.port = port

    @property
    def data_dir(self) -> Path:
        return self.state_dir / "data"

    @property
    def socket_dir(self) -> Path:
        return self.state_dir / "socket"

    @property
    def url(self) -> str:
        """The SQLAlchemy/libpq URL of the `dagster` database (no password: loopback trust)."""
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{DATABASE}"

    def prepare(self) -> None:
        """Create the cluster once (`initdb`, user and database `dagster`); idempotent."""
        bin_dir = postgres_bin_dir()
        self.state_dir.mkdir(parents=True, exist_ok=True)
        _let_server_user_reach(self.state_dir)
        self.socket_dir.mkdir(exist_ok=True)
        if os.geteuid() == 0:
            entry = pwd.getpwnam(OS_USER)
            os.chown(self.socket_dir, entry.pw_uid, entry.pw_gid)
        if (self.data_dir / "PG_VERSION").exists():
            return
        if self.data_dir.exists():
            shutil.rmtree(self.data_dir)  # an initdb that died half-way leaves an unusable folder
        self.data_dir.mkdir(mode=0o700)
        if os.geteuid() == 0:
            os.chown(self.data_dir, entry.pw_uid, entry.pw_gid)
        self._run(
            [str(bin_dir / "initdb"), "-D", str(self.data_dir), "-U", USER, "-A", "trust", "-E", "UTF8"]
        )
        (self.data_dir / "pg_hba.conf").write_text(HBA)
        # A single-user bootstrap creates the database before the server ever listens.
        self._run(
            [str(bin_dir / "postgres"), "--single", "-D", str(self.data_dir), "postgres"],
            stdin=f"CREATE DATABASE {DATABASE};\n",
        )

    def _run(self, cmd: list[str], stdin: str | None = None) -> None:
        result = subprocess.run(
            _as_server_user(cmd), input=stdin, capture_output=True, text=True, cwd=self.state_dir, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(f"{Path(cmd[0]).name} failed ({result.returncode}): {result.stderr.strip()}")

    def command(self) -> list[str]:
        """`postgres` in the foreground on loopback, socket in the state dir, no fsync (test data)."""
        return _as_server_user(
            [
                str(postgres_bin_dir() / "postgres"),
                "-D",
                str(self.data_dir),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-k",
                str(self.socket_dir),
                "-c",
                "fsync=off",
                "-c",
                "max_connections=100",
            ]
        )

    def healthy(self) -> bool:
        """A real `select 1` through libpq on the TCP port."""
        import psycopg2  # installed with dagster-postgres; imported late, only `up` needs it

        try:
            conn = psycopg2.connect(self.url, connect_timeout=2)
        except psycopg2.OperationalError:
            return False
        try:
            with conn.cursor() as cur:
                cur.execute("select 1")
                return cur.fetchone() == (1,)
        finally:
            conn.close()
