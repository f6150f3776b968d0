"""`tardis new --answers`: broken answers files each give one precise `file:line:col: field:` line and
write nothing; a good one writes a spec that `tardis validate` accepts. No platform needed: the Kafka
cases learn their schema from a sample file of JSON records."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import typer
from repo_root import PROJECT_ROOT
from typer.testing import CliRunner

from tardis_dagster.core.specs import load_catalog
from tardis_dagster.tooling.cli import new as new_cli

GOOD = """\
tribe: consumer
squad: checkout
contact: "#checkout-data"
stakeholders: ["#finance-analytics"]
name: payments
description: One event per payment attempt.
source: kafka
topic: checkout.payment.v1
sample_file: {sample}
schedule: "0 * * * *"
load_type: upsert
key: [payment_id]
version_by: paid_at
partition_by: [day(paid_at)]
pii: [customer_email]
"""
RECORDS = [
    {
        "paymentId": f"p{i}",
        "customer_email": f"user{i}@example.com",
        "amount": 10.5 + i,
        "attempts": i,
        "paid_at": f"2026-03-0{1 + i % 9}T10:00:00Z",
        "note": None if i % 2 else "first try",
    }
    for i in range(12)
]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the repository's product_specs/ (the tests never write into the real one)."""
    root = tmp_path / "product_specs"
    shutil.copytree(PROJECT_ROOT / "product_specs", root, ignore=shutil.ignore_patterns(".*"))
    return root


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    path = tmp_path / "payments.jsonl"
    path.write_text("".join(json.dumps(record) + "\n" for record in RECORDS))
    return path


def run(tree: Path, answers: Path, tmp_path: Path):
    app = typer.Typer()
    app.command()(new_cli.new)
    return CliRunner().invoke(
        app, ["--answers", str(answers), "--specs", str(tree), "--dbt-project", str(tmp_path / "dbt")]
    )


def listing(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_good_answers_write_a_valid_spec(tree: Path, sample: Path, tmp_path: Path) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text(GOOD.format(sample=sample))
    result = run(tree, answers, tmp_path)
    assert result.exit_code == 0, result.output
    spec_path = tree / "consumer" / "payments.yaml"
    catalog = load_catalog([spec_path])
    assert not catalog.problems, [str(p) for p in catalog.problems]
    product = catalog.by_name("payments")
    types = {c.name: (c.type, c.required, c.pii) for c in product.schema_}
    assert types == {
        "payment_id": ("string", True, False),
        "customer_email": ("string", True, True),
        "amount": ("double", True, False),
        "attempts": ("bigint", True, False),
        "paid_at": ("timestamp", True, False),
        "note": ("string", False, False),
    }
    schema = json.loads((tree / "consumer" / "schemas" / "payments.json").read_text())
    assert schema["properties"]["paid_at"] == {"type": "string", "format": "date-time"}
    assert schema["properties"]["note"] == {"type": ["string", "null"]}
    assert "note" not in schema["required"] and "paymentId" in schema["required"]
    assert product.load.key == ["payment_id"] and product.load.partition_by == ["day(paid_at)"]
    assert "tardis validate" in result.output and "tardis generate" in result.output
    assert (tmp_path / "dbt" / "models" / "generated" / "sources.yml").exists()


KAFKA = "source: kafka\ntopic: checkout.payment.v1\nsample_file: {sample}\n"
SQL_ONLY = ("load_type: upsert", "version_by: paid_at", "partition_by:", "pii:", "key:")
BROKEN = [
    # (what is wrong, replace this, with this, the field named, words of the message)
    ("unknown tribe", "tribe: consumer", "tribe: consumr", "tribe", "unknown tribe 'consumr'"),
    ("missing key for upsert", "key: [payment_id]\n", "", "load_type", "load type upsert needs a key"),
    ("bad cron", '"0 * * * *"', '"0 25 * * *"', "schedule", "not a valid 5-field cron"),
    (
        "SQL naming an unknown product",
        KAFKA,
        "source: sql\nsql: select * from {{{{ product('order_event') }}}}\n",
        "sql",
        "no data product named 'order_event'",
    ),
    ("name clash", "name: payments", "name: order_events", "name", "named 'order_events' already exists"),
    (
        "contact lost to a YAML comment",
        'contact: "#checkout-data"',
        "contact: #checkout-data",
        "contact",
        "is empty",
    ),
    ("unknown field", "schedule:", "shedule:", "shedule", "unknown field 'shedule'"),
    (
        "key not in the inferred schema",
        "key: [payment_id]",
        "key: [payment_uuid]",
        "key[0]",
        "'payment_uuid'",
    ),
    (
        "streaming for a files product",
        KAFKA + 'schedule: "0 * * * *"',
        "source: files\nuri: .\nschedule: streaming",
        "schedule",
        "only for kafka",
    ),
    (
        "version_by for append",
        "load_type: upsert",
        "load_type: append",
        "version_by",
        "only used with upsert",
    ),
    (
        "SQL that writes",
        KAFKA,
        "source: sql\nsql: delete from {{{{ product('order_events') }}}}\n",
        "sql",
        "DELETE",
    ),
    ("PII column that does not exist", "pii: [customer_email]", "pii: [email]", "pii[0]", "'email'"),
    (
        "scd2 for a SQL product",
        KAFKA,
        "source: sql\nsql: select order_id from {{{{ product('order_events') }}}}\n"
        "load_type: scd2\nkey: [order_id]\n",
        "load_type",
        "scd2 is not built for SQL products",
    ),
    (
        "hubs for a SQL product",
        KAFKA,
        "source: sql\nsql: select order_id from {{{{ product('order_events') }}}}\nhubs: [order]\n",
        "hubs",
        "does not feed hubs",
    ),
    (
        "unknown hub",
        "pii: [customer_email]",
        "pii: [customer_email]\nhubs: [payment]",
        "hubs[0]",
        "hub 'payment'",
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "field", "words"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN]
)
def test_a_broken_answers_file_gives_one_precise_line_and_writes_nothing(
    tree: Path, sample: Path, tmp_path: Path, old: str, new: str, field: str, words: str
) -> None:
    text = GOOD.format(sample=sample)
    if "source: sql" in new:  # a SQL product here: no key, version, partitions or PII of its own
        text = "".join(t for t in text.splitlines(keepends=True) if not t.startswith(SQL_ONLY))
        text = text.replace('"0 * * * *"', "on_upstream") + (
            "" if "load_type:" in new else "load_type: full\n"
        )
    text = text.replace(old.format(sample=sample), new.format(sample=sample), 1)
    answers = tmp_path / "answers.yaml"
    answers.write_text(text)
    before = listing(tree)
    result = run(tree, answers, tmp_path)
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert lines[-1] == "1 problem; nothing was written", result.output
    (problem,) = lines[:-1]
    match = re.match(rf"^{re.escape(str(answers))}:(\d+):(\d+): (\S+): (.+) \((.+)\)$", problem)
    assert match is not None, problem
    top = field.split("[")[0]
    wanted = next(n for n, t in enumerate(text.splitlines(), start=1) if t.startswith(f"{top}:"))
    assert (int(match.group(1)), match.group(3)) == (wanted, field), problem
    assert words in match.group(4), problem
    assert listing(tree) == before
    assert not (tmp_path / "dbt").exists()


def test_flags_answer_too_and_a_bad_one_is_named_by_its_flag(
    tree: Path, sample: Path, tmp_path: Path
) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text(GOOD.format(sample=sample).replace("partition_by: [day(paid_at)]\n", ""))
    app = typer.Typer()
    app.command()(new_cli.new)
    before = listing(tree)
    args = ["--answers", str(answers), "--specs", str(tree), "--dbt-project", str(tmp_path / "dbt")]
    result = CliRunner().invoke(
        app, [*args, "--schedule", "*/90 * * * *", "--partition-by", "bucket(4, payment_id)"]
    )
    assert result.exit_code == 1
    assert result.output.splitlines()[0].startswith("--schedule: schedule: '*/90': a step of 90 is larger"), (
        result.output
    )
    assert listing(tree) == before
    result = CliRunner().invoke(
        app, [*args, "--name", "card_payments", "--partition-by", "bucket(4, payment_id)"]
    )
    assert result.exit_code == 0, result.output
    product = load_catalog([tree / "consumer" / "card_payments.yaml"]).by_name("card_payments")
    assert product.load.partition_by == ["bucket(4, payment_id)"]
