"""`tardis validate` and `tardis schema` end to end: demo specs, one broken file per fault, schemas."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from spec_helpers import FIXTURES, REPO, invoke, problem_lines

from tardis_dagster.core.specs import load_catalog, product_json_schema
from tardis_dagster.core.specs.model import global_model_json_schema
from tardis_dagster.tooling.cli.specs import schema_text

PROBLEM_LINE = re.compile(
    r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<field>\S+): (?P<rest>.+) \((?P<fix>.+)\)$"
)

# file -> (line, field, text the line must contain): exactly one line per fault.
BROKEN = {
    "yaml_syntax.yaml": (8, "yaml", "YAML syntax error"),
    "empty.yaml": (1, "file", "file is empty"),
    "unknown_field.yaml": (12, "shedule", "unknown field 'shedule' (did you mean 'schedule'?)"),
    "missing_key_column.yaml": (15, "load.key[0]", "column 'order_uuid' is not in schema"),
    "duplicate_b.yaml": (3, "name", "already used by tests/fixtures/specs/broken/duplicate_a.yaml"),
    "bad_cron.yaml": (12, "schedule", "'61 * * * *' is not a valid 5-field cron expression"),
    "sql_in_name.yaml": (
        3,
        "name",
        "must be snake_case: lowercase letters, digits and underscores, starting with a letter",
    ),
    "wrong_type.yaml": (14, "schema", "must be a list, got the number 5"),
    "quality_missing_column.yaml": (19, "quality[1].not_null[1]", "column 'shipped_at' is not in schema"),
    "vault_missing_hub.yaml": (
        19,
        "vault.hubs[0].hub",
        "hub 'warehouse' is not in the global model "
        "(add it under hubs: in tests/fixtures/specs/broken/_model.yaml)",
    ),
    "sql_missing_product.yaml": (13, "source.sql", "unknown product 'order_refunds'"),
    "cycle_a.yaml": (12, "source.sql", "cycle between SQL products: cycle_a -> cycle_b -> cycle_a"),
}


def test_demo_specs_validate_clean(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = invoke("validate")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "ok: 14 products, 5 hubs, 5 links"


def test_each_broken_fixture_gives_exactly_one_precise_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = invoke("validate", "tests/fixtures/specs/broken")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = problem_lines(result)
    by_file: dict[str, list[re.Match[str]]] = {}
    for line in lines:
        match = PROBLEM_LINE.match(line)
        assert match is not None, f"not in path:line:col: field: message (fix) form: {line}"
        by_file.setdefault(Path(match["path"]).name, []).append(match)
    assert sorted(by_file) == sorted(BROKEN)
    for name, (line_number, field, text) in BROKEN.items():
        (match,) = by_file[name]
        assert match["path"] == f"tests/fixtures/specs/broken/{name}"
        assert int(match["line"]) == line_number, match.string
        assert match["field"] == field, match.string
        assert text in match.string
    assert "12 problems in 12 files" in result.stderr


def test_broken_fixtures_leave_only_valid_products_in_the_catalog() -> None:
    catalog = load_catalog([FIXTURES / "broken"])
    # The first file to claim a name keeps it; the cycle takes both of its products out.
    assert [product.name for product in catalog.products] == ["duplicate_orders"]
    assert catalog.by_name("duplicate_orders").spec_path == FIXTURES / "broken" / "duplicate_a.yaml"
    assert len(catalog.problems) == len(BROKEN)


def test_a_single_file_is_checked_in_the_context_of_its_spec_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = invoke("validate", "product_specs/operations/order_facts.yaml")
    assert result.exit_code == 0, result.output


def test_a_missing_path_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    result = invoke("validate", str(tmp_path / "nowhere"))
    assert result.exit_code == 1
    assert problem_lines(result) == [f"{tmp_path}/nowhere:1:1: path: no such file or folder (check the path)"]


def test_schema_command_writes_both_schemas(tmp_path: Path) -> None:
    out = tmp_path / "schemas" / "product.json"
    result = invoke("schema", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.stdout
    assert json.loads(out.read_text()) == product_json_schema()
    assert json.loads((out.parent / "global-model.schema.json").read_text()) == global_model_json_schema()


def test_committed_schema_files_are_current() -> None:
    folder = REPO / "product_specs" / ".schema"
    committed = (folder / "data-product.schema.json").read_text(encoding="utf-8")
    assert committed == schema_text(product_json_schema()), "run `tardis schema` and commit the result"
    model = (folder / "global-model.schema.json").read_text(encoding="utf-8")
    assert model == schema_text(global_model_json_schema()), "run `tardis schema` and commit the result"


def test_demo_specs_point_editors_at_the_schema() -> None:
    root = REPO / "product_specs"
    for path in root.rglob("*.yaml"):
        if ".schema" in path.parts:
            continue
        first = path.read_text(encoding="utf-8").splitlines()[0]
        match = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
        assert match is not None, f"{path} lacks the yaml-language-server modeline"
        expected = "global-model.schema.json" if path.name == "_model.yaml" else "data-product.schema.json"
        target = (path.parent / match.group(1)).resolve()
        assert target == (root / ".schema" / expected).resolve(), path


def test_demo_files_products_point_into_the_demo_folder() -> None:
    catalog = load_catalog([REPO / "product_specs"])
    files_products = [p for p in catalog.products if p.source.kind == "files"]
    assert {p.name for p in files_products} == {
        "recipes",
        "menu_selections",
        "loyalty_points",
        *("aws_cur", "focus_costs", "k8s_allocations", "platform_telemetry"),  # the platform's own costs
    }
    for product in files_products:
        assert Path(product.files_location()) == REPO / ".tardis" / "demo" / "files" / product.name
    formats = {p.source.kafka.format for p in catalog.products if p.source.kafka is not None}
    assert formats == {"json", "avro", "protobuf"}


def test_demo_specs_satisfy_the_editor_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    import yaml

    folder = REPO / "product_specs" / ".schema"
    product = jsonschema.Draft202012Validator(json.loads((folder / "data-product.schema.json").read_text()))
    model = jsonschema.Draft202012Validator(json.loads((folder / "global-model.schema.json").read_text()))
    for path in (REPO / "product_specs").rglob("*.yaml"):
        validator = model if path.name == "_model.yaml" else product
        errors = [error.message for error in validator.iter_errors(yaml.safe_load(path.read_text()))]
        assert errors == [], path
