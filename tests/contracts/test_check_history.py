"""Kafka schema checks of `run_check`: earlier versions come from the git history of the schema file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from contract_helpers import commit_all, init_repo

from tardis_dagster.tooling.contracts.preflight import run_check

MODEL = "hubs:\n  - {name: order, business_key: [id], description: An order., owner: {tribe: t, squad: s}}\n"
SPEC = """\
apiVersion: tardis/v1
kind: DataProduct
name: {name}
version: 1.0.0
description: A test product.
owner: {{tribe: consumer, squad: checkout, contact: "#checkout-data"}}
source:
  kafka:
    topic: test.{name}
    format: {format}
    schema: schemas/{file}
    compatibility: {mode}{message}
load: {{type: append}}
schema:
  - {{name: id, type: string}}
"""


def avro(*fields: dict[str, object]) -> str:
    return json.dumps(
        {"type": "record", "name": "Order", "fields": [{"name": "id", "type": "string"}, *fields]}
    )


def json_schema(n_type: str, *extra: str) -> str:
    properties = {"id": {"type": "string"}, "n": {"type": n_type}, **{e: {"type": "string"} for e in extra}}
    return json.dumps({"type": "object", "additionalProperties": False, "properties": properties})


PROTO = 'syntax = "proto3";\npackage t;\nmessage Order {{\n  string id = 1;\n{body}}}\n'

# format -> (file name, v1, v2, v3): v2 -> v3 is compatible under each plain mode, v1 -> v3 is not.
HISTORIES = {
    "avro": (
        "order.avsc",
        avro({"name": "n", "type": "string", "default": ""}),
        avro(),
        avro({"name": "n", "type": "int", "default": 0}),
    ),
    "json": ("order.json", json_schema("string"), json_schema("integer"), json_schema("integer", "m")),
    "protobuf": (
        "order.proto",
        PROTO.format(body="  double amount = 2;\n"),
        PROTO.format(body=""),
        PROTO.format(body="  string note = 2;\n"),
    ),
}
# The JSON v1 -> v2 step is itself a break, accepted at the time (as under mode NONE): only the
# transitive modes look past v2. Which plain modes v2 -> v3 passes depends on the format.
PLAIN_OK = {
    "avro": {"BACKWARD", "FORWARD", "FULL"},
    "json": {"BACKWARD"},  # a closed model: an added property is not forward compatible
    "protobuf": {"BACKWARD", "FORWARD", "FULL"},
}


def make_repo(root: Path, kafka_format: str, mode: str) -> Path:
    """A repository whose schema file has versions v1 and v2 in history and v3 in the working tree."""
    file, v1, v2, v3 = HISTORIES[kafka_format]
    repo = init_repo(root)
    specs = repo / "product_specs"
    (specs / "schemas").mkdir(parents=True)
    (specs / "_model.yaml").write_text(MODEL, encoding="utf-8")
    message = "\n    message: Order" if kafka_format == "protobuf" else ""
    spec = SPEC.format(name="orders", format=kafka_format, file=file, mode=mode, message=message)
    (specs / "orders.yaml").write_text(spec, encoding="utf-8")
    (specs / "schemas" / file).write_text(v1, encoding="utf-8")
    commit_all(repo, "v1")
    (specs / "schemas" / file).write_text(v2, encoding="utf-8")
    commit_all(repo, "v2")
    (specs / "schemas" / file).write_text(v3, encoding="utf-8")
    return specs


MODES = [
    "BACKWARD",
    "BACKWARD_TRANSITIVE",
    "FORWARD",
    "FORWARD_TRANSITIVE",
    "FULL",
    "FULL_TRANSITIVE",
    "NONE",
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kafka_format", sorted(HISTORIES))
def test_transitive_modes_read_every_version_in_git_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kafka_format: str, mode: str
) -> None:
    specs = make_repo(tmp_path / "repo", kafka_format, mode)
    monkeypatch.chdir(tmp_path / "repo")

    result = run_check(specs, "HEAD")

    [product] = result.products
    assert product.schema is not None
    expected_ok = mode == "NONE" or (mode in PLAIN_OK[kafka_format])
    assert product.schema.compatible == expected_ok, product.schema.problems
    assert result.blocking == (not expected_ok)
    if mode.endswith("_TRANSITIVE"):
        assert len(product.schema.against) == 2  # v1 and v2, read from the history
        assert any("version 1" in problem for problem in product.schema.problems) != expected_ok
    if not expected_ok:
        [finding] = [f for f in product.findings if f.blocking][:1]
        assert finding.path == "product_specs/orders.yaml"
        assert finding.line == 12  # the `compatibility:` line
        assert f"not {mode} compatible" in finding.message
