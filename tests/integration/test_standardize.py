"""Standardized layer on the real platform: casts, rejects, PII hashing, load types, write-audit-publish."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from pathlib import Path

import dagster as dg
import pytest

from tardis_dagster.resources import SparkJobRunner
from tardis_dagster.settings import get_settings, pii_key
from tardis_dagster.specs import load_catalog
from tardis_dagster.standardize.assets import standardize_assets

pytestmark = pytest.mark.platform

SPEC = """\
apiVersion: tardis/v1
kind: DataProduct
name: {name}
version: 1.0.0
description: Loyalty members, for the standardization test.
owner: {{tribe: marketing, squad: loyalty, contact: "#loyalty-data"}}
source:
  files: {{uri: ./drops/, format: csv}}
load: {{type: {load}, key: [member_id], version_by: updated_at, reject_threshold: 0.5}}
schema:
  - {{name: member_id, type: string, required: true}}
  - {{name: email, type: string, pii: true}}
  - {{name: points, type: int}}
  - {{name: balance, type: "decimal(10,2)"}}
  - {{name: updated_at, type: timestamp, required: true}}
"""


def _product(tmp_path: Path, load: str):
    name = f"it_members_{load}_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.yaml").write_text(SPEC.format(name=name, load=load))
    catalog = load_catalog([tmp_path])
    assert not catalog.problems, [str(p) for p in catalog.problems]
    return catalog.by_name(name)


def _land_raw(spark, product, rows: list[tuple], source_file: str) -> None:
    """Append rows to the raw table as file landing would (all values as text)."""
    raw = f"raw.{product.name}"
    spark.sql(
        f"create table if not exists {raw} (memberId string, Email string, points string, balance string, "
        "updated_at string, _source_file string, _ingested_at timestamp) using iceberg"
    )
    values = ", ".join(
        "("
        + ", ".join("null" if v is None else f"'{v}'" for v in row)
        + f", '{source_file}', current_timestamp())"
        for row in rows
    )
    spark.sql(f"insert into {raw} values {values}")


def _standardize(product) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        standardize_assets([product]),
        resources={"spark": SparkJobRunner(spark_remote=get_settings().spark_remote)},
        raise_on_error=False,
    )


def _rows(spark, product) -> dict[str, tuple]:
    return {
        r["member_id"]: (r["email"], r["points"], str(r["balance"]), r["updated_at"].isoformat())
        for r in spark.table(f"std.{product.name}").collect()
    }


def _hmac(value: str) -> str:
    return hmac.new(pii_key(get_settings()).encode(), value.encode(), hashlib.sha256).hexdigest()


def test_upsert_types_rejects_pii_late_versions_and_reruns(tmp_path: Path, spark) -> None:
    product = _product(tmp_path, "upsert")
    _land_raw(
        spark,
        product,
        [
            ("m1", "ada@example.com", "10", "1.50", "2026-11-01T10:00:00Z"),
            ("m1", "ada@example.com", "20", "2.50", "2026-11-03T10:00:00Z"),  # newer version, same batch
            ("m2", "bo@example.com", "oops", "3.00", "2026-11-01T10:00:00Z"),  # not an int: rejected
            ("m3", "cy@example.com", "5", "0.10", "2026-11-02T10:00:00Z"),
        ],
        "drop-1.csv",
    )
    first = _standardize(product)
    assert first.success
    assert _rows(spark, product) == {
        "m1": (_hmac("ada@example.com"), 20, "2.50", "2026-11-03T10:00:00"),
        "m3": (_hmac("cy@example.com"), 5, "0.10", "2026-11-02T10:00:00"),
    }
    (reject,) = spark.table(f"std.{product.name}__rejects").collect()
    assert "points: value 'oops' is not a INT" in reject["reason"]
    assert "bo@example.com" not in (reject["record"] or "")  # no clear PII outside raw, rejects included
    (audit,) = first.get_asset_check_evaluations()
    assert audit.check_name == "audits" and audit.passed
    assert {"contract_schema", "key_not_null", "key_unique", "reject_share"} <= set(audit.metadata)

    # A rerun reads nothing new and changes nothing; a late, older version never overwrites.
    snapshot = spark.sql(
        f"select snapshot_id from std.{product.name}.snapshots order by committed_at desc"
    ).first()[0]
    assert _standardize(product).success
    assert (
        spark.sql(f"select snapshot_id from std.{product.name}.snapshots order by committed_at desc").first()[
            0
        ]
        == snapshot
    )
    _land_raw(spark, product, [("m1", "old@example.com", "1", "0.01", "2026-10-01T10:00:00Z")], "drop-2.csv")
    assert _standardize(product).success
    assert _rows(spark, product)["m1"][1] == 20


def test_failed_audit_leaves_the_published_table_unchanged(tmp_path: Path, spark) -> None:
    product = _product(tmp_path, "upsert")
    _land_raw(spark, product, [("m1", "a@example.com", "1", "1.00", "2026-11-01T10:00:00Z")], "drop-1.csv")
    assert _standardize(product).success
    before = _rows(spark, product)
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
    (audit,) = result.get_asset_check_evaluations()
    assert not audit.passed and audit.metadata["failed"].value == "reject_share"
    assert _rows(spark, product) == before


def test_append_does_not_duplicate_replays(tmp_path: Path, spark) -> None:
    product = _product(tmp_path, "append")
    row = ("m1", "a@example.com", "1", "1.00", "2026-11-01T10:00:00Z")
    _land_raw(
        spark, product, [row, ("m2", "b@example.com", "2", "2.00", "2026-11-01T10:00:00Z")], "drop-1.csv"
    )
    assert _standardize(product).success
    _land_raw(spark, product, [row], "drop-1.csv")  # the same source row delivered again
    assert _standardize(product).success
    assert spark.table(f"std.{product.name}").count() == 2
