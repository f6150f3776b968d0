"""Problem lines, did-you-mean, and the YAML layer that gives every problem its line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from tardis_dagster.core.specs import Problem
from tardis_dagster.core.specs.identifiers import identifier_problem, is_identifier
from tardis_dagster.core.specs.problems import did_you_mean, suggestion
from tardis_dagster.core.specs.specfile import field_name
from tardis_dagster.core.specs.yaml_source import YamlSyntaxError, parse_yaml


def test_problem_prints_as_one_compiler_style_line() -> None:
    problem = Problem(
        Path("product_specs/orders.yaml"), 12, 3, "load.key[0]", "column 'x' is not in schema", "fix it"
    )
    assert str(problem) == "product_specs/orders.yaml:12:3: load.key[0]: column 'x' is not in schema (fix it)"


def test_problems_are_frozen_and_sortable() -> None:
    first = Problem(Path("a.yaml"), 1, 1, "name", "m", "f")
    second = Problem(Path("a.yaml"), 2, 1, "name", "m", "f")
    assert sorted([second, first]) == [first, second]
    with pytest.raises(AttributeError):
        first.line = 3  # type: ignore[misc]


def test_did_you_mean_finds_typos_only() -> None:
    assert did_you_mean("shedule", ["schedule", "source", "schema"]) == "schedule"
    assert did_you_mean("owenr", ["owner", "name"]) == "owner"
    assert did_you_mean("warehouse", ["customer", "order"]) is None
    assert suggestion("shedule", ["schedule"]) == "did you mean 'schedule'?"
    assert suggestion("zzz", ["b", "a"]) == "use one of: a, b"
    assert suggestion("zzz", ["b", "a"], what="hubs") == "known hubs: a, b"


def test_field_names_are_dotted_with_indexes() -> None:
    assert field_name(("schema", 2, "type")) == "schema[2].type"
    assert field_name(("load", "key", 0)) == "load.key[0]"
    assert field_name(()) == "file"


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("orders", True),
        ("order_events_v2", True),
        ("a" * 63, True),
        ("a" * 64, False),
        ("Orders", False),
        ("2orders", False),
        ("_orders", False),
        ("orders; drop table x", False),
        ("order-events", False),
        ("orders\n", False),
        ("", False),
    ],
)
def test_identifiers(name: str, ok: bool) -> None:
    assert is_identifier(name) is ok
    assert (identifier_problem(name) is None) is ok


def test_identifier_problem_suggests_a_snake_case_name() -> None:
    issue = identifier_problem("OrderEvents")
    assert issue is not None
    assert "e.g. 'order_events'" in issue[1]
    assert "at most 63" in (identifier_problem("x" * 70) or ("", ""))[1]


def test_yaml_positions_of_values_keys_and_missing_fields() -> None:
    doc = parse_yaml("name: x\nload:\n  type: upsert\n  key: [a, b]\nschema:\n  - {name: a}\n")
    assert doc.locate(("load", "key", 1)) == (4, 12)
    assert doc.locate(("load", "type"), at_key=True) == (3, 3)
    assert doc.locate(("schema", 0, "name")) == (6, 12)
    # A field that is not there points at its parent mapping.
    assert doc.locate(("load", "version_by")) == (3, 3)
    assert doc.locate(("nothing", "here")) == (1, 1)


def test_yaml_positions_inside_sql_text() -> None:
    text = (
        "source:\n  sql: |\n    select *\n    from {{ product('x') }}\n"
        'quality:\n  - sql: "select {{ y }}"\n'
    )
    doc = parse_yaml(text)
    sql = doc.data["source"]["sql"]
    assert doc.locate_in_text(("source", "sql"), sql.index("{{")) == (4, 10)
    quality_sql = doc.data["quality"][0]["sql"]
    assert doc.locate_in_text(("quality", 0, "sql"), quality_sql.index("{{")) == (6, 18)


def test_yaml_scalars_follow_yaml_1_1_like_safe_load() -> None:
    doc = parse_yaml("a: yes\nb: 'yes'\nc: 1_000\nd: 0.5\ne: ~\nf: 2024-01-01\ng: off\non: 1\n")
    assert doc.data == {
        "a": True,
        "b": "yes",
        "c": 1000,
        "d": 0.5,
        "e": None,
        "f": "2024-01-01",
        "g": False,
        "on": 1,
    }


def test_yaml_merge_keys_and_duplicate_keys() -> None:
    doc = parse_yaml("base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\n  z: 1\n  z: 2\n")
    assert doc.data["m"] == {"x": 1, "y": 3, "z": 2}
    assert [(issue.loc, issue.message) for issue in doc.issues] == [
        (("m", "z"), "duplicate key 'z' (the later value would silently win)")
    ]


def test_yaml_syntax_errors_carry_libyaml_position() -> None:
    with pytest.raises(YamlSyntaxError) as caught:
        parse_yaml("a: 1\nb:\n  c: 1\n   d: 2\n")
    assert (caught.value.line, caught.value.col) == (4, 5)


def test_yaml_alias_bombs_are_stopped() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    with pytest.raises(YamlSyntaxError) as caught:
        parse_yaml("\n".join(lines) + "\n")
    assert "aliases" in caught.value.message


def test_yaml_recursive_aliases_are_reported() -> None:
    doc = parse_yaml("a: &a [*a]\n")
    assert doc.issues[0].message == "recursive alias"


def test_yaml_node_tree_comes_back_after_release() -> None:
    doc = parse_yaml("a:\n  b: 1\n")
    doc.release()
    assert doc.locate(("a", "b")) == (2, 6)
