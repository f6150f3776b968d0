"""`tardis new` for an Avro topic in the Confluent wire format: the schema id in each record's header
names the writer schema, which the local registry stand-in of test_kafka_registry.py serves; the spec
reads the topic through its `<topic>-value` subject."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from kafka_helpers import fresh_topic, produce
from repo_root import PROJECT_ROOT
from test_kafka_registry import registry  # noqa: F401 - the registry stand-in fixture, reused
from typer.testing import CliRunner

from tardis_dagster.core.formats import avro
from tardis_dagster.core.specs import load_catalog
from tardis_dagster.tooling.cli import app

pytestmark = pytest.mark.platform


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "product_specs"
    shutil.copytree(PROJECT_ROOT / "product_specs", root, ignore=shutil.ignore_patterns(".*"))
    return root


def test_new_for_an_avro_topic_in_the_wire_format(tree: Path, tmp_path: Path, registry) -> None:  # noqa: F811
    held, settings = registry
    schema_text = (PROJECT_ROOT / "product_specs/consumer/schemas/customer.avsc").read_text()
    topic = fresh_topic()
    held.register(f"{topic}-value", 41, schema_text)
    parsed = avro.parse_schema(json.loads(schema_text))
    records = [
        {
            "customer_id": f"c{i}",
            "email": f"person{i}@example.com",
            "phone": f"+3161234{i:04d}",
            "first_name": "Ann",
            "last_name": "Smith",
            "postcode": "1011AB",
            "city": "Amsterdam",
            "country": "NL",
            "marketing_opt_in": bool(i % 2),
            "created_at": 1_767_225_600_000 + i,
            "updated_at": 1_767_225_600_000 + i,
        }
        for i in range(20)
    ]
    produce(topic, [(None, avro.wire_encode(41, avro.encode(parsed, record))) for record in records])
    answers = tmp_path / "answers.yaml"
    answers.write_text(
        "tribe: consumer\nsquad: accounts\ncontact: '#accounts-data'\nname: customer_profiles\n"
        "description: Customer profiles.\nsource: kafka\n"
        f"topic: {topic}\nschedule: '0 * * * *'\nload_type: scd2\nkey: [customer_id]\n"
        "version_by: updated_at\n"
        "hubs: [customer]\npii: [email, phone]\n"
    )
    result = CliRunner().invoke(
        app,
        [
            *("new", "--answers", str(answers), "--specs", str(tree)),
            *("--dbt-project", str(tmp_path / "dbt"), "--registry-url", settings.schema_registry_url),
        ],
    )
    assert result.exit_code == 0, result.output
    product = load_catalog([tree / "consumer" / "customer_profiles.yaml"]).by_name("customer_profiles")
    kafka = product.source.kafka
    assert (kafka.format, kafka.registry_subject, kafka.schema_) == ("avro", f"{topic}-value", None)
    columns = {c.name: (c.type, c.required, c.pii) for c in product.schema_}
    assert columns["created_at"] == ("timestamp", True, False)
    assert columns["phone"] == ("string", False, True) and columns["marketing_opt_in"][0] == "boolean"
    assert [h.hub for h in product.vault.hubs] == ["customer"]
    # Proposed but not confirmed: reported, not decided.
    assert "note: 'first_name' may be personal data" in result.output
    assert "/schemas/ids/41" in held.requests
