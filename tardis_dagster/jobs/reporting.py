"""Reporting back to Dagster through Pipes: the one translation of typed metadata into Pipes values."""

from __future__ import annotations

from typing import Any

from dagster_pipes import PipesMetadataValue

from tardis_dagster.core.metadata import Entry, Lineage, SchemaColumn


def _raw(entry: Entry) -> Any:
    if entry.kind == "table_schema":
        return {"columns": [_column(c) for c in entry.value]}
    if entry.kind == "table_column_lineage":
        return {"deps_by_column": _lineage(entry.value)}
    return entry.value


def _column(column: SchemaColumn) -> dict[str, Any]:
    return {
        "name": column.name,
        "type": column.type,
        "description": column.description,
        "constraints": {"nullable": column.nullable},
    }


def _lineage(lineage: Lineage) -> dict[str, list[dict[str, Any]]]:
    return {
        name: [{"asset_key": dep.asset_key, "column_name": dep.column} for dep in deps]
        for name, deps in lineage.items()
    }


def pipes_metadata(entries: dict[str, Entry]) -> dict[str, PipesMetadataValue]:
    """Typed entries as Pipes metadata values."""
    return {
        name: PipesMetadataValue(type=entry.kind, raw_value=_raw(entry)) for name, entry in entries.items()
    }
