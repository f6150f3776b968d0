"""The acceptance line of the Backstage form: the answers file its skeleton renders (Backstage's template
engines, backstage/test-harness) makes `tardis new --answers` write the same files, byte for byte, as
`tardis new` driven through its real prompts in a terminal (pexpect) with the same answers. A files
product (a CSV drop; Spark infers its schema on the local platform), so no Kafka topic is needed."""

from __future__ import annotations

import os
import shutil
import sys
import uuid
from pathlib import Path

import pexpect
import pytest
from repo_root import PROJECT_ROOT
from typer.testing import CliRunner

from tardis_dagster.core.specs import load_catalog
from tardis_dagster.tooling.cli import app

pytestmark = pytest.mark.platform
TARDIS = str(Path(sys.executable).with_name("tardis"))
ENV = {**os.environ, "NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "200"}


def _listing(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _interactive(tmp_path: Path, tree: Path, dbt: Path, drop: Path, name: str, description: str) -> str:
    args = ["new", "--specs", str(tree), "--dbt-project", str(dbt)]
    child = pexpect.spawn(TARDIS, args, env=ENV, encoding="utf-8", timeout=120, cwd=str(tmp_path))
    transcript: list[str] = []
    child.logfile_read = type("Log", (), {"write": transcript.append, "flush": lambda self: None})()
    for question, answer in [
        ("Tribe", "operations"),
        ("Squad", "menu"),
        ("Owner contact", "menu@example.com"),
        ("Stakeholders", "#ops-analytics, supply@example.com"),
        ("Product name", name),
        ("Description", description),
        ("Source", "files"),
        ("Folder the files arrive in", str(drop)),
        ("File format", "csv"),
        ("Schedule", "0 6 * * *"),
        ("Load type", "upsert"),
        ("Key column", "supplier_id"),
        ("Version column", "onboarded_on"),
        ("Partition by", "month(onboarded_on)"),
    ]:
        child.expect_exact(question)
        child.sendline(answer)
    # One question per column that looks personal: only the email address is.
    while child.expect([r"Is '(\w+)' personal data", "Other columns holding personal data"]) == 0:
        child.sendline("y" if child.match.group(1) == "contact_email" else "n")
    child.sendline("")
    child.expect(pexpect.EOF)
    child.close()
    output = "".join(transcript)
    assert child.exitstatus == 0, output
    return output


def test_the_form_makes_the_spec_the_prompts_make(render_form, tmp_path: Path, spark) -> None:
    tree = tmp_path / "product_specs"
    shutil.copytree(PROJECT_ROOT / "product_specs", tree, ignore=shutil.ignore_patterns(".*"))
    # Inside the folder that holds the spec tree, as a local drop must be (`.tardis/` in the repository).
    drop = tmp_path / ".tardis" / "drops" / uuid.uuid4().hex[:8]
    drop.mkdir(parents=True)
    (drop / "suppliers.csv").write_text(
        "Supplier ID,supplier_name,contact_email,rating,onboarded_on\n"
        "s1,Green Farm,farm@example.com,4.5,2026-01-04\n"
        "s2,Fish & Co,sales@fishco.example,3.9,2026-02-11\n"
        "s3,Spice Road,hello@spice.example,,2026-03-01\n"
    )
    name = "suppliers"
    description = 'Suppliers we buy from: "green" farms & co. #fresh'
    before = _listing(tree)

    prompted = _interactive(tmp_path, tree, tmp_path / "dbt_prompts", drop, name, description)
    assert "tardis validate" in prompted and ": ok" in prompted
    by_prompts = {path: text for path, text in _listing(tree).items() if before.get(path) != text}
    assert sorted(by_prompts) == [f"operations/{name}.yaml"]
    for path in by_prompts:  # the same tree again for the form's run: the name must be free
        (tree / path).unlink()
    assert _listing(tree) == before

    form = {
        "tribe": "operations",
        "squad": "group:default/menu",  # OwnerPicker's value
        "contact": "menu@example.com",
        "stakeholders": ["#ops-analytics", "supply@example.com"],
        "name": name,
        "description": description,
        "source": "files",
        "uri": str(drop),
        "format": "csv",
        "schedule": "0 6 * * *",
        "load_type": "upsert",
        "key": ["supplier_id"],
        "version_by": "onboarded_on",
        "partition_by": ["month(onboarded_on)"],
        "pii": ["contact_email"],
    }
    written = render_form(form, "nunjitsu")
    assert render_form(form, "nunjucks") == written
    answers = tmp_path / "form" / "answers.yaml"
    answers.parent.mkdir()
    answers.write_text(written["answers.yaml"])
    # The template's tardis:new and tardis:validate steps: the same commands, without a terminal.
    new = CliRunner().invoke(
        app,
        ["new", "--answers", str(answers), "--specs", str(tree), "--dbt-project", str(tmp_path / "dbt_form")],
    )
    assert new.exit_code == 0, new.output
    spec = tree / "operations" / f"{name}.yaml"
    validate = CliRunner().invoke(app, ["validate", str(spec)])
    assert validate.exit_code == 0, validate.output

    by_form = {path: text for path, text in _listing(tree).items() if before.get(path) != text}
    assert by_form == by_prompts  # byte for byte
    (tmp_path / "spec.yaml").write_bytes(by_form[f"operations/{name}.yaml"])  # kept for a look
    assert _listing(tmp_path / "dbt_form") == _listing(tmp_path / "dbt_prompts")
    product = load_catalog([spec]).by_name(name)
    assert product.owner.squad == "menu" and product.load.version_by == "onboarded_on"
    assert {c.name for c in product.schema_ if c.pii} == {"contact_email"}
