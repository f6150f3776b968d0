"""Table-driven: each spec change with its expected classification and required version bump."""

from __future__ import annotations

import pytest

from tardis_dagster.core.specs.model import DataProduct
from tardis_dagster.core.specs.yaml_source import parse_yaml
from tardis_dagster.tooling.contracts.changes import diff_products, required_bump
from tardis_dagster.tooling.contracts.versioning import check_bump

BASE = """\
apiVersion: tardis/v1
kind: DataProduct
name: orders
version: 1.2.3
description: Orders placed by customers.
owner: {tribe: consumer, squad: checkout, contact: "#checkout-data"}
stakeholders: ["#finance"]
source:
  kafka: {topic: checkout.order.v1, format: json, schema: schemas/order.json}
schedule: "0 * * * *"
load:
  type: upsert
  key: [order_id]
  version_by: updated_at
  partition_by: [day(placed_at)]
schema:
  - {name: order_id, type: string, required: true, description: Order identifier.}
  - {name: customer_id, type: string, required: true}
  - {name: status, type: string}
  - {name: box_size, type: int}
  - {name: weight, type: float}
  - {name: total_amount, type: "decimal(10,2)"}
  - {name: shipping, type: "struct<city:string>"}
  - {name: customer_email, type: string, pii: true}
  - {name: placed_at, type: timestamp, required: true}
  - {name: updated_at, type: timestamp, required: true}
quality:
  - row_count: {min: 10}
  - freshness: {column: updated_at, max_age: 2h}
  - not_null: [order_id]
  - accepted_values: {column: status, values: [placed, paid, shipped]}
  - range: {column: total_amount, min: 0}
  - unique: [order_id]
    severity: warn
vault:
  hubs:
    - {hub: order, key: [order_id]}
  satellites:
    - {satellite: order_state, parent: order, columns: [status]}
"""

# (id, [(old text, new text), ...], expected change kinds, required bump, line of the first change or None)
CASES: list[tuple[str, list[tuple[str, str]], set[str], str, str | None]] = [
    ("column removed", [("  - {name: weight, type: float}\n", "")], {"column_removed"}, "major", "^schema:"),
    (
        "column renamed",
        [("{name: weight, type: float}", "{name: weight_kg, type: float}")],
        {"column_renamed"},
        "major",
        "weight_kg",
    ),
    (
        "optional column added",
        [("  - {name: placed_at,", "  - {name: coupon_code, type: string}\n  - {name: placed_at,")],
        {"column_added"},
        "minor",
        "coupon_code",
    ),
    (
        "required column added",
        [
            (
                "  - {name: placed_at,",
                "  - {name: channel, type: string, required: true}\n  - {name: placed_at,",
            )
        ],
        {"required_column_added"},
        "major",
        "channel",
    ),
    (
        "type widened int to bigint",
        [("box_size, type: int}", "box_size, type: bigint}")],
        {"type_widened"},
        "minor",
        "box_size",
    ),
    (
        "type widened float to double",
        [("weight, type: float}", "weight, type: double}")],
        {"type_widened"},
        "minor",
        "weight",
    ),
    (
        "decimal precision widened",
        [('"decimal(10,2)"', '"decimal(12,2)"')],
        {"type_widened"},
        "minor",
        "decimal(12,2)",
    ),
    (
        "struct field added is a widening",
        [('"struct<city:string>"', '"struct<city:string,zip:string>"')],
        {"type_widened"},
        "minor",
        "zip:string",
    ),
    (
        "decimal scale changed",
        [('"decimal(10,2)"', '"decimal(10,3)"')],
        {"type_changed"},
        "major",
        "decimal(10,3)",
    ),
    (
        "type narrowed bigint to int",
        [("box_size, type: int}", "box_size, type: smallint_marker}")],
        {"type_narrowed"},
        "major",
        "box_size",
    ),
    (
        "type changed timestamp to date",
        [("{name: placed_at, type: timestamp", "{name: placed_at, type: date")],
        {"type_changed"},
        "major",
        "name: placed_at",
    ),
    (
        "type changed string to int",
        [("{name: status, type: string}", "{name: status, type: int}")],
        {"type_changed"},
        "major",
        "name: status",
    ),
    (
        "optional to required",
        [("{name: status, type: string}", "{name: status, type: string, required: true}")],
        {"column_now_required"},
        "major",
        "name: status",
    ),
    (
        "required to optional",
        [("{name: customer_id, type: string, required: true}", "{name: customer_id, type: string}")],
        {"column_now_optional"},
        "major",
        "name: customer_id",
    ),
    (
        "pii removed",
        [("type: string, pii: true}", "type: string}")],
        {"pii_removed"},
        "major",
        "customer_email",
    ),
    (
        "pii added",
        [("{name: status, type: string}", "{name: status, type: string, pii: true}")],
        {"pii_added"},
        "major",
        "name: status",
    ),
    (
        "key changed",
        [("  key: [order_id]", "  key: [order_id, customer_id]")],
        {"key_changed"},
        "major",
        "key: [order_id, customer_id]",
    ),
    (
        "version_by changed",
        [("version_by: updated_at", "version_by: placed_at")],
        {"version_by_changed"},
        "major",
        "version_by",
    ),
    (
        "partitioning changed",
        [("[day(placed_at)]", "[month(placed_at)]")],
        {"partitioning_changed"},
        "major",
        "partition_by",
    ),
    ("load type changed", [("type: upsert", "type: scd2")], {"load_type_changed"}, "major", "type: scd2"),
    (
        "not_null rule added",
        [("not_null: [order_id]", "not_null: [order_id, customer_id]")],
        {"quality_rule_added"},
        "major",
        "not_null",
    ),
    (
        "accepted value removed (tightened)",
        [("values: [placed, paid, shipped]", "values: [placed, paid]")],
        {"quality_rule_tightened"},
        "major",
        "accepted_values",
    ),
    (
        "accepted value added (loosened)",
        [("values: [placed, paid, shipped]", "values: [placed, paid, shipped, delivered]")],
        {"quality_rule_loosened"},
        "minor",
        "accepted_values",
    ),
    (
        "range minimum raised",
        [("range: {column: total_amount, min: 0}", "range: {column: total_amount, min: 1}")],
        {"quality_rule_tightened"},
        "major",
        "range:",
    ),
    (
        "range maximum added",
        [("range: {column: total_amount, min: 0}", "range: {column: total_amount, min: 0, max: 500}")],
        {"quality_rule_tightened"},
        "major",
        "range:",
    ),
    (
        "row_count minimum lowered",
        [("row_count: {min: 10}", "row_count: {min: 1}")],
        {"quality_rule_loosened"},
        "minor",
        "row_count",
    ),
    (
        "freshness shortened",
        [("max_age: 2h", "max_age: 30m")],
        {"quality_rule_tightened"},
        "major",
        "freshness",
    ),
    (
        "freshness lengthened",
        [("max_age: 2h", "max_age: 1d")],
        {"quality_rule_loosened"},
        "minor",
        "freshness",
    ),
    (
        "warning rule made blocking",
        [("    severity: warn\n", "")],
        {"quality_rule_tightened"},
        "major",
        "unique",
    ),
    ("blocking rule removed", [("  - not_null: [order_id]\n", "")], {"quality_rule_removed"}, "minor", None),
    (
        "warning-only rule added",
        [("quality:\n", "quality:\n  - not_null: [status]\n    severity: warn\n")],
        {"quality_warning_added"},
        "patch",
        "not_null: [status]",
    ),
    (
        "sql rule changed",
        [
            (
                "quality:\n",
                "quality:\n  - sql: select count(*) from {{ this }} where box_size < 0\n"
                "    name: no_negative_boxes\n",
            )
        ],
        {"quality_rule_added"},
        "major",
        "sql:",
    ),
    (
        "column description changed",
        [("description: Order identifier.}", "description: The order id.}")],
        {"description_changed"},
        "patch",
        "name: order_id",
    ),
    (
        "product description changed",
        [("description: Orders placed by customers.", "description: All orders.")],
        {"description_changed"},
        "patch",
        "description: All",
    ),
    ("owner changed", [("squad: checkout", "squad: payments")], {"owner_changed"}, "patch", "owner:"),
    (
        "stakeholders changed",
        [('["#finance"]', '["#finance", "#growth"]')],
        {"stakeholders_changed"},
        "patch",
        "stakeholders",
    ),
    ("schedule changed", [('"0 * * * *"', '"*/15 * * * *"')], {"schedule_changed"}, "patch", "schedule"),
    (
        "kafka topic changed",
        [("topic: checkout.order.v1", "topic: checkout.order.v2")],
        {"source_changed"},
        "patch",
        "kafka:",
    ),
    (
        "satellite removed",
        [("  satellites:\n    - {satellite: order_state, parent: order, columns: [status]}\n", "")],
        {"vault_mapping_removed"},
        "major",
        None,
    ),
    (
        "satellite tracks more columns",
        [("columns: [status]}", "columns: [status, box_size]}")],
        {"satellite_columns_added"},
        "minor",
        "satellite: order_state",
    ),
    (
        "hub mapping added",
        [
            (
                "    - {hub: order, key: [order_id]}\n",
                "    - {hub: order, key: [order_id]}\n    - {hub: customer, key: [customer_id]}\n",
            )
        ],
        {"vault_mapping_added"},
        "minor",
        "hub: customer",
    ),
    (
        "hub key changed",
        [("{hub: order, key: [order_id]}", "{hub: order, key: [customer_id]}")],
        {"vault_mapping_changed"},
        "major",
        "hub: order",
    ),
    (
        "additive and cosmetic together need a minor bump",
        [
            ("  - {name: placed_at,", "  - {name: coupon_code, type: string}\n  - {name: placed_at,"),
            ("description: Order identifier.}", "description: The order id.}"),
        ],
        {"column_added", "description_changed"},
        "minor",
        None,
    ),
    (
        "breaking wins over additive",
        [
            ("  - {name: weight, type: float}\n", ""),
            ("  - {name: placed_at,", "  - {name: coupon_code, type: string}\n  - {name: placed_at,"),
        ],
        {"column_removed", "column_added"},
        "major",
        None,
    ),
    ("nothing changed", [], set(), "none", None),
]
# A narrowing needs a column that is wide at the base: this case's base has box_size as bigint.
BASE_EDITS = {"type narrowed bigint to int": [("box_size, type: int}", "box_size, type: bigint}")]}
CASES = [
    (name, [("box_size, type: bigint}", "box_size, type: int}")], *rest)
    if name in BASE_EDITS
    else (name, edits, *rest)
    for name, edits, *rest in CASES
]


def product(text: str) -> DataProduct:
    """A DataProduct from spec text, as the loader would build it (without cross-spec rules)."""
    return DataProduct.model_validate(parse_yaml(text).data)


def apply(text: str, edits: list[tuple[str, str]]) -> str:
    for old, new in edits:
        assert text.count(old) == 1, f"edit target {old!r} must occur once"
        text = text.replace(old, new)
    return text


def test_the_table_has_at_least_25_cases() -> None:
    assert len(CASES) >= 25
    assert len({case[0] for case in CASES}) == len(CASES)


@pytest.mark.parametrize(("name", "edits", "kinds", "bump", "line_of"), CASES, ids=[c[0] for c in CASES])
def test_change_is_classified(
    name: str, edits: list[tuple[str, str]], kinds: set[str], bump: str, line_of: str | None
) -> None:
    base_text = apply(BASE, BASE_EDITS.get(name, []))
    new_text = apply(base_text, edits)

    changes = diff_products(product(base_text), product(new_text), new_text)

    assert {change.kind for change in changes} == kinds
    assert required_bump(changes) == bump
    assert all(change.breaking == (change.bump == "major") for change in changes)
    if line_of is not None:
        # "^text": the line starts with text; otherwise the first line containing it
        lines = new_text.splitlines()
        expected = next(
            i
            for i, line in enumerate(lines, start=1)
            if (line.startswith(line_of[1:]) if line_of.startswith("^") else line_of in line)
        )
        assert changes[0].line == expected, changes[0]


@pytest.mark.parametrize(
    ("old", "new", "required", "ok", "blocking"),
    [
        ("1.2.3", "2.0.0", "major", True, False),
        ("1.2.3", "1.3.0", "major", False, True),
        ("1.2.3", "1.2.3", "major", False, True),
        ("1.2.3", "1.3.0", "minor", True, False),
        ("1.2.3", "1.2.4", "minor", False, True),
        ("1.2.3", "3.0.0", "minor", True, False),
        ("1.2.3", "1.2.3", "patch", False, False),
        ("1.2.3", "1.2.4", "patch", True, False),
        ("1.2.3", "1.2.3", "none", True, False),
        ("1.2.3", "1.2.2", "none", False, True),
        ("1.2.3", "2.0.0-rc.1", "major", True, False),
        ("2.0.0-rc.1", "2.0.0", "patch", True, False),
    ],
)
def test_version_bump_rules(old: str, new: str, required: str, ok: bool, blocking: bool) -> None:
    verdict = check_bump(old, new, required)  # type: ignore[arg-type]
    assert (verdict.ok, verdict.blocking) == (ok, blocking), verdict.message


def test_a_missing_major_bump_says_which_version_to_use() -> None:
    verdict = check_bump("1.2.3", "1.3.0", "major")
    assert "needs a major version bump: 1.2.3 -> 2.0.0" in verdict.message
