"""The adoption report: first commits from a real temporary git repository, first publications and
failing checks from a real (ephemeral) Dagster instance, and the `platform/adoption` asset run through
the code location's definitions."""

from __future__ import annotations

import dataclasses
import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest

from tardis_dagster.assembly import build_definitions
from tardis_dagster.core.settings import get_settings
from tardis_dagster.core.specs import load_catalog
from tardis_dagster.defs.platform.adoption import ProductFacts, adoption, markdown
from tardis_dagster.defs.platform.assets import ADOPTION_KEY
from tardis_dagster.defs.platform.git_history import spec_history

SPEC = """\
apiVersion: tardis/v1
kind: DataProduct
name: {name}
version: 1.0.0
description: Product {name}.
owner: {{tribe: {tribe}, squad: {squad}, contact: "#{squad}-data"}}
source:
  files: {{uri: ./drops/{name}/, format: csv}}
load: {{type: append}}
schema:
  - {{name: seen_at, type: timestamp}}
"""


def _git(repo: Path, *args: str, when: str | None = None) -> None:
    env = {**os.environ, "GIT_AUTHOR_DATE": when or "", "GIT_COMMITTER_DATE": when or ""}
    identity = ("-c", "user.name=Tester", "-c", "user.email=tester@example.com", "-c", "commit.gpgsign=false")
    subprocess.run(["git", *identity, "-C", str(repo), *args], check=True, capture_output=True, env=env)


def _write(folder: Path, name: str, tribe: str, squad: str) -> Path:
    path = folder / tribe / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(SPEC.format(name=name, tribe=tribe, squad=squad))
    return path


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository whose product_specs/ gained `orders` in January (moved to another tribe's folder in
    April), `menus` in March, and holds `drafts` uncommitted."""
    repo = tmp_path / "repo"
    specs = repo / "product_specs"
    specs.mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    (repo / "README.md").write_text("not a spec\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "start", when="2025-12-01T09:00:00+00:00")
    _write(specs, "orders", "consumer", "checkout")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "orders", when="2026-01-10T09:00:00+00:00")
    _write(specs, "menus", "operations", "menu")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "menus", when="2026-03-05T12:00:00+00:00")
    (specs / "operations" / "orders.yaml").write_text((specs / "consumer" / "orders.yaml").read_text())
    _git(repo, "rm", "-q", "product_specs/consumer/orders.yaml")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "move orders", when="2026-04-01T09:00:00+00:00")
    _write(specs, "drafts", "marketing", "crm")
    return specs


def test_first_commits_follow_renames_and_skip_what_is_not_committed(repo: Path) -> None:
    history = spec_history(repo)
    assert history.note is None
    first = {path.relative_to(repo.resolve()).as_posix(): when for path, when in history.first_commit.items()}
    assert first == {
        "operations/orders.yaml": datetime(2026, 1, 10, 9, tzinfo=UTC),  # moved in April, born in January
        "operations/menus.yaml": datetime(2026, 3, 5, 12, tzinfo=UTC),
    }


def test_no_git_is_a_note_not_a_failure(tmp_path: Path) -> None:
    _write(tmp_path, "orders", "consumer", "checkout")
    history = spec_history(tmp_path)
    assert history.first_commit == {} and "no git history" in (history.note or "")
    missing = spec_history(tmp_path, git=str(tmp_path / "no-such-git"))
    assert "no git executable" in (missing.note or "")


def test_the_report_counts_products_tribes_months_and_the_median_time_to_publish() -> None:
    day = datetime(2026, 1, 1, tzinfo=UTC)
    products = [
        ProductFacts("a", "consumer", "checkout", "kafka", day, day + timedelta(hours=2)),
        ProductFacts(
            "b", "consumer", "accounts", "files", day + timedelta(days=60), day + timedelta(days=61)
        ),
        # Published before committed (tried locally first): counts as no wait, never negative.
        ProductFacts("c", "operations", "menu", "sql", day + timedelta(days=3), day),
        ProductFacts("d", "operations", "menu", "sql", None, None, ("std/d:audits",)),
    ]
    report = adoption(products, {"consumer": 7, "operations": 3, "platform": 2})
    assert (report.products, report.published, report.assets, report.tribes, report.squads) == (
        4,
        3,
        12,
        2,
        3,
    )
    assert report.median_time_to_publish == timedelta(hours=2) and report.timed_products == 3
    months = {(r.month, r.tribe): r.new_products for r in report.new_per_month}
    assert months[("2026-01", "consumer")] == 1 and months[("2026-01", "operations")] == 1
    assert months[("2026-02", "consumer")] == 0  # the gap month is listed, so the chart shows it
    assert months[("2026-03", "consumer")] == 1
    assert report.uncommitted == ["d"] and report.failing == {"d": ("std/d:audits",)}
    tables = markdown(report)
    assert "| median time from first commit to first publish | 2 h 0 min (over 3) |" in tables["summary"]
    assert "| not committed | 1 |" in tables["new_products_per_month"]
    assert "| d | std/d:audits |" in tables["failing_checks"]


def test_the_adoption_asset_reads_git_and_the_instance(repo: Path, tmp_path: Path) -> None:
    settings = dataclasses.replace(get_settings(), home=tmp_path / "home", specs_dir=repo)
    defs = build_definitions(load_catalog([repo]), settings)
    instance = dg.DagsterInstance.ephemeral()
    instance.report_runless_asset_event(dg.AssetMaterialization(dg.AssetKey(["std", "orders"])))
    instance.report_runless_asset_event(dg.AssetMaterialization(dg.AssetKey(["std", "menus"])))
    instance.report_runless_asset_event(
        dg.AssetCheckEvaluation(asset_key=dg.AssetKey(["std", "menus"]), check_name="audits", passed=False)
    )
    job = defs.resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(instance=instance, asset_selection=[ADOPTION_KEY])
    assert result.success
    (event,) = result.get_asset_materialization_events()
    metadata = {k: v.value for k, v in event.materialization.metadata.items()}
    assert (metadata["products"], metadata["published_products"], metadata["tribes"]) == (3, 2, 3)
    assert metadata["squads"] == 3 and metadata["products_with_failing_checks"] == 1
    assert metadata["assets"] >= 3 * 2  # raw and std per product, beside the dbt and platform assets
    # orders waited since January, menus since March: the median lies between.
    now = datetime.now(UTC)
    low = (now - datetime(2026, 3, 5, 12, tzinfo=UTC)).total_seconds() / 3600
    high = (now - datetime(2026, 1, 10, 9, tzinfo=UTC)).total_seconds() / 3600
    assert low < metadata["median_hours_to_first_publish"] < high
    assert "| menus | std/menus:audits |" in metadata["failing_checks"]
    assert "| 2026-02 | 0 |" in metadata["new_products_per_month"]
    assert "| not committed | 1 |" in metadata["new_products_per_month"]
    assert metadata["chart"].startswith("![new data products per month](data:image/png;base64,")
    assert Path(metadata["png_path"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "git_history" not in metadata
    assert Path(metadata["report_path"]).read_text().count("<section>") == 4


def test_the_adoption_asset_without_git_says_why(tmp_path: Path) -> None:
    specs = tmp_path / "specs"
    _write(specs, "orders", "consumer", "checkout")
    settings = dataclasses.replace(get_settings(), home=tmp_path / "home", specs_dir=specs)
    defs = build_definitions(load_catalog([specs]), settings)
    job = defs.resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(instance=dg.DagsterInstance.ephemeral(), asset_selection=[ADOPTION_KEY])
    assert result.success
    (event,) = result.get_asset_materialization_events()
    metadata = {k: v.value for k, v in event.materialization.metadata.items()}
    assert "no git history" in metadata["git_history"] and "chart" not in metadata
    assert metadata["products"] == 1 and "median_hours_to_first_publish" not in metadata
    assert "> no git history" in metadata["summary"]
