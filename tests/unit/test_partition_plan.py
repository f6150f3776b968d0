"""The partition evolution plan: which DROP/ADD PARTITION FIELD statements turn one spec into another."""

from __future__ import annotations

from tardis_dagster.jobs.std.evolution import partition_plan

T = "std.orders"


def test_an_unchanged_spec_needs_nothing_whatever_the_spelling() -> None:
    assert partition_plan(T, ["days(placed_at)", "bucket(4, id)"], ["days(placed_at)", "bucket(4,id)"]) == []


def test_a_replaced_field_is_dropped_and_the_new_one_added() -> None:
    assert partition_plan(T, ["days(placed_at)"], ["months(placed_at)"]) == [
        f"ALTER TABLE {T} DROP PARTITION FIELD days(placed_at)",
        f"ALTER TABLE {T} ADD PARTITION FIELD months(placed_at)",
    ]


def test_fields_after_the_common_prefix_are_rebuilt_in_the_written_order() -> None:
    # Iceberg appends added fields, so a reorder drops the tail (last first) and adds it back in order.
    assert partition_plan(T, ["region", "days(placed_at)", "bucket(4, id)"], ["region", "bucket(4, id)"]) == [
        f"ALTER TABLE {T} DROP PARTITION FIELD bucket(4, id)",
        f"ALTER TABLE {T} DROP PARTITION FIELD days(placed_at)",
        f"ALTER TABLE {T} ADD PARTITION FIELD bucket(4, id)",
    ]


def test_partitioning_can_be_added_to_and_removed_from_a_table() -> None:
    assert partition_plan(T, [], ["region"]) == [f"ALTER TABLE {T} ADD PARTITION FIELD region"]
    assert partition_plan(T, ["region"], []) == [f"ALTER TABLE {T} DROP PARTITION FIELD region"]
