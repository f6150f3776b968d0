"""Names shared by the standardize job and its Dagster assets (no imports: the asset side stays light)."""


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
