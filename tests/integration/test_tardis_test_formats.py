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


def _absent_topic(spec: Path) -> None:
    _replace(spec, "topic: accounts.customer.v1", f"topic: it.absent.{uuid.uuid4().hex[:8]}")


def _empty_folder(spec: Path) -> None:
    line = next(line for line in spec.read_text().splitlines() if "uri:" in line)
    uri = line.split("uri:")[1].split(",")[0].strip()
    _replace(spec, uri, f"./empty-{uuid.uuid4().hex[:8]}/")


# (spec, point it at no data, product); the one invalid record: bytes that are no Avro, a file that is
# no Parquet
CASES = {
    "avro topic": ("consumer/customers.yaml", _absent_topic, "customers"),
    "parquet files": ("marketing/loyalty_points.yaml", _empty_folder, "loyalty_points"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_product_without_data_gets_synthetic_records_in_its_format(tmp_path: Path, case: str) -> None:
    spec, without_data, name = CASES[case]
    tree = _tree(tmp_path)
    without_data(tree / spec)
    run = _tardis_test(tree, name, tmp_path / "report.md")
    assert "synthetic: 20 valid and 1 invalid records" in run.output, run.output
    rows, prefix = _rows(run.report), _prefix(run.report)
    assert rows[f"{prefix}raw.{name}"] == 20
    assert rows[f"{prefix}raw.{name}__quarantine"] == 1
    assert rows[f"{prefix}std.{name}"] == 20
    assert run.exit_code == 0, run.output
