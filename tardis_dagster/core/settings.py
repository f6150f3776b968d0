"""Environment switches in one place: where things live and which deployment we run in.

Everything machine- or deployment-specific is read here from environment variables, so the rest
of the code never reads `os.environ` itself.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from tardis_dagster.core.jobs_io import JOB_TAG_ENV, MAX_RECORD_BYTES

PROJECT_DIR_ENV = "TARDIS_PROJECT_DIR"

Deployment = Literal["local", "prod"]


@dataclass(frozen=True)
class Settings:
    """Resolved settings for this process."""

    deployment: Deployment
    project_root: Path
    home: Path  # local state: jars, service data, logs, the lake
    specs_dir: Path
    spark_remote: str
    kafka_bootstrap: str
    kafka_port: int
    kafka_controller_port: int
    spark_connect_port: int
    dagster_url: str
    dagster_home: Path  # the local Dagster instance (DAGSTER_HOME)
    kafka_max_offsets_per_trigger: int  # bounds one landing micro-batch, so a backlog lands in steps
    kafka_min_partitions: int | None  # Spark tasks per landing batch at least; None: one per Kafka partition
    s3_endpoint: str | None  # an S3-compatible endpoint for local s3:// URIs; None means AWS itself

    @property
    def warehouse_dir(self) -> Path:
        """Root of the local Iceberg warehouse (the lake)."""
        return self.home / "spark" / "warehouse"

    jars_dir: Path  # Maven-resolved jars for Kafka and Spark (shareable between homes)
    alerts_config: Path | None = None  # alert routing YAML; None: log-file sink under home/alerts/
    schema_registry_url: str | None = None  # Confluent-compatible registry for `registry_subject` specs
    spark_ui_port: int = 4040  # the local Spark Connect server's UI (its REST API feeds telemetry)
    spark_ui_url: str | None = None  # where job metrics are read; production: EMR's UI / History Server
    dbt_target: str = "local"  # the dbt profile target (TARDIS_DBT_TARGET)
    compute_resource_id: str | None = (
        None  # the compute cost telemetry is charged to (TARDIS_COMPUTE_RESOURCE_ID)
    )
    spark_driver_memory: str = "4g"  # the local Spark Connect server's driver (TARDIS_SPARK_DRIVER_MEMORY)
    kafka_max_record_bytes: int = MAX_RECORD_BYTES  # larger Kafka values are quarantined undecoded
    # The isolation switch: every layer's tables go to the namespace `<prefix><layer>` (landing,
    # std, checks and dbt alike), so a run never touches the shared tables. `tardis test` sets it
    # per run (with its own dbt project); TARDIS_NAMESPACE_PREFIX sets it for a whole code location
    # (a branch deployment, a test's daemon). Empty: the shared layers.
    namespace_prefix: str = ""
    dbt_project_override: Path | None = None  # a throwaway dbt project (`tardis test`); None: the platform's

    @property
    def dbt_project_dir(self) -> Path:
        """The dbt project of the platform (or the throwaway one a `tardis test` run generated)."""
        return self.dbt_project_override or self.project_root / "dbt_project"


def _kafka_min_partitions(deployment: str) -> int | None:
    """TARDIS_KAFKA_MIN_PARTITIONS; locally four tasks per core of this machine (the Spark server's).

    A topic with fewer partitions than cores (or 3 on 2) would leave cores idle while one task
    finishes; split offset ranges keep every core busy. Spark splits each Kafka partition into
    round(its share x minPartitions) ranges, so a small multiple of the cores would not split 3
    partitions at all. Production sizes it to its executors.
    """
    value = os.environ.get("TARDIS_KAFKA_MIN_PARTITIONS")
    if value:
        return int(value)
    return 4 * (os.cpu_count() or 1) if deployment == "local" else None


PRIVATE_DIR_MODE = 0o700
PII_KEY_FILE_MODE = 0o600


def ensure_home(settings: Settings) -> Path:
    """Create the local home (`.tardis/`) readable by its owner only; an existing one loses group and
    other access (it holds the PII key, service data and the lake)."""
    home = settings.home
    home.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    if home.stat().st_mode & 0o077:
        home.chmod(PRIVATE_DIR_MODE)
    return home


@cache
def pii_key(settings: Settings) -> str:
    """The HMAC key for PII columns: TARDIS_PII_KEY, or locally a random key kept under .tardis/.

    Production sets TARDIS_PII_KEY from a secret store; the local key never leaves the machine.
    """
    key = os.environ.get("TARDIS_PII_KEY")
    if key:
        return key
    if settings.deployment != "local":
        raise RuntimeError("TARDIS_PII_KEY must be set outside local development")
    return local_pii_key(ensure_home(settings) / "pii.key")


def local_pii_key(path: Path) -> str:
    """The key in `path`, created once: exclusively (O_EXCL) and owner-only (0600) from the start.

    Two processes creating it at once both end up with the winner's key: the loser reads it back
    instead of overwriting it (a second key would make earlier hashes unjoinable).
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PII_KEY_FILE_MODE)
    except FileExistsError:
        if path.stat().st_mode & 0o077:
            path.chmod(PII_KEY_FILE_MODE)  # made by an older version, or copied in loosely
        return _read_key(path)
    with os.fdopen(fd, "w") as file:
        file.write(secrets.token_hex(32))
        file.flush()
        os.fsync(file.fileno())
    return _read_key(path)


def _read_key(path: Path) -> str:
    """The key in `path`; waits briefly while a concurrent creator is still writing it."""
    for _ in range(100):
        key = path.read_text().strip()
        if key:
            return key
        time.sleep(0.05)  # created (O_EXCL won) but not written yet
    raise RuntimeError(f"{path} is empty: delete it to have a new PII key made (earlier hashes change)")


class ProjectDirError(ValueError):
    """No project directory could be resolved: the message says how to name one."""


def project_dir(environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> Path:
    """The project directory (the repo holding `product_specs/`, the dbt project, local configs).

    `TARDIS_PROJECT_DIR` if set, else the git root of the current directory. Never the package's
    own location: an installed package (site-packages) or an editable install used from another
    clone or worktree must work on the tree the user is in.
    """
    environ = os.environ if environ is None else environ
    named = environ.get(PROJECT_DIR_ENV)
    if named:
        folder = Path(named).expanduser().resolve()
        if not folder.is_dir():
            raise ProjectDirError(
                f"{PROJECT_DIR_ENV}={named}: no such directory (set it to the repository that holds "
                "product_specs/, or unset it and run inside that repository)"
            )
        return folder
    start = (cwd or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        # `.git` is a directory in a clone and a file in a worktree (`git worktree add`)
        if (folder / ".git").exists():
            if (folder / "product_specs").is_dir():
                return folder
            raise ProjectDirError(
                f"{folder} is a git repository without product_specs/: run tardis inside the "
                f"project's repository, or set {PROJECT_DIR_ENV} to it"
            )
    raise ProjectDirError(
        f"no project directory: {start} is not inside a git repository; run tardis inside the "
        f"project's repository (the one holding product_specs/), or set {PROJECT_DIR_ENV} to it"
    )


@cache
def get_settings() -> Settings:
    """Read the settings once per process from the environment (with local defaults).

    Cached: callers at the edges (the component, the CLI) read them once and pass them on. A test
    that changes the environment calls `get_settings.cache_clear()`.
    """
    root = project_dir()
    home = Path(os.environ.get("TARDIS_HOME", root / ".tardis")).resolve()
    kafka_port = int(os.environ.get("TARDIS_KAFKA_PORT", "9092"))
    spark_port = int(os.environ.get("TARDIS_SPARK_CONNECT_PORT", "15002"))
    ui_port = int(os.environ.get("TARDIS_SPARK_UI_PORT", "4040"))
    deployment = os.environ.get("TARDIS_DEPLOYMENT", "local")
    if deployment not in ("local", "prod"):
        raise ValueError(f"TARDIS_DEPLOYMENT must be 'local' or 'prod', not {deployment!r}")
    return Settings(
        deployment=deployment,  # type: ignore[arg-type]
        project_root=root,
        home=home,
        specs_dir=Path(os.environ.get("TARDIS_SPECS_DIR", root / "product_specs")).resolve(),
        spark_remote=os.environ.get("SPARK_REMOTE", f"sc://127.0.0.1:{spark_port}"),
        kafka_bootstrap=os.environ.get("TARDIS_KAFKA_BOOTSTRAP", f"127.0.0.1:{kafka_port}"),
        kafka_port=kafka_port,
        kafka_controller_port=int(os.environ.get("TARDIS_KAFKA_CONTROLLER_PORT", "9093")),
        spark_connect_port=spark_port,
        dagster_url=os.environ.get("TARDIS_DAGSTER_URL", "http://127.0.0.1:3000"),
        s3_endpoint=os.environ.get("TARDIS_S3_ENDPOINT") or None,
        kafka_max_offsets_per_trigger=int(os.environ.get("TARDIS_KAFKA_MAX_OFFSETS_PER_TRIGGER", "2000000")),
        kafka_min_partitions=_kafka_min_partitions(deployment),
        kafka_max_record_bytes=int(os.environ.get("TARDIS_KAFKA_MAX_RECORD_BYTES", MAX_RECORD_BYTES)),
        dagster_home=Path(os.environ.get("DAGSTER_HOME", home / "dagster")).resolve(),
        jars_dir=Path(os.environ.get("TARDIS_JARS_DIR", home / "jars")).resolve(),
        spark_ui_port=ui_port,
        schema_registry_url=os.environ.get("TARDIS_SCHEMA_REGISTRY_URL") or None,
        spark_ui_url=os.environ.get("TARDIS_SPARK_UI_URL")
        or (f"http://127.0.0.1:{ui_port}" if deployment == "local" else None),
        dbt_target=os.environ.get("TARDIS_DBT_TARGET", "local"),
        compute_resource_id=os.environ.get("TARDIS_COMPUTE_RESOURCE_ID") or None,
        spark_driver_memory=os.environ.get("TARDIS_SPARK_DRIVER_MEMORY", "4g"),
        namespace_prefix=_namespace_prefix(os.environ.get("TARDIS_NAMESPACE_PREFIX", "")),
        alerts_config=Path(os.environ["TARDIS_ALERTS_CONFIG"]).resolve()
        if os.environ.get("TARDIS_ALERTS_CONFIG")
        else None,
    )


def _namespace_prefix(value: str) -> str:
    """TARDIS_NAMESPACE_PREFIX checked: it becomes part of every namespace name, unquoted in SQL."""
    if value and not re.fullmatch(r"[a-z][a-z0-9_]{0,40}_", value):
        raise ValueError(
            f"TARDIS_NAMESPACE_PREFIX must be lowercase letters, digits and underscores, start with a "
            f"letter and end with '_' (e.g. 'branch_42_'), not {value!r}"
        )
    return value


@dataclass(frozen=True)
class JobEnvironment:
    """What a Spark job process reads from its environment: set by the job runner (locally) or by
    the cluster's job configuration (EMR). Secrets travel here, never in a job's input."""

    job_tag: str | None  # tags the step's Spark jobs (telemetry)
    s3_endpoint: str | None  # a local S3 emulator; None on AWS
    aws_region: str
    aws_access_key_id: str
    aws_secret_access_key: str

    @classmethod
    def read(cls) -> JobEnvironment:
        """The job process's environment, read once at the job's start."""
        return cls(
            job_tag=os.environ.get(JOB_TAG_ENV) or None,
            s3_endpoint=os.environ.get("TARDIS_S3_ENDPOINT") or None,
            aws_region=os.environ.get("AWS_REGION", "us-east-1"),
            aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "test"),
            aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
        )

    @staticmethod
    def secret(name: str) -> str:
        """A secret the runner put in the job's environment (e.g. the PII key), or ''."""
        return os.environ.get(name, "")


def environment_secret(name: str) -> str | None:
    """The value of environment variable `name` (secrets referenced as `${NAME}` in config files)."""
    return os.environ.get(name)
