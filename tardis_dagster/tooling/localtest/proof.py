"""`tardis test <product>` from start to end: platform, workspace, data, run, report, clean-up."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from tardis_dagster.core.settings import Settings
from tardis_dagster.core.specs import SpecCatalog
from tardis_dagster.tooling.local_platform.platform import services, up
from tardis_dagster.tooling.localtest import sample_data, tables
from tardis_dagster.tooling.localtest.report import REPORT_PHASE, TestReport
from tardis_dagster.tooling.localtest.run import run_product
from tardis_dagster.tooling.localtest.workspace import make_workspace, with_upstream


class ProofError(Exception):
    """A run that could not start (no such product, no data); the message says what to do."""


def ensure_platform(progress: Callable[[str], None]) -> None:
    """Start the local platform unless every service already answers (whoever started it)."""
    if all(svc.healthy() for svc in services()):
        return
    progress("starting the local platform (tardis local up)")
    up(progress)


@contextmanager
def _timed(phases: list[tuple[str, float]], what: str) -> Iterator[None]:
    start = time.monotonic()
    try:
        yield
    finally:
        phases.append((what, time.monotonic() - start))


def prove(
    catalog: SpecCatalog,
    name: str,
    settings: Settings,
    *,
    keep: bool = False,
    progress: Callable[[str], None] = lambda _msg: None,
) -> TestReport:
    """Land, standardize and model product `name` (and what its SQL reads) with its checks, in
    namespaces of the run's own, and report rows, checks, a std sample and times.

    Unless `keep`, the run's tables, namespaces and synthetic topics are dropped afterwards.
    """
    try:
        product = catalog.by_name(name)
    except KeyError:
        known = ", ".join(p.name for p in catalog.products[:8])
        raise ProofError(f"no valid data product named '{name}' (known: {known}, ...)") from None
    phases: list[tuple[str, float]] = []
    with _timed(phases, "local platform"):
        ensure_platform(progress)
    # Copies: pointing a source at synthetic data must not change the loaded specs.
    products = [p.model_copy(deep=True) for p in with_upstream(catalog, product)]
    folder = Path(tempfile.mkdtemp(prefix="tardis-test-", dir=_runs_dir(settings)))
    data: list[sample_data.TestData] = []
    try:
        with _timed(phases, "test data"):
            for each in products:
                data.append(sample_data.prepare_data(each, settings, folder))
        with _timed(phases, "workspace (dbt models generated)"):
            workspace = make_workspace(catalog, product, settings, folder, products)
    except sample_data.NoTestDataError as error:
        _delete_topics(settings, data)
        raise ProofError(str(error)) from None
    progress(f"running {name} in namespaces {workspace.prefix}<layer> (data: {data[-1].describe()})")
    spark = tables.session(settings.spark_remote)
    try:
        outcome = run_product(workspace)
        with _timed(phases, REPORT_PHASE):
            counts = tables.table_counts(spark, workspace)
            columns, rows = tables.std_sample(spark, workspace)
    finally:  # an interrupted run leaves nothing behind either (unless --keep)
        if not keep:
            tables.drop_tables(spark, workspace)
            _delete_topics(settings, data)
            shutil.rmtree(folder, ignore_errors=True)
    return TestReport(
        product=name,
        prefix=workspace.prefix,
        data=next(d for p, d in zip(products, data, strict=True) if p.name == name),
        outcome=outcome,
        counts=counts,
        sample_columns=columns,
        sample_rows=rows,
        phases=phases,
        kept=keep,
    )


def _runs_dir(settings: Settings) -> Path:
    runs = settings.home / "test-runs"
    runs.mkdir(parents=True, exist_ok=True)
    return runs


def _delete_topics(settings: Settings, data: list[sample_data.TestData]) -> None:
    for each in data:
        if each.synthetic_topic:
            sample_data.delete_topic(settings, each.synthetic_topic)
