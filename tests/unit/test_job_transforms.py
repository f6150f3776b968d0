"""Pure transforms the Spark jobs use, tested without a Spark session."""

from __future__ import annotations

import pytest

from tardis_dagster.core.jobs_io import ContractColumn
from tardis_dagster.jobs import land_kafka
from tardis_dagster.jobs.std import casting, evolution

PUBLISHED = [("id", "string"), ("amount", "int"), ("price", "decimal(10,2)")]


def _columns(*extra: ContractColumn) -> list[ContractColumn]:
    return [
        ContractColumn("id", "STRING", required=True),
        ContractColumn("amount", "INT"),
        ContractColumn("price", "DECIMAL(10,2)"),
        *extra,
    ]


@pytest.mark.parametrize(
    ("raw", "contract"),
    [("placedAt", "placed_at"), ("Placed At", "placed_at"), ("placed-at", "placed_at"), ("ID", "id")],
)
def test_source_names_meet_contract_names_in_snake_case(raw: str, contract: str) -> None:
    assert casting.snake_case(raw) == contract


def test_an_unchanged_schema_needs_no_statement() -> None:
    assert evolution.plan("std.t", PUBLISHED, _columns()) == []


def test_a_new_optional_column_is_added_in_the_specs_position() -> None:
    columns = [*_columns()[:1], ContractColumn("note", "STRING"), *_columns()[1:]]
    assert evolution.plan("std.t", PUBLISHED, columns) == [
        "ALTER TABLE std.t ADD COLUMN `note` STRING AFTER `id`"
    ]


def test_widening_is_applied_in_place() -> None:
    columns = [
        ContractColumn("id", "STRING"),
        ContractColumn("amount", "BIGINT"),
        ContractColumn("price", "DECIMAL(12,2)"),
    ]
    assert evolution.plan("std.t", PUBLISHED, columns) == [
        "ALTER TABLE std.t ALTER COLUMN `amount` TYPE BIGINT",
        "ALTER TABLE std.t ALTER COLUMN `price` TYPE DECIMAL(12,2)",
    ]


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        (_columns()[:2], "column 'price' is published in std.t but no longer in the spec"),
        (_columns(ContractColumn("must", "STRING", required=True)), "new column 'must' is required"),
        ([ContractColumn("id", "STRING"), ContractColumn("amount", "STRING"), _columns()[2]], "changes type"),
    ],
)
def test_unsafe_changes_are_refused_naming_the_column(columns: list[ContractColumn], message: str) -> None:
    with pytest.raises(evolution.SchemaEvolutionError, match=message):
        evolution.plan("std.t", PUBLISHED, columns)


@pytest.mark.parametrize(
    ("old", "new", "widening"),
    [
        ("int", "bigint", True),
        ("float", "double", True),
        ("decimal(10,2)", "decimal(12,2)", True),
        ("decimal(10,2)", "decimal(12,3)", False),
        ("bigint", "int", False),
        ("string", "int", False),
    ],
)
def test_the_raw_payload_follows_only_safe_promotions(old: str, new: str, widening: bool) -> None:
    assert land_kafka._widening(old, new) is widening
