"""Typed metadata entries (`core.metadata`) as Dagster metadata values, through Dagster's own helpers.

Used where the code location records a job's result itself (a stream's runless materializations);
results that travel through Pipes are translated on the job side (`jobs/reporting.py`).
"""

from __future__ import annotations

import dagster as dg

from tardis_dagster.core.metadata import Entry, SchemaColumn


def _column(column: SchemaColumn) -> dg.TableColumn:
    return dg.TableColumn(
        column.name,
        column.type,
        description=column.description,
        constraints=dg.TableColumnConstraints(nullable=column.nullable),
    )


def metadata_value(entry: Entry) -> dg.MetadataValue:
    """One entry as the Dagster metadata value of its kind."""
    if entry.kind == "table_schema":
        return dg.MetadataValue.table_schema(dg.TableSchema(columns=[_column(c) for c in entry.value]))
    if entry.kind == "table_column_lineage":
        deps = {
            name: [dg.TableColumnDep(asset_key=dg.AssetKey(d.asset_key), column_name=d.column) for d in ds]
            for name, ds in entry.value.items()
        }
        return dg.MetadataValue.column_lineage(dg.TableColumnLineage(deps_by_column=deps))
    helpers = {
        "text": dg.MetadataValue.text,
        "int": dg.MetadataValue.int,
        "float": dg.MetadataValue.float,
        "bool": dg.MetadataValue.bool,
        "json": dg.MetadataValue.json,
        "md": dg.MetadataValue.md,
    }
    return helpers[entry.kind](entry.value)


def dagster_metadata(entries: dict[str, Entry]) -> dict[str, dg.MetadataValue]:
    """Typed entries as Dagster metadata."""
    return {name: metadata_value(entry) for name, entry in entries.items()}
