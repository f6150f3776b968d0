"""`tardis pr` against a local bare repository: the branch is pushed, its commit holds the product's spec,
schema and generated models only, and the description holds the `tardis check` and `tardis test` reports.

No platform needed: git is real, the test report is a file as `tardis test` writes it, and `gh` is kept
off PATH (then a fake `gh` on PATH shows the pull request is opened with the description file).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from repo_root import PROJECT_ROOT

TARDIS = str(Path(sys.executable).with_name("tardis"))
NAME = "gift_cards"
SCHEMA = (
    '{"type": "object", "properties": {"card_id": {"type": "string"}, "customer_id": {"type": "string"}}}'
)
SPEC = f"""apiVersion: tardis/v1
kind: DataProduct
name: {NAME}
version: 1.0.0
description: Gift cards sold.
owner: {{tribe: consumer, squad: checkout, contact: "#checkout-data"}}
stakeholders: ["#finance-analytics"]
source:
  kafka: {{topic: checkout.gift_card.v1, format: json, schema: schemas/{NAME}.json}}
schedule: "0 * * * *"
load: {{type: upsert, key: [card_id]}}
schema:
  - {{name: card_id, type: string, required: true}}
  - {{name: customer_id, type: string}}
quality:
  - unique: [card_id]
vault:
  hubs:
    - {{hub: customer, key: [customer_id]}}
"""
TEST_REPORT = (
    f"### `tardis test {NAME}`: PASSED\n\n#### Sample of std (as published: PII hashed)\n\n"
    "| card_id |\n|---|\n| g1 |\n"
)


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def _path_without_gh() -> str:
    folders = os.environ["PATH"].split(os.pathsep)
    return os.pathsep.join(f for f in folders if not (Path(f) / "gh").exists())


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A clone of a bare repository whose main holds a copy of product_specs/ and the dbt project."""
    bare = tmp_path / "origin.git"
    _git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(bare))
    work = tmp_path / "work"
    _git(tmp_path, "clone", "--quiet", str(bare), str(work))
    for who in (("user.email", "dev@example.com"), ("user.name", "Dev")):
        _git(work, "config", *who)
    shutil.copytree(
        PROJECT_ROOT / "product_specs", work / "product_specs", ignore=shutil.ignore_patterns(".*")
    )
    shutil.copytree(
        PROJECT_ROOT / "dbt_project", work / "dbt_project", ignore=shutil.ignore_patterns("target", "logs")
    )
    (work / ".gitignore").write_text(".tardis/\n", encoding="utf-8")
    _git(work, "add", ".")
    _git(work, "commit", "--quiet", "-m", "platform")
    _git(work, "push", "--quiet", "origin", "main")
    return work


def _tardis_pr(work: Path, path: str) -> subprocess.CompletedProcess[str]:
    (work / "product_specs" / "consumer" / "schemas" / f"{NAME}.json").write_text(SCHEMA, encoding="utf-8")
    (work / "product_specs" / "consumer" / f"{NAME}.yaml").write_text(SPEC, encoding="utf-8")
    (work / "notes.txt").write_text("not part of the product\n", encoding="utf-8")  # must stay out
    report = work / "test-report.md"
    report.write_text(TEST_REPORT, encoding="utf-8")
    args = [TARDIS, "pr", NAME, "--specs", "product_specs", "--dbt-project", "dbt_project"]
    env = {**os.environ, "PATH": path, "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run(
        [*args, "--test-report", str(report)], cwd=work, env=env, capture_output=True, text=True, timeout=300
    )


def test_pr_pushes_the_products_files_only_with_the_reports(clone: Path, tmp_path: Path) -> None:
    result = _tardis_pr(clone, _path_without_gh())
    assert result.returncode == 0, result.stdout + result.stderr
    branch = f"tardis/{NAME}"
    assert f"refs/heads/{branch}" in _git(tmp_path, "ls-remote", str(tmp_path / "origin.git"))
    files = _git(clone, "show", "--name-only", "--format=", branch).split()
    assert f"product_specs/consumer/{NAME}.yaml" in files
    assert f"product_specs/consumer/schemas/{NAME}.json" in files
    assert f"dbt_project/models/generated/staging/stg_{NAME}.sql" in files
    others = [
        f
        for f in files
        if not f.startswith(("dbt_project/models/generated/", "dbt_project/macros/generated/"))
    ]
    assert sorted(others) == sorted(
        [f"product_specs/consumer/{NAME}.yaml", f"product_specs/consumer/schemas/{NAME}.json"]
    )
    assert "?? notes.txt" in _git(clone, "status", "--porcelain")  # left alone
    description = (clone / ".tardis" / "pr" / f"{NAME}.md").read_text(encoding="utf-8")
    assert "### `tardis check --base main`" in description
    assert f"{NAME} (added" in description  # the check report's own table for the product
    assert TEST_REPORT.strip() in description
    assert "`std.gift_cards`" in description and "`stg.gift_cards`" in description
    assert (
        "| assets | `raw/gift_cards`, `std/gift_cards`, `stg/gift_cards`, `vault/hub_customer` |"
        in description
    )
    assert "unique_card_id" in description and "Every hour (UTC)" in description
    assert "squad `checkout` of tribe `consumer`" in description and "#checkout-data" in description
    assert "gh is not on PATH" in result.stdout and f".tardis/pr/{NAME}.md" in result.stdout


def test_pr_opens_the_pull_request_with_gh(clone: Path, tmp_path: Path) -> None:
    fake = tmp_path / "bin"
    fake.mkdir()
    calls = tmp_path / "gh-calls.txt"
    (fake / "gh").write_text(f'#!/bin/sh\necho "$@" >> {calls}\necho https://example.test/pull/1\n')
    (fake / "gh").chmod(0o755)
    result = _tardis_pr(clone, f"{fake}{os.pathsep}{_path_without_gh()}")
    assert result.returncode == 0, result.stdout + result.stderr
    call = calls.read_text(encoding="utf-8")
    assert call.startswith(f"pr create --title New data product {NAME} --body-file ")
    assert f".tardis/pr/{NAME}.md --base main --head tardis/{NAME}" in call
    assert "pull request: https://example.test/pull/1" in result.stdout
