"""Synthetic records for `tardis test` in the binary formats, checked with the decoders the landing
uses (fastavro, protobuf with the landing's field check) and pyarrow's Parquet reader."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
from repo_root import PROJECT_ROOT

from tardis_dagster.core.formats import avro, protobuf
from tardis_dagster.core.specs import load_catalog
from tardis_dagster.tooling.localtest.sample_data import synthetic_values, write_files

CATALOG = load_catalog([PROJECT_ROOT / "product_specs"])


def test_avro_records_decode_with_the_writer_schema_and_the_invalid_one_does_not() -> None:
    product = CATALOG.by_name("customers")
    valid, invalid = synthetic_values(product)
    schema = avro.parse_schema(product.resolve_path(product.source.kafka.schema_))  # type: ignore[union-attr]
    decoded = [avro.decode(schema, value) for value in valid]
    assert len(decoded) == len(valid) >= 20
    key = next(iter(decoded[0]))
    assert len({d[key] for d in decoded}) == len(decoded)  # rows differ
    accepted = next(r.accepted_values for r in product.quality if r.accepted_values is not None)
    assert {d[accepted.column] for d in decoded} <= set(accepted.values)  # the product's own check passes
    for value in invalid:
        with pytest.raises(ValueError):
            avro.decode(schema, value)


def test_protobuf_records_carry_fields_and_the_invalid_ones_are_refused() -> None:
    product = CATALOG.by_name("subscriptions")
    kafka = product.source.kafka
    assert kafka is not None and kafka.schema_ and kafka.message
    valid, invalid = synthetic_values(product)
    descriptor_set = protobuf.compile_descriptor_set(product.resolve_path(kafka.schema_))
    messages = [protobuf.decode(descriptor_set, kafka.message, v, require_fields=True) for v in valid]
    assert all(m.ListFields() for m in messages)
    assert len({m.SerializeToString() for m in messages}) == len(messages)
    for value in invalid:  # an empty value (no field at all) and bytes that are no message
        with pytest.raises(Exception):  # noqa: B017 - the decoder's own error types differ per case
            protobuf.decode(descriptor_set, kafka.message, value, require_fields=True)


def test_parquet_files_have_the_contract_s_types_and_pass_its_value_checks(tmp_path: Path) -> None:
    product = CATALOG.by_name("loyalty_points")
    valid, invalid = write_files(product, tmp_path)
    table = pq.read_table(tmp_path / "synthetic.parquet")
    assert (table.num_rows, invalid) == (valid, 1)
    assert table.column_names == [c.name for c in product.schema_]
    types = {f.name: str(f.type) for f in table.schema}
    assert types["points"] == "int32" and types["earned_at"].startswith("timestamp[us")
    assert types["expires_on"] == "date32[day]"
    accepted = next(r.accepted_values for r in product.quality if r.accepted_values is not None)
    assert set(table.column(accepted.column).to_pylist()) <= set(accepted.values)
    with pytest.raises(Exception):  # noqa: B017 - pyarrow's error for a file that is no Parquet
        pq.read_table(tmp_path / "synthetic_bad.parquet")
