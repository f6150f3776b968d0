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


# Legacy CUR (CUR 1) column names, as AWS's CUR 1 -> CUR 2.0 column mapping lists them, against the
# CUR 2.0 contract names of product_specs/platform/aws_cur.yaml.
LEGACY_CUR = [
    "identity/LineItemId",
    "bill/BillingPeriodStartDate",
    "lineItem/UnblendedCost",
    "lineItem/LineItemType",
    "savingsPlan/SavingsPlanARN",
    "reservation/ReservationARN",
    "splitLineItem/SplitCost",
    "resourceTags/user:tribe",
    "resourceTags/user:squad",
    "resourceTags/user:cost_pool",
]
CUR2 = [
    ContractColumn("identity_line_item_id", "string", required=True),
    ContractColumn("bill_billing_period_start_date", "timestamp", required=True),
    ContractColumn("line_item_unblended_cost", "decimal(24,10)", required=True),
    ContractColumn("line_item_line_item_type", "string", required=True),
    ContractColumn("savings_plan_savings_plan_a_r_n", "string"),
    ContractColumn("reservation_reservation_a_r_n", "string"),
    ContractColumn("split_line_item_split_cost", "decimal(24,10)"),
    ContractColumn("resource_tags", "map<string,string>"),
    ContractColumn("line_item_resource_id", "string"),
]


def test_a_legacy_cur_export_meets_the_cur2_contract() -> None:
    sourced = {c.name: casting.files_source(c, LEGACY_CUR, CUR2) for c in CUR2}
    assert {name: s.source for name, s in sourced.items() if not s.gathered} == {
        "identity_line_item_id": "identity/LineItemId",
        "bill_billing_period_start_date": "bill/BillingPeriodStartDate",
        "line_item_unblended_cost": "lineItem/UnblendedCost",
        "line_item_line_item_type": "lineItem/LineItemType",
        "savings_plan_savings_plan_a_r_n": "savingsPlan/SavingsPlanARN",  # ARN is a_r_n in CUR 2.0
        "reservation_reservation_a_r_n": "reservation/ReservationARN",
        "split_line_item_split_cost": "splitLineItem/SplitCost",
        "line_item_resource_id": None,  # not in this export: read as null, never guessed
    }
    # The flattened tag columns are gathered into CUR 2.0's map, keyed as CUR 2.0 writes its keys.
    assert sourced["resource_tags"].gathered == (
        ("user_tribe", "resourceTags/user:tribe"),
        ("user_squad", "resourceTags/user:squad"),
        ("user_cost_pool", "resourceTags/user:cost_pool"),
    )


def test_loose_matching_never_takes_another_contract_columns_source() -> None:
    contract = [ContractColumn("order_id", "string"), ContractColumn("orderid", "string")]
    # `order_id` matches exactly; `orderid` must not also read it (it is order_id's), nor read `Order_ID`
    # when two raw columns would fit.
    assert casting.files_source(contract[0], ["order_id"], contract).source == "order_id"
    assert casting.files_source(contract[1], ["order_id"], contract).source is None
    assert casting.files_source(contract[1], ["Order_I_D", "or_derid"], contract).source is None
    tags = ContractColumn("tags", "map<string,string>")
    assert casting.files_source(tags, ["tags"], [tags]).gathered == ()  # delivered as a map: read as is
