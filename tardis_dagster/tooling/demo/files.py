"""Realistic files for `files` products, generated from the product's own schema.

Values follow the column type and, where the name says what a column is (`*_id`, `email`,
`*_at`, `price`...), look like it, so the demo reads like real exports.
"""

from __future__ import annotations

import csv
import json
import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from tardis_dagster.core.specs import DataProduct, DataType

_WORDS = (
    "lemon herb chicken",
    "miso salmon bowl",
    "smoky bean chili",
    "thai green curry",
    "mushroom risotto",
    "beef bulgogi",
    "falafel wrap",
    "pesto gnocchi",
    "teriyaki tofu",
    "harissa lamb",
    "veggie lasagne",
    "sweet potato tacos",
    "chicken katsu",
    "shrimp pad thai",
    "spinach dal",
)
_FIRST = ["ada", "bo", "chen", "dara", "eli", "fatima", "gus", "hana", "ivan", "juno", "kai", "lea"]
_LAST = ["smith", "okafor", "nguyen", "garcia", "müller", "rossi", "kowalski", "tanaka", "silva"]
_CATEGORIES = ["classic", "veggie", "family", "low_carb", "quick", "premium"]
_EPOCH = datetime(2026, 10, 1, tzinfo=UTC)


def _value(name: str, kind: DataType, row: int, rng: random.Random) -> Any:
    """A plausible value for column `name` of type `kind` in row number `row`."""
    lname = name.lower()
    if kind.name == "string":
        if lname.endswith("_id") or lname == "id":
            return f"{lname.removesuffix('_id')[:3] or 'id'}-{row:06d}"
        if "email" in lname:
            return f"{rng.choice(_FIRST)}.{rng.choice(_LAST)}{row}@example.com"
        if "phone" in lname:
            return f"+44 7{rng.randint(100, 999)} {rng.randint(100000, 999999)}"
        if lname in ("name", "title", "recipe_name") or lname.endswith("_name"):
            return rng.choice(_WORDS).title()
        if "category" in lname or "tier" in lname or "cuisine" in lname:
            return rng.choice(_CATEGORIES)
        if "status" in lname:
            return rng.choice(["active", "paused", "cancelled"])
        return f"{lname}-{rng.randint(1, 50)}"
    if kind.name in ("int", "bigint"):
        if "minutes" in lname or "time" in lname:
            return rng.randint(10, 60)
        if "points" in lname:
            return rng.randint(-200, 500)
        return rng.randint(0, 1000)
    if kind.name in ("double", "float"):
        return round(rng.uniform(0, 1000), 3)
    if kind.name == "decimal":
        scale = kind.scale or 0
        upper = min(10 ** ((kind.precision or 10) - scale) - 1, 250)
        return Decimal(rng.uniform(1, upper)).quantize(Decimal(1).scaleb(-scale))
    if kind.name == "boolean":
        return rng.random() < 0.5
    if kind.name == "date":
        return (_EPOCH + timedelta(days=rng.randint(0, 60))).date()
    if kind.name == "timestamp":
        return _EPOCH + timedelta(seconds=rng.randint(0, 60 * 86400))
    if kind.name == "array" and kind.element is not None:
        return [_value(name, kind.element, row, rng) for _ in range(rng.randint(0, 3))]
    if kind.name == "map" and kind.key is not None and kind.value is not None:
        return {
            str(_value(f"{name}_k{i}", kind.key, row, rng)): _value(name, kind.value, row, rng)
            for i in range(2)
        }
    if kind.name == "struct":
        return {field: _value(field, sub, row, rng) for field, sub in kind.fields}
    raise ValueError(f"no demo values for type {kind}")


def _constrained(product: DataProduct, rng: random.Random) -> dict[str, Any]:
    """Value makers for columns whose quality rules restrict them (accepted values, ranges)."""
    makers: dict[str, Any] = {}
    for rule in product.quality:
        if rule.accepted_values is not None:
            values = list(rule.accepted_values.values)
            makers[rule.accepted_values.column] = lambda values=values: rng.choice(values)
        if rule.range is not None:
            low = rule.range.min if rule.range.min is not None else 0
            high = rule.range.max if rule.range.max is not None else low + 1000
            column = product.column(rule.range.column)
            integral = column is not None and column.data_type.name in ("int", "bigint")
            makers[rule.range.column] = (
                (lambda low=low, high=high: rng.randint(int(low), int(high)))
                if integral
                else (lambda low=low, high=high: Decimal(str(round(rng.uniform(low, high), 2))))
            )
    return makers


def rows(product: DataProduct, count: int, start: int = 0, seed: int = 7) -> list[dict[str, Any]]:
    """`count` rows for `product`, row numbers from `start` (so ids stay unique across files).

    Values respect the product's own accepted-values and range rules, so the demo passes its checks.
    """
    rng = random.Random(seed + start)  # noqa: S311 - demo data, not security
    columns = [(c.name, c.data_type) for c in product.schema_]
    constrained = _constrained(product, rng)
    return [
        {
            name: constrained[name]() if name in constrained else _value(name, kind, start + i, rng)
            for name, kind in columns
        }
        for i in range(count)
    ]


def _plain(value: Any) -> Any:
    """Text/JSON-friendly form of a value (csv and json files carry no types)."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def write_file(product: DataProduct, path: Path, data: list[dict[str, Any]]) -> Path:
    """Write `data` to `path` in the product's file format."""
    files = product.source.files
    assert files is not None, f"{product.name} is not a files product"
    path.parent.mkdir(parents=True, exist_ok=True)
    if files.format == "parquet":
        pq.write_table(pa.Table.from_pylist(data), path)
    elif files.format == "json":
        with path.open("w", encoding="utf-8") as out:
            for record in data:
                out.write(json.dumps(_plain(record)) + "\n")
    else:
        delimiter = files.options.get("delimiter", files.options.get("sep", ","))
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=[c.name for c in product.schema_], delimiter=delimiter)
            writer.writeheader()
            for record in data:
                writer.writerow(
                    {k: json.dumps(v) if isinstance(v, list | dict) else _plain(v) for k, v in record.items()}
                )
    return path


def write_corrupt_file(product: DataProduct, folder: Path, name: str = "corrupt") -> Path:
    """A file that cannot be parsed as the product's format: what a broken partner export looks like."""
    files = product.source.files
    assert files is not None, f"{product.name} is not a files product"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.{files.format}"
    if files.format == "parquet":
        good = folder / f".{name}.tmp"
        write_file(product, good, rows(product, 20, start=900_000))
        path.write_bytes(good.read_bytes()[: good.stat().st_size // 2])  # truncated: no footer
        good.unlink()
    elif files.format == "json":
        path.write_text('{"this is": "cut off mid-record\nnot json at all\n', encoding="utf-8")
    else:
        header = ",".join(c.name for c in product.schema_)
        path.write_text(f'{header}\n"unterminated quote,1,2\n', encoding="utf-8")
    return path


def generate(
    product: DataProduct, folder: Path, files: int, rows_per_file: int, first_file: int = 0
) -> list[Path]:
    """Write `files` files of `rows_per_file` rows each into `folder`; file numbers from `first_file`."""
    ext = product.source.files.format  # type: ignore[union-attr]
    written = []
    for n in range(first_file, first_file + files):
        data = rows(product, rows_per_file, start=n * rows_per_file)
        written.append(write_file(product, folder / f"{product.name}-{n:05d}.{ext}", data))
    return written
