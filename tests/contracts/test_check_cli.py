"""`tardis check --base <ref>` end to end, in a temporary git repository holding the project's specs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from contract_helpers import commit_all, copy_committed_specs, edit, init_repo
from typer.testing import CliRunner, Result

from tardis_dagster.tooling.cli import check as check_cli

ORDER_EVENTS = "product_specs/consumer/order_events.yaml"
COUPON_COLUMN = """\
  - name: coupon_code
    type: string
    description: Coupon redeemed at checkout, if any (added in schema version 2 of the topic).
"""


def run(*args: str) -> Result:
    app = typer.Typer()
    app.command()(check_cli.check)
    return CliRunner().invoke(app, ["--specs", "product_specs", *args])


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository with the committed product_specs/ as its first commit, as the working directory."""
    root = init_repo(tmp_path / "repo")
    copy_committed_specs(root)
    commit_all(root, "specs")
    monkeypatch.chdir(root)
    return root


def version_line(text: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if line.startswith("version:"))


def test_breaking_change_without_major_bump_fails_and_names_the_consumers(repo: Path) -> None:
    edit(repo / ORDER_EVENTS, COUPON_COLUMN, "")
    commit_all(repo, "drop coupon_code")

    result = run("--base", "HEAD~1")

    assert result.exit_code == 1, result.output
    out = result.output
    line = version_line((repo / ORDER_EVENTS).read_text())
    assert f"{ORDER_EVENTS}:{line}: error: breaking change needs a major version bump: 1.1.0 -> 2.0.0" in out
    assert f"{ORDER_EVENTS}:30: error: breaking: column 'coupon_code' removed" in out
    # consumers, with owners: SQL products downstream, and the vault models the product feeds
    for consumer in ("mart.order_facts", "mart.customer_360", "vault.hub_order", "vault.sat_order_state"):
        assert consumer in out
    assert "operations/fulfilment" in out
    assert "BLOCKED" in out


def test_the_same_change_with_a_major_bump_passes_and_still_lists_the_consumers(repo: Path) -> None:
    edit(repo / ORDER_EVENTS, COUPON_COLUMN, "")
    edit(repo / ORDER_EVENTS, "version: 1.1.0", "version: 2.0.0")
    commit_all(repo, "drop coupon_code, v2")

    result = run("--base", "HEAD~1")

    assert result.exit_code == 0, result.output
    assert "error:" not in result.output
    assert f"{ORDER_EVENTS}:30: notice: breaking: column 'coupon_code' removed" in result.output
    for consumer in ("mart.order_facts", "mart.customer_360", "vault.hub_order"):
        assert consumer in result.output


def test_json_output_for_machines(repo: Path) -> None:
    edit(repo / ORDER_EVENTS, COUPON_COLUMN, "")

    result = run("--base", "HEAD", "--format", "json")

    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["ok"] is False
    [product] = data["products"]
    assert product["name"] == "order_events"
    assert product["required_bump"] == "major"
    assert product["version_check"]["ok"] is False
    assert [c["kind"] for c in product["changes"]] == ["column_removed"]
    consumers = {c["name"]: c for c in product["consumers"]}
    assert consumers["mart.order_facts"]["owner"] == "operations/fulfilment (#fulfilment-analytics)"
    assert consumers["mart.order_facts"]["via"] == "order_events -> order_facts"


def test_additive_change_needs_a_minor_bump(repo: Path) -> None:
    new_column = "  - name: channel\n    type: string\n    description: Web or app.\n"
    edit(repo / ORDER_EVENTS, COUPON_COLUMN, COUPON_COLUMN + new_column)

    result = run("--base", "HEAD", "--format", "lines")
    assert result.exit_code == 1
    assert "additive change needs a minor version bump: 1.1.0 -> 1.2.0" in result.output

    edit(repo / ORDER_EVENTS, "version: 1.1.0", "version: 1.2.0")
    result = run("--base", "HEAD", "--format", "lines")
    assert result.exit_code == 0, result.output
    assert "notice: additive: optional column 'channel' added" in result.output


def test_a_cosmetic_change_without_bump_only_warns(repo: Path) -> None:
    edit(repo / ORDER_EVENTS, "    description: Order identifier.\n", "    description: The order's id.\n")

    result = run("--base", "HEAD", "--format", "lines")

    assert result.exit_code == 0, result.output
    assert "warning: version 1.1.0 unchanged for a cosmetic change; consider 1.1.1" in result.output


def test_an_incompatible_kafka_schema_blocks(repo: Path) -> None:
    # order.json: closed content model, mode BACKWARD; old data lacks a newly required property
    schema = repo / "product_specs/consumer/schemas/order.json"
    edit(schema, '"required": ["order_id",', '"required": ["channel", "order_id",')
    edit(
        schema,
        '"order_id": {"type": "string"},',
        '"order_id": {"type": "string"},\n    "channel": {"type": "string"},',
    )

    result = run("--base", "HEAD", "--format", "lines")

    assert result.exit_code == 1
    assert (
        f"{ORDER_EVENTS}:20: error: Kafka schema not BACKWARD compatible: the new schema cannot read data "
        "written with the base" in result.output
    )
    assert "property 'channel' is required now" in result.output


def test_a_compatible_kafka_schema_change_passes(repo: Path) -> None:
    schema = repo / "product_specs/consumer/schemas/order.json"
    edit(
        schema,
        '"order_id": {"type": "string"},',
        '"order_id": {"type": "string"},\n    "channel": {"type": "string"},',
    )

    result = run("--base", "HEAD")

    assert result.exit_code == 0, result.output
    assert "compatible" in result.output


def test_removing_a_consumed_product_blocks(repo: Path) -> None:
    (repo / "product_specs/operations/deliveries.yaml").unlink()
    (repo / "product_specs/operations/schemas/delivery.avsc").unlink()
    # order_facts reads deliveries: drop that product too, so the specs stay valid
    (repo / "product_specs/operations/order_facts.yaml").unlink()
    (repo / "product_specs/operations/order_facts.sql").unlink()

    result = run("--base", "HEAD", "--format", "lines")

    assert result.exit_code == 1
    removed = "product_specs/operations/deliveries.yaml:1: error: data product deliveries removed"
    assert f"{removed} but still consumed by" in result.output
    assert "vault.hub_delivery" in result.output


def test_invalid_specs_print_the_validator_problems(repo: Path) -> None:
    edit(repo / ORDER_EVENTS, "  key: [order_id]", "  key: [no_such_column]")

    result = run("--base", "HEAD")

    assert result.exit_code == 1
    assert f"{ORDER_EVENTS}:" in result.output
    assert "no_such_column" in result.output
    assert "Traceback" not in result.output


def test_an_unknown_base_is_a_clear_error(repo: Path) -> None:
    result = run("--base", "no-such-branch")

    assert result.exit_code == 2
    assert "tardis check: cannot resolve base 'no-such-branch'" in result.output


def test_nothing_changed(repo: Path) -> None:
    result = run("--base", "HEAD")

    assert result.exit_code == 0
    assert "no contract changes against HEAD" in result.output


def test_dbt_models_downstream_are_listed_from_the_manifest(repo: Path) -> None:
    manifest = {
        "nodes": {
            "model.tardis.order_kpis": {
                "resource_type": "model",
                "name": "order_kpis",
                "schema": "mart",
                "alias": "order_kpis",
                "config": {"meta": {"owner": "finance-analytics"}},
            },
        },
        "sources": {
            "source.tardis.std.order_events": {
                "resource_type": "source",
                "name": "order_events",
                "schema": "std",
                "identifier": "order_events",
            },
        },
        "exposures": {
            "exposure.tardis.revenue_dashboard": {
                "resource_type": "exposure",
                "name": "revenue_dashboard",
                "owner": {"name": "Finance", "email": "finance@example.com"},
            },
        },
        "child_map": {
            "source.tardis.std.order_events": ["model.tardis.order_kpis"],
            "model.tardis.order_kpis": ["exposure.tardis.revenue_dashboard", "test.tardis.not_null_x"],
        },
    }
    target = repo / "dbt_project/target"
    target.mkdir(parents=True)
    (target / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    edit(repo / ORDER_EVENTS, COUPON_COLUMN, "")

    result = run("--base", "HEAD", "--format", "json")

    consumers = {c["name"]: c for c in json.loads(result.stdout)["products"][0]["consumers"]}
    assert consumers["mart.order_kpis"] == {
        "kind": "dbt_model",
        "name": "mart.order_kpis",
        "owner": "finance-analytics",
        "via": "std.order_events -> mart.order_kpis",
    }
    assert consumers["exposure.tardis.revenue_dashboard"]["owner"] == "Finance finance@example.com"
    assert not any(name.startswith("test.") for name in consumers)


def test_a_minor_bump_does_not_pay_for_a_breaking_change(repo: Path) -> None:
    edit(repo / ORDER_EVENTS, COUPON_COLUMN, "")
    edit(repo / ORDER_EVENTS, "version: 1.1.0", "version: 1.2.0")

    result = run("--base", "HEAD", "--format", "lines")

    assert result.exit_code == 1
    assert "needs a major version bump: 1.1.0 -> 2.0.0 or later (found 1.2.0, a minor bump)" in result.output
    assert "error: breaking: column 'coupon_code' removed" in result.output


def test_a_version_that_goes_down_blocks(repo: Path) -> None:
    edit(repo / ORDER_EVENTS, "version: 1.1.0", "version: 1.0.9")

    result = run("--base", "HEAD", "--format", "lines")

    assert result.exit_code == 1
    assert "error: version went down from 1.1.0 to 1.0.9" in result.output
