"""Names shared by the standardize job and its Dagster assets (no imports: the asset side stays light)."""

# `std.<product>__changes`: every typed, PII-safe version of an upsert product, in load order.
CHANGES_SUFFIX = "__changes"


def has_change_stream(load_type: str) -> bool:
    """Whether standardization appends every version of a batch to `std.<product>__changes`.

    Only upsert: its std table keeps the latest version of each key. An scd2 table keeps every version
    itself, an append table every record; a full load has no history to keep.
    """
    return load_type == "upsert"


def std_table_of(table: str) -> str:
    """The published std table a std table belongs to: `x__changes` -> `x`, `x` -> `x`."""
    return table.removesuffix(CHANGES_SUFFIX)


def audit_names(load: dict) -> list[str]:
    """The audits of a load: schema, key not null and unique where a key is declared, reject share.

    Keys are unique in upsert and scd2 tables (per version), and in a full load that declares one.
    """
    names = ["contract_schema"]
    if load["key"]:
        names.append("key_not_null")
        if load["type"] in ("upsert", "scd2", "full"):
            names.append("key_unique")
    return [*names, "reject_share"]
