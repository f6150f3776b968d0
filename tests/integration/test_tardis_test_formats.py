"""`tardis test` with synthetic records in the binary formats: an Avro topic that holds no records
and a Parquet files product whose folder holds no files, each landed, standardized and checked in
namespaces of the run's own (dropped afterwards). The demo's own specs, in a copy of product_specs/."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest
from repo_root import PROJECT_ROOT
from test_tardis_test import _prefix, _rows, _tardis_test

pytestmark = pytest.mark.platform


def _tree(tmp: Path) -> Path:
    tree = tmp / "product_specs"
    shutil.copytree(PROJECT_ROOT / "product_specs", tree, ignore=shutil.ignore_patterns(".*"))
    return tree


def _replace(spec: Path, old: str, new: str) -> None:
    text = spec.read_text(encoding="utf-8")
    assert old in text, (spec, old)
    spec.write_text(text.replace(old, new), encoding="utf-8")


def test_an_avro_topic_without_records_gets_synthetic_avro(tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    _replace(
        tree / "consumer" / "customers.yaml",
        "topic: accounts.customer.v1",
        f"topic: it.absent.{uuid.uuid4().hex[:8]}",
    )
    run = _tardis_test(tree, "customers", tmp_path / "report.md")
    assert "synthetic: 20 valid and 1 invalid records" in run.output, run.output
    rows, prefix = _rows(run.report), _prefix(run.report)
    assert rows[f"{prefix}raw.customers"] == 20
    assert rows[f"{prefix}raw.customers__quarantine"] == 1  # the bytes that are no Avro
    assert rows[f"{prefix}std.customers"] == 20
    assert run.exit_code == 0, run.output


def test_a_parquet_product_without_files_gets_a_synthetic_parquet_file(tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    spec = tree / "marketing" / "loyalty_points.yaml"
    uri = next(
        line.split("uri:")[1].split(",")[0].strip()
        for line in spec.read_text().splitlines()
        if "uri:" in line
    )
    _replace(spec, uri, f"./empty-{uuid.uuid4().hex[:8]}/")
    run = _tardis_test(tree, "loyalty_points", tmp_path / "report.md")
    assert "synthetic: 20 valid and 1 invalid records" in run.output, run.output
    rows, prefix = _rows(run.report), _prefix(run.report)
    assert rows[f"{prefix}raw.loyalty_points"] == 20
    assert rows[f"{prefix}raw.loyalty_points__quarantine"] == 1  # the file that is no Parquet
    assert rows[f"{prefix}std.loyalty_points"] == 20
    assert run.exit_code == 0, run.output
