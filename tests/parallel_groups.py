"""Which tests share a pytest-xdist worker (`make test` runs two, `--dist loadgroup`).

A test file stays on one worker, so its module fixtures run once. The demo's files form one group:
they build, read and produce to the demo products' shared tables and topics, and the checks that scan
every table (no clear PII outside raw, shared tables unchanged by `tardis test`) must not see another
test's half-written ones. Unit-test folders stay whole for their session fixtures (tests/cost's dbt
runs). Everything else writes only uniquely named tables, topics and folders of its own.
"""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DEMO = "demo-tables"
# Files that read or write the demo's own tables and topics, or snapshot/scan the whole catalog.
_DEMO_FILES = frozenset(
    {
        "test_demo_pii.py",
        "test_demo_pipeline.py",
        "test_demo_produce.py",
        "test_dbt_project.py",
        "test_tardis_test.py",
        "test_readme_tutorials.py",
    }
)


def group_of(path: Path, tests_dir: Path) -> str:
    """The xdist group of a test file: the demo group, its integration file, or its unit folder."""
    relative = path.relative_to(tests_dir)
    if relative.parts[0] == "integration":
        return SHARED_DEMO if relative.name in _DEMO_FILES else str(relative)
    return relative.parts[0] if len(relative.parts) > 1 else str(relative)


def mark_group(item: pytest.Item, tests_dir: Path) -> None:
    """Give a collected test its xdist group unless it names one (a no-op for a run without workers)."""
    if item.get_closest_marker("xdist_group") is None:
        item.add_marker(pytest.mark.xdist_group(group_of(Path(item.path), tests_dir)))


def check_grouped(session: pytest.Session) -> None:
    """Refuse a `--dist loadgroup` run whose groups xdist did not apply (it marks each grouped test's
    id with `@<group>`; a pytest it does not support drops that silently and tests would overlap)."""
    # xdist sets `loadgroup` on its workers only; a run without workers has nothing to check
    grouped = getattr(session.config.option, "loadgroup", False)
    if grouped and any("@" not in item.nodeid for item in session.items):
        raise pytest.UsageError(
            "pytest-xdist ignored the test groups (tests/parallel_groups.py): use the pytest version "
            "pyproject.toml pins, or run with PYTEST_WORKERS=0"
        )
