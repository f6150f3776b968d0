"""Hostile and careless input to the validator: files that are not files, sizes, depth, duplicates,
numbers and durations that later break, schema files for real parsers, paths out of the repository,
and reader options that would bypass quarantine. Every case must become a problem line, never a hang,
a traceback or an accepted spec that breaks later."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from spec_helpers import ORDERS, with_sql_file

from tardis_dagster.core.specs import load_catalog
from tardis_dagster.core.specs.catalog import MAX_SPEC_BYTES
from tardis_dagster.core.specs.problems import Problem

SpecTree = Callable[..., Path]

FILES_PRODUCT = """\
apiVersion: tardis/v1
kind: DataProduct
name: recipes
version: 1.0.0
description: Recipes.
owner: {tribe: operations, squad: menu, contact: menu@example.com}
source:
  files: {uri: URI, format: csv, options: OPTIONS}
load: {type: full}
schema:
  - {name: recipe_id, type: string}
"""


def _files_product(uri: str = "./drops/", options: str = "{}") -> str:
    return FILES_PRODUCT.replace("URI", uri).replace("OPTIONS", options)


def _load_bounded(paths: list[Path], seconds: float = 60) -> list[Problem]:
    """load_catalog in a thread: a hang (a FIFO opened for reading) fails the test instead of CI."""
    result: list = []
    worker = threading.Thread(target=lambda: result.append(load_catalog(paths)), daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), "validation hung"
    return result[0].problems


def _only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, [str(problem) for problem in problems]
    return problems[0]


# ---------------------------------------------------------------------------------------------
# Files that are not regular files, and sizes


def test_a_fifo_spec_is_refused_by_name_without_hanging(spec_tree: SpecTree) -> None:
    root = spec_tree({})
    os.mkfifo(root / "pipe.yaml")
    problem = _only(_load_bounded([root]))
    assert problem.path.name == "pipe.yaml"
    assert "FIFO" in problem.message and "not a regular file" in problem.message


def test_a_spec_symlinked_to_dev_zero_is_refused_before_reading(spec_tree: SpecTree) -> None:
    root = spec_tree({})
    (root / "zero.yaml").symlink_to("/dev/zero")
    problem = _only(_load_bounded([root]))
    assert problem.message == "this spec is a symlink to a file outside the spec folder"
    # Named directly, the device itself is refused by its type, before it is opened.
    problem = _only(_load_bounded([Path("/dev/zero")]))
    assert problem.message == "cannot read file: it is a character device, not a regular file"


def test_a_spec_symlinked_to_a_file_elsewhere_is_not_read(spec_tree: SpecTree, tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("password: hunter2\n", encoding="utf-8")
    root = spec_tree({})
    (root / "secret.yaml").symlink_to(tmp_path / "secret.txt")
    problem = _only(load_catalog([root]).problems)
    assert "symlink to a file outside the spec folder" in problem.message
    assert "hunter2" not in str(problem)


def test_a_fifo_schema_file_and_a_dev_zero_sql_file_are_refused(spec_tree: SpecTree) -> None:
    root = spec_tree({"orders.yaml": ORDERS.replace("schemas/order.json", "schemas/pipe.json")})
    os.mkfifo(root / "schemas" / "pipe.json")
    problem = _only(_load_bounded([root]))
    assert (problem.field, problem.line) == ("source.kafka.schema", 15)
    assert "is a FIFO (named pipe), not a regular file" in problem.message

    root = spec_tree({"orders.yaml": ORDERS, "facts.yaml": with_sql_file("facts.sql")})
    os.mkfifo(root / "facts.sql")
    problem = _only(_load_bounded([root]))
    assert problem.field == "source.sql_file"
    assert "is a FIFO (named pipe), not a regular file" in problem.message
    # A symlink to /dev/zero leaves the spec tree, so it is refused before anything is opened.
    (root / "facts.sql").unlink()
    (root / "facts.sql").symlink_to("/dev/zero")
    problem = _only(_load_bounded([root]))
    assert "goes through a symlink that leads outside the spec folder" in problem.message


def test_a_large_spec_is_refused_by_its_size_before_it_is_read(spec_tree: SpecTree) -> None:
    root = spec_tree({})
    with (root / "big.yaml").open("wb") as out:
        out.truncate(MAX_SPEC_BYTES * 50)  # sparse: 50 MB that read_bytes() would load whole
    problem = _only(_load_bounded([root]))
    assert problem.message == f"cannot read file: it is {MAX_SPEC_BYTES * 50:,} bytes"
    assert str(MAX_SPEC_BYTES) in problem.fix.replace(",", "")


# ---------------------------------------------------------------------------------------------
# Nesting and duplicates


@pytest.mark.parametrize("depth", [70, 999])
def test_deep_nesting_is_a_problem_not_an_internal_error(spec_tree: SpecTree, depth: int) -> None:
    nested = "[" * depth + "1" + "]" * depth
    root = spec_tree(
        {"orders.yaml": ORDERS.replace("description: Orders placed by customers.", f"description: {nested}")}
    )
    problem = _only(_load_bounded([root]))
    assert problem.field == "yaml"
    assert "nested more than 64 levels deep" in problem.message
    assert (problem.line, problem.col) == (5, 13 + 64)  # at the first node past the limit


def test_twenty_thousand_duplicate_keys_are_reported_briefly(spec_tree: SpecTree) -> None:
    duplicates = "".join("  tribe: consumer\n" for _ in range(20_000))
    text = ORDERS.replace("  tribe: consumer\n", duplicates, 1)
    root = spec_tree({"orders.yaml": text})
    started = time.perf_counter()
    problems = _load_bounded([root], seconds=120)
    print(f"20,000 duplicate keys validated in {time.perf_counter() - started:.2f} s")
    duplicate = [problem for problem in problems if "duplicate key 'tribe'" in problem.message]
    # Each duplicate is pointed at its own line (7 holds the first 'tribe:'), the rest summarised.
    assert [problem.line for problem in duplicate] == list(range(8, 8 + 50))
    assert any("19,949 more problems like these" in problem.message for problem in problems)
    assert all(problem.field == "owner.tribe" for problem in problems)


def test_a_number_with_thousands_of_digits_is_a_problem(spec_tree: SpecTree) -> None:
    root = spec_tree(
        {"orders.yaml": ORDERS.replace("row_count: {min: 1}", f"row_count: {{min: {'9' * 5000}}}")}
    )
    problems = _load_bounded([root])
    assert problems and all(problem.field.startswith("quality[0].row_count") for problem in problems)
    assert "more than 100 digits" in problems[0].message


# ---------------------------------------------------------------------------------------------
# Numbers and durations: bounded and finite


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        ("max_age: 2h", "max_age: 99999999999999d", "quality[1].freshness.max_age", "is too long a duration"),
        ("max_age: 2h", "max_age: 3651d", "quality[1].freshness.max_age", "is too long a duration"),
        ("min: 0}", "min: .nan}", "quality[5].range.min", "nan is not a number"),
        ("min: 0}", "min: -.inf}", "quality[5].range.min", "-inf is not a number"),
        ("min: 0}", "min: 1.0e+300}", "quality[5].range.min", "1e+300 is too large"),
        (
            "row_count: {min: 1}",
            "row_count: {max: 99999999999999999999}",
            "quality[0].row_count.max",
            "not a possible row count",
        ),
        (
            "row_count: {min: 1}",
            "row_count: {min: -1}",
            "quality[0].row_count.min",
            "not a possible row count",
        ),
        (
            "values: [placed, paid]",
            "values: [placed, .inf]",
            "quality[4].accepted_values.values[1]",
            "inf is not a number",
        ),
        (
            "    schema: schemas/order.json\n",
            "    schema: schemas/order.json\n    quarantine_threshold: .nan\n",
            "source.kafka.quarantine_threshold",
            "finite number",
        ),
    ],
)
def test_numbers_and_durations_are_bounded_and_finite(
    spec_tree: SpecTree, old: str, new: str, field: str, message: str
) -> None:
    assert old in ORDERS
    root = spec_tree({"orders.yaml": ORDERS.replace(old, new, 1)})
    problem = _only(load_catalog([root]).problems)
    assert problem.field == field
    assert message in problem.message, problem


def test_boundary_values_are_accepted(spec_tree: SpecTree) -> None:
    text = (
        ORDERS.replace("max_age: 2h", "max_age: 3650d")
        .replace("row_count: {min: 1}", f"row_count: {{min: 0, max: {2**63 - 1}}}")
        .replace(
            "range: {column: total_amount, min: 0}",
            "range: {column: total_amount, min: -1.0e+37, max: 1.0e+37}",
        )
    )
    catalog = load_catalog([spec_tree({"orders.yaml": text})])
    assert catalog.problems == []


# ---------------------------------------------------------------------------------------------
# Crons Dagster refuses (the full corpus is in test_cron_parity.py)


@pytest.mark.parametrize(
    ("cron", "message"),
    [
        ("0 0 31 2 *", "February 31, which does not exist"),
        ("0 0 31 4 *", "never fires"),
        ("* * * * * *", "not a valid 5-field cron expression (it has 6 fields)"),
        ("0 0 15W * *", "W (nearest weekday) is not supported"),
    ],
)
def test_crons_dagster_refuses_are_refused(spec_tree: SpecTree, cron: str, message: str) -> None:
    root = spec_tree({"orders.yaml": ORDERS.replace('schedule: "0 * * * *"', f'schedule: "{cron}"')})
    problem = _only(load_catalog([root]).problems)
    assert (problem.field, problem.line) == ("schedule", 16)
    assert message in problem.message


def test_cron_aliases_and_spacing_are_normalised(spec_tree: SpecTree) -> None:
    root = spec_tree({"orders.yaml": ORDERS.replace('schedule: "0 * * * *"', 'schedule: " 0  *  * * * "')})
    assert load_catalog([root]).by_name("orders").schedule == "0 * * * *"
    root = spec_tree({"orders.yaml": ORDERS.replace('schedule: "0 * * * *"', "schedule: '@daily'")})
    assert load_catalog([root]).by_name("orders").schedule == "@daily"


# ---------------------------------------------------------------------------------------------
# Schema files through their real parsers


AVRO = '{"type": "record", "name": "Order", "fields": [\n  {"name": "order_id", "type": "string"}FIELDS\n]}\n'


@pytest.mark.parametrize(
    ("fields", "line", "message"),
    [
        (',\n  {"name": "total", "type": "strng"}', 3, "strng"),
        (',\n  {"name": "order_id", "type": "int"}', 3, "Field name order_id already in use"),
        (',\n  {"name": "total", "type": "int", "default": "x"}', 3, "must match schema type: int"),
    ],
)
def test_invalid_avro_schemas_are_refused_with_their_file(
    spec_tree: SpecTree, fields: str, line: int, message: str
) -> None:
    text = ORDERS.replace("format: json", "format: avro").replace("schemas/order.json", "schemas/order.avsc")
    root = spec_tree({"orders.yaml": text, "schemas/order.avsc": AVRO.replace("FIELDS", fields)})
    problem = _only(load_catalog([root]).problems)
    assert problem.path == root / "schemas" / "order.avsc"
    assert problem.field == "source.kafka.schema"
    assert problem.message.startswith("schema file is not a valid Avro schema") and message in problem.message
    assert problem.line == line


def test_a_valid_avro_schema_passes(spec_tree: SpecTree) -> None:
    text = ORDERS.replace("format: json", "format: avro").replace("schemas/order.json", "schemas/order.avsc")
    root = spec_tree({"orders.yaml": text, "schemas/order.avsc": AVRO.replace("FIELDS", "")})
    assert load_catalog([root]).problems == []


def _proto_orders(message: str = "Order") -> str:
    return ORDERS.replace("format: json", "format: protobuf").replace(
        "schemas/order.json", f"schemas/order.proto\n    message: {message}"
    )


def test_a_protobuf_syntax_error_points_at_protocs_line_and_column(spec_tree: SpecTree) -> None:
    proto = 'syntax = "proto3";\npackage shop.v1;\nmessage Order {\n  strin order_id = 1;\n}\n'
    root = spec_tree({"orders.yaml": _proto_orders(), "schemas/order.proto": proto})
    problem = _only(load_catalog([root]).problems)
    assert problem.path == root / "schemas" / "order.proto"
    assert (problem.line, problem.col) == (4, 3)
    assert problem.message == 'schema file does not compile (protoc): "strin" is not defined.'


def test_protobuf_messages_are_found_by_the_compiler(spec_tree: SpecTree) -> None:
    proto = (
        'syntax = "proto3";\npackage shop.v1;\n'
        "message Order {\n  message Line { string sku = 1; }\n  string order_id = 1;\n}\n"
    )
    for message in ("Order", "shop.v1.Order", "shop.v1.Order.Line"):
        root = spec_tree({"orders.yaml": _proto_orders(message), "schemas/order.proto": proto})
        assert load_catalog([root]).problems == [], message
    root = spec_tree({"orders.yaml": _proto_orders("other.Order"), "schemas/order.proto": proto})
    problem = _only(load_catalog([root]).problems)
    assert problem.field == "source.kafka.message" and "write message: shop.v1.Order" in problem.fix


def test_a_protobuf_import_that_is_a_fifo_is_refused_without_running_protoc(spec_tree: SpecTree) -> None:
    proto = 'syntax = "proto3";\nimport "other.proto";\nmessage Order { string order_id = 1; }\n'
    root = spec_tree({"orders.yaml": _proto_orders(), "schemas/order.proto": proto})
    os.mkfifo(root / "schemas" / "other.proto")
    problem = _only(_load_bounded([root]))
    assert (problem.line, problem.col) == (2, 9)
    assert "import 'other.proto' is a FIFO" in problem.message


# ---------------------------------------------------------------------------------------------
# Paths stay inside the repository


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        ("/etc/passwd.json", "is an absolute path"),
        ("~/order.json", "starts with '~'"),
        ("../../outside.json", "leads outside the spec folder"),
        ("schemas/link.json", "goes through a symlink that leads outside the spec folder"),
    ],
)
def test_schema_paths_stay_in_the_spec_tree(
    spec_tree: SpecTree, tmp_path: Path, schema: str, message: str
) -> None:
    root = spec_tree({"orders.yaml": ORDERS.replace("schemas/order.json", schema)})
    (tmp_path / "outside.json").write_text('{"type": "object"}', encoding="utf-8")
    (root / "schemas" / "link.json").symlink_to(tmp_path / "outside.json")
    problem = _only(load_catalog([root]).problems)
    assert problem.field == "source.kafka.schema"
    assert message in problem.message


def test_sql_file_paths_stay_in_the_spec_tree(spec_tree: SpecTree, tmp_path: Path) -> None:
    (tmp_path / "facts.sql").write_text("select 1 as a", encoding="utf-8")
    root = spec_tree({"orders.yaml": ORDERS, "facts.yaml": with_sql_file("../facts.sql")})
    problem = _only(load_catalog([root]).problems)
    assert problem.field == "source.sql_file" and "leads outside the spec folder" in problem.message


@pytest.mark.parametrize(
    ("uri", "ok"),
    [
        ("./drops/", True),
        ("../.tardis/demo/files/recipes/", True),  # the project folder's local-platform data
        ("file://./drops/", True),
        ("../../elsewhere/", False),
        ("/tmp/drops/", False),
        ("file:///tmp/drops/", False),
        ("~/drops/", False),
    ],
)
def test_local_landing_folders_stay_in_the_project(spec_tree: SpecTree, uri: str, ok: bool) -> None:
    root = spec_tree({"recipes.yaml": _files_product(uri)})
    problems = load_catalog([root]).problems
    if ok:
        assert problems == []
    else:
        assert _only(problems).field == "source.files.uri"


def test_the_demo_specs_local_folders_are_accepted() -> None:
    repo = Path(__file__).resolve().parents[2]
    catalog = load_catalog([repo / "product_specs"])
    assert catalog.problems == []
    local = [p for p in catalog.products if p.source.files is not None and not p.source.files.is_remote]
    assert local and all(Path(p.files_location()).is_relative_to(repo / ".tardis") for p in local)


# ---------------------------------------------------------------------------------------------
# Reader options on an allowlist


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ("{mode: DROPMALFORMED}", "the landing reads in PERMISSIVE mode"),
        ("{columnNameOfCorruptRecord: x}", "corrupt-record column"),
        ("{badRecordsPath: /tmp/bad}", "quarantine table"),
        ("{pathGlobFilter: '*.csv'}", "use pattern:"),
        ("{multiline: true}", "is spelled 'multiLine'"),
        ("{frobnicate: 1}", "is not a csv reader option"),
    ],
)
def test_reader_options_that_bypass_quarantine_are_refused(
    spec_tree: SpecTree, options: str, message: str
) -> None:
    root = spec_tree({"recipes.yaml": _files_product(options=options)})
    problem = _only(load_catalog([root]).problems)
    assert problem.field.startswith("source.files.options.")
    assert (problem.line, problem.col) == (8, 49)  # at the option's name
    assert message in problem.message


def test_documented_reader_options_are_accepted(spec_tree: SpecTree) -> None:
    options = "{header: true, delimiter: ';', quote: '\"', encoding: latin1, nullValue: NA, multiLine: true}"
    root = spec_tree({"recipes.yaml": _files_product(options=options)})
    assert load_catalog([root]).problems == []


@pytest.mark.parametrize(("fmt", "name"), [("json", "order.json"), ("avro", "order.avsc")])
def test_deeply_nested_schema_files_are_a_problem_not_an_internal_error(
    spec_tree: SpecTree, fmt: str, name: str
) -> None:
    text = ORDERS.replace("format: json", f"format: {fmt}").replace("schemas/order.json", f"schemas/{name}")
    nested = '{"type": "object", "properties": {"a": ' + "[" * 100_000 + "]" * 100_000 + "}}"
    root = spec_tree({"orders.yaml": text})
    (root / "schemas" / name).write_text(nested, encoding="utf-8")
    problem = _only(load_catalog([root]).problems)
    assert problem.path == root / "schemas" / name
    assert (problem.line, problem.col, problem.field) == (1, 102, "source.kafka.schema")  # the 65th bracket
    assert problem.message == "schema file nests deeper than 64 levels"
