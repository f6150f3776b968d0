"""Realistic demo events on the real Kafka broker, in each kafka product's own format and schema file.

Per product the stream looks like production traffic: keyed by the product's key, several versions
of some keys for upsert/scd2 products (their `version_by` increasing, now and then an older version
arriving late), values that pass the spec's accepted-values and range rules, a small exact share of
malformed messages (garbage, truncated payloads and, for JSON, records that break the JSON Schema),
and for JSON and Protobuf a second schema version halfway through the stream.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from tardis_dagster.core.formats import avro, jsonschema, protobuf
from tardis_dagster.core.specs import DataProduct
from tardis_dagster.tooling.demo import files as demo_files

# Fields that version 2 of the demo schema files added (order.json, subscription.proto): the first
# half of a stream is written without them (version 1), the second half with them (version 2).
V2_FIELDS = ("coupon_code", "pause_reason")

PARTITIONS = 3
WINDOW_START = datetime(2026, 10, 1, tzinfo=UTC)
WINDOW = timedelta(days=50)  # first versions fall between 1 October and 20 November 2026
LATE_SHARE = 0.05  # of multi-version keys, how many get an older version delivered after a newer one

_FIRST = ["Ada", "Bo", "Chen", "Dara", "Eli", "Fatima", "Gus", "Hana", "Ivan", "Juno", "Kai", "Lea"]
_LAST = ["Smith", "Okafor", "Nguyen", "Garcia", "Müller", "Rossi", "Kowalski", "Tanaka", "Silva", "Janssen"]
_CITIES = {  # country -> (city, street) pairs, so an address reads like one
    "NL": [("Amsterdam", "Keizersgracht"), ("Rotterdam", "Coolsingel"), ("Utrecht", "Lange Nieuwstraat")],
    "BE": [("Antwerp", "Meir"), ("Ghent", "Veldstraat")],
    "DE": [("Berlin", "Torstrasse"), ("Hamburg", "Mönckebergstrasse")],
    "GB": [("London", "Baker Street"), ("Leeds", "Briggate")],
}
_CARRIERS = ["PostNL", "DHL", "DPD", "bpost", "Royal Mail"]
_COUPONS = ["WELCOME10", "AUTUMN26", "FREEBOX", "FRIEND15"]
_PAUSE_REASONS = ["holiday", "budget", "too_much_food", "moving", "trying_competitor"]
_ID_PREFIXES = {
    "order": "ord",
    "customer": "cus",
    "subscription": "sub",
    "delivery": "dlv",
    "delivery_event": "evt",
    "recipe": "rcp",
}
_CONTENT_TYPES = {
    "json": "application/json",
    "avro": "application/avro",
    "protobuf": "application/x-protobuf",
}


@dataclass(frozen=True)
class TopicReport:
    """What `produce` wrote to one topic."""

    topic: str
    product: str
    format: str
    produced: int  # messages delivered, malformed ones included
    malformed: int
    schema_versions: tuple[int, ...]
    keys: int = 0  # distinct keys of the good messages
    late: int = 0  # older versions delivered after a newer version of the same key


@dataclass
class _Codec:
    """How one product's values are written and how a consumer tells a bad message."""

    fields: list[str]  # top-level fields of the schema file
    encode: Callable[[dict[str, Any]], bytes]
    rejects: Callable[[bytes], bool]  # True when decoding (and, for JSON, validating) fails
    schema_breakers: list[Callable[[dict[str, Any], random.Random], bytes]] = field(default_factory=list)


@dataclass
class _Event:
    key: str
    record: dict[str, Any]  # spec column -> typed value (datetime, Decimal, ...)
    late: bool = False


def produce(
    products: list[DataProduct],
    bootstrap: str,
    count: int = 500,
    malformed_share: float = 0.01,
    seed: int = 7,
    on_progress: Callable[[int], None] | None = None,
) -> list[TopicReport]:
    """Produce `count` demo messages to the topic of every kafka product in `products` (others are skipped).

    Creates missing topics (3 partitions, replication 1). Exactly `round(count * malformed_share)`
    messages per topic are malformed. Deterministic for a given `seed`. `on_progress(n)` is called as
    messages are handed to the producer. Raises RuntimeError if any message is not delivered.
    """
    if not 0 <= malformed_share <= 1:
        raise ValueError(f"malformed_share must be between 0 and 1, not {malformed_share}")
    kafka_products = [p for p in products if p.source.kafka is not None]
    _ensure_topics(bootstrap, sorted({p.source.kafka.topic for p in kafka_products}))  # type: ignore[union-attr]
    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "enable.idempotence": True,
            "acks": "all",
            "linger.ms": 20,
            "client.id": "tardis-demo",
        }
    )
    reports = []
    for product in kafka_products:
        messages, report = _messages(product, count, malformed_share, seed)
        _send(producer, report.topic, messages, on_progress)
        reports.append(report)
    return reports


def _ensure_topics(bootstrap: str, topics: list[str]) -> None:
    """Create the topics that do not exist yet; an existing topic is left as it is."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    try:
        existing = admin.list_topics(timeout=15).topics
    except KafkaException as error:
        raise RuntimeError(
            f"Kafka at {bootstrap} is not reachable ({error}); run `tardis local up`"
        ) from error
    missing = [
        NewTopic(t, num_partitions=PARTITIONS, replication_factor=1) for t in topics if t not in existing
    ]
    if not missing:
        return
    for topic, future in admin.create_topics(missing, operation_timeout=30).items():
        try:
            future.result()
        except KafkaException as error:
            if error.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:  # created meanwhile by someone else
                raise RuntimeError(f"could not create topic {topic}: {error}") from error


def _send(
    producer: Producer,
    topic: str,
    messages: list[tuple[bytes, bytes, list[tuple[str, bytes]]]],
    on_progress: Callable[[int], None] | None,
) -> None:
    failures: list[str] = []

    def delivered(error: KafkaError | None, _message: Any) -> None:
        if error is not None:
            failures.append(str(error))

    for index, (key, value, headers) in enumerate(messages, 1):
        while True:
            try:
                producer.produce(topic, value=value, key=key, headers=headers, on_delivery=delivered)
                break
            except BufferError:  # the local queue is full: let deliveries drain, then retry
                producer.poll(0.5)
        producer.poll(0)
        if on_progress is not None and (index % 50 == 0 or index == len(messages)):
            on_progress(50 if index % 50 == 0 else index % 50)
    undelivered = producer.flush(60)
    if failures or undelivered:
        raise RuntimeError(
            f"{len(failures) + undelivered} of {len(messages)} demo messages were not delivered to {topic}"
            + (f": {failures[0]}" if failures else " within 60 s")
        )


def _messages(
    product: DataProduct, count: int, malformed_share: float, seed: int
) -> tuple[list[tuple[bytes, bytes, list[tuple[str, bytes]]]], TopicReport]:
    """The messages (key, value, headers) of one product's stream, and its report."""
    kafka = product.source.kafka
    assert kafka is not None
    rng = random.Random(f"{seed}:{product.name}")  # noqa: S311 - demo data, not security
    codec = _codec(product)
    v2_fields = [f for f in V2_FIELDS if f in codec.fields]
    bad_count = round(count * malformed_share)
    events = _events(product, count - bad_count, rng, seed)
    samples = events or _events(product, 1, rng, seed)  # what malformed messages damage
    bad_positions = set(rng.sample(range(count), bad_count))
    good = iter(events)
    messages = []
    versions: set[int] = set()
    damaged = 0
    for position in range(count):
        version = 2 if v2_fields and position >= count // 2 else 1
        versions.add(version)
        headers = [
            ("source", b"demo"),
            ("schema_version", str(version).encode()),
            ("content_type", _CONTENT_TYPES[kafka.format].encode()),
        ]
        if position in bad_positions:
            sample = rng.choice(samples)
            value = _malformed(codec, _shape(sample.record, v2_fields, version), damaged, rng)
            damaged += 1
            messages.append((sample.key.encode(), value, headers))
            continue
        event = next(good)
        value = codec.encode(_shape(event.record, v2_fields, version))
        if codec.rejects(value):
            raise RuntimeError(f"the demo generator wrote an invalid {product.name} record: {event.record}")
        messages.append((event.key.encode(), value, headers))
    report = TopicReport(
        topic=kafka.topic,
        product=product.name,
        format=kafka.format,
        produced=count,
        malformed=bad_count,
        schema_versions=tuple(sorted(versions)),
        keys=len({e.key for e in events}),
        late=sum(e.late for e in events),
    )
    return messages, report


def _shape(record: dict[str, Any], v2_fields: list[str], version: int) -> dict[str, Any]:
    """The record as schema `version` writes it: version 1 has none of the version-2 fields."""
    return record if version == 2 else {k: v for k, v in record.items() if k not in v2_fields}


def _malformed(codec: _Codec, record: dict[str, Any], kind: int, rng: random.Random) -> bytes:
    """A message a consumer must reject: garbage, a truncated payload, or (JSON) a schema violation.

    `kind` cycles through these, so even a handful of malformed messages shows every kind.
    """
    makers: list[Callable[[], bytes]] = [
        lambda: rng.randbytes(rng.randint(6, 48)),
        lambda: (lambda good: good[: rng.randint(1, max(1, len(good) - 1))])(codec.encode(record)),
        *[lambda breaker=breaker: breaker(record, rng) for breaker in codec.schema_breakers],
    ]
    make = makers[kind % len(makers)]
    for _ in range(100):  # garbage can decode by chance (Avro has no checksum): draw until it does not
        value = make()
        if codec.rejects(value):
            return value
    raise RuntimeError("could not make a malformed message that the decoder rejects")


# --- codecs -----------------------------------------------------------------------------------------


def _codec(product: DataProduct) -> _Codec:
    kafka = product.source.kafka
    assert kafka is not None
    if kafka.schema_ is None:
        raise ValueError(
            f"{product.name}: the demo needs a schema file (source.kafka.schema), not a registry"
        )
    path = product.resolve_path(kafka.schema_)
    if kafka.format == "json":
        return _json_codec(path)
    if kafka.format == "avro":
        return _avro_codec(path)
    return _protobuf_codec(path, kafka.message or "")


def _json_codec(path: Path) -> _Codec:
    schema = jsonschema.load(path)
    properties: dict[str, Any] = schema.get("properties", {})
    required = [name for name in schema.get("required", []) if name in properties]

    def nullable(name: str) -> bool:
        kinds = properties[name].get("type")
        return kinds == "null" or (isinstance(kinds, list) and "null" in kinds)

    def document(record: dict[str, Any]) -> dict[str, Any]:
        return {
            k: _jsonable(v) for k, v in record.items() if k in properties and (v is not None or nullable(k))
        }

    def encode(record: dict[str, Any]) -> bytes:
        return json.dumps(document(record), ensure_ascii=False, separators=(",", ":")).encode()

    def rejects(data: bytes) -> bool:
        try:
            parsed = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return True
        return bool(jsonschema.validate(schema, parsed))

    def missing_required(record: dict[str, Any], rng: random.Random) -> bytes:
        doc = document(record)
        doc.pop(rng.choice(required), None)
        return json.dumps(doc).encode()

    def wrong_type(record: dict[str, Any], rng: random.Random) -> bytes:
        doc = document(record)
        name = rng.choice([n for n in properties if n in doc] or list(properties))
        doc[name] = "n/a" if isinstance(doc.get(name), int | float) else 12345  # a number where text belongs
        return json.dumps(doc).encode()

    breakers = [missing_required, wrong_type] if required else [wrong_type]
    return _Codec(list(properties), encode, rejects, breakers)


def _avro_codec(path: Path) -> _Codec:
    # Plain schemaless Avro can only be read with the exact writer schema, so an Avro topic carries
    # one schema version (a second one needs a schema registry and the Confluent wire format).
    schema = avro.parse_schema(path)
    fields = schema["fields"]

    def encode(record: dict[str, Any]) -> bytes:
        return avro.encode(schema, {f["name"]: _avro_value(f, record.get(f["name"])) for f in fields})

    def rejects(data: bytes) -> bool:
        try:
            avro.decode(schema, data)
        except ValueError:
            return True
        return False

    return _Codec([f["name"] for f in fields], encode, rejects)


def _avro_value(avro_field: dict[str, Any], value: Any) -> Any:
    """`value` coerced to the field's Avro type (None becomes the default when the type is not nullable)."""
    kind = avro_field["type"]
    members = kind if isinstance(kind, list) else [kind]
    if value is None:
        return None if "null" in members else avro_field.get("default")
    base = next(m for m in members if m != "null")
    name = base if isinstance(base, str) else base.get("type")
    logical = None if isinstance(base, str) else base.get("logicalType")
    if logical == "decimal":
        return Decimal(str(value))
    if name in ("double", "float"):
        return float(value)
    if name in ("int", "long") and logical is None:
        return int(value)
    if name == "string":
        return str(value)
    return value


def _protobuf_codec(path: Path, message_name: str) -> _Codec:
    from google.protobuf import json_format

    descriptor_set = protobuf.compile_descriptor_set(path)
    cls = protobuf.message_class(descriptor_set, message_name)
    names = [f.name for f in cls.DESCRIPTOR.fields]

    def encode(record: dict[str, Any]) -> bytes:
        doc = {k: _jsonable(v) for k, v in record.items() if k in names and v is not None}
        return json_format.ParseDict(doc, cls()).SerializeToString()

    def rejects(data: bytes) -> bool:
        try:
            protobuf.decode(descriptor_set, message_name, data)
        except ValueError:
            return True
        return False

    return _Codec(names, encode, rejects)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


# --- events -----------------------------------------------------------------------------------------


def _key_column(product: DataProduct) -> str:
    """The message key: the first `load.key` column, else the first required string column."""
    if product.load.key:
        return product.load.key[0]
    strings = [c for c in product.schema_ if c.data_type.name == "string"]
    return next(
        (c.name for c in strings if c.required), strings[0].name if strings else product.schema_[0].name
    )


def _id_prefix(column: str) -> str:
    base = column.removesuffix("_id")
    return _ID_PREFIXES.get(base, base[:3])


def _events(product: DataProduct, total: int, rng: random.Random, seed: int) -> list[_Event]:
    """`total` good events in stream order: entities, their versions, late arrivals."""
    if total <= 0:
        return []
    key = _key_column(product)
    versioned = product.load.type in ("upsert", "scd2") and product.load.version_by is not None
    plan: list[int] = []  # versions per entity
    while sum(plan) < total:
        plan.append(rng.choices([1, 2, 3, 4], weights=[55, 25, 15, 5])[0] if versioned else 1)
    plan[-1] -= sum(plan) - total
    bases = demo_files.rows(product, len(plan), seed=seed)  # honours accepted_values and range rules
    rules = _rules(product)
    timed: list[tuple[datetime, int, _Event]] = []
    for entity, (versions, base) in enumerate(zip(plan, bases, strict=True)):
        start = (
            WINDOW_START + WINDOW * (entity / len(plan)) + timedelta(milliseconds=rng.randint(0, 3_600_000))
        )
        start = start.replace(microsecond=start.microsecond // 1000 * 1000)  # Avro keeps milliseconds
        record = _realistic(product, base, key, entity, len(plan), start, rng, rules)
        at = start
        for version in range(versions):
            if version:
                at += timedelta(minutes=rng.randint(20, 2 * 24 * 60))
                record = _next_version(product, record, version, key, rng, rules)
            if versioned:
                record[product.load.version_by] = at  # type: ignore[index]
            timed.append((at, entity, _Event(str(record[key]), dict(record))))
    timed.sort(key=lambda item: (item[0], item[1]))
    events = [event for _, _, event in timed]
    return _late_arrivals(events, rng) if versioned else events


def _late_arrivals(events: list[_Event], rng: random.Random) -> list[_Event]:
    """Move an older version of a few keys to just after their newest version: it arrives late."""
    last: dict[str, int] = {}
    count: dict[str, int] = {}
    for index, event in enumerate(events):
        last[event.key] = index
        count[event.key] = count.get(event.key, 0) + 1
    multi = sorted(k for k, n in count.items() if n > 1)
    for key in rng.sample(multi, max(1, round(len(multi) * LATE_SHARE)) if multi else 0):
        newest = max(i for i, e in enumerate(events) if e.key == key)
        older = max(i for i, e in enumerate(events) if e.key == key and i < newest)
        moved = events.pop(older)
        moved.late = True
        events.insert(min(len(events), newest + rng.randint(0, 5)), moved)  # `newest` now points just past it
    return events


def _rules(product: DataProduct) -> dict[str, Any]:
    """Columns the quality rules restrict: accepted values (a list) or a range (min, max)."""
    rules: dict[str, Any] = {}
    for rule in product.quality:
        if rule.accepted_values is not None:
            rules[rule.accepted_values.column] = list(rule.accepted_values.values)
        if rule.range is not None:
            rules[rule.range.column] = (rule.range.min, rule.range.max)
    return rules


def _in_range(value: float, bounds: tuple[float | None, float | None] | None) -> bool:
    low, high = bounds or (None, None)
    return (low is None or value >= low) and (high is None or value <= high)


def _realistic(
    product: DataProduct,
    base: dict[str, Any],
    key: str,
    entity: int,
    entities: int,
    start: datetime,
    rng: random.Random,
    rules: dict[str, Any],
) -> dict[str, Any]:
    """The first version of an entity: demo_files' typed row with ids, names, times and money made real."""
    record = dict(base)
    place = rng.choice(_CITIES.get(str(record.get("country")), [p for ps in _CITIES.values() for p in ps]))
    for column in product.schema_:
        name, kind = column.name, column.data_type.name
        if isinstance(rules.get(name), list):
            continue  # accepted values already drawn from the rule
        if name == key:
            record[name] = f"{_id_prefix(name)}-{entity:06d}"
        elif kind == "string" and name.endswith("_id"):
            pool = max(1, entities // 3)  # several orders per customer, several events per delivery
            reference = f"{_id_prefix(name)}-{rng.randrange(pool):06d}"
            record[name] = reference if column.required or rng.random() < 0.75 else None
        elif kind == "timestamp":
            record[name] = start
        elif kind == "date":
            record[name] = start.date()
        elif kind == "string":
            record[name] = _text(name, record[name], place, rng)
        elif kind in ("double", "float", "decimal") and ("amount" in name or "price" in name):
            money = round(rng.uniform(24.9, 119.9), 2)
            if _in_range(money, rules.get(name)):
                record[name] = Decimal(str(money)) if kind == "decimal" else money
        elif kind in ("int", "bigint") and "size" in name and name not in rules:
            record[name] = rng.choice([2, 3, 4, 5])
    if record.get("first_name") and record.get("last_name"):
        for name in [c.name for c in product.schema_ if "email" in c.name and c.name not in rules]:
            user = f"{record['first_name']}.{record['last_name']}{entity}".lower().replace("ü", "u")
            record[name] = f"{user}@example.com"
    _slots(record, start, rng)
    _status_fields(product, record, 0, rules, rng)
    return record


def _text(name: str, current: Any, place: tuple[str, str], rng: random.Random) -> Any:
    """A realistic string for a column whose name says what it holds (else demo_files' value)."""
    if name == "first_name":
        return rng.choice(_FIRST)
    if name == "last_name":
        return rng.choice(_LAST)
    if name == "city":
        return place[0]
    if name == "postcode":
        return f"{rng.randint(1011, 9999)} {''.join(rng.choices('ABCDEHJKLMNPRSTVWXZ', k=2))}"
    if "address" in name:
        return f"{place[1]} {rng.randint(1, 250)}, {place[0]}"
    if name == "carrier":
        return rng.choice(_CARRIERS)
    if "coupon" in name:
        return rng.choice(_COUPONS) if rng.random() < 0.3 else None
    if "reason" in name:
        return None  # set with the status that needs it
    return current


def _slots(record: dict[str, Any], start: datetime, rng: random.Random) -> None:
    """A delivery window a day or three ahead, two hours long (ends after it starts)."""
    if "slot_start" in record:
        day = (start + timedelta(days=rng.randint(1, 3))).replace(minute=0, second=0, microsecond=0)
        record["slot_start"] = day.replace(hour=rng.choice([8, 12, 17, 19]))
        if "slot_end" in record:
            record["slot_end"] = record["slot_start"] + timedelta(hours=2)


def _status_fields(
    product: DataProduct, record: dict[str, Any], version: int, rules: dict[str, Any], rng: random.Random
) -> None:
    """Upsert/scd2 statuses move forward through their accepted values (placed -> paid -> shipped ...)."""
    values = rules.get("status")
    if product.load.type in ("upsert", "scd2") and isinstance(values, list) and values:
        previous = record.get("status")
        if version and previous == values[-1]:
            pass  # a terminal state (cancelled) stays
        elif version and rng.random() < 0.1:
            record["status"] = values[-1]
        else:
            record["status"] = values[min(version, len(values) - 2 if len(values) > 2 else len(values) - 1)]
    if "pause_reason" in record:
        record["pause_reason"] = rng.choice(_PAUSE_REASONS) if record.get("status") == "paused" else None


def _next_version(
    product: DataProduct,
    record: dict[str, Any],
    version: int,
    key: str,
    rng: random.Random,
    rules: dict[str, Any],
) -> dict[str, Any]:
    """The entity after one more change: the status moves on and one mutable attribute may change."""
    record = dict(record)
    mutable = [
        c
        for c in product.schema_
        if not c.required
        and c.name not in (key, product.load.version_by, "status", "currency", "country")
        and not c.name.endswith("_id")
        and c.data_type.name not in ("timestamp", "date")
        and not isinstance(rules.get(c.name), list)
        and "reason" not in c.name
    ]
    if mutable and rng.random() < 0.6:
        column = rng.choice(mutable)
        fresh = demo_files.rows(product, 1, start=rng.randint(0, 10**6), seed=rng.randint(0, 10**6))[0]
        record[column.name] = _realistic(product, fresh, key, 0, 1, WINDOW_START, rng, rules)[column.name]
    _status_fields(product, record, version, rules, rng)
    return record
