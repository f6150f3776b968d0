"""Standardized layer on the real platform: casts, rejects, PII hashing, every load type, partitioning,
schema evolution and write-audit-publish, with expected tables compared row by row."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections import Counter
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import dagster as dg
import pytest
from spec_builder import product_yaml, write_product

from tardis_dagster.core.settings import get_settings, pii_key
from tardis_dagster.core.specs import DataProduct
from tardis_dagster.defs.resources import SparkJobRunner
from tardis_dagster.defs.standardize.assets import standardize_assets

pytestmark = pytest.mark.platform

COLUMNS = """\
  - {name: member_id, type: string, required: true, description: The member's id in the loyalty system.}
  - {name: email, type: string, pii: true}
  - {name: points, type: int}
  - {name: balance, type: "decimal(10,2)"}
  - {name: updated_at, type: timestamp, required: true}
"""
RAW_COLUMNS = ("memberId", "Email", "points", "balance", "updated_at")


def _product(
    tmp_path: Path,
    load: str,
    *,
    name: str | None = None,
    key: bool = True,
    threshold: float = 0.5,
    partition_by: str = "",
    columns: str = COLUMNS,
) -> DataProduct:
    name = name or f"it_members_{load}_{uuid.uuid4().hex[:8]}"
    extra = "key: [member_id], " if key else ""
    # version_by only means something where a key's versions compete (the validator refuses it elsewhere)
    extra += "version_by: updated_at, " if key and load in ("upsert", "scd2") else ""
    extra += f"partition_by: [{partition_by}], " if partition_by else ""
    text = product_yaml(
        name,
        description="Loyalty members, for the standardization test.",
        owner="marketing/loyalty/#loyalty-data",
        source="files: {uri: ./drops/, format: csv}",
        load=f"{{type: {load}, {extra}reject_threshold: {threshold}}}",
        schema=columns,
    )
    return write_product(tmp_path, text, name, own_folder=True)


def _land_raw(spark, product: DataProduct, rows: list[tuple], source_file: str, first_row: int = 1) -> None:
    """Append rows to the raw table as file landing would (all values as text, source names as-is,
    each row numbered in its file from `first_row`: the same file and row is the same source record)."""
    raw = f"raw.{product.name}"
    spark.sql("create namespace if not exists raw")
    columns = ", ".join(f"{c} string" for c in RAW_COLUMNS)
    spark.sql(
        f"create table if not exists {raw} ({columns}, _source_file string, _source_row bigint, "
        "_ingested_at timestamp) using iceberg"
    )
    if not rows:  # an empty landing: a snapshot that adds nothing
        spark.sql(f"insert into {raw} select * from {raw} where false")
        return
    values = ", ".join(
        "("
        + ", ".join("null" if v is None else f"'{v}'" for v in row)
        + f", '{source_file}', {number}, current_timestamp())"
        for number, row in enumerate(rows, start=first_row)
    )
    spark.sql(f"insert into {raw} values {values}")


def _standardize(
    product: DataProduct, instance: dg.DagsterInstance | None = None
) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        standardize_assets([product], get_settings()),
        resources={"spark": SparkJobRunner(spark_remote=get_settings().spark_remote)},
        raise_on_error=False,
        instance=instance,
    )


def _metadata(result: dg.ExecuteInProcessResult) -> dict[str, object]:
    (event,) = result.get_asset_materialization_events()
    return {k: v.value for k, v in event.materialization.metadata.items()}


def _audit(result: dg.ExecuteInProcessResult):
    (audit,) = result.get_asset_check_evaluations()
    return audit


def _snapshot(spark, product: DataProduct) -> int:
    return spark.sql(
        f"select snapshot_id from std.{product.name}.history order by made_current_at desc"
    ).first()[0]


def _rows(spark, product: DataProduct) -> dict[str, tuple]:
    return {
        r["member_id"]: (r["email"], r["points"], r["balance"], r["updated_at"])
        for r in spark.table(f"std.{product.name}").collect()
    }


def _all_rows(spark, table: str) -> Counter:
    """Every row of `table` with every column (the platform's own included), as a multiset."""
    return Counter(tuple(r) for r in spark.table(table).collect())


def _counts(result: dg.ExecuteInProcessResult) -> tuple[int, int, int]:
    """(rows inserted, updated, deleted) as the run's metadata reports them."""
    metadata = _metadata(result)
    return metadata["rows_inserted"], metadata["rows_updated"], metadata["rows_deleted"]


def _hmac(value: str) -> str:
    return hmac.new(pii_key(get_settings()).encode(), value.encode(), hashlib.sha256).hexdigest()


def _ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.cluster
def test_upsert_types_rejects_pii_late_versions_and_reruns(tmp_path: Path, spark) -> None:
    product = _product(tmp_path, "upsert")
    _land_raw(
        spark,
        product,
        [
            ("m1", "ada@example.com", "10", "1.50", "2026-11-01T10:00:00Z"),
            ("m1", "ada@example.com", "20", "2.50", "2026-11-03T10:00:00Z"),  # newer version, same batch
            ("m1", "ada@example.com", "20", "2.50", "2026-11-03T10:00:00Z"),  # exact duplicate
            ("m2", "bo@example.com", "oops", "3.00", "2026-11-01T10:00:00Z"),  # not an int: rejected
            ("m3", "cy@example.com", "5", "0.10", "2026-11-02T12:00:00+02:00"),  # offset -> UTC
        ],
        "drop-1.csv",
    )
    first = _standardize(product)
    assert first.success
    assert _rows(spark, product) == {
        "m1": (_hmac("ada@example.com"), 20, Decimal("2.50"), _ts("2026-11-03T10:00:00")),
        "m3": (_hmac("cy@example.com"), 5, Decimal("0.10"), _ts("2026-11-02T10:00:00")),
    }
    (reject,) = spark.table(f"std.{product.name}__rejects").collect()
    assert "points: value 'oops' is not a INT" in reject["reason"]
    assert "bo@example.com" not in (reject["record"] or "")  # no clear PII outside raw, rejects included
    audit = _audit(first)
    assert audit.check_name == "audits" and audit.passed
    assert {"contract_schema", "key_not_null", "key_unique", "reject_share"} <= set(audit.metadata)
    metadata = _metadata(first)
    assert (metadata["rows_inserted"], metadata["rows_updated"], metadata["rows_rejected"]) == (2, 0, 1)
    assert metadata["raw_rows_read"] == 5
    lineage = metadata["dagster/column_lineage"].deps_by_column
    assert [(d.asset_key.path, d.column_name) for d in lineage["member_id"]] == [
        (["raw", product.name], "memberId")
    ]
    described = {c.name: c.description for c in metadata["dagster/column_schema"].columns}
    assert described["member_id"] == "The member's id in the loyalty system."

    # A rerun reads nothing new and changes nothing.
    snapshot = _snapshot(spark, product)
    assert _standardize(product).success
    assert _snapshot(spark, product) == snapshot

    # A late, older version never overwrites; a newer one updates; a new key inserts; only new raw is read.
    _land_raw(
        spark,
        product,
        [
            ("m1", "old@example.com", "1", "0.01", "2026-10-01T10:00:00Z"),
            ("m3", "cy@example.com", "6", "0.20", "2026-11-04T10:00:00Z"),
            ("m4", "di@example.com", "7", "0.30", "2026-11-04T10:00:00Z"),
        ],
        "drop-2.csv",
    )
    third = _standardize(product)
    assert third.success
    metadata = _metadata(third)
    assert metadata["raw_rows_read"] == 3
    assert (metadata["rows_inserted"], metadata["rows_updated"]) == (1, 1)
    assert metadata["dagster/row_count"] == spark.table(f"std.{product.name}").count() == 3
    assert {k: v[1] for k, v in _rows(spark, product).items()} == {"m1": 20, "m3": 6, "m4": 7}


def _changes(spark, product: DataProduct) -> list[tuple]:
    """The change stream as (member_id, points, updated_at), in version order."""
    return sorted(
        (r["member_id"], r["points"], r["updated_at"])
        for r in spark.table(f"std.{product.name}__changes").collect()
    )


def _rollback(spark, table: str, snapshot: int) -> None:
    spark.sql(f"CALL spark_catalog.system.rollback_to_snapshot('{table}', {snapshot})")


def test_upsert_change_stream_keeps_every_version_once(tmp_path: Path, spark) -> None:
    product = _product(tmp_path, "upsert")
    changes = f"std.{product.name}__changes"
    t = {d: f"2026-11-0{d}T10:00:00Z" for d in range(1, 6)}
    _land_raw(
        spark,
        product,
        [
            ("m1", "ada@example.com", "1", "1.00", t[1]),  # A
            ("m1", "ada@example.com", "2", "1.00", t[2]),  # B
            ("m1", "ada@example.com", "1", "1.00", t[3]),  # A again: A -> B -> A in one batch
            ("m1", "ada@example.com", "1", "1.00", t[3]),  # exact duplicate of the same source row
            ("m2", "bo@example.com", "5", "1.00", t[1]),
            ("m3", "cy@example.com", "oops", "1.00", t[1]),  # rejected: not in the change stream
        ],
        "drop-1.csv",
    )
    first = _standardize(product)
    assert first.success and _metadata(first)["changes_appended"] == 4
    assert _metadata(first)["changes_table"] == changes
    assert {k: v[1] for k, v in _rows(spark, product).items()} == {"m1": 1, "m2": 5}
    batch_1 = [
        ("m1", 1, _ts(t[1][:-1])),
        ("m1", 1, _ts(t[3][:-1])),
        ("m1", 2, _ts(t[2][:-1])),
        ("m2", 5, _ts(t[1][:-1])),
    ]
    assert _changes(spark, product) == batch_1
    stream = spark.table(changes)
    assert {r["email"] for r in stream.collect()} == {_hmac("ada@example.com"), _hmac("bo@example.com")}
    assert [f.name for f in stream.schema.fields][-2:] == ["_source_id", "_loaded_at"]
    # The version std published is the change stream's row of that version, stamped alike.
    (published,) = spark.table(f"std.{product.name}").where("member_id = 'm1'").collect()
    (latest,) = stream.where(f"member_id = 'm1' and updated_at = '{t[3][:-1]}'").collect()
    assert (published["_source_id"], published["_loaded_at"]) == (latest["_source_id"], latest["_loaded_at"])

    # A rerun of the same raw snapshot range appends nothing.
    after_first = _snapshot_of(spark, changes)
    assert _standardize(product).success and _snapshot_of(spark, changes) == after_first

    # A second batch: a newer version and a late older one (std keeps m2's newer row; the stream has both).
    _land_raw(
        spark,
        product,
        [("m1", "ada@example.com", "3", "1.00", t[4]), ("m2", "bo@example.com", "4", "1.00", "2026-10-01")],
        "drop-2.csv",
    )
    std_before_2 = _snapshot(spark, product)
    assert _standardize(product).success
    assert {k: v[1] for k, v in _rows(spark, product).items()} == {"m1": 3, "m2": 5}
    every_version = sorted([*batch_1, ("m1", 3, _ts(t[4][:-1])), ("m2", 4, datetime(2026, 10, 1))])
    assert _changes(spark, product) == every_version

    # Stopped after publishing std, before appending the change stream: the next run appends it, once.
    _rollback(spark, changes, after_first)
    assert _changes(spark, product) == batch_1
    assert _standardize(product).success and _changes(spark, product) == every_version
    # std re-read a range the change stream already records: nothing is appended twice.
    _rollback(spark, f"std.{product.name}", std_before_2)
    assert _standardize(product).success
    assert _changes(spark, product) == every_version
    assert {k: v[1] for k, v in _rows(spark, product).items()} == {"m1": 3, "m2": 5}

    # A failed audit publishes neither std nor the change stream, retried or not.
    before = _snapshot_of(spark, changes)
    _land_raw(
        spark,
        product,
        [("m1", "ada@example.com", "x", "1.00", t[5]), ("m4", "di@example.com", "y", "z", "bad")],
        "drop-3.csv",
    )
    assert not _standardize(product).success and not _standardize(product).success
    assert _snapshot_of(spark, changes) == before and _changes(spark, product) == every_version


def _snapshot_of(spark, table: str) -> int:
    return spark.sql(f"select snapshot_id from {table}.history order by made_current_at desc").first()[0]


def test_append_keeps_identical_rows_and_does_not_duplicate_replays(tmp_path: Path, spark) -> None:
    product = _product(tmp_path, "append")
    row = ("m1", "a@example.com", "1", "1.00", "2026-11-01T10:00:00Z")
    _land_raw(
        spark, product, [row, row, ("m2", "b@example.com", "2", "2.00", "2026-11-01T10:00:00Z")], "drop-1.csv"
    )
    first = _standardize(product)
    # Two identical rows of one file are two records (a bill's identical line items both count).
    assert first.success and _metadata(first)["rows_inserted"] == 3
    _land_raw(spark, product, [row], "drop-1.csv")  # the same source row (file and row 1) delivered again
    _land_raw(spark, product, [("m1", "a@example.com", "3", "1.00", "2026-11-02T10:00:00Z")], "drop-2.csv")
    result = _standardize(product)
    assert result.success and _metadata(result)["rows_inserted"] == 1
    assert sorted((r["member_id"], r["points"]) for r in spark.table(f"std.{product.name}").collect()) == [
        ("m1", 1),
        ("m1", 1),
        ("m1", 3),
        ("m2", 2),
    ]
    assert sorted(r["_source_id"] for r in spark.table(f"std.{product.name}").collect()) == [
        "drop-1.csv#000000000001",
        "drop-1.csv#000000000002",
        "drop-1.csv#000000000003",
        "drop-2.csv#000000000001",
    ]
    snapshot = _snapshot(spark, product)
    assert _standardize(product).success and _snapshot(spark, product) == snapshot


def test_full_replaces_the_table_with_the_latest_complete_load(tmp_path: Path, spark) -> None:
    product = _product(tmp_path, "full")
    _land_raw(
        spark,
        product,
        [(f"m{i}", f"u{i}@example.com", str(i), "1.00", "2026-11-01T10:00:00Z") for i in range(3)],
        "full-1.csv",
    )
    assert _standardize(product).success
    assert sorted(_rows(spark, product)) == ["m0", "m1", "m2"]
    _land_raw(
        spark,
        product,
        [
            ("m1", "u1@example.com", "10", "1.00", "2026-11-02T10:00:00Z"),
            ("m5", "u5@example.com", "5", "5.00", "2026-11-02T10:00:00Z"),
        ],
        "full-2.csv",
    )
    second = _standardize(product)
    assert second.success
    assert {k: v[1] for k, v in _rows(spark, product).items()} == {"m1": 10, "m5": 5}
    assert _counts(second) == (1, 1, 2)  # m5 inserted, m1 updated, m0 and m2 deleted
    snapshot = _snapshot(spark, product)
    assert _standardize(product).success and _snapshot(spark, product) == snapshot

    # A full load whose key repeats breaks key_unique: not published, the previous load stays.
    _land_raw(
        spark,
        product,
        [
            ("m7", "a@example.com", "1", "1.00", "2026-11-03T10:00:00Z"),
            ("m7", "b@example.com", "2", "1.00", "2026-11-03T10:00:00Z"),
        ],
        "full-3.csv",
    )
    failed = _standardize(product)
    assert not failed.success
    assert _audit(failed).metadata["failed"].value == "key_unique"
    assert _snapshot(spark, product) == snapshot


LOAD_TYPES = ("append", "full", "upsert", "scd2")


@pytest.mark.parametrize("load", LOAD_TYPES)
def test_an_empty_landing_publishes_nothing_new(tmp_path: Path, spark, load: str) -> None:
    product = _product(tmp_path, load)
    table, raw = f"std.{product.name}", f"raw.{product.name}"
    tables = [table, f"{table}__changes"] if load == "upsert" else [table]
    first = [(f"m{i}", f"u{i}@example.com", str(i), "1.00", "2026-11-01T10:00:00Z") for i in (1, 2)]
    _land_raw(spark, product, first, "drop-1.csv")
    assert _standardize(product).success
    before = {t: (_snapshot_of(spark, t), _all_rows(spark, t)) for t in tables}
    raw_before = _snapshot_of(spark, raw)

    # A file with no rows lands: raw gets a new snapshot that adds nothing.
    _land_raw(spark, product, [], "drop-2.csv")
    (empty,) = spark.sql(
        f"select snapshot_id, summary from {raw}.snapshots order by committed_at desc limit 1"
    ).collect()
    assert empty["snapshot_id"] != raw_before and int(empty["summary"].get("added-records", 0)) == 0
    result = _standardize(product)
    assert result.success and _metadata(result)["raw_rows_read"] == 0
    assert {t: (_snapshot_of(spark, t), _all_rows(spark, t)) for t in tables} == before

    # The next landing is read from where the last published run stopped, the empty snapshot included.
    _land_raw(spark, product, [("m3", "c@example.com", "3", "3.00", "2026-11-02T10:00:00Z")], "drop-3.csv")
    result = _standardize(product)
    assert result.success and _metadata(result)["raw_rows_read"] == 1
    expected = ["m3"] if load == "full" else ["m1", "m2", "m3"]
    assert sorted(r["member_id"] for r in spark.table(table).collect()) == expected


def test_upsert_replays_and_new_keys_leave_published_rows_as_they_were(tmp_path: Path, spark) -> None:
    product = _product(tmp_path, "upsert")
    table = f"std.{product.name}"
    drop_1 = [
        ("m1", "a@example.com", "1", "1.00", "2026-11-01T10:00:00Z"),
        ("m2", "b@example.com", "2", "2.00", "2026-11-01T10:00:00Z"),
    ]
    drop_2 = [("m1", "a@example.com", "3", "1.00", "2026-11-02T10:00:00Z")]
    _land_raw(spark, product, drop_1, "drop-1.csv")
    _land_raw(spark, product, drop_2, "drop-2.csv")
    assert _standardize(product).success
    before = _all_rows(spark, table)
    assert {k: v[1] for k, v in _rows(spark, product).items()} == {"m1": 3, "m2": 2}

    # Both files dropped again (a replayed batch; m1's older version among it): std does not change.
    _land_raw(spark, product, drop_1, "drop-1.csv")
    _land_raw(spark, product, drop_2, "drop-2.csv")
    replay = _standardize(product)
    assert replay.success and _metadata(replay)["raw_rows_read"] == 3
    assert _counts(replay) == (0, 0, 0) and _all_rows(spark, table) == before

    # The same version of m1 again, from another file: the published row stays as it was.
    _land_raw(spark, product, drop_2, "drop-3.csv")
    again = _standardize(product)
    assert again.success and _counts(again) == (0, 0, 0) and _all_rows(spark, table) == before

    # A batch of new keys only: inserted, nothing updated or deleted, the existing rows untouched.
    new_rows = [(f"m{i}", f"u{i}@example.com", str(i), "1.00", "2026-11-03T10:00:00Z") for i in (3, 4)]
    _land_raw(spark, product, new_rows, "drop-4.csv")
    new_keys = _standardize(product)
    assert new_keys.success and _counts(new_keys) == (2, 0, 0)
    after = _all_rows(spark, table)
    assert Counter({r: n for r, n in after.items() if r[0] in ("m1", "m2")}) == before
    assert sorted(r[0] for r in after.elements()) == ["m1", "m2", "m3", "m4"]


def test_a_replayed_file_is_not_appended_to_the_change_stream_again(tmp_path: Path, spark) -> None:
    product = _product(tmp_path, "upsert")
    changes = f"std.{product.name}__changes"
    drop = [("m1", "a@example.com", "1", "1.00", "2026-11-01T10:00:00Z")]
    _land_raw(spark, product, drop, "drop-1.csv")
    assert _standardize(product).success
    stream = _all_rows(spark, changes)
    _land_raw(spark, product, drop, "drop-1.csv")
    replay = _standardize(product)
    assert replay.success and _all_rows(spark, changes) == stream


def test_full_reload_deletes_exactly_the_rows_it_no_longer_has(tmp_path: Path, spark) -> None:
    product = _product(tmp_path, "full")
    complete = [(f"m{i}", f"u{i}@example.com", str(i), "1.00", "2026-11-01T10:00:00Z") for i in range(3)]
    _land_raw(spark, product, complete, "full-1.csv")
    first = _standardize(product)
    assert first.success and _counts(first) == (3, 0, 0)
    before = _rows(spark, product)

    # The same complete load again (the file dropped again): the same rows, nothing deleted.
    _land_raw(spark, product, complete, "full-1.csv")
    same = _standardize(product)
    assert same.success and _counts(same) == (0, 0, 0)
    assert _rows(spark, product) == before

    # A complete load without m0 deletes m0, and only m0.
    _land_raw(spark, product, complete[1:], "full-2.csv")
    fewer = _standardize(product)
    assert fewer.success and _counts(fewer) == (0, 0, 1)
    assert _rows(spark, product) == {k: v for k, v in before.items() if k != "m0"}


@pytest.mark.cluster
def test_scd2_keeps_history_and_places_out_of_order_versions(tmp_path: Path, spark) -> None:
    product = _product(tmp_path, "scd2")
    t1, t2, t3, t4 = (f"2026-11-0{d}T10:00:00Z" for d in (1, 2, 3, 4))
    _land_raw(
        spark,
        product,
        [
            ("m1", "a@example.com", "1", "1.00", t1),
            ("m1", "a@example.com", "3", "1.00", t3),
            ("m2", "b@example.com", "9", "9.00", t1),
        ],
        "drop-1.csv",
    )
    assert _standardize(product).success
    # Out of order (t2 arrives after t3), a newer version t4, and a replay of t1.
    _land_raw(
        spark,
        product,
        [
            ("m1", "a@example.com", "2", "1.00", t2),
            ("m1", "a@example.com", "4", "1.00", t4),
            ("m1", "a@example.com", "1", "1.00", t1),
        ],
        "drop-2.csv",
    )
    second = _standardize(product)
    assert second.success
    metadata = _metadata(second)
    # t2 and t4 inserted; t1 now closes at t2 (not t3), t3 closes at t4.
    assert (metadata["rows_inserted"], metadata["rows_updated"]) == (2, 2)
    history = sorted(
        (r["member_id"], r["points"], r["valid_from"], r["valid_to"], r["is_current"])
        for r in spark.table(f"std.{product.name}").collect()
    )
    d = {t: _ts(t.replace("Z", "")) for t in (t1, t2, t3, t4)}
    assert history == [
        ("m1", 1, d[t1], d[t2], False),
        ("m1", 2, d[t2], d[t3], False),
        ("m1", 3, d[t3], d[t4], False),
        ("m1", 4, d[t4], None, True),
        ("m2", 9, d[t1], None, True),
    ]
    snapshot = _snapshot(spark, product)
    assert _standardize(product).success and _snapshot(spark, product) == snapshot


def test_failed_audit_leaves_the_published_table_unchanged(tmp_path: Path, spark) -> None:
    product = _product(tmp_path, "upsert")
    _land_raw(spark, product, [("m1", "a@example.com", "1", "1.00", "2026-11-01T10:00:00Z")], "drop-1.csv")
    assert _standardize(product).success
    before, snapshot = _rows(spark, product), _snapshot(spark, product)
    # Most rows of the next batch cannot be cast: the reject share (threshold 50%) fails the audit.
    _land_raw(
        spark,
        product,
        [
            ("m1", "a@example.com", "x", "1.00", "2026-11-05T10:00:00Z"),
            ("m2", "b@example.com", "y", "z", "bad"),
        ],
        "drop-2.csv",
    )
    result = _standardize(product)
    assert not result.success
    audit = _audit(result)
    assert not audit.passed and audit.metadata["failed"].value == "reject_share"
    assert _rows(spark, product) == before and _snapshot(spark, product) == snapshot
    # Retrying the same batch does not repeat its rejects.
    assert not _standardize(product).success
    assert spark.table(f"std.{product.name}__rejects").count() == 2


def test_with_no_rejects_allowed_one_bad_row_blocks_publishing_and_is_shown(tmp_path: Path, spark) -> None:
    # What a bill needs: a cost row that cannot be typed is never left out of the published totals.
    product = _product(tmp_path, "append", key=False, threshold=0)
    good = [("m1", "a@example.com", str(n), "1.00", "2026-11-01T10:00:00Z") for n in range(999)]
    bad = ("m2", "b@example.com", "2", "twelve", "2026-11-01T10:00:00Z")
    _land_raw(spark, product, [*good, bad], "bill.csv")
    result = _standardize(product)
    assert not result.success
    audit = _audit(result)
    assert audit.metadata["failed"].value == "reject_share"
    detail = audit.metadata["reject_share"].value
    assert detail.startswith("FAIL: 1 of 1000 rows rejected (0.10%; threshold 0.00%)")
    assert "bill.csv#000000001000: balance: value 'twelve' is not a DECIMAL(10,2)" in detail
    assert f"std.{product.name}__rejects" in detail
    assert spark.table(f"std.{product.name}").count() == 0  # nothing of the batch published


def test_a_null_key_is_not_published(tmp_path: Path, spark) -> None:
    columns = COLUMNS.replace(
        "{name: member_id, type: string, required: true,", "{name: member_id, type: string,"
    )
    product = _product(tmp_path, "upsert", columns=columns)
    _land_raw(spark, product, [("m1", "a@example.com", "1", "1.00", "2026-11-01T10:00:00Z")], "drop-1.csv")
    assert _standardize(product).success
    snapshot = _snapshot(spark, product)
    _land_raw(spark, product, [(None, "b@example.com", "1", "1.00", "2026-11-02T10:00:00Z")], "drop-2.csv")
    result = _standardize(product)
    assert not result.success and _audit(result).metadata["failed"].value == "key_not_null"
    assert _snapshot(spark, product) == snapshot


def test_partition_by_applies_iceberg_transforms(tmp_path: Path, spark) -> None:
    product = _product(tmp_path, "upsert", partition_by='"day(updated_at)", "bucket(4, member_id)", points')
    _land_raw(
        spark,
        product,
        [
            ("m1", "a@example.com", "1", "1.00", "2026-11-01T10:00:00Z"),
            ("m2", "b@example.com", "1", "1.00", "2026-11-02T10:00:00Z"),
        ],
        "drop-1.csv",
    )
    result = _standardize(product)
    assert result.success
    fields = {
        r["partition"].asDict()["updated_at_day"]
        for r in spark.table(f"std.{product.name}.partitions").collect()
    }
    assert {str(f) for f in fields} == {"2026-11-01", "2026-11-02"}
    spec = spark.sql(f"describe table extended std.{product.name}").collect()
    partitioning = [r["data_type"] for r in spec if r["col_name"].startswith("Part ")]
    assert partitioning == ["days(updated_at)", "bucket(4, member_id)", "points"]
    assert _metadata(result)["partitions_touched"] == 2


def test_schema_evolution_adds_and_widens_but_refuses_narrowing_and_removal(tmp_path: Path, spark) -> None:
    name = f"it_members_evolve_{uuid.uuid4().hex[:8]}"
    product = _product(tmp_path, "upsert", name=name)
    _land_raw(spark, product, [("m1", "a@example.com", "1", "1.00", "2026-11-01T10:00:00Z")], "drop-1.csv")
    assert _standardize(product).success

    widened = COLUMNS.replace("type: int}", "type: bigint}").replace("decimal(10,2)", "decimal(12,2)")
    widened = widened.replace(
        "  - {name: points", "  - {name: tier, type: string, description: Loyalty tier.}\n  - {name: points"
    )
    _land_raw(spark, product, [("m2", "b@example.com", "2", "2.00", "2026-11-02T10:00:00Z")], "drop-2.csv")
    result = _standardize(_product(tmp_path, "upsert", name=name, columns=widened))
    assert result.success
    schema = {f.name: f.dataType.simpleString() for f in spark.table(f"std.{name}").schema.fields}
    assert (schema["tier"], schema["points"], schema["balance"]) == ("string", "bigint", "decimal(12,2)")
    assert list(schema)[:6] == ["member_id", "email", "tier", "points", "balance", "updated_at"]
    assert {r["member_id"]: r["tier"] for r in spark.table(f"std.{name}").collect()} == {
        "m1": None,
        "m2": None,
    }
    assert "ADD COLUMN `tier`" in _metadata(result)["schema_changes"]

    snapshot = _snapshot(spark, product)
    narrowed = widened.replace("type: bigint}", "type: int}")
    refused = _failure(_product(tmp_path, "upsert", name=name, columns=narrowed))
    assert "column 'points' changes type from bigint to int" in refused
    removed = "\n".join(line for line in widened.splitlines() if "name: balance" not in line) + "\n"
    refused = _failure(_product(tmp_path, "upsert", name=name, columns=removed))
    assert "column 'balance' is published" in refused
    assert _snapshot(spark, product) == snapshot


def _failure(product: DataProduct) -> str:
    """Run and return what the failed run logged: the job's error reaches Dagster through Pipes."""
    with dg.DagsterInstance.ephemeral() as instance:
        result = _standardize(product, instance)
        assert not result.success
        return "\n".join(entry.user_message for entry in instance.all_logs(result.run_id))


NESTED_COLUMNS = """\
  - {name: member_id, type: string, required: true}
  - {name: address, type: "struct<street:string,zip:int>"}
  - {name: scores, type: "array<int>"}
  - {name: updated_at, type: timestamp, required: true}
"""


def test_nested_types_cast_leaf_by_leaf_and_a_failed_leaf_is_rejected(tmp_path: Path, spark) -> None:
    product = _product(tmp_path, "upsert", columns=NESTED_COLUMNS, threshold=0.9)
    raw = f"raw.{product.name}"
    spark.sql("create namespace if not exists raw")
    spark.sql(
        f"create table {raw} (member_id string, address struct<street:string,zip:string>, "
        "scores array<string>, updated_at string, _source_file string, _ingested_at timestamp) using iceberg"
    )
    spark.sql(
        f"insert into {raw} values "
        "('m1', named_struct('street', 'Main St 1', 'zip', '10115'), array('1', '2'), "
        "'2026-11-01T10:00:00Z', 'd.json', current_timestamp()), "
        "('m2', named_struct('street', 'Side St 2', 'zip', 'abc'), array('3'), "
        "'2026-11-01T10:00:00Z', 'd.json', current_timestamp()), "
        "('m3', named_struct('street', 'Back St 3', 'zip', null), array('4', 'x'), "
        "'2026-11-01T10:00:00Z', 'd.json', current_timestamp())"
    )
    assert _standardize(product).success
    (row,) = spark.table(f"std.{product.name}").collect()
    assert (row["member_id"], row["address"].asDict(), row["scores"]) == (
        "m1",
        {"street": "Main St 1", "zip": 10115},
        [1, 2],
    )
    reasons = {r["_source_id"]: r["reason"] for r in spark.table(f"std.{product.name}__rejects").collect()}
    assert sorted(reasons.values()) == [
        'address: value \'{"street":"Side St 2","zip":"abc"}\' is not a STRUCT<street: STRING, zip: INT>',
        'scores: value \'["4","x"]\' is not a ARRAY<INT>',
    ]
