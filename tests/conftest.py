"""Shared fixtures: the real local platform (Kafka + Spark Connect), started once per test session."""

from __future__ import annotations

import fcntl
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import parallel_groups
import pytest
from repo_root import PROJECT_ROOT

from tardis_dagster.tooling import local_platform


def pytest_configure(config: pytest.Config) -> None:
    """Name this repository as the project for the whole session and the commands it spawns: many
    tests run `tardis` or Dagster from a temporary folder that is no git repository."""
    os.environ.setdefault("TARDIS_PROJECT_DIR", str(PROJECT_ROOT))
    if not hasattr(config, "workerinput"):  # the controller (or a run without workers)
        config.stash[_CHECKOUT] = _checkout_state()


# What the checkout's user files look like before the run; a test that writes them (a command run with
# this checkout as its project) fails the run at the end.
_CHECKOUT = pytest.StashKey[str]()
_USER_FILES = ("product_specs", "dbt_project/models", "dbt_project/macros", "docs")


def _checkout_state() -> str:
    command = ["git", "status", "--porcelain", "--untracked-files=all", "--", *_USER_FILES]
    return subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, check=False).stdout


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail a run during which the checkout's specs, dbt project or docs changed."""
    before = session.config.stash.get(_CHECKOUT, None)
    if before is None:
        return
    after = _checkout_state()
    if after != before:
        changed = sorted(set(after.splitlines()) ^ set(before.splitlines()))
        print("\nThe tests changed this checkout's user files (a test ran a command on it):")
        print("\n".join(f"  {line}" for line in changed))
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_itemcollected(item: pytest.Item) -> None:
    """Keep what must not overlap on one xdist worker (tests/parallel_groups.py). Marked as each test
    is collected: xdist reads the groups in its own `pytest_collection_modifyitems`."""
    parallel_groups.mark_group(item, Path(__file__).parent)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Fail fast when xdist dropped the groups (tests/parallel_groups.py)."""
    parallel_groups.check_grouped(session)


@pytest.fixture(scope="session")
def platform() -> Iterator[None]:
    """Start the local platform if it is not running, and stop it afterwards only if we started it.

    `make test` / CI start it up front (so its start-up is visible in the log); this fixture makes a
    plain `pytest` run work too.
    """
    # xdist workers start it one at a time, and none stops it: another worker may still be using it.
    with _platform_lock():
        started = [row.service for row in local_platform.up() if row.started]
    yield
    if started and not os.environ.get("TARDIS_KEEP_PLATFORM") and not os.environ.get("PYTEST_XDIST_WORKER"):
        local_platform.down()


@contextmanager
def _platform_lock() -> Iterator[None]:
    """An exclusive lock across this machine's test processes (beside the platform's state)."""
    lock = PROJECT_ROOT / ".tardis" / "platform-start.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def spark(platform: None):
    """A Spark Connect session on the local server."""
    from pyspark.sql import SparkSession

    from tardis_dagster.core.settings import get_settings

    return SparkSession.builder.remote(get_settings().spark_remote).getOrCreate()
