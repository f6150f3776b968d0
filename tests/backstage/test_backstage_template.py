"""The Backstage template of `tardis new` (backstage/templates/data-product), checked by Backstage's own
code (backstage/test-harness): the template passes the scaffolder's Template v1beta3 validator and the
catalog's entity policies; its form asks what `tardis new` asks, in the same order, with the same rules;
its skeleton renders the same answers file under both of Backstage's template engines, and that file
is an answers file `tardis new` reads as the form's answers. No platform needed."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from repo_root import PROJECT_ROOT

from tardis_dagster.tooling.scaffold.answers import Answers, load_answers
from tardis_dagster.tooling.scaffold.existing import read_existing

# The order `tardis new` asks in (tooling/scaffold/prompts.py: ask_and_create and _ask_source), per
# source; a files product is asked its folder before its format.
ASKED = {
    "kafka": ["topic", "format", "registry_subject", "message"],
    "files": ["uri", "format"],
    "sql": ["sql"],
}
BEFORE = ["tribe", "squad", "contact", "stakeholders", "name", "description", "source"]
AFTER = ["schedule", "load_type", "key", "version_by", "partition_by", "hubs", "pii"]

FORMS: dict[str, dict[str, Any]] = {
    "kafka": {
        "tribe": "consumer",
        "squad": "group:default/checkout",  # what OwnerPicker hands over: an entity reference
        "contact": "#checkout-data",
        "stakeholders": ["#finance-analytics", "finance@example.com"],
        "name": "card_payments",
        "description": 'Card payments: one event per attempt, "declined" ones too.',
        "source": "kafka",
        "topic": "checkout.card_payment.v1",
        "format": "json",
        "uri": "s3://left/over/",  # typed before the source was switched to kafka: not written
        "schedule": "*/15 * * * *",
        "load_type": "upsert",
        "key": ["payment_id"],
        "version_by": "paid_at",
        "partition_by": ["day(paid_at)"],
        "hubs": ["order"],
        "pii": ["customer_email"],
    },
    "files": {
        "tribe": "operations",
        "squad": "group:menu",
        "contact": "menu@example.com",
        "name": "suppliers",
        "description": "Suppliers # and their ratings: {{ not a template }} ${{ nor this }}",
        "source": "files",
        "uri": "s3://tardis-drops/suppliers/",
        "schedule": "0 6 * * *",
        "load_type": "full",
        "key": ["supplier_id"],  # typed before the load type became full: not written
    },
    "sql": {
        "tribe": "operations",
        "squad": "group:default/fulfilment",
        "contact": "#fulfilment-analytics",
        "name": "late_deliveries",
        "description": "Deliveries that arrived after their slot, per day.",
        "source": "sql",
        "sql": "select cast(event_at as date) as day, count(*) as late\n"
        "from {{ product('deliveries') }}\nwhere status = 'delivered' and note <> 'it''s \"late\"'\n"
        "group by cast(event_at as date)\n",
        "schedule": "on_upstream",
        "load_type": "upsert",
        "key": ["day"],
        "version_by": "day",  # the form shows it; a SQL product picks its row in its SQL: not written
    },
}
# What `tardis new` must read from each form: the squad's name, nothing of another source or load type.
EXPECTED = {
    "kafka": {
        **{k: v for k, v in FORMS["kafka"].items() if k != "uri"},
        "squad": "checkout",
    },
    "files": {
        **{k: v for k, v in FORMS["files"].items() if k != "key"},
        "squad": "menu",
    },
    "sql": {
        **{k: v for k, v in FORMS["sql"].items() if k != "version_by"},
        "squad": "fulfilment",
    },
}


def _pages(template: dict[str, Any]) -> list[dict[str, Any]]:
    return template["spec"]["parameters"]


def _strip_ui(node: Any) -> Any:
    """The JSON Schema Backstage validates a page with: its `ui:` keys moved to the uiSchema."""
    if isinstance(node, dict):
        return {k: _strip_ui(v) for k, v in node.items() if not k.startswith("ui:")}
    if isinstance(node, list):
        return [_strip_ui(v) for v in node]
    return node


def _shown(template: dict[str, Any], source: str, load_type: str) -> list[str]:
    """The fields the form shows, in order, once ``source`` and ``load_type`` are chosen.

    As react-jsonschema-form lays a page out: the chosen `dependencies` branch's fields are merged in
    after the page's own, then `ui:order` (which must name every field shown) sorts them."""
    shown: list[str] = []
    for page in _pages(template):
        names = list(page["properties"])
        for field, rule in page.get("dependencies", {}).items():
            value = {"source": source, "load_type": load_type}[field]
            branch = next(b for b in rule["oneOf"] if value in b["properties"][field]["enum"])
            names += [n for n in branch["properties"] if n not in names]
        order = page.get("ui:order")
        if order is not None:
            assert set(names) <= set(order), f"ui:order of page {page['title']!r} leaves fields out"
            names = [n for n in order if n in names]
        shown += names
    return shown


def test_the_template_passes_backstage_validators(scaffolder, template) -> None:
    location = yaml.safe_load((PROJECT_ROOT / "backstage" / "catalog-info.yaml").read_text())
    assert scaffolder("validate", {"entities": [template, location]}) == [{"ok": True}, {"ok": True}]
    # The validator does refuse what is wrong: a step without an action, a page that is not an object.
    no_action = copy.deepcopy(template)
    del no_action["spec"]["steps"][0]["action"]
    bad_page = copy.deepcopy(template)
    bad_page["spec"]["parameters"][0] = "tribe"
    bad_kind = {**template, "apiVersion": "scaffolder.backstage.io/v1beta2"}
    verdicts = scaffolder("validate", {"entities": [no_action, bad_page, bad_kind]})
    assert [v["ok"] for v in verdicts] == [False, False, False], verdicts
    assert "action" in verdicts[0]["error"], verdicts[0]


def test_the_steps_render_answers_run_tardis_new_and_validate_then_open_a_pull_request(template) -> None:
    steps = template["spec"]["steps"]
    actions = [step["action"] for step in steps]
    assert actions == [
        "fetch:plain",
        "fetch:plain",
        "fetch:template",
        "tardis:new",
        "tardis:validate",
        "fs:rename",
        "publish:github:pull-request",
    ]
    specs, dbt, answers, new, validate, catalog, publish = steps
    checkout = new["input"]["workingDirectory"]
    assert specs["input"]["targetPath"] == f"{checkout}/product_specs"
    assert dbt["input"]["targetPath"] == f"{checkout}/dbt_project"
    assert new["input"]["answers"] == answers["input"]["targetPath"] + "/answers.yaml"
    assert validate["input"]["paths"] == ["${{ steps.new.output.spec }}"]
    assert catalog["input"]["files"][0]["from"] == answers["input"]["targetPath"] + "/catalog-info.yaml"
    assert catalog["input"]["files"][0]["to"].startswith(f"{checkout}/backstage/catalog/")
    assert publish["input"]["sourcePath"] == checkout
    # Every form field reaches the answers file, under its own name.
    fields = {name for page in _pages(template) for name in _all_fields(page)}
    assert fields <= set(answers["input"]["values"])
    for field in fields - {"squad"}:
        assert answers["input"]["values"][field] == f"${{{{ parameters.{field} }}}}"


def _all_fields(page: dict[str, Any]) -> list[str]:
    names = list(page["properties"])
    for rule in page.get("dependencies", {}).values():
        names += [n for branch in rule["oneOf"] for n in branch["properties"] if n not in names]
    return names


@pytest.mark.parametrize("source", ["kafka", "files", "sql"])
@pytest.mark.parametrize("load_type", ["append", "full", "upsert", "scd2"])
def test_the_form_asks_what_tardis_new_asks_in_its_order(template, source: str, load_type: str) -> None:
    keyed = ["key", "version_by"] if load_type in ("upsert", "scd2") else []
    expected = BEFORE + ASKED[source] + [f for f in AFTER if f not in ("key", "version_by") or f in keyed]
    assert _shown(template, source, load_type) == expected
    assert set(expected) <= set(Answers.model_fields)


def test_the_form_rules_are_the_answer_rules(template) -> None:
    """Each field's pattern, length and choices are those `tardis new` checks (Answers' JSON Schema)."""
    wanted = Answers.model_json_schema()["properties"]
    tribes = read_existing(PROJECT_ROOT / "product_specs").tribes  # what `tardis new` offers
    seen = 0
    for page in _pages(template):
        branches = [b for rule in page.get("dependencies", {}).values() for b in rule["oneOf"]]
        for properties in [page["properties"], *(b["properties"] for b in branches)]:
            for name, field in properties.items():
                if "title" not in field:  # a branch's selector (source: enum [kafka]), not a field
                    continue
                seen += 1
                answer = _non_null(wanted[name])
                if name == "tribe":
                    assert field["enum"] == tribes, "the form's tribes are the folders of product_specs/"
                elif name == "squad":
                    assert field["ui:field"] == "OwnerPicker" and field["ui:options"]["allowedKinds"] == [
                        "Group"
                    ]
                elif name == "contact":
                    alternatives = [a["pattern"].strip("^$") for a in answer["anyOf"]]
                    assert field["pattern"] == f"^({'|'.join(alternatives)})$"
                elif name == "stakeholders":
                    alternatives = [a["pattern"].strip("^$") for a in answer["items"]["anyOf"]]
                    assert field["items"]["pattern"] == f"^({'|'.join(alternatives)})$"
                else:
                    for rule in ("pattern", "maxLength", "minLength"):
                        assert field.get(rule) == answer.get(rule), (name, rule)
                        if "items" in answer:
                            assert field["items"].get(rule) == answer["items"].get(rule), (name, rule)
                    if "enum" in field:
                        assert set(field["enum"]) <= set(answer["enum"]), name
    assert seen == len({n for page in _pages(template) for n in _all_fields(page)}) + 1  # format twice


def _non_null(schema: dict[str, Any]) -> dict[str, Any]:
    """An optional answer's own schema (``anyOf: [X, null]`` -> X)."""
    options = [o for o in schema.get("anyOf", []) if o.get("type") != "null"]
    return options[0] if "anyOf" in schema and len(options) == 1 else schema


def _page_errors(template: dict[str, Any], form: dict[str, Any]) -> list[str]:
    errors = []
    for page in _pages(template):
        schema = _strip_ui({k: v for k, v in page.items() if k != "title"})
        errors += [e.message for e in jsonschema.Draft7Validator(schema).iter_errors(form)]
    return errors


def test_the_form_accepts_good_answers_and_refuses_bad_ones(template) -> None:
    for form in FORMS.values():
        assert _page_errors(template, form) == []
    # A conditional field is required once its branch is chosen: no branch of the oneOf fits then.
    for source, field in [("sql", "key"), ("kafka", "topic"), ("files", "uri")]:
        without = {k: v for k, v in FORMS[source].items() if k != field}
        errors = _page_errors(template, without)
        assert len(errors) == 1 and "is not valid under any of the given schemas" in errors[0], errors
    for field, bad in [
        ("contact", "checkout-data"),
        ("name", "card__payments"),
        ("tribe", "consumr"),
        ("load_type", "merge"),
    ]:
        assert _page_errors(template, {**FORMS["kafka"], field: bad}), (field, bad)
    assert not _page_errors(template, {**FORMS["kafka"], "partition_by": ["bucket(16, payment_id)"]})
    assert _page_errors(template, {**FORMS["kafka"], "partition_by": ["week(paid_at)"]})


@pytest.mark.parametrize("source", ["kafka", "files", "sql"])
def test_the_skeleton_renders_the_answers_tardis_new_reads(
    render_form, scaffolder, source: str, tmp_path: Path
) -> None:
    written = render_form(FORMS[source], "nunjitsu")  # scaffolder-backend 4.x
    assert render_form(FORMS[source], "nunjucks") == written  # scaffolder-backend 3.x
    assert sorted(written) == ["answers.yaml", "catalog-info.yaml"]
    path = tmp_path / "answers.yaml"
    path.write_text(written["answers.yaml"])
    loaded = load_answers(path, {})
    assert loaded.problems == [] and loaded.answers is not None
    given = loaded.answers.model_dump(exclude_defaults=True)
    assert given == EXPECTED[source]
    entry = yaml.safe_load(written["catalog-info.yaml"])
    assert scaffolder("validate", {"entities": [entry]}) == [{"ok": True}]
    assert entry["kind"] == "Component" and entry["spec"]["type"] == "data-product"
    assert entry["spec"]["owner"] == FORMS[source]["squad"]
    assert entry["metadata"]["name"] == FORMS[source]["name"]
    assert entry["metadata"]["description"] == FORMS[source]["description"]
    spec_url = entry["metadata"]["links"][0]["url"]
    assert re.search(rf"/product_specs/{FORMS[source]['tribe']}/{FORMS[source]['name']}\.yaml$", spec_url)
