"""`tardis test <product>` on the real local platform, through the code location's own definitions.

(a) a product made by `tardis new` from a JSON topic with records: the topic's records land in std and
the report shows rows, checks, a PII-hashed sample and step times; (c) the same product with an empty
topic: synthetic records from its schema, the invalid ones quarantined. One run of each, shared by the
assertions (module-scoped fixtures). Both run in a copy of product_specs/ and drop their tables.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from kafka_helpers import fresh_topic, produce
from repo_root import PROJECT_ROOT
from typer.testing import CliRunner

from tardis_dagster.core.settings import get_settings
from tardis_dagster.core.specs import load_catalog
from tardis_dagster.tooling.cli import app
from tardis_dagster.tooling.localtest.sample_data import delete_topic

pytestmark = pytest.mark.platform
RECORDS = 12


@dataclass
class Invocation:
    """One `tardis test` invocation: exit code, output and the Markdown report it wrote."""

    exit_code: int
    output: str
    report: str
    name: str
    tree: Path


def _records(count: int) -> list[dict]:
    return [
        {
            "refund_id": f"r{i}",
            "customer_id": f"c{i % 4}",
            "customer_email": f"buyer{i}@example.com",
            "amount": 3.5 + i,
            "refunded_at": f"2026-05-{1 + i % 28:02d}T10:{i % 60:02d}:00Z",
        }
        for i in range(count)
    ]


def _new_product(tmp: Path, topic: str) -> tuple[Path, str]:
    """A copy of product_specs/ holding a product `tardis new` made from `topic` (its records sampled)."""
    tree = tmp / "product_specs"
    shutil.copytree(PROJECT_ROOT / "product_specs", tree, ignore=shutil.ignore_patterns(".*"))
    name = f"it_refunds_{uuid.uuid4().hex[:8]}"
    answers = tmp / "answers.yaml"
    answers.write_text(
        "tribe: consumer\nsquad: checkout\ncontact: '#checkout-data'\n"
        f"name: {name}\ndescription: Refunds, one event each.\nsource: kafka\ntopic: {topic}\n"
        "schedule: 0 * * * *\nload_type: upsert\nkey: [refund_id]\nversion_by: refunded_at\n"
        "pii: [customer_email]\nhubs: [customer]\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        app, ["new", "--answers", str(answers), "--specs", str(tree), "--dbt-project", str(tmp / "dbt")]
    )
    assert result.exit_code == 0, result.output
    return tree, name


def _tardis_test(tree: Path, name: str, report: Path, *flags: str) -> Invocation:
    result = CliRunner().invoke(app, ["test", name, "--specs", str(tree), "--report", str(report), *flags])
    text = report.read_text(encoding="utf-8") if report.exists() else ""
    return Invocation(result.exit_code, result.output, text, name, tree)


@pytest.fixture(scope="module")
def from_topic(tmp_path_factory: pytest.TempPathFactory, spark) -> Invocation:
    """(a): `tardis new` samples a topic with records, then `tardis test` lands that topic."""
    tmp = tmp_path_factory.mktemp("tardis_test_topic")
    topic = fresh_topic()
    produce(topic, [(None, json.dumps(r).encode()) for r in _records(RECORDS)])
    tree, name = _new_product(tmp, topic)
    return _tardis_test(tree, name, tmp / "report.md")


def test_topic_records_land_in_std(from_topic: Invocation) -> None:
    assert from_topic.exit_code == 0, from_topic.output
    assert "data from the real topic" in from_topic.output
    rows = _rows(from_topic.report)
    prefix = _prefix(from_topic.report)
    name = from_topic.name
    assert rows[f"{prefix}raw.{name}"] == RECORDS
    assert rows[f"{prefix}raw.{name}__quarantine"] == 0
    assert rows[f"{prefix}std.{name}"] == RECORDS
    assert rows[f"{prefix}std.{name}__rejects"] == 0
    assert rows[f"{prefix}std.{name}__changes"] == RECORDS
    assert rows[f"{prefix}stg.{name}"] == RECORDS  # every version, from the change stream
    assert rows[f"{prefix}vault.hub_customer"] == 4  # the product's own customers only


def test_report_shows_checks_sample_and_times(from_topic: Invocation) -> None:
    report = from_topic.report
    assert f"| std/{from_topic.name} | audits | passed | ERROR |" in report
    assert f"| raw/{from_topic.name} | quarantine_share | passed |" in report
    sample = report.split("#### Sample of std")[1].split("####")[0]
    lines = [line for line in sample.splitlines() if line.startswith("| r") and "refund_id" not in line]
    assert len(lines) == 5
    assert "@example.com" not in sample  # customer_email is published hashed
    timing = report.split("#### Time per step")[1]
    assert "land_kafka" in timing and "standardize" in timing and "dbt" in timing
    assert "PASSED" in from_topic.output and "Rows" in from_topic.output


def _prefix(report: str) -> str:
    return report.split("Namespace prefix `")[1].split("`")[0]


def _rows(report: str) -> dict[str, int]:
    section = report.split("#### Rows")[1].split("####")[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 3 and cells[2].isdigit():
            rows[cells[1]] = int(cells[2])
    return rows


# --- (b) a failing std audit, and the shared tables untouched --------------------------------------

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "order_id": {"type": "string"},
        "ordered_at": {"type": "string"},
        "amount": {"type": "number"},
    },
    "required": ["order_id", "ordered_at"],
}


def _hand_written(tree: Path, name: str, topic: str, schema: dict) -> None:
    """A Kafka JSON product whose contract types `ordered_at` as a timestamp."""
    (tree / "consumer" / "schemas" / f"{name}.json").write_text(json.dumps(schema), encoding="utf-8")
    (tree / "consumer" / f"{name}.yaml").write_text(
        "apiVersion: tardis/v1\nkind: DataProduct\n"
        f"name: {name}\nversion: 1.0.0\ndescription: Orders for a tardis test.\n"
        "owner: {tribe: consumer, squad: checkout, contact: '#checkout-data'}\n"
        f"source:\n  kafka: {{topic: {topic}, format: json, schema: schemas/{name}.json}}\n"
        "schedule: 0 * * * *\nload: {type: append}\nschema:\n"
        "  - {name: order_id, type: string, required: true}\n"
        "  - {name: ordered_at, type: timestamp, required: true}\n"
        "  - {name: amount, type: double}\n",
        encoding="utf-8",
    )


def _copy_tree(tmp: Path) -> Path:
    tree = tmp / "product_specs"
    shutil.copytree(PROJECT_ROOT / "product_specs", tree, ignore=shutil.ignore_patterns(".*"))
    return tree


SHARED = ("raw", "std", "stg", "vault", "mart")


def _platform_tables(state: dict[str, object]) -> dict[str, object]:
    """The entries of the platform's own tables (what a run without isolation would write): a demo
    product's raw/std table or side table, or a model of the dbt project. Other tests' tables
    (it_... products, written from another xdist worker meanwhile) are left out."""
    products = {p.name for p in load_catalog([PROJECT_ROOT / "product_specs"]).products}
    models = {f.stem for f in (PROJECT_ROOT / "dbt_project" / "models").rglob("*.sql")}

    def own(name: str) -> bool:
        namespace, table = name.split(".", 1)
        table = table.strip("`")
        return table.split("__", 1)[0] in products if namespace in ("raw", "std") else table in models

    return {name: value for name, value in state.items() if own(name)}


def _shared_state(spark) -> dict[str, object]:
    """Every table of the shared namespaces with its current Iceberg snapshot (a view: its text)."""
    state: dict[str, object] = {}
    for namespace in SHARED:
        if not spark.catalog.databaseExists(namespace):
            continue
        for table in spark.catalog.listTables(namespace):
            name = f"{namespace}.`{table.name}`"
            if table.tableType == "VIEW":
                state[name] = spark.sql(f"SHOW CREATE TABLE {name}").collect()[0][0]
            else:  # a catalog call, no Spark job: ~200 tables in ~12 s
                props = dict(tuple(r) for r in spark.sql(f"SHOW TBLPROPERTIES {name}").collect())
                state[name] = props.get("current-snapshot-id")
    return state


@pytest.fixture(scope="module")
def failing_audit(
    tmp_path_factory: pytest.TempPathFactory, spark, demo_pipeline
) -> tuple[Invocation, dict, dict]:
    """(b): every record's `ordered_at` cannot be a timestamp, so std's reject-share audit fails.
    After the demo pipeline (once per session), so the shared tables it must leave alone exist."""
    tmp = tmp_path_factory.mktemp("tardis_test_audit")
    tree = _copy_tree(tmp)
    topic = fresh_topic()
    name = f"it_bad_orders_{uuid.uuid4().hex[:8]}"
    _hand_written(tree, name, topic, SCHEMA)
    records = [{"order_id": f"o{i}", "ordered_at": "next tuesday", "amount": i} for i in range(8)]
    produce(topic, [(None, json.dumps(r).encode()) for r in records])
    before = _shared_state(spark)
    invocation = _tardis_test(tree, name, tmp / "report.md")
    return invocation, before, _shared_state(spark)


def test_failing_audit_prints_the_check_and_exits_1(failing_audit) -> None:
    invocation, _before, _after = failing_audit
    assert invocation.exit_code == 1, invocation.output
    assert f"FAILED: check audits of std/{invocation.name}" in invocation.output
    rows = _rows(invocation.report)
    prefix = _prefix(invocation.report)
    assert rows[f"{prefix}raw.{invocation.name}"] == 8
    assert rows[f"{prefix}std.{invocation.name}__rejects"] == 8
    assert f"| std/{invocation.name} | audits | FAILED | ERROR | failed=reject_share" in invocation.report


def test_shared_tables_are_unchanged(failing_audit, spark) -> None:
    invocation, before, after = failing_audit
    # Every shared table is where it was (same Iceberg snapshot, same view text). A table another
    # process creates meanwhile (helpers sharing the platform) is not the run's: none carries its name.
    platform = _platform_tables(before)
    assert len(platform) >= 20  # the demo's tables (the demo_pipeline fixture built them)
    assert {table: after.get(table) for table in platform} == platform
    assert not any(invocation.name in table for table in after)
    prefix = _prefix(invocation.report)
    assert not [ns for ns in spark.catalog.listDatabases() if ns.name.startswith(prefix)]  # dropped


# --- (c) synthetic records when the topic holds none -------------------------------------------------

SYNTHETIC_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "order_id": {"type": "string"},
        "ordered_at": {"type": "string", "format": "date-time"},
        "amount": {"type": "number"},
    },
    "required": ["order_id", "ordered_at"],
    "additionalProperties": False,
}


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory, spark) -> Iterator[Invocation]:
    """(c): the product's topic does not exist: records are made from its JSON Schema. With --keep,
    so the kept tables can be inspected; dropped here afterwards."""
    tmp = tmp_path_factory.mktemp("tardis_test_synthetic")
    tree = _copy_tree(tmp)
    name = f"it_synth_orders_{uuid.uuid4().hex[:8]}"
    _hand_written(tree, name, f"it.absent.{uuid.uuid4().hex[:8]}", SYNTHETIC_SCHEMA)
    invocation = _tardis_test(tree, name, tmp / "report.md", "--keep")
    yield invocation
    if "Namespace prefix `" in invocation.report:
        prefix = _prefix(invocation.report)
        for namespace in [ns.name for ns in spark.catalog.listDatabases() if ns.name.startswith(prefix)]:
            for table in spark.catalog.listTables(namespace):
                spark.sql(f"DROP {'VIEW' if table.tableType == 'VIEW' else 'TABLE'} {namespace}.{table.name}")
            spark.sql(f"DROP NAMESPACE {namespace}")
    topic = invocation.output.split("records in topic ")[1].split()[0].rstrip(")")
    delete_topic(get_settings(), topic)


def test_synthetic_records_from_the_schema(synthetic: Invocation) -> None:
    assert synthetic.exit_code == 0, synthetic.output
    assert "synthetic: 20 valid and 2 invalid records" in synthetic.output
    rows = _rows(synthetic.report)
    prefix = _prefix(synthetic.report)
    assert rows[f"{prefix}raw.{synthetic.name}"] == 20
    assert rows[f"{prefix}raw.{synthetic.name}__quarantine"] == 2  # not JSON; a required field missing
    assert rows[f"{prefix}std.{synthetic.name}"] == 20
    assert "failed as expected (synthetic invalid records)" in synthetic.report


def test_keep_leaves_the_tables_and_says_how_to_query_them(synthetic: Invocation, spark) -> None:
    prefix = _prefix(synthetic.report)
    assert spark.table(f"{prefix}std.{synthetic.name}").count() == 20
    assert f"spark.table('{prefix}std.{synthetic.name}').show()" in synthetic.output
