"""Typed metadata entries: what a job reports, independent of how it travels.

A job's result model names its metadata as `Entry` values; `jobs/reporting.py` turns them into Dagster
Pipes values on the job side and `lib/metadata.py` into Dagster `MetadataValue`s in the code location,
so neither side writes `{"type": ..., "raw_value": ...}` by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["text", "int", "float", "bool", "json", "md", "table_schema", "table_column_lineage"]


@dataclass(frozen=True)
class SchemaColumn:
    """One column of a table schema."""

    name: str
    type: str
    description: str | None = None
    nullable: bool = True


@dataclass(frozen=True)
class ColumnDep:
    """An upstream column a column is computed from."""

    asset_key: list[str]
    column: str


# Column -> the upstream columns it is computed from.
Lineage = dict[str, list[ColumnDep]]


@dataclass(frozen=True)
class Entry:
    """One metadata value and its kind."""

    kind: Kind
    value: Any

    @classmethod
    def text(cls, value: str) -> Entry:
        """Plain text."""
        return cls("text", str(value))

    @classmethod
    def int(cls, value: int) -> Entry:
        """An integer (counts, sizes)."""
        return cls("int", int(value))

    @classmethod
    def float(cls, value: float) -> Entry:
        """A float (seconds, shares)."""
        return cls("float", float(value))

    @classmethod
    def bool(cls, value: bool) -> Entry:
        """A boolean."""
        return cls("bool", bool(value))

    @classmethod
    def json(cls, value: Any) -> Entry:
        """JSON-ready data (offsets per partition, phase timings)."""
        return cls("json", value)

    @classmethod
    def md(cls, value: str) -> Entry:
        """Markdown (tables of offsets, samples of failing rows)."""
        return cls("md", str(value))

    @classmethod
    def table_schema(cls, columns: list[SchemaColumn]) -> Entry:
        """A table's schema (Dagster shows it as the asset's columns)."""
        return cls("table_schema", list(columns))

    @classmethod
    def column_lineage(cls, lineage: Lineage) -> Entry:
        """Which upstream columns each column comes from."""
        return cls("table_column_lineage", dict(lineage))
