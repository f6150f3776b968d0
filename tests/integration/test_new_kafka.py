"""`tardis new` on real sources of the local platform: a JSON topic driven through the real prompts
in a terminal (pexpect), a CSV drop (flags only) and a SQL product over an existing product. Every
spec is written into a copy of product_specs/ (test_new_registry.py: an Avro topic with a registry)."""

from __future__ import annotations

import json
import os
import shutil
import sys
import uuid
from pathlib import Path

import pexpect
import pytest
from kafka_helpers import fresh_topic, land_now, produce
from repo_root import PROJECT_ROOT
from typer.testing import CliRunner

from tardis_dagster.core.settings import get_settings
from tardis_dagster.core.specs import load_catalog
from tardis_dagster.tooling.cli import app

pytestmark = pytest.mark.platform
TARDIS = str(Path(sys.executable).with_name("tardis"))


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "product_specs"
    shutil.copytree(PROJECT_ROOT / "product_specs", root, ignore=shutil.ignore_patterns(".*"))
    return root


def _payments(count: int) -> list[dict]:
    return [
        {
            "paymentId": f"p{i}",
            "customer_email": f"shopper{i}@example.com",
            "amount": 12.5 + i,
            "attempts": i % 3,
            "paid_at": f"2026-04-{1 + i % 28:02d}T08:{i % 60:02d}:00Z",
            "coupon": None if i % 2 else "SPRING",
        }
        for i in range(count)
    ]


def test_interactive_new_for_a_json_topic(tree: Path, tmp_path: Path, spark) -> None:
    topic = fresh_topic(partitions=2)
    name = f"it_new_payments_{uuid.uuid4().hex[:8]}"  # its raw table lives in the shared local catalog
    produce(topic, [(None, json.dumps(record).encode()) for record in _payments(40)])
    env = {**os.environ, "NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "200"}
    args = ["new", "--specs", str(tree), "--dbt-project", str(tmp_path / "dbt")]
    child = pexpect.spawn(TARDIS, args, env=env, encoding="utf-8", timeout=90, cwd=str(tmp_path))
    transcript = []
    child.logfile_read = type("Log", (), {"write": transcript.append, "flush": lambda self: None})()
    for question, answer in [
        ("Tribe", "consumr"),  # a typo: re-asked with the reason
        ("did you mean 'consumer'", None),
        ("Tribe", "consumer"),
        ("Squad", "checkout"),
        ("Owner contact", ""),  # the squad's usual contact is offered
        ("Stakeholders", "#finance-analytics"),
        ("Product name", "order_events"),  # taken
        ("already exists", None),
        ("Product name", name),
        ("Description", "One event per payment attempt."),
        ("Source", "kafka"),
        ("Kafka topic", topic),
        ("Schedule", "*/90 * * * *"),  # a step larger than its field
        ("larger than the minute field", None),
        ("Schedule", "*/15 * * * *"),
        ("Every 15 minutes", None),
        ("Load type", "upsert"),
        ("Key column", "payment_uuid"),
        ("not in the inferred schema", None),
        ("Key column", ""),  # the offered payment_id
        ("Version column", "paid_at"),
        ("Partition by", "amount"),  # a double: the validator refuses it once the spec is staged
        ("Is 'customer_email' personal data (its name suggests an email address; 40 of 40 sampled", "y"),
        ("Other columns holding personal data", ""),
        ("cannot partition by 'amount' (double)", None),
        ("Partition by", "day(paid_at)"),
    ]:
        child.expect_exact(question)
        if answer is not None:
            child.sendline(answer)
    child.expect(pexpect.EOF)
    child.close()
    output = "".join(transcript)
    assert child.exitstatus == 0, output
    assert "tardis validate" in output and ": ok" in output
    spec = tree / "consumer" / f"{name}.yaml"
    catalog = load_catalog([spec])
    assert not catalog.problems, [str(p) for p in catalog.problems]
    product = catalog.by_name(name)
    columns = {c.name: (c.type, c.required, c.pii) for c in product.schema_}
    assert columns == {
        "payment_id": ("string", True, False),
        "customer_email": ("string", True, True),
        "amount": ("double", True, False),
        "attempts": ("bigint", True, False),
        "paid_at": ("timestamp", True, False),
        "coupon": ("string", False, False),
    }
    assert product.owner.contact == "#checkout-data" and product.schedule == "*/15 * * * *"
    schema = json.loads((tree / "consumer" / "schemas" / f"{name}.json").read_text())
    assert schema["properties"]["paid_at"] == {"type": "string", "format": "date-time"}
    assert product.source.kafka.topic == topic and product.load.version_by == "paid_at"
    # The landing takes every sampled record under the inferred JSON Schema: none is quarantined.
    landed = land_now(spark, product)
    assert (landed.records_landed, landed.records_quarantined) == (40, 0)


def test_new_for_csv_files(tree: Path, tmp_path: Path, spark) -> None:
    # Inside the folder that holds the spec tree, as a local drop must be (`.tardis/` in the repository).
    drop = tmp_path / ".tardis" / "drops" / uuid.uuid4().hex[:8]
    drop.mkdir(parents=True)
    try:
        (drop / "suppliers.csv").write_text(
            "Supplier ID,supplier_name,contact_email,rating,onboarded_on\n"
            "s1,Green Farm,farm@example.com,4.5,2026-01-04\n"
            "s2,Fish & Co,sales@fishco.example,3.9,2026-02-11\n"
            "s3,Spice Road,hello@spice.example,,2026-03-01\n"
        )
        result = CliRunner().invoke(
            app,
            [
                *("new", "--specs", str(tree), "--dbt-project", str(tmp_path / "dbt")),
                *("--tribe", "operations", "--squad", "menu", "--contact", "#menu-data"),
                *("--name", "suppliers", "--description", "Suppliers.", "--source", "files"),
                *("--uri", str(drop), "--schedule", "0 6 * * *", "--load-type", "full"),
                *("--key", "supplier_id", "--pii", "contact_email"),
            ],
        )
        assert result.exit_code == 0, result.output
        product = load_catalog([tree / "operations" / "suppliers.yaml"]).by_name("suppliers")
        columns = {c.name: (c.type, c.pii) for c in product.schema_}
        assert columns == {
            "supplier_id": ("string", False),
            "supplier_name": ("string", False),
            "contact_email": ("string", True),
            "rating": ("double", False),
            "onboarded_on": ("date", False),
        }
        assert product.source.files.format == "csv" and Path(product.files_location()) == drop
    finally:
        shutil.rmtree(drop)


def test_new_sql_product_over_an_existing_product(tree: Path, tmp_path: Path, spark) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text(
        "tribe: consumer\nsquad: checkout\ncontact: '#checkout-data'\nname: daily_orders\n"
        "description: Orders per customer and day.\nsource: sql\nsql: |\n"
        "  select customer_id, cast(placed_at as date) as order_date, count(*) as orders,\n"
        "         sum(total_amount) as total, max(customer_email) as last_email\n"
        "  from {{ product('order_events') }}\n  group by customer_id, cast(placed_at as date)\n"
        "schedule: on_upstream\nload_type: upsert\nkey: [customer_id, order_date]\n"
        "partition_by: [month(order_date)]\n"
    )
    result = CliRunner().invoke(
        app, ["new", "--answers", str(answers), "--specs", str(tree), "--dbt-project", str(tmp_path / "dbt")]
    )
    assert result.exit_code == 0, result.output
    product = load_catalog([tree / "consumer" / "daily_orders.yaml"]).by_name("daily_orders")
    columns = {c.name: c.type for c in product.schema_}
    assert columns == {
        "customer_id": "string",
        "order_date": "date",
        "orders": "bigint",
        "total": "decimal(20,2)",
        "last_email": "string",
    }
    assert product.upstream == ["order_events"]
    assert "note: 'last_email' may be personal data" in result.output  # derived from customer_email
    assert (tmp_path / "dbt" / "models" / "generated").exists()
    assert get_settings().spark_remote
