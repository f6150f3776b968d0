"""The data a `tardis test` run lands: the product's real topic or files when they hold data locally,
else synthetic records made from its schema (valid ones, and a few invalid ones that must be
quarantined), on a topic or in a folder of the run's own.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from tardis_dagster.core.settings import Settings
from tardis_dagster.core.specs import Column, DataProduct
from tardis_dagster.tooling.localtest import synthetic_encoded

VALID_RECORDS = 20
_EPOCH = synthetic_encoded.EPOCH


@dataclass(frozen=True)
class TestData:
    """What the run lands and where it came from."""

    __test__ = False  # not a pytest test class, whatever its name

    kind: str  # "topic" | "files" | "synthetic" | "upstream" (a SQL product reads its upstream)
    where: str  # the topic or folder landed
    valid: int | None = None  # synthetic: records made valid
    invalid: int | None = None  # synthetic: records made to be quarantined
    synthetic_topic: str | None = None  # created for the run (deleted afterwards unless --keep)

    def describe(self) -> str:
        """One line for the report."""
        if self.kind == "synthetic":
            return f"synthetic: {self.valid} valid and {self.invalid} invalid records in {self.where}"
        if self.kind == "upstream":
            return "the upstream products' data (each landed as below)"
        return f"the real {self.kind} {self.where}"


class NoTestDataError(Exception):
    """Neither real data nor a way to make synthetic records for this product."""


def topic_records(settings: Settings, topic: str) -> int:
    """Records the topic holds now (0 when it does not exist): from its partitions' watermarks."""
    consumer = Consumer(
        {"bootstrap.servers": settings.kafka_bootstrap, "group.id": f"tardis-test-probe-{uuid.uuid4().hex}"}
    )
    try:
        metadata = consumer.list_topics(topic, timeout=10)
        described = metadata.topics.get(topic)
        if described is None or described.error is not None:
            return 0
        total = 0
        from confluent_kafka import TopicPartition

        for partition in described.partitions:
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
            total += max(high - low, 0)
        return total
    except KafkaException:
        return 0
    finally:
        consumer.close()


def folder_files(product: DataProduct) -> list[Path]:
    """The local files the product's `uri` holds now (matching its pattern)."""
    files = product.source.files
    assert files is not None
    folder = Path(product.files_location())
    return sorted(p for p in folder.glob(files.glob) if p.is_file()) if folder.is_dir() else []


def prepare_data(product: DataProduct, settings: Settings, folder: Path) -> TestData:
    """Point `product` (a run's own copy) at the data to land: real when there is some, else synthetic."""
    kafka, files = product.source.kafka, product.source.files
    if kafka is not None:
        if topic_records(settings, kafka.topic) > 0:
            return TestData("topic", kafka.topic)
        if kafka.schema_ is None or kafka.registry_subject is not None:
            raise NoTestDataError(
                f"topic {kafka.topic} holds no records and synthetic records are made from a schema file "
                "for topics without a registry subject only: produce a few records to the topic, then run "
                "tardis test again"
            )
        valid, invalid = synthetic_values(product)
        topic = f"tardis-test.{uuid.uuid4().hex[:8]}.{product.name}"
        produce(settings, topic, valid + invalid)
        kafka.topic = topic  # the run's copy of the product lands the synthetic topic
        return TestData("synthetic", f"topic {topic}", len(valid), len(invalid), synthetic_topic=topic)
    if files is not None:
        if files.is_remote or folder_files(product):
            return TestData("files", product.files_location())
        drop = folder / "synthetic_files"
        drop.mkdir(parents=True, exist_ok=True)
        valid, invalid = write_files(product, drop)
        files.uri = str(drop)  # absolute: the copy reads the run's folder
        return TestData("synthetic", f"folder {drop}", valid, invalid)
    return TestData("upstream", "")


def synthetic_values(product: DataProduct) -> tuple[list[bytes], list[bytes]]:
    """(valid, invalid) Kafka values in the product's format, made from its schema file."""
    kafka = product.source.kafka
    assert kafka is not None and kafka.schema_ is not None
    path = product.resolve_path(kafka.schema_)
    rules = synthetic_encoded.column_rules(product)
    if kafka.format == "avro":
        return synthetic_encoded.avro_records(path, VALID_RECORDS, rules)
    if kafka.format == "protobuf":
        assert kafka.message is not None  # validation requires it for protobuf
        return synthetic_encoded.protobuf_records(path, kafka.message, VALID_RECORDS, rules)
    schema = json.loads(path.read_text(encoding="utf-8"))
    return [json.dumps(r).encode() for r in json_records(schema, VALID_RECORDS)], invalid_json_records(schema)


def produce(settings: Settings, topic: str, values: list[bytes]) -> None:
    """Create `topic` (one partition) and produce `values` to it."""
    admin = AdminClient({"bootstrap.servers": settings.kafka_bootstrap})
    admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])[topic].result(timeout=30)
    producer = Producer({"bootstrap.servers": settings.kafka_bootstrap})
    for value in values:
        producer.produce(topic, value)
    if producer.flush(30) != 0:
        raise NoTestDataError(f"could not produce the synthetic records to {topic}")


def delete_topic(settings: Settings, topic: str) -> None:
    """Delete a synthetic topic of the run."""
    admin = AdminClient({"bootstrap.servers": settings.kafka_bootstrap})
    admin.delete_topics([topic])[topic].result(timeout=30)


# --- JSON records from a JSON Schema -------------------------------------------------------------


def json_records(schema: dict[str, Any], count: int) -> list[dict[str, Any]]:
    """`count` records valid under a flat event schema, each value distinct per record (keys unique)."""
    properties = schema.get("properties") or {}
    return [{name: json_value(name, prop, i) for name, prop in properties.items()} for i in range(count)]


def _types(prop: dict[str, Any]) -> list[str]:
    kind = prop.get("type", "string")
    kinds = kind if isinstance(kind, list) else [kind]
    return [k for k in kinds if k != "null"] or ["null"]


def json_value(name: str, prop: dict[str, Any], i: int) -> Any:
    """A value for property `name` of record `i`: enum members in turn, formats honoured."""
    if "const" in prop:
        return prop["const"]
    if prop.get("enum"):
        return prop["enum"][i % len(prop["enum"])]
    kind = _types(prop)[0]
    if kind == "integer":
        return max(int(prop.get("minimum", 0)), 0) + i
    if kind == "number":
        return float(max(prop.get("minimum", 0), 0)) + i + 0.5
    if kind == "boolean":
        return i % 2 == 0
    if kind == "null":
        return None
    if kind == "array":
        items = prop.get("items") or {"type": "string"}
        return [json_value(name, items, i)]
    if kind == "object":
        inner = prop.get("properties") or {}
        return {key: json_value(key, value, i) for key, value in inner.items()}
    return string_value(name, prop.get("format"), i)


def string_value(name: str, fmt: str | None, i: int) -> str:
    """A string for `name`: a date-time, date, email, or `<name>-<i>`."""
    moment = _EPOCH + timedelta(hours=i)
    if fmt == "date-time":
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    if fmt == "date":
        return moment.date().isoformat()
    if fmt == "email" or "email" in name.lower():
        return f"tester{i}@example.com"
    return f"{name}-{i}"


def invalid_json_records(schema: dict[str, Any]) -> list[bytes]:
    """Records the landing must quarantine: not JSON at all, and (when the schema requires fields) one
    missing its first required field."""
    bad = [b'{"not json": ']
    required = [r for r in schema.get("required") or [] if r in (schema.get("properties") or {})]
    if required:
        record = json_records(schema, VALID_RECORDS + 1)[-1]
        del record[required[0]]
        bad.append(json.dumps(record).encode())
    return bad


# --- files from the contract ---------------------------------------------------------------------


def column_value(column: Column, i: int) -> Any:
    """A value for contract column `column` of row `i` (text for csv/json, typed by the std layer)."""
    kind = column.data_type.name
    if kind in ("int", "bigint"):
        return i
    if kind in ("double", "decimal"):
        return i + 0.5
    if kind == "boolean":
        return i % 2 == 0
    if kind == "date":
        return (date(2026, 1, 1) + timedelta(days=i)).isoformat()
    if kind == "timestamp":
        return (_EPOCH + timedelta(hours=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return string_value(column.name, None, i)


def _row(product: DataProduct, rules: synthetic_encoded.Rules, i: int) -> dict[str, Any]:
    """Row `i` of a synthetic file: every column's value, held to `rules` (the product's value checks)."""
    return {
        c.name: rules[c.name](column_value(c, i), i) if c.name in rules else column_value(c, i)
        for c in product.schema_
    }


def write_files(product: DataProduct, drop: Path) -> tuple[int, int]:
    """Synthetic files for a files product, and invalid records that must not publish: parquet, a
    file that is no Parquet (quarantined whole); json, a line that is not JSON (quarantined by the
    landing); csv, a row whose typed column holds
    text (rejected by std), with enough valid rows to keep the reject share under the product's
    threshold (csv has no malformed rows to quarantine: Spark pads or drops tokens).

    Returns (valid rows, invalid records).
    """
    files = product.source.files
    assert files is not None
    if files.format == "parquet":
        return synthetic_encoded.write_parquet(product, drop, VALID_RECORDS)
    columns = [c.name for c in product.schema_]
    rules = synthetic_encoded.column_rules(product)
    if files.format == "json":
        rows = [_row(product, rules, i) for i in range(VALID_RECORDS)]
        (drop / "synthetic.json").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        (drop / "synthetic_bad.json").write_text('{"broken": \n', encoding="utf-8")
        return len(rows), 1
    typed = next(
        (
            c
            for c in product.schema_
            if c.data_type.name not in ("string",) and c.name not in product.load.key
        ),
        None,
    )
    threshold = product.load.reject_threshold
    invalid = 1 if typed is not None and threshold > 0 else 0
    count = max(VALID_RECORDS, int(invalid / threshold) + 1) if invalid else VALID_RECORDS
    rows = [_row(product, rules, i) for i in range(count)]
    if invalid and typed is not None:
        bad = _row(product, rules, count)
        bad[typed.name] = "not-a-value"
        rows.append(bad)
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    (drop / "synthetic.csv").write_text(text.getvalue(), encoding="utf-8")
    return count, invalid
