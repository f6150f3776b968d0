"""The typed seam between assets and jobs: inputs survive the trip through Pipes extras, bad extras
are refused by name, and metadata is translated the same way on both sides."""

from __future__ import annotations

import json
from dataclasses import asdict

import dagster as dg
import pytest
from repo_root import PROJECT_ROOT

from tardis_dagster.core import naming
from tardis_dagster.core.jobs_io import (
    AuditResult,
    ContractColumn,
    JobInputError,
    KafkaLandingInput,
    KafkaLandingResult,
    LoadPolicy,
    QualityChecksInput,
    RuleSQL,
    StandardizeInput,
    StandardizeResult,
    from_extras,
    to_extras,
)
from tardis_dagster.core.metadata import ColumnDep, Entry, SchemaColumn
from tardis_dagster.core.settings import get_settings, pii_key
from tardis_dagster.core.specs import load_catalog
from tardis_dagster.defs.landing.files import landing_input as files_input
from tardis_dagster.defs.quality.checks import quality_input
from tardis_dagster.defs.standardize.assets import standardize_input
from tardis_dagster.jobs.reporting import pipes_metadata
from tardis_dagster.lib.metadata import dagster_metadata


@pytest.fixture(scope="module")
def catalog():
    return load_catalog([PROJECT_ROOT / "product_specs"])


def _through_pipes(model):
    """What the job sees: the extras as JSON text and back, as Pipes carries them."""
    return json.loads(json.dumps(to_extras(model)))


def test_every_demo_products_job_inputs_survive_the_trip_to_the_job(catalog) -> None:
    inputs = []
    for product in catalog.products:
        if product.source.kind in ("kafka", "files"):
            inputs.append(standardize_input(product))
        if product.source.kind == "files":
            inputs.append(files_input(product))
        if product.quality:
            inputs.append(quality_input(product, catalog))
    assert {type(i).__name__ for i in inputs} >= {
        "StandardizeInput",
        "FilesLandingInput",
        "QualityChecksInput",
    }
    for job_input in inputs:
        assert from_extras(type(job_input), _through_pipes(job_input)) == job_input


def test_pii_travels_from_the_spec_column_to_the_job_input(catalog) -> None:
    product = next(p for p in catalog.products if any(c.pii for c in p.schema_) and p.source.kind != "sql")
    job = from_extras(StandardizeInput, _through_pipes(standardize_input(product)))
    assert job.has_pii
    assert {c.name for c in job.columns if c.pii} == {c.name for c in product.schema_ if c.pii}
    # The job gets the key's name; the key itself travels only in the job's environment.
    assert job.pii_key_env == "TARDIS_PII_KEY"
    assert pii_key(get_settings()) not in json.dumps(to_extras(job))


def test_unknown_missing_and_mistyped_fields_are_refused_by_name() -> None:
    good = _through_pipes(
        QualityChecksInput(
            table="std.x",
            asset_key="std/x",
            rules=[RuleSQL("r", "row_count", "ERROR", "aggregate", "SELECT 1", None, "d")],
        )
    )
    with pytest.raises(JobInputError, match=r"unknown field\(s\) surprise"):
        from_extras(QualityChecksInput, {**good, "surprise": 1})
    with pytest.raises(JobInputError, match="missing field table"):
        from_extras(QualityChecksInput, {k: v for k, v in good.items() if k != "table"})
    with pytest.raises(JobInputError, match=r"rules\[0\]\.severity"):
        from_extras(QualityChecksInput, {**good, "rules": [{**good["rules"][0], "severity": "FATAL"}]})
    with pytest.raises(JobInputError, match="expected int"):
        from_extras(KafkaLandingInput, {**_kafka_input(), "min_partitions": "eight"})


def _kafka_input() -> dict:
    return to_extras(
        KafkaLandingInput(
            product="p",
            asset_key="raw/p",
            topic="t",
            bootstrap="127.0.0.1:9092",
            format="json",
            table="raw.p",
            quarantine_table="raw.p__quarantine",
            payload_ddl="a STRING",
            quarantine_threshold=0.01,
            min_partitions=8,
        )
    )


def test_load_policy_names_the_audits_it_runs() -> None:
    assert LoadPolicy("append").audit_names == ["contract_schema", "reject_share"]
    assert LoadPolicy("append", key=["id"]).audit_names == ["contract_schema", "key_not_null", "reject_share"]
    assert LoadPolicy("upsert", key=["id"]).audit_names == [
        "contract_schema",
        "key_not_null",
        "key_unique",
        "reject_share",
    ]


def test_a_kafka_result_comes_back_from_a_stream_line_as_it_was_sent() -> None:
    result = KafkaLandingResult(
        table="raw.p",
        topic="t",
        quarantine_table="raw.p__quarantine",
        row_count=5,
        columns=[SchemaColumn("value", "binary", nullable=False)],
        records_landed=4,
        bytes_landed=40,
        records_quarantined=1,
        start_offsets={"0": 0},
        end_offsets={"0": 5},
        lag={"0": 2},
        snapshot_id=7,
        stream_id="stream-1",
    )
    assert from_extras(KafkaLandingResult, json.loads(json.dumps(asdict(result)))) == result
    assert result.consumer_lag == 2 and result.quarantined_share == pytest.approx(0.2)
    assert result.metadata()[KafkaLandingResult.END_OFFSETS] == Entry.json({"0": 5})


def _standardize_result() -> StandardizeResult:
    return StandardizeResult(
        table="std.p",
        audits=[AuditResult("contract_schema", True, "ok"), AuditResult("reject_share", False, "3 of 4")],
        published=True,
        raw_snapshot_from=1,
        raw_snapshot_to=2,
        inserted=3,
        row_count=3,
        columns=[SchemaColumn("id", "string", "The id.", nullable=False)],
        lineage={"id": [ColumnDep(["raw", "p"], "payload.id")]},
        snapshot_id=9,
    )


def test_metadata_reaches_pipes_in_the_shape_pipes_defines() -> None:
    result = _standardize_result()
    assert result.failed_audits == ["reject_share"]
    pipes = pipes_metadata(result.metadata())
    assert pipes["rows_inserted"] == {"type": "int", "raw_value": 3}
    assert pipes["dagster/column_schema"] == {
        "type": "table_schema",
        "raw_value": {
            "columns": [
                {"name": "id", "type": "string", "description": "The id.", "constraints": {"nullable": False}}
            ]
        },
    }
    assert pipes["dagster/column_lineage"]["raw_value"] == {
        "deps_by_column": {"id": [{"asset_key": ["raw", "p"], "column_name": "payload.id"}]}
    }
    assert pipes_metadata(result.audit_metadata())["failed"] == {"type": "text", "raw_value": "reject_share"}


def test_metadata_reaches_dagster_as_its_own_values() -> None:
    values = dagster_metadata(_standardize_result().metadata())
    schema = values["dagster/column_schema"].value
    assert isinstance(schema, dg.TableSchema) and schema.columns[0].constraints.nullable is False
    lineage = values["dagster/column_lineage"].value
    assert lineage.deps_by_column["id"] == [dg.TableColumnDep(dg.AssetKey(["raw", "p"]), "payload.id")]
    assert values["rows_inserted"] == dg.MetadataValue.int(3)
    assert values["phase_seconds"] == dg.MetadataValue.json({})


def test_naming_rules() -> None:
    assert naming.quarantine_table("orders") == "raw.orders__quarantine"
    assert naming.rejects_table("orders") == "std.orders__rejects"
    assert naming.changes_table("orders", "upsert") == "std.orders__changes"
    assert naming.changes_table("orders", "scd2") is None
    assert naming.published_table("totals", "sql") == "mart.totals"
    assert naming.published_table("orders", "kafka") == "std.orders"
    assert naming.asset_string(naming.RAW, "orders") == "raw/orders"
    assert naming.product_of("orders__changes") == naming.std_table_of("orders__changes") == "orders"
    assert naming.product_of("orders__quarantine") == "orders"
    assert naming.std_table_of("orders__quarantine") == "orders__quarantine"
    assert naming.vault_table("satellite", "order_state") == "sat_order_state"
    assert naming.spark_job_tag("r1", "a,b") == "tardis-r1-a_b"


def test_contract_columns_carry_spark_types(catalog) -> None:
    job = standardize_input(
        catalog.by_name(next(p.name for p in catalog.products if p.source.kind == "kafka"))
    )
    assert all(isinstance(c, ContractColumn) and c.type for c in job.columns)
    assert job.raw_asset_key == [naming.RAW, job.product] and job.table == naming.std_table(job.product)
